//! `berth server`: today it opens the datastore (embedded SQLite or etcd), keeps it compacted,
//! and runs until SIGINT or SIGTERM. The API server, controllers and scheduler attach here.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use berth_store::DatastoreConfig;
use berth_store::compactor::CompactionPolicy;
use clap::Args;

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Folder for all server state (the SQLite datastore lives in server/db/).
    #[arg(long, env = "BERTH_DATA_DIR", default_value = "/var/lib/berth")]
    data_dir: PathBuf,

    /// Datastore: empty for embedded SQLite, sqlite:///path/to/file.db, or etcd as
    /// http://host:2379[,http://host2:2379].
    #[arg(long, env = "BERTH_DATASTORE_ENDPOINT")]
    datastore_endpoint: Option<String>,

    /// How much history the datastore keeps before compacting it (kube-apiserver's flag);
    /// 0s disables automatic compaction.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    etcd_compaction_interval: Duration,
}

/// Parses `300ms`, `30s`, `5m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 300ms, 30s, 5m or 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{text:?}: the unit must be ms, s, m or h")),
    }
}

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    let mut config =
        DatastoreConfig::from_endpoint(args.datastore_endpoint.as_deref(), &args.data_dir)?;
    config.compaction = (!args.etcd_compaction_interval.is_zero())
        .then(|| CompactionPolicy::with_window(args.etcd_compaction_interval));
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(config))
}

async fn serve(config: DatastoreConfig) -> anyhow::Result<()> {
    let store = berth_store::open(&config)
        .await
        .context("opening the datastore")?;
    let revision = store
        .current_revision()
        .await
        .context("reading the datastore's revision")?;
    tracing::info!(store = %store.describe(), %revision, "datastore ready");
    tracing::warn!(
        "the Kubernetes API server is not part of this build yet: only the datastore runs"
    );
    shutdown_signal().await?;
    tracing::info!("shutting down");
    drop(store);
    Ok(())
}

async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_kubernetes_flags() {
        for (text, expected) in [
            ("300ms", Ok(Duration::from_millis(300))),
            ("30s", Ok(Duration::from_secs(30))),
            ("5m", Ok(Duration::from_secs(300))),
            ("1h", Ok(Duration::from_secs(3600))),
            ("0s", Ok(Duration::ZERO)),
        ] {
            assert_eq!(parse_duration(text), expected, "{text}");
        }
        for bad in ["5", "m", "5d", "-1s", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
