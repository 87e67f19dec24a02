//! Pod garbage collection: pods bound to a node that no longer exists are deleted (grace
//! period 0: nothing runs them) after a short quarantine, in case the node is re-registering;
//! terminating pods on a node tainted `node.kubernetes.io/out-of-service` are force-deleted,
//! as upstream's PodGC does.
//!
//! A pass reads every pod, so it does not run on pods' own changes: it runs when a node
//! goes, when a quarantine ends, and every [`CHECK_PERIOD`] (upstream's `gcCheckPeriod`),
//! which is also how soon a pod bound to an unknown node or a terminating pod on an
//! out-of-service node is noticed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, Preconditions};

use crate::informer::{Informers, Kind};

/// How long a pod's node must be missing before the pod is removed (upstream: 40 s).
pub const QUARANTINE: Duration = Duration::from_secs(40);
/// How often every pod is looked at, whatever happened (upstream: 20 s).
pub const CHECK_PERIOD: Duration = Duration::from_secs(20);
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";

/// What one pass decides.
#[derive(Debug, Default)]
struct Verdict {
    /// Pods to delete now.
    delete: Vec<Arc<Pod>>,
    /// When the earliest quarantine still running ends.
    next: Option<Instant>,
}

/// Decides which of `pods` go, given the existing nodes (name → whether tainted
/// out-of-service); `orphaned_since` (pod uid → when its node was first found missing) is
/// carried from pass to pass.
fn collectable(
    pods: Vec<Arc<Pod>>,
    nodes: &HashMap<&str, bool>,
    orphaned_since: &mut HashMap<String, Instant>,
    now: Instant,
) -> Verdict {
    let mut verdict = Verdict::default();
    let mut still = HashMap::new();
    for pod in pods {
        let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) else {
            continue;
        };
        let delete_now = match nodes.get(node_name) {
            Some(&out_of_service) => out_of_service && pod.metadata.deletion_timestamp.is_some(),
            None => {
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                let since = *orphaned_since.get(&uid).unwrap_or(&now);
                still.insert(uid, since);
                if now.duration_since(since) < QUARANTINE {
                    let at = since + QUARANTINE;
                    verdict.next = Some(verdict.next.map_or(at, |n| n.min(at)));
                    false
                } else {
                    true
                }
            }
        };
        if delete_now {
            verdict.delete.push(pod);
        }
    }
    *orphaned_since = still;
    verdict
}

fn out_of_service(node: &Node) -> bool {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .is_some_and(|ts| ts.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE))
}

pub async fn run(client: kube::Client, informers: Informers) {
    // Node departures (the feed reports objects that go; a node's status updates and
    // arrivals are not reported).
    let departures = informers.changes(&[Kind::Nodes]);
    informers.ready().await;
    let mut orphaned_since: HashMap<String, Instant> = HashMap::new();
    loop {
        departures.take();
        let now = Instant::now();
        let all_nodes = informers.nodes.state();
        let nodes: HashMap<&str, bool> = all_nodes
            .iter()
            .filter_map(|n| Some((n.metadata.name.as_deref()?, out_of_service(n))))
            .collect();
        let verdict = collectable(informers.pods.state(), &nodes, &mut orphaned_since, now);
        for pod in verdict.delete {
            let namespace = pod.metadata.namespace.clone().unwrap_or_default();
            let name = pod.metadata.name.clone().unwrap_or_default();
            let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
            tracing::info!(pod = %format!("{namespace}/{name}"), node, "deleting pod of a missing or out-of-service node");
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: pod.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            if let Err(e) = api.delete(&name, &params).await {
                tracing::debug!(pod = name, error = %e, "garbage-collecting pod");
            }
        }
        let until = verdict
            .next
            .map_or(now + CHECK_PERIOD, |at| at.min(now + CHECK_PERIOD));
        tokio::select! {
            () = departures.wake.notified() => {}
            () = tokio::time::sleep_until(until.into()) => {}
        }
        // Garbage collection is not urgent: look at most once a second.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn pod(uid: &str, node: Option<&str>, terminating: bool) -> Arc<Pod> {
        let mut pod = Pod::default();
        pod.metadata.uid = Some(uid.into());
        pod.metadata.name = Some(uid.into());
        pod.metadata.deletion_timestamp = terminating.then_some(Time(jiff::Timestamp::UNIX_EPOCH));
        pod.spec = Some(PodSpec {
            node_name: node.map(str::to_string),
            ..PodSpec::default()
        });
        Arc::new(pod)
    }

    fn uids(verdict: &Verdict) -> Vec<&str> {
        verdict
            .delete
            .iter()
            .filter_map(|p| p.metadata.uid.as_deref())
            .collect()
    }

    #[test]
    fn pods_of_missing_nodes_go_after_the_quarantine() {
        let nodes: HashMap<&str, bool> = [("here", false)].into();
        let pods = || {
            vec![
                pod("bound-here", Some("here"), false),
                pod("pending", None, false),
                pod("lost", Some("gone"), false),
            ]
        };
        let mut since = HashMap::new();
        let start = Instant::now();
        let first = collectable(pods(), &nodes, &mut since, start);
        assert!(first.delete.is_empty());
        assert_eq!(first.next, Some(start + QUARANTINE));
        let during = collectable(pods(), &nodes, &mut since, start + QUARANTINE / 2);
        assert!(
            during.delete.is_empty(),
            "the quarantine runs from the first sighting"
        );
        let after = collectable(pods(), &nodes, &mut since, start + QUARANTINE);
        assert_eq!(uids(&after), ["lost"]);

        // The node came back in between: the pod stays, and its quarantine is forgotten.
        let back: HashMap<&str, bool> = [("here", false), ("gone", false)].into();
        let mut since = HashMap::new();
        collectable(pods(), &nodes, &mut since, start);
        assert!(
            collectable(pods(), &back, &mut since, start)
                .delete
                .is_empty()
        );
        assert!(since.is_empty());
        let again = collectable(pods(), &nodes, &mut since, start + QUARANTINE);
        assert!(again.delete.is_empty(), "a new quarantine starts");
    }

    #[test]
    fn terminating_pods_of_out_of_service_nodes_go_at_once() {
        let nodes: HashMap<&str, bool> = [("broken", true), ("fine", false)].into();
        let pods = vec![
            pod("stopping-on-broken", Some("broken"), true),
            pod("running-on-broken", Some("broken"), false),
            pod("stopping-on-fine", Some("fine"), true),
        ];
        let verdict = collectable(pods, &nodes, &mut HashMap::new(), Instant::now());
        assert_eq!(uids(&verdict), ["stopping-on-broken"]);
        assert_eq!(verdict.next, None);
    }
}
