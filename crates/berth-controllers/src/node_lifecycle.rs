//! Node lifecycle: a node whose agent stops renewing its Lease (and stops posting status) for
//! longer than the grace period has its conditions set to `Unknown` ("Kubelet stopped posting
//! node status."); the `not-ready` / `unreachable` taints follow the Ready condition (NoSchedule
//! for the scheduler, NoExecute for [`crate::taint_eviction`]), the `unschedulable` taint
//! follows `spec.unschedulable`; pods on a node that is not Ready are marked not Ready so
//! Services stop sending them traffic.
//!
//! Heartbeats are judged by when *this* controller saw them change (not by their timestamps),
//! so clock skew between machines does not matter, as upstream. Lease renewals (one per node
//! every 10 s: hundreds a second in a large cluster) do not wake it: it looks at every node
//! each [`MONITOR_PERIOD`] (upstream's `--node-monitor-period`), on node changes and when a
//! grace period runs out, so a silent node is found at most one period late.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, NodeCondition, Pod, Taint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use serde_json::json;

use crate::informer::{Informers, Kind};

pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
const LEASE_NAMESPACE: &str = "kube-node-lease";
/// How often every node's heartbeats are looked at (upstream: 5 s); at most a quarter of
/// the grace period.
pub const MONITOR_PERIOD: Duration = Duration::from_secs(5);
/// Conditions the agent reports and this controller sets to Unknown when it goes silent.
const AGENT_CONDITIONS: &[&str] = &["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

pub fn ready_status(node: &Node) -> &str {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .map_or("Unknown", |c| c.status.as_str())
}

fn managed(taint: &Taint) -> bool {
    taint.key == TAINT_NOT_READY
        || taint.key == TAINT_UNREACHABLE
        || (taint.key == TAINT_UNSCHEDULABLE && taint.effect == "NoSchedule")
}

/// The taints `node` should carry: its own, plus ours from its Ready condition and cordon.
pub fn desired_taints(node: &Node, now: &Time) -> Vec<Taint> {
    let current = node
        .spec
        .as_ref()
        .and_then(|s| s.taints.clone())
        .unwrap_or_default();
    let mut taints: Vec<Taint> = current.iter().filter(|t| !managed(t)).cloned().collect();
    let keep_time = |key: &str, effect: &str| {
        current
            .iter()
            .find(|t| t.key == key && t.effect == effect)
            .and_then(|t| t.time_added.clone())
            .unwrap_or_else(|| now.clone())
    };
    let condition_key = match ready_status(node) {
        "True" => None,
        "False" => Some(TAINT_NOT_READY),
        _ => Some(TAINT_UNREACHABLE),
    };
    if let Some(key) = condition_key {
        taints.push(Taint {
            key: key.into(),
            effect: "NoSchedule".into(),
            ..Taint::default()
        });
        taints.push(Taint {
            key: key.into(),
            effect: "NoExecute".into(),
            time_added: Some(keep_time(key, "NoExecute")),
            ..Taint::default()
        });
    }
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        taints.push(Taint {
            key: TAINT_UNSCHEDULABLE.into(),
            effect: "NoSchedule".into(),
            time_added: Some(keep_time(TAINT_UNSCHEDULABLE, "NoSchedule")),
            ..Taint::default()
        });
    }
    taints
}

fn same_taints(a: &[Taint], b: &[Taint]) -> bool {
    let key = |t: &Taint| (t.key.clone(), t.effect.clone(), t.value.clone());
    let mut a: Vec<_> = a.iter().map(key).collect();
    let mut b: Vec<_> = b.iter().map(key).collect();
    a.sort();
    b.sort();
    a == b
}

/// The node's conditions with the agent's ones set to Unknown.
fn unknown_conditions(node: &Node, now: &Time) -> Vec<NodeCondition> {
    let mut conditions = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    for kind in AGENT_CONDITIONS {
        let fresh = NodeCondition {
            type_: (*kind).into(),
            status: "Unknown".into(),
            reason: Some("NodeStatusUnknown".into()),
            message: Some("Kubelet stopped posting node status.".into()),
            last_transition_time: Some(now.clone()),
            last_heartbeat_time: None,
        };
        match conditions.iter_mut().find(|c| c.type_ == *kind) {
            Some(c) if c.status == "Unknown" => {}
            Some(c) => {
                let heartbeat = c.last_heartbeat_time.clone();
                *c = NodeCondition {
                    last_heartbeat_time: heartbeat,
                    ..fresh
                };
            }
            None => conditions.push(fresh),
        }
    }
    conditions
}

/// What changes while the agent is alive: its Lease renewal and its posted Ready condition.
type Heartbeat = (Option<jiff::Timestamp>, Option<jiff::Timestamp>, bool);

fn heartbeat_marker(node: &Node, lease: Option<&Lease>) -> Heartbeat {
    let renew = lease
        .and_then(|l| l.spec.as_ref())
        .and_then(|s| s.renew_time.as_ref())
        .map(|t| t.0);
    let ready = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"));
    (
        renew,
        ready
            .and_then(|c| c.last_heartbeat_time.as_ref())
            .map(|t| t.0),
        ready.is_some_and(|c| c.status == "True"),
    )
}

pub async fn run(client: kube::Client, informers: Informers, grace: Duration) {
    let wake = informers.subscribe(&[Kind::Nodes]);
    let period = MONITOR_PERIOD.min(grace / 4);
    informers.ready().await;
    let (nodes, leases, pods) = (&informers.nodes, &informers.leases, &informers.pods);
    let node_api: Api<Node> = Api::all(client.clone());
    let mut seen: HashMap<String, (Heartbeat, Instant)> = HashMap::new();
    loop {
        let now = Instant::now();
        let wall = Time(jiff::Timestamp::now());
        let mut next: Option<Instant> = None;
        let all = nodes.state();
        let names: HashSet<&str> = all
            .iter()
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        seen.retain(|name, _| names.contains(name.as_str()));
        for node in &all {
            let name = node.metadata.name.clone().unwrap_or_default();
            let lease = leases.get(&ObjectRef::new(&name).within(LEASE_NAMESPACE));
            let marker = heartbeat_marker(node, lease.as_deref());
            let entry = seen.entry(name.clone()).or_insert_with(|| (marker, now));
            if entry.0 != marker {
                *entry = (marker, now);
            }
            let deadline = entry.1 + grace;
            if now >= deadline {
                if ready_status(node) != "Unknown" || !all_unknown(node) {
                    tracing::info!(
                        node = name,
                        "node stopped posting status; marking it Unknown"
                    );
                    let patch = json!({"status": {"conditions": unknown_conditions(node, &wall)}});
                    if let Err(e) = node_api
                        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                    {
                        tracing::warn!(node = name, error = %e, "marking node Unknown");
                    }
                    // The taints follow on the next pass, from the stored condition.
                    continue;
                }
            } else {
                next = Some(next.map_or(deadline, |n: Instant| n.min(deadline)));
            }
            let current = node
                .spec
                .as_ref()
                .and_then(|s| s.taints.clone())
                .unwrap_or_default();
            let desired = desired_taints(node, &wall);
            if !same_taints(&current, &desired) {
                // No taints left: drop the field, as upstream's omitempty does.
                let taints = if desired.is_empty() {
                    serde_json::Value::Null
                } else {
                    json!(desired)
                };
                let patch = json!({
                    "metadata": {"resourceVersion": node.metadata.resource_version},
                    "spec": {"taints": taints},
                });
                if let Err(e) = node_api
                    .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                {
                    tracing::debug!(node = name, error = %e, "updating node taints; will retry");
                }
            }
            if ready_status(node) != "True" {
                mark_pods_not_ready(&client, pods, &name).await;
            }
        }
        let until = next.map_or(now + period, |at| at.min(now + period));
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep_until(until.into()) => {}
        }
        // Coalesce bursts of node changes into one pass.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn all_unknown(node: &Node) -> bool {
    let conditions = node
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    AGENT_CONDITIONS.iter().all(|kind| {
        conditions
            .iter()
            .find(|c| c.type_ == *kind)
            .is_some_and(|c| c.status == "Unknown")
    })
}

async fn mark_pods_not_ready(client: &kube::Client, pods: &crate::store::Store<Pod>, node: &str) {
    let on_node = pods.state_filter(|p| {
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node)
            && p.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
                .is_some_and(|c| c.status == "True")
    });
    for pod in on_node {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        let now = jiff::Timestamp::now().to_string();
        let patch = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "lastProbeTime": null, "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "False", "lastProbeTime": null, "lastTransitionTime": now},
        ]}});
        if let Err(e) = api
            .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
            .await
        {
            tracing::debug!(pod = name, error = %e, "marking pod not ready");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeSpec, NodeStatus};

    fn node(ready: &str, unschedulable: bool, taints: Vec<Taint>) -> Node {
        Node {
            spec: Some(NodeSpec {
                unschedulable: Some(unschedulable),
                taints: Some(taints),
                ..NodeSpec::default()
            }),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: ready.into(),
                    ..NodeCondition::default()
                }]),
                ..NodeStatus::default()
            }),
            ..Node::default()
        }
    }

    fn keys(taints: &[Taint]) -> Vec<String> {
        let mut k: Vec<String> = taints
            .iter()
            .map(|t| format!("{}:{}", t.key, t.effect))
            .collect();
        k.sort();
        k
    }

    #[test]
    fn taints_follow_readiness_and_cordon() {
        let now = Time(jiff::Timestamp::now());
        assert!(desired_taints(&node("True", false, vec![]), &now).is_empty());
        assert_eq!(
            keys(&desired_taints(&node("Unknown", false, vec![]), &now)),
            vec![
                "node.kubernetes.io/unreachable:NoExecute",
                "node.kubernetes.io/unreachable:NoSchedule"
            ]
        );
        assert_eq!(
            keys(&desired_taints(&node("False", true, vec![]), &now)),
            vec![
                "node.kubernetes.io/not-ready:NoExecute",
                "node.kubernetes.io/not-ready:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule"
            ]
        );
        // A user's taint is kept; ours go when the node is Ready again.
        let user = Taint {
            key: "dedicated".into(),
            effect: "NoSchedule".into(),
            ..Taint::default()
        };
        let unreachable = Taint {
            key: TAINT_UNREACHABLE.into(),
            effect: "NoExecute".into(),
            ..Taint::default()
        };
        assert_eq!(
            keys(&desired_taints(
                &node("True", false, vec![user, unreachable]),
                &now
            )),
            vec!["dedicated:NoSchedule"]
        );
    }
}
