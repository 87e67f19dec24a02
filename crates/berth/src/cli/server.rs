//! `berth server`: opens the datastore (embedded SQLite or etcd, kept compacted), serves the
//! Kubernetes API over HTTPS, writes the admin kubeconfig, and runs until SIGINT or SIGTERM.
//! Controllers and the scheduler attach here later.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use berth_api::cidr::Ipv4Cidr;
use berth_apiserver::{ApiServer, ApiServerConfig};
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

    /// Port of the HTTPS API.
    #[arg(long, default_value_t = 6443)]
    https_listen_port: u16,

    /// Address the API listens on.
    #[arg(long, default_value = "0.0.0.0")]
    bind_address: IpAddr,

    /// Where to write the admin kubeconfig (mode 0600).
    #[arg(
        long,
        env = "BERTH_KUBECONFIG_OUTPUT",
        default_value = "/etc/berth/berth.yaml"
    )]
    write_kubeconfig: PathBuf,

    /// Extra names or addresses for the API's serving certificate (repeatable).
    #[arg(long)]
    tls_san: Vec<String>,

    /// Service addresses; the first one is the `kubernetes` Service's.
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: Ipv4Cidr,
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
    let api = ApiServerConfig {
        data_dir: args.data_dir.clone(),
        bind_address: args.bind_address,
        port: args.https_listen_port,
        tls_san: args.tls_san.clone(),
        service_cidr: args.service_cidr,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(config, api, args.write_kubeconfig))
}

async fn serve(
    config: DatastoreConfig,
    api: ApiServerConfig,
    kubeconfig: PathBuf,
) -> anyhow::Result<()> {
    let signals = ShutdownSignals::install()?;
    let store = berth_store::open(&config)
        .await
        .context("opening the datastore")?;
    let revision = store
        .current_revision()
        .await
        .context("reading the datastore's revision")?;
    tracing::info!(store = %store.describe(), %revision, "datastore ready");
    let server = ApiServer::start(api.clone(), store.clone())
        .await
        .context("starting the API server")?;
    let host = if api.bind_address.is_unspecified() || api.bind_address.is_loopback() {
        "127.0.0.1".to_string()
    } else {
        api.bind_address.to_string()
    };
    let url = format!("https://{host}:{}", server.local_addr.port());
    berth_apiserver::pki::write_private(
        &kubeconfig,
        server.admin_kubeconfig(&url).as_bytes(),
        0o600,
    )
    .with_context(|| format!("writing the kubeconfig {}", kubeconfig.display()))?;
    tracing::info!(address = %server.local_addr, kubeconfig = %kubeconfig.display(), "API server ready");
    signals.wait().await;
    tracing::info!("shutting down");
    drop(server);
    drop(store);
    Ok(())
}

/// SIGINT and SIGTERM, registered before anything starts: a signal that arrives right after
/// start-up is not lost.
struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<ShutdownSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
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
