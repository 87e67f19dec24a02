//! The node agent that runs real containers (`berth agent`, and inside `berth server`
//! unless `--disable-agent`): registers this machine as a Node ([`machine`]), renews its
//! Lease, waits for its podCIDR, and runs one [`pod_worker`] per pod bound to it, turning
//! pod specs into runtime containers ([`container`]).
//!
//! Invariants: the agent keeps no state of its own beyond what is on disk under
//! `<data-dir>/agent` (image store, container bundles, pod dirs) and in the API, so a
//! restarted agent re-adopts running containers; after the first full list of its pods it
//! removes what belongs to pods that no longer exist.

pub mod attach;
pub mod container;
pub mod exec;
mod hooks;
mod image_pull;
pub mod logs;
pub mod machine;
pub mod pod_worker;
pub mod port_forward;
mod probes;
pub mod server;
pub mod spdy;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use berth_client::events::EventRecorder;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::heartbeat::{RENEW_INTERVAL, now_rfc3339, renew_lease};
use crate::image::ImageStore;
use crate::network::CniConfig;
use crate::runtime::Runtime;
use machine::Machine;
use pod_worker::{PodWorker, Shared, parse_container_id};

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub node_name: String,
    pub data_dir: PathBuf,
    pub labels: BTreeMap<String, String>,
    pub cni_plugin_dir: PathBuf,
    /// The pods' bridge (≤ 15 characters).
    pub bridge: String,
    /// cgroup parent of every container (`/<cgroup_root>/<container>`).
    pub cgroup_root: String,
    pub cluster_dns: String,
    pub cluster_domain: String,
    /// `--node-ip`; detected from the default route when unset.
    pub node_ip: Option<String>,
    /// The agent's HTTPS port (logs), the kubelet's 10250 by default.
    pub kubelet_port: u16,
    /// The cluster token the API server presents to the agent's endpoint.
    pub token: String,
    /// The Service CIDR, routed to a dummy device on this node.
    pub service_cidr: String,
    /// Mirrors, credentials and TLS settings for registries (`--private-registry`).
    pub registries: Arc<crate::image::registry::RegistriesConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("registering node {node}: {source}")]
    Register {
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error(transparent)]
    Image(#[from] crate::image::ImageError),
    #[error(transparent)]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error("missing prerequisite: {0}")]
    Prerequisite(String),
    #[error(transparent)]
    Serve(#[from] server::ServeError),
}

/// Checks what the agent needs on this machine, naming the package that provides it.
pub fn check_prerequisites(config: &NodeConfig) -> Result<(), NodeError> {
    let on_path = |program: &str| {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
        })
    };
    for (program, package) in [
        ("runc", "runc"),
        ("unshare", "util-linux"),
        ("ip", "iproute2"),
        ("nft", "nftables"),
    ] {
        if !on_path(program) {
            return Err(NodeError::Prerequisite(format!(
                "{program} not found on PATH: apt-get install {package}"
            )));
        }
    }
    for plugin in ["bridge", "host-local"] {
        if !config.cni_plugin_dir.join(plugin).is_file() {
            return Err(NodeError::Prerequisite(format!(
                "CNI plugin {plugin} not found in {}: apt-get install containernetworking-plugins",
                config.cni_plugin_dir.display()
            )));
        }
    }
    Ok(())
}

async fn register(
    client: &kube::Client,
    config: &NodeConfig,
    machine: &Machine,
    fingerprint: &str,
) -> Result<(), kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let name = &config.node_name;
    let mut labels = config.labels.clone();
    labels.insert("kubernetes.io/hostname".into(), name.clone());
    labels.insert("kubernetes.io/os".into(), "linux".into());
    labels.insert(
        "kubernetes.io/arch".into(),
        crate::image::oci::host_platform().architecture,
    );
    let annotations: BTreeMap<String, String> = [(
        server::CERT_FINGERPRINT_ANNOTATION.to_string(),
        fingerprint.to_string(),
    )]
    .into();
    let node = Node {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some(labels.clone()),
            annotations: Some(annotations.clone()),
            ..ObjectMeta::default()
        },
        ..Node::default()
    };
    match nodes.create(&PostParams::default(), &node).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let patch = json!({"metadata": {"labels": labels, "annotations": annotations}});
            nodes
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
        }
        Err(e) => return Err(e),
    }
    report_status(client, config, machine).await?;
    renew_lease(client, name).await
}

async fn report_status(
    client: &kube::Client,
    config: &NodeConfig,
    machine: &Machine,
) -> Result<(), kube::Error> {
    let nodes: Api<Node> = Api::all(client.clone());
    let mut conditions =
        crate::heartbeat::conditions(&now_rfc3339(), machine::pressure(&config.data_dir));
    let previous: Vec<Value> = nodes
        .get_opt(&config.node_name)
        .await?
        .and_then(|n| n.status?.conditions)
        .into_iter()
        .flatten()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect();
    crate::heartbeat::carry_transition_times(&mut conditions, &previous);
    let status = json!({"status": {
        "capacity": machine.capacity(),
        "allocatable": machine.capacity(),
        "conditions": conditions,
        "addresses": [
            {"type": "InternalIP", "address": machine.internal_ip},
            {"type": "Hostname", "address": config.node_name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": config.kubelet_port}},
        "nodeInfo": machine.node_info(),
    }});
    nodes
        .patch_status(
            &config.node_name,
            &PatchParams::default(),
            &Patch::Merge(&status),
        )
        .await
        .map(|_| ())
}

/// Waits until the node has a podCIDR (node IPAM assigns it).
async fn pod_cidr(client: &kube::Client, name: &str) -> String {
    let nodes: Api<Node> = Api::all(client.clone());
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = watcher::watcher(nodes, config)
        .default_backoff()
        .applied_objects()
        .boxed();
    let mut announced = false;
    while let Some(item) = stream.next().await {
        if let Ok(node) = item
            && let Some(cidr) = node.spec.and_then(|s| s.pod_cidr)
        {
            return cidr;
        }
        if !announced {
            tracing::info!(node = name, "waiting for the node's podCIDR");
            announced = true;
        }
    }
    std::future::pending().await
}

/// Runs the agent until the runtime stops.
pub async fn run(client: kube::Client, config: NodeConfig) -> Result<(), NodeError> {
    check_prerequisites(&config)?;
    // Before the node reports Ready: no pod may send Service traffic out of the machine.
    let device = crate::network::service_route::device_for(&config.bridge);
    if let Err(e) = crate::network::service_route::ensure(&device, &config.service_cidr).await {
        tracing::warn!(error = %e, "routing the Service CIDR to a dummy device");
    }
    let machine = Machine::probe(&config.data_dir, config.node_ip.as_deref()).await;
    let identity = server::ServingIdentity::generate(vec![
        config.node_name.clone(),
        machine.internal_ip.clone(),
    ])?;
    let fingerprint = identity.fingerprint.clone();
    let runtime = Runtime::new(&config.data_dir)?;
    let agent_dir = config.data_dir.join("agent");
    let address = format!(
        "{}:{}",
        config.node_ip.as_deref().unwrap_or("0.0.0.0"),
        config.kubelet_port
    );
    let index: server::PodIndex = Arc::default();
    server::serve(
        &address,
        identity,
        Arc::new(server::Endpoint {
            token: config.token.clone(),
            logs_dir: agent_dir.join("logs"),
            runtime: runtime.clone(),
            pods: index.clone(),
            pods_dir: agent_dir.join("pods"),
        }),
    )
    .await?;
    register(&client, &config, &machine, &fingerprint)
        .await
        .map_err(|source| NodeError::Register {
            node: config.node_name.clone(),
            source,
        })?;
    tracing::info!(
        node = config.node_name,
        ip = machine.internal_ip,
        "node registered"
    );
    {
        let client = client.clone();
        let config = config.clone();
        let machine = machine.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(RENEW_INTERVAL);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(e) = renew_lease(&client, &config.node_name).await {
                    tracing::warn!(error = %e, "renewing the node lease");
                }
                // Ready again if the lifecycle controller marked us otherwise while away.
                if let Err(e) = report_status(&client, &config, &machine).await {
                    tracing::warn!(error = %e, "reporting node status");
                }
            }
        });
    }
    let cidr = pod_cidr(&client, &config.node_name).await;
    tracing::info!(
        node = config.node_name,
        pod_cidr = cidr,
        "pod network ready"
    );
    let nat = crate::network::nat::Nat::new(&config.bridge, &cidr);
    if let Err(e) = nat.sync().await {
        tracing::warn!(error = %e, "setting up the node's NAT (hostPort, pod egress)");
    }
    let images = ImageStore::open(&crate::image::store_root(&config.data_dir))?;
    let cni = CniConfig::default_network(
        &config.cni_plugin_dir,
        &config.bridge,
        &cidr,
        &agent_dir.join("cni").join("ipam"),
    );
    let shared = Arc::new(Shared {
        events: EventRecorder::new(client.clone(), "kubelet"),
        client: client.clone(),
        runtime,
        images,
        puller: Arc::new(crate::image::registry::Puller::new(
            config.registries.clone(),
        )),
        cni,
        nat,
        node_name: config.node_name.clone(),
        host_ip: machine.internal_ip.clone(),
        pods_dir: agent_dir.join("pods"),
        logs_dir: agent_dir.join("logs"),
        cgroup_root: config.cgroup_root.clone(),
        cluster_dns: config.cluster_dns.clone(),
        cluster_domain: config.cluster_domain.clone(),
    });
    run_pods(shared, index).await;
    Ok(())
}

/// Watches the pods bound to this node and keeps one worker per pod.
async fn run_pods(shared: Arc<Shared>, index: server::PodIndex) {
    let pods: Api<Pod> = Api::all(shared.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={}", shared.node_name));
    let mut stream = watcher::watcher(pods, config).default_backoff().boxed();
    let mut workers: HashMap<String, watch::Sender<Option<Arc<Pod>>>> = HashMap::new();
    let mut listed: HashSet<String> = HashSet::new();
    while let Some(item) = stream.next().await {
        let event = match item {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "watching this node's pods");
                continue;
            }
        };
        match event {
            Event::Init => listed.clear(),
            Event::InitApply(pod) | Event::Apply(pod) => {
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                if let Ok(mut index) = index.lock() {
                    index.insert(
                        (
                            pod.metadata.namespace.clone().unwrap_or_default(),
                            pod.metadata.name.clone().unwrap_or_default(),
                        ),
                        uid.clone(),
                    );
                }
                listed.insert(uid.clone());
                let pod = Arc::new(pod);
                match workers.get(&uid) {
                    Some(tx) if !tx.is_closed() => {
                        let _ = tx.send(Some(pod));
                    }
                    _ => {
                        let (tx, rx) = watch::channel(Some(pod));
                        let worker = PodWorker::new(shared.clone(), &uid);
                        tokio::spawn(worker.run(rx));
                        workers.insert(uid, tx);
                    }
                }
            }
            Event::Delete(pod) => {
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                if let Ok(mut index) = index.lock() {
                    let key = (
                        pod.metadata.namespace.clone().unwrap_or_default(),
                        pod.metadata.name.clone().unwrap_or_default(),
                    );
                    if index.get(&key) == Some(&uid) {
                        index.remove(&key);
                    }
                }
                if let Some(tx) = workers.remove(&uid) {
                    let _ = tx.send(None);
                }
            }
            Event::InitDone => {
                // Pods gone while the agent was away: their workers never started; remove
                // what they left.
                workers.retain(|uid, tx| {
                    let keep = listed.contains(uid);
                    if !keep {
                        let _ = tx.send(None);
                    }
                    keep
                });
                let mut orphans: HashSet<String> = shared
                    .runtime
                    .list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|id| parse_container_id(id).map(|(uid, _, _)| uid.to_string()))
                    .collect();
                if let Ok(dirs) = std::fs::read_dir(&shared.pods_dir) {
                    orphans.extend(
                        dirs.flatten()
                            .map(|d| d.file_name().to_string_lossy().into_owned()),
                    );
                }
                for uid in orphans.into_iter().filter(|u| !listed.contains(u)) {
                    let (tx, rx) = watch::channel(None);
                    tokio::spawn(PodWorker::new(shared.clone(), &uid).run(rx));
                    drop(tx);
                }
            }
        }
    }
}
