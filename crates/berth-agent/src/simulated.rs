//! Simulated nodes: `berth agent --simulate N` registers N Nodes (`PREFIX-0` …), keeps them
//! Ready by renewing their Leases in `kube-node-lease` every 10 s, and plays the kubelet for
//! pods bound to them: Running and Ready at once, then removed (grace period 0) when deleted.
//!
//! A pod annotated `berth.dev/simulated-exit-code: "<n>"` runs and then exits with `n`
//! (`Succeeded` for 0 unless its restartPolicy is Always, else `Failed`), so batch
//! workloads can be simulated.
//!
//! Invariant: each node's status is written by this process only while it runs; when it stops,
//! nothing renews the Leases and the node lifecycle controller takes the nodes NotReady.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use berth_api::quantity::Quantity;
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// Label on every simulated node (value: the process's prefix).
pub const SIMULATED_LABEL: &str = "berth.dev/simulated";
/// Annotation that makes a pod's containers exit with the given code after starting.
pub const EXIT_CODE_ANNOTATION: &str = "berth.dev/simulated-exit-code";

pub use crate::heartbeat::{LEASE_DURATION_SECONDS, LEASE_NAMESPACE, RENEW_INTERVAL};
use crate::heartbeat::{now_rfc3339, ready_conditions};
/// Concurrent API calls while registering or renewing many nodes.
const PARALLEL: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    #[error("--capacity: {0}")]
    Capacity(String),
    #[error("registering node {node}")]
    Register {
        node: String,
        #[source]
        source: kube::Error,
    },
}

#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub prefix: String,
    pub count: usize,
    /// Resource name → quantity string (`cpu` → `8`).
    pub capacity: BTreeMap<String, String>,
    /// Extra labels for every node.
    pub labels: BTreeMap<String, String>,
}

/// Parses `cpu=8,memory=32Gi,pods=110` over the defaults.
pub fn parse_capacity(text: &str) -> Result<BTreeMap<String, String>, SimulationError> {
    let mut capacity: BTreeMap<String, String> = [
        ("cpu", "8"),
        ("memory", "32Gi"),
        ("pods", "110"),
        ("ephemeral-storage", "100Gi"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part
            .split_once('=')
            .ok_or_else(|| SimulationError::Capacity(format!("{part:?} is not name=quantity")))?;
        Quantity::parse(value).map_err(|e| SimulationError::Capacity(e.to_string()))?;
        capacity.insert(name.trim().to_string(), value.trim().to_string());
    }
    Ok(capacity)
}

/// The address a simulated node reports (100.64.0.0/10: never routed to by tests).
fn node_ip(index: usize) -> String {
    format!("100.64.{}.{}", (index >> 8) & 0xff, index & 0xff)
}

struct Simulation {
    client: kube::Client,
    config: SimulationConfig,
    names: HashMap<String, usize>,
    /// Pods whose Running status was written (by uid).
    started: Mutex<HashSet<String>>,
    next_pod_ip: AtomicU32,
}

impl Simulation {
    fn node_status(&self, index: usize) -> Value {
        let now = now_rfc3339();
        json!({"status": {
            "capacity": self.config.capacity,
            "allocatable": self.config.capacity,
            "conditions": ready_conditions(&now),
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index)},
                {"type": "Hostname", "address": format!("{}-{index}", self.config.prefix)},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "", "systemUUID": "", "bootID": "",
                "kernelVersion": "simulated", "osImage": "Berth simulated node",
                "containerRuntimeVersion": "simulated://1",
                "kubeletVersion": "v1.33.0-berth", "kubeProxyVersion": "",
                "operatingSystem": "linux", "architecture": "amd64",
            },
        }})
    }

    async fn register(&self, name: &str, index: usize) -> Result<(), kube::Error> {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let mut labels = self.config.labels.clone();
        labels.insert("kubernetes.io/hostname".into(), name.to_string());
        labels.insert("kubernetes.io/os".into(), "linux".into());
        labels.insert("kubernetes.io/arch".into(), "amd64".into());
        labels.insert(SIMULATED_LABEL.into(), self.config.prefix.clone());
        let node = Node {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some(labels.clone()),
                ..ObjectMeta::default()
            },
            ..Node::default()
        };
        match nodes.create(&PostParams::default(), &node).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 => {
                // Registered before (a restart): make sure the labels are ours.
                let patch = json!({"metadata": {"labels": labels}});
                nodes
                    .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await?;
            }
            Err(e) => return Err(e),
        }
        nodes
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(&self.node_status(index)),
            )
            .await?;
        crate::heartbeat::renew_lease(&self.client, name).await
    }

    /// Renews every Lease each interval; re-asserts Ready on nodes something else changed.
    async fn heartbeat(self: Arc<Self>) {
        let mut ticker = tokio::time::interval(RENEW_INTERVAL);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let names: Vec<(String, usize)> =
                self.names.iter().map(|(n, i)| (n.clone(), *i)).collect();
            futures_util::stream::iter(names)
                .for_each_concurrent(PARALLEL, |(name, _)| {
                    let this = self.clone();
                    async move {
                        if let Err(e) = crate::heartbeat::renew_lease(&this.client, &name).await {
                            tracing::warn!(node = name, error = %e, "renewing the node lease");
                        }
                    }
                })
                .await;
        }
    }

    /// Watches our nodes: when the node lifecycle controller marked one not Ready while we
    /// were away (or slow), report Ready again, as a kubelet does on its next status update.
    async fn keep_ready(self: Arc<Self>) {
        let nodes: Api<Node> = Api::all(self.client.clone());
        let config =
            watcher::Config::default().labels(&format!("{SIMULATED_LABEL}={}", self.config.prefix));
        let mut stream = watcher::watcher(nodes.clone(), config)
            .default_backoff()
            .applied_objects()
            .boxed();
        while let Some(item) = stream.next().await {
            let Ok(node) = item else {
                continue;
            };
            let name = node.metadata.name.clone().unwrap_or_default();
            let Some(&index) = self.names.get(&name) else {
                continue;
            };
            let ready = node
                .status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
                .is_some_and(|c| c.status == "True");
            if !ready
                && let Err(e) = nodes
                    .patch_status(
                        &name,
                        &PatchParams::default(),
                        &Patch::Merge(&self.node_status(index)),
                    )
                    .await
            {
                tracing::warn!(node = name, error = %e, "reporting the node Ready");
            }
        }
    }

    fn pod_ip(&self) -> String {
        let n = self.next_pod_ip.fetch_add(1, Ordering::Relaxed);
        format!(
            "100.{}.{}.{}",
            96 + ((n >> 16) & 31),
            (n >> 8) & 0xff,
            n & 0xff
        )
    }

    /// Plays the kubelet for one pod bound to one of our nodes.
    async fn pod_changed(&self, pod: Pod) {
        let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
            return;
        };
        let Some(&index) = self.names.get(&node) else {
            return;
        };
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        if pod.metadata.deletion_timestamp.is_some() {
            // Containers "stop" at once: finish the deletion, as the kubelet does.
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid.clone()),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match api.delete(&name, &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
                Err(e) => tracing::warn!(pod = name, error = %e, "finishing a pod's deletion"),
            }
            self.started.lock().await.remove(&uid);
            return;
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
        if matches!(phase.as_deref(), Some("Succeeded" | "Failed")) {
            return;
        }
        if !self.started.lock().await.insert(uid.clone()) {
            return;
        }
        let status = self.running_status(&pod, index);
        if let Err(e) = api
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": status})),
            )
            .await
        {
            tracing::warn!(pod = name, error = %e, "reporting a pod Running");
            self.started.lock().await.remove(&uid);
        }
    }

    fn running_status(&self, pod: &Pod, index: usize) -> Value {
        let now = now_rfc3339();
        let spec = pod.spec.clone().unwrap_or_default();
        let exit_code: Option<i32> = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(EXIT_CODE_ANNOTATION))
            .and_then(|v| v.parse().ok());
        let restart_always = spec.restart_policy.as_deref().unwrap_or("Always") == "Always";
        let finished = exit_code.filter(|_| !restart_always);
        let ip = self.pod_ip();
        let host_ip = node_ip(index);
        let state = match finished {
            Some(code) => json!({"terminated": {
                "exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
                "startedAt": now, "finishedAt": now}}),
            None => json!({"running": {"startedAt": now}}),
        };
        let running = finished.is_none();
        let containers: Vec<Value> = spec
            .containers
            .iter()
            .map(|c| {
                let image = c.image.clone().unwrap_or_default();
                json!({
                    "name": c.name, "image": image, "imageID": format!("simulated://{image}"),
                    "containerID": format!("simulated://{}-{}", pod.metadata.uid.clone().unwrap_or_default(), c.name),
                    "ready": running, "started": running, "restartCount": 0, "state": state,
                })
            })
            .collect();
        let init: Vec<Value> = spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| {
                let image = c.image.clone().unwrap_or_default();
                json!({
                    "name": c.name, "image": image, "imageID": format!("simulated://{image}"),
                    "containerID": format!("simulated://{}-{}", pod.metadata.uid.clone().unwrap_or_default(), c.name),
                    "ready": true, "started": false, "restartCount": 0,
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}},
                })
            })
            .collect();
        let ready = if running { "True" } else { "False" };
        let condition = |kind: &str, status: &str| {
            let mut c = json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": now});
            if status == "False" {
                c["reason"] = json!("PodCompleted");
            }
            c
        };
        let phase = match finished {
            Some(0) => "Succeeded",
            Some(_) => "Failed",
            None => "Running",
        };
        json!({
            "phase": phase,
            "conditions": [
                condition("PodReadyToStartContainers", ready),
                condition("Initialized", "True"),
                condition("Ready", ready),
                condition("ContainersReady", ready),
                condition("PodScheduled", "True"),
            ],
            "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": now,
            "containerStatuses": containers,
            "initContainerStatuses": init,
            "qosClass": crate::heartbeat::qos_class(pod),
        })
    }

    async fn run_pods(self: Arc<Self>) {
        let pods: Api<Pod> = Api::all(self.client.clone());
        // Bound pods only: a pending pod is no node's business yet (the API server answers
        // this selector from its cache's index, without decoding).
        let bound = watcher::Config::default().fields("spec.nodeName!=");
        let mut stream = watcher::watcher(pods, bound).default_backoff().boxed();
        let (tx, rx) = tokio::sync::mpsc::channel::<Pod>(4096);
        let worker = self.clone();
        tokio::spawn(async move {
            tokio_stream_for_each(rx, worker).await;
        });
        while let Some(item) = stream.next().await {
            match item {
                Ok(Event::Apply(pod) | Event::InitApply(pod)) => {
                    if tx.send(pod).await.is_err() {
                        return;
                    }
                }
                Ok(Event::Delete(pod)) => {
                    if let Some(uid) = pod.metadata.uid {
                        self.started.lock().await.remove(&uid);
                    }
                }
                Ok(Event::Init | Event::InitDone) => {}
                Err(e) => tracing::warn!(error = %e, "pod watch error; retrying"),
            }
        }
    }
}

async fn tokio_stream_for_each(rx: tokio::sync::mpsc::Receiver<Pod>, sim: Arc<Simulation>) {
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|pod| (pod, rx)) },
        );
    stream
        .for_each_concurrent(PARALLEL, |pod| {
            let sim = sim.clone();
            async move { sim.pod_changed(pod).await }
        })
        .await;
}

/// Registers the nodes, then runs their heartbeats and pods until the process ends.
pub async fn run(client: kube::Client, config: SimulationConfig) -> Result<(), SimulationError> {
    let names: HashMap<String, usize> = (0..config.count)
        .map(|i| (format!("{}-{i}", config.prefix), i))
        .collect();
    let simulation = Arc::new(Simulation {
        client,
        config,
        names,
        started: Mutex::new(HashSet::new()),
        next_pod_ip: AtomicU32::new(1),
    });
    let mut order: Vec<(String, usize)> = simulation
        .names
        .iter()
        .map(|(n, i)| (n.clone(), *i))
        .collect();
    order.sort_by_key(|(_, i)| *i);
    futures_util::stream::iter(order.into_iter().map(Ok))
        .try_for_each_concurrent(PARALLEL, |(name, index)| {
            let simulation = simulation.clone();
            async move {
                simulation
                    .register(&name, index)
                    .await
                    .map_err(|source| SimulationError::Register { node: name, source })
            }
        })
        .await?;
    tracing::info!(
        nodes = simulation.names.len(),
        prefix = simulation.config.prefix,
        "simulated nodes registered"
    );
    let heartbeat = tokio::spawn(simulation.clone().heartbeat());
    let ready = tokio::spawn(simulation.clone().keep_ready());
    simulation.run_pods().await;
    heartbeat.abort();
    ready.abort();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_overrides_defaults() {
        let c = parse_capacity("cpu=4,example.com/gpu=2").unwrap_or_default();
        assert_eq!(c.get("cpu").map(String::as_str), Some("4"));
        assert_eq!(c.get("memory").map(String::as_str), Some("32Gi"));
        assert_eq!(c.get("example.com/gpu").map(String::as_str), Some("2"));
        assert!(parse_capacity("cpu").is_err());
        assert!(parse_capacity("cpu=lots").is_err());
    }
}
