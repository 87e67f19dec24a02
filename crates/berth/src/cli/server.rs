//! `berth server`: opens the datastore (embedded SQLite or etcd, kept compacted), serves the
//! Kubernetes API over HTTPS, writes the admin kubeconfig, and runs until SIGINT or SIGTERM.
//! Controllers and the scheduler attach here later.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use berth_api::cidr::Ipv4Cidr;
use berth_apiserver::registry::PodAdmission;
use berth_apiserver::{ApiServer, ApiServerConfig};
use berth_client::leader::{LeaderElection, Timings, spawn_elected};
use berth_store::DatastoreConfig;
use berth_store::compactor::CompactionPolicy;
use clap::Args;

use super::duration::parse_duration;

#[derive(Debug, Args)]
pub struct ServerArgs {
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

    /// Pod addresses: each node gets a /24 of it.
    #[arg(long, default_value = "10.42.0.0/16")]
    cluster_cidr: Ipv4Cidr,

    /// Service addresses; the first one is the `kubernetes` Service's.
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: Ipv4Cidr,

    /// Don't run the node agent in this process (this machine runs no pods).
    #[arg(long)]
    disable_agent: bool,

    /// This machine's node name (with the agent).
    #[arg(long, env = "BERTH_NODE_NAME")]
    node_name: Option<String>,

    /// A label for this machine's node, key=value (repeatable).
    #[arg(long = "node-label")]
    node_labels: Vec<String>,

    #[command(flatten)]
    node: super::agent::NodeArgs,

    /// Don't run the scheduler in this process.
    #[arg(long)]
    disable_scheduler: bool,

    /// How long a node may go without renewing its Lease before it is marked NotReady/Unknown.
    #[arg(long, default_value = "50s", value_parser = parse_duration)]
    node_monitor_grace_period: Duration,

    /// How long Events are kept after their last update (kube-apiserver's flag).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    event_ttl: Duration,

    /// Seconds a pod tolerates its node being NotReady before eviction (added to every pod).
    #[arg(long, default_value_t = 300)]
    default_not_ready_toleration_seconds: i64,

    /// Seconds a pod tolerates its node being unreachable before eviction (added to every pod).
    #[arg(long, default_value_t = 300)]
    default_unreachable_toleration_seconds: i64,
}

impl ServerArgs {
    pub fn data_dir(&self) -> &std::path::Path {
        &self.node.data_dir
    }

    pub fn kubeconfig(&self) -> &std::path::Path {
        &self.write_kubeconfig
    }
}

/// Runs once the API is up, with an admin client (`berth up` applies its example then).
pub type OnReady =
    Box<dyn FnOnce(kube::Client) -> futures_util::future::BoxFuture<'static, ()> + Send>;

pub fn run(args: ServerArgs) -> anyhow::Result<()> {
    run_with(args, None)
}

pub fn run_with(args: ServerArgs, on_ready: Option<OnReady>) -> anyhow::Result<()> {
    let mut config =
        DatastoreConfig::from_endpoint(args.datastore_endpoint.as_deref(), &args.node.data_dir)?;
    config.compaction = (!args.etcd_compaction_interval.is_zero())
        .then(|| CompactionPolicy::with_window(args.etcd_compaction_interval));
    let api = ApiServerConfig {
        data_dir: args.node.data_dir.clone(),
        bind_address: args.bind_address,
        port: args.https_listen_port,
        tls_san: args.tls_san.clone(),
        service_cidr: args.service_cidr,
        pod_admission: PodAdmission {
            not_ready_toleration_seconds: args.default_not_ready_toleration_seconds,
            unreachable_toleration_seconds: args.default_unreachable_toleration_seconds,
        },
    };
    let agent = if args.disable_agent {
        None
    } else {
        let mut labels = std::collections::BTreeMap::new();
        for label in &args.node_labels {
            let (k, v) = label
                .split_once('=')
                .with_context(|| format!("--node-label {label:?} is not key=value"))?;
            labels.insert(k.to_string(), v.to_string());
        }
        let config = args
            .node
            // The token is the server's own, known once it has started.
            .config(
                super::agent::hostname_or(args.node_name.as_deref()),
                labels,
                String::new(),
                args.service_cidr.to_string(),
            )?;
        berth_agent::node::check_prerequisites(&config)?;
        Some(config)
    };
    let components = Components {
        agent,
        scheduler: !args.disable_scheduler,
        controllers: berth_controllers::ControllerConfig {
            node_monitor_grace_period: args.node_monitor_grace_period,
            event_ttl: args.event_ttl,
            cluster_cidr: Some(args.cluster_cidr),
        },
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(
        config,
        api,
        args.write_kubeconfig,
        components,
        on_ready,
    ))
}

/// What runs in-process beside the API server.
struct Components {
    agent: Option<berth_agent::node::NodeConfig>,
    scheduler: bool,
    controllers: berth_controllers::ControllerConfig,
}

async fn serve(
    config: DatastoreConfig,
    api: ApiServerConfig,
    kubeconfig: PathBuf,
    components: Components,
    on_ready: Option<OnReady>,
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
    tracing::info!(address = %server.local_addr, kubeconfig = %kubeconfig.display(), allocator = crate::allocator::name(), "API server ready");
    // The scheduler and controllers reach the API in-process, as themselves.
    let controllers = kube::Client::new(
        server.local_service("system:kube-controller-manager"),
        "default",
    );
    // The controllers and the scheduler each get a thread of their own (`berth-ctrl`,
    // `berth-sched` in /proc): a busy controller never delays the API server's requests. Each
    // runs only while this server holds its Lease in kube-system, as upstream's
    // kube-controller-manager and kube-scheduler do, so several servers can share a datastore.
    let identity = LeaderElection::default_identity();
    let controller_config = components.controllers.clone();
    let election = LeaderElection::new(
        controllers.clone(),
        "kube-system",
        "kube-controller-manager",
        &identity,
        Timings::default(),
    );
    spawn_elected("berth-ctrl", election, move || {
        berth_controllers::spawn_all(controllers.clone(), controller_config.clone());
    })
    .context("starting the controllers' thread")?;
    if components.scheduler {
        let scheduler = kube::Client::new(server.local_service("system:kube-scheduler"), "default");
        let election = LeaderElection::new(
            scheduler.clone(),
            "kube-system",
            "kube-scheduler",
            &identity,
            Timings::default(),
        );
        spawn_elected("berth-sched", election, move || {
            tokio::spawn(berth_scheduler::run(scheduler.clone()));
        })
        .context("starting the scheduler's thread")?;
    }
    if let Some(mut agent) = components.agent {
        agent.token = server.pki.token.clone();
        let node = agent.node_name.clone();
        let client = kube::Client::new(
            server.local_service(&format!("system:node:{node}")),
            "default",
        );
        tokio::spawn(async move {
            if let Err(e) = berth_agent::node::run(client, agent).await {
                tracing::error!(error = %e, "the node agent stopped");
            }
        });
    }
    tracing::info!(scheduler = components.scheduler, "controllers started");
    if let Some(on_ready) = on_ready {
        let admin = kube::Client::new(server.local_service("system:admin"), "default");
        tokio::spawn(on_ready(admin));
    }
    signals.wait().await;
    tracing::info!("shutting down");
    drop(server);
    drop(store);
    Ok(())
}

/// SIGINT and SIGTERM, registered before anything starts: a signal that arrives right after
/// start-up is not lost.
pub(super) struct ShutdownSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    pub(super) fn install() -> anyhow::Result<ShutdownSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            interrupt: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
        })
    }

    pub(super) async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
