//! `berth agent`: joins a server (`--server URL --token T | --token-file F`). With
//! `--simulate N` it runs N simulated nodes (no containers) for tests, benchmarks and
//! capacity planning; the agent that runs real containers comes with the node-agent work.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use berth_agent::simulated::{self, SimulationConfig};
use clap::Args;

use super::server::ShutdownSignals;

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The server to join, e.g. https://10.0.0.1:6443.
    #[arg(long, env = "BERTH_URL")]
    server: String,

    /// The server's token (`<data-dir>/server/token` on the server).
    #[arg(long, env = "BERTH_TOKEN", conflicts_with = "token_file")]
    token: Option<String>,

    /// A file holding the server's token.
    #[arg(long, env = "BERTH_TOKEN_FILE")]
    token_file: Option<PathBuf>,

    /// Node name; with --simulate, the prefix of the simulated nodes' names.
    #[arg(long, env = "BERTH_NODE_NAME")]
    node_name: Option<String>,

    /// Run this many simulated nodes instead of a real one.
    #[arg(long, value_name = "N")]
    simulate: Option<usize>,

    /// Capacity of each simulated node, over the defaults cpu=8,memory=32Gi,pods=110,
    /// ephemeral-storage=100Gi (extended resources too: example.com/gpu=2).
    #[arg(long, default_value = "")]
    capacity: String,

    /// A label for the node(s), key=value (repeatable).
    #[arg(long = "node-label")]
    node_labels: Vec<String>,
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "node".into())
}

pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let token = match (&args.token, &args.token_file) {
        (Some(token), _) => token.clone(),
        (None, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("reading the token file {}", file.display()))?
            .trim()
            .to_string(),
        (None, None) => bail!("give the server's token with --token or --token-file"),
    };
    let Some(count) = args.simulate else {
        bail!(
            "this build runs simulated nodes only: add --simulate N (the agent that runs real containers is not built yet)"
        );
    };
    let mut labels = BTreeMap::new();
    for label in &args.node_labels {
        let (k, v) = label
            .split_once('=')
            .with_context(|| format!("--node-label {label:?} is not key=value"))?;
        labels.insert(k.to_string(), v.to_string());
    }
    let config = SimulationConfig {
        prefix: args.node_name.clone().unwrap_or_else(hostname),
        count,
        capacity: simulated::parse_capacity(&args.capacity)?,
        labels,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let client = berth_client::connect(&args.server, &token)
            .await
            .with_context(|| format!("joining {}", args.server))?;
        tokio::select! {
            result = simulated::run(client, config) => result.context("running simulated nodes")?,
            () = signals.wait() => tracing::info!("shutting down"),
        }
        Ok(())
    })
}
