//! Pod garbage collection: pods bound to a node that no longer exists are deleted (grace
//! period 0: nothing runs them) after a short quarantine, in case the node is re-registering;
//! terminating pods on a node tainted `node.kubernetes.io/out-of-service` are force-deleted,
//! as upstream's PodGC does.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Preconditions};
use kube::runtime::reflector::ObjectRef;

use crate::informer::{Informers, Kind};

/// How long a pod's node must be missing before the pod is removed (upstream: 40 s).
pub const QUARANTINE: Duration = Duration::from_secs(40);
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Pods, Kind::Nodes]);
    informers.ready().await;
    let (nodes, pods) = (&informers.nodes, &informers.pods);
    let mut orphaned_since: HashMap<String, Instant> = HashMap::new();
    loop {
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        let mut still = HashMap::new();
        for pod in pods.state() {
            let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
                continue;
            };
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            let node = nodes.get(&ObjectRef::new(&node_name));
            let out_of_service = node.as_ref().is_some_and(|n| {
                n.spec
                    .as_ref()
                    .and_then(|s| s.taints.as_ref())
                    .is_some_and(|ts| ts.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE))
            });
            let delete_now = if node.is_none() {
                let since = *orphaned_since.get(&uid).unwrap_or(&now);
                still.insert(uid.clone(), since);
                if now.duration_since(since) < QUARANTINE {
                    let at = since + QUARANTINE;
                    next = Some(next.map_or(at, |n: Instant| n.min(at)));
                    false
                } else {
                    true
                }
            } else {
                out_of_service && pod.metadata.deletion_timestamp.is_some()
            };
            if !delete_now {
                continue;
            }
            let namespace = pod.metadata.namespace.clone().unwrap_or_default();
            let name = pod.metadata.name.clone().unwrap_or_default();
            tracing::info!(pod = %format!("{namespace}/{name}"), node = node_name, "deleting pod of a missing or out-of-service node");
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            if let Err(e) = api.delete(&name, &params).await {
                tracing::debug!(pod = name, error = %e, "garbage-collecting pod");
            }
        }
        orphaned_since = still;
        let until = next.unwrap_or_else(|| now + Duration::from_secs(3600));
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep_until(until.into()) => {}
        }
        // Garbage collection is not urgent: look at most once a second.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
