//! `berth agent`: joins a server (`--server URL --token T | --token-file F`) as this machine's
//! node, running pods in real containers. With `--simulate N` it runs N simulated nodes (no
//! containers) instead, for tests, benchmarks and capacity planning.

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

    #[command(flatten)]
    node: NodeArgs,

    #[command(flatten)]
    network: AgentNetworkArgs,
}

/// Settings of a real node (what `berth server` shares when it runs the agent too).
#[derive(Debug, Args, Clone)]
pub struct NodeArgs {
    /// Folder for all state: the server's (SQLite datastore in server/db/) and the agent's
    /// (images, containers, pod dirs in agent/).
    #[arg(long, env = "BERTH_DATA_DIR", default_value = "/var/lib/berth")]
    pub data_dir: PathBuf,

    /// The address the node reports (default: the default route's interface address).
    #[arg(long)]
    pub node_ip: Option<String>,

    /// Where the CNI plugins are.
    #[arg(long, default_value = "/usr/lib/cni")]
    pub cni_bin_dir: PathBuf,

    /// The bridge pods attach to (at most 15 characters).
    #[arg(long, default_value = "berth0")]
    pub cni_bridge: String,

    /// cgroup parent of every container.
    #[arg(long, default_value = "berth")]
    pub cgroup_root: String,

    /// The cluster DNS address pods resolve through.
    #[arg(long, default_value = "10.43.0.10")]
    pub cluster_dns: String,

    /// The cluster's DNS domain.
    #[arg(long, default_value = "cluster.local")]
    pub cluster_domain: String,

    /// The agent's HTTPS port, through which the API server streams logs.
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,

    /// Registry mirrors, credentials and TLS settings, in k3s's registries.yaml format
    /// (read if it exists when left at the default).
    #[arg(long, default_value = berth_agent::image::registry::config::DEFAULT_PATH)]
    pub private_registry: PathBuf,

    /// Pull only from the mirrors the registries configuration names, never from an
    /// image's own registry (as k3s's flag of the same name).
    #[arg(long)]
    pub disable_default_registry_endpoint: bool,
}

impl NodeArgs {
    /// The registries configuration `--private-registry` names.
    pub fn registries(&self) -> anyhow::Result<berth_agent::image::registry::RegistriesConfig> {
        let optional =
            self.private_registry.as_os_str() == berth_agent::image::registry::config::DEFAULT_PATH;
        let mut config =
            berth_agent::image::registry::RegistriesConfig::load(&self.private_registry, optional)?;
        config.disable_default_endpoint = self.disable_default_registry_endpoint;
        Ok(config)
    }
}

/// `berth agent`'s own: the Service CIDR (`berth server` passes its `--service-cidr`).
#[derive(Debug, Args, Clone)]
pub struct AgentNetworkArgs {
    /// The cluster's Service addresses, routed to a local dummy device on this node.
    #[arg(long, default_value = "10.43.0.0/16")]
    pub service_cidr: String,
}

impl NodeArgs {
    /// The node agent's configuration for node `name` with `labels`.
    pub fn config(
        &self,
        name: String,
        labels: BTreeMap<String, String>,
        token: String,
        service_cidr: String,
    ) -> anyhow::Result<berth_agent::node::NodeConfig> {
        if self.cni_bridge.is_empty() || self.cni_bridge.len() > 15 {
            bail!(
                "--cni-bridge {:?}: a bridge name has 1 to 15 characters",
                self.cni_bridge
            );
        }
        Ok(berth_agent::node::NodeConfig {
            node_name: name,
            data_dir: self.data_dir.clone(),
            labels,
            cni_plugin_dir: self.cni_bin_dir.clone(),
            bridge: self.cni_bridge.clone(),
            cgroup_root: self.cgroup_root.trim_matches('/').to_string(),
            cluster_dns: self.cluster_dns.clone(),
            cluster_domain: self.cluster_domain.clone(),
            node_ip: self.node_ip.clone(),
            kubelet_port: self.kubelet_port,
            token,
            service_cidr,
            registries: std::sync::Arc::new(self.registries()?),
        })
    }
}

pub(super) fn hostname_or(name: Option<&str>) -> String {
    name.map(str::to_string).unwrap_or_else(hostname)
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
    let mut labels = BTreeMap::new();
    for label in &args.node_labels {
        let (k, v) = label
            .split_once('=')
            .with_context(|| format!("--node-label {label:?} is not key=value"))?;
        labels.insert(k.to_string(), v.to_string());
    }
    let Some(count) = args.simulate else {
        let config = args.node.config(
            hostname_or(args.node_name.as_deref()),
            labels,
            token.clone(),
            args.network.service_cidr.clone(),
        )?;
        berth_agent::node::check_prerequisites(&config)?;
        let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
        return runtime.block_on(async move {
            let signals = ShutdownSignals::install()?;
            let client = berth_client::connect(&args.server, &token)
                .await
                .with_context(|| format!("joining {}", args.server))?;
            tokio::select! {
                result = berth_agent::node::run(client, config) => result.context("running the node agent")?,
                () = signals.wait() => tracing::info!("shutting down; containers keep running"),
            }
            Ok(())
        });
    };
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
