//! Taint-based eviction (upstream's NoExecuteTaintManager): a pod on a node with a NoExecute
//! taint it does not tolerate is deleted at once; one it tolerates for `tolerationSeconds` is
//! deleted that long after the taint was added (every pod tolerates `not-ready` and
//! `unreachable` for 300 s by default, through admission). The pod's controller then creates
//! a replacement, which the scheduler places on a healthy node.
//!
//! While no node has a NoExecute taint, pods' changes cannot give it work and do not wake it.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use berth_client::events::{EventRecorder, EventType, pod_reference};
use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use serde_json::json;

use crate::informer::{Informers, Kind, wait_for_change_or};

fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    let key = toleration.key.as_deref().unwrap_or("");
    (effect.is_empty() || effect == taint.effect)
        && (key.is_empty() || key == taint.key)
        && match toleration.operator.as_deref().unwrap_or("Equal") {
            "Exists" => true,
            _ => toleration.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        }
}

/// When the pod must go: `None` never, `Some(at)` at that time (maybe already past).
pub fn eviction_time(pod: &Pod, taints: &[Taint]) -> Option<jiff::Timestamp> {
    let tolerations = pod
        .spec
        .as_ref()
        .and_then(|s| s.tolerations.clone())
        .unwrap_or_default();
    let mut earliest: Option<jiff::Timestamp> = None;
    for taint in taints.iter().filter(|t| t.effect == "NoExecute") {
        let added = taint
            .time_added
            .as_ref()
            .map_or_else(jiff::Timestamp::now, |t| t.0);
        let matching: Vec<&Toleration> =
            tolerations.iter().filter(|t| tolerates(t, taint)).collect();
        if matching.is_empty() {
            return Some(added);
        }
        // The shortest bounded toleration decides; unbounded ones tolerate forever.
        let seconds = matching.iter().filter_map(|t| t.toleration_seconds).min();
        if let Some(seconds) = seconds {
            let at = added + jiff::SignedDuration::from_secs(seconds.max(0));
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
    }
    earliest
}

pub async fn run(client: kube::Client, informers: Informers) {
    let node_changed = informers.subscribe(&[Kind::Nodes]);
    let pod_changed = informers.subscribe(&[Kind::Pods]);
    informers.ready().await;
    let (nodes, pods) = (&informers.nodes, &informers.pods);
    let events = EventRecorder::new(client.clone(), "taint-eviction-controller");
    let mut evicted: HashSet<String> = HashSet::new();
    loop {
        let now = jiff::Timestamp::now();
        let mut next: Option<jiff::Timestamp> = None;
        let mut live = HashSet::new();
        // Only pods on nodes with NoExecute taints can be affected.
        let tainted: HashMap<String, Vec<Taint>> = nodes
            .state()
            .iter()
            .filter_map(|n| {
                let taints: Vec<Taint> = n
                    .spec
                    .as_ref()
                    .and_then(|s| s.taints.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| t.effect == "NoExecute")
                    .collect();
                (!taints.is_empty()).then(|| (n.metadata.name.clone().unwrap_or_default(), taints))
            })
            .collect();
        let candidates = if tainted.is_empty() {
            Vec::new()
        } else {
            pods.state()
        };
        for pod in candidates {
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            live.insert(uid.clone());
            if pod.metadata.deletion_timestamp.is_some() || evicted.contains(&uid) {
                continue;
            }
            let Some(node_name) = pod.spec.as_ref().and_then(|s| s.node_name.clone()) else {
                continue;
            };
            let Some(taints) = tainted.get(&node_name) else {
                continue;
            };
            let Some(at) = eviction_time(&pod, taints) else {
                continue;
            };
            if at > now {
                next = Some(next.map_or(at, |n| n.min(at)));
                continue;
            }
            evicted.insert(uid.clone());
            let namespace = pod.metadata.namespace.clone().unwrap_or_default();
            let name = pod.metadata.name.clone().unwrap_or_default();
            tracing::info!(pod = %format!("{namespace}/{name}"), node = node_name, "evicting pod from tainted node");
            events.record(
                pod_reference(&namespace, &name, &uid),
                EventType::Normal,
                "TaintManagerEviction",
                format!("Marking for deletion Pod {namespace}/{name}"),
            );
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            tokio::spawn(async move {
                let condition = json!({"status": {"conditions": [{
                    "type": "DisruptionTarget", "status": "True",
                    "reason": "DeletionByTaintManager",
                    "message": "Taint manager: deleting due to NoExecute taint",
                    "lastTransitionTime": jiff::Timestamp::now().to_string(),
                }]}});
                let _ = api
                    .patch_status(
                        &name,
                        &PatchParams::default(),
                        &Patch::Strategic(&condition),
                    )
                    .await;
                if let Err(e) = api.delete(&name, &DeleteParams::default()).await {
                    tracing::warn!(pod = name, error = %e, "evicting pod");
                }
            });
        }
        if !tainted.is_empty() {
            evicted.retain(|uid| live.contains(uid));
        }
        if tainted.is_empty() {
            node_changed.notified().await;
        } else {
            tokio::select! {
                () = wait_for_change_or(&node_changed, next) => {}
                () = pod_changed.notified() => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn pod(tolerations: Vec<Toleration>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                tolerations: Some(tolerations),
                ..PodSpec::default()
            }),
            ..Pod::default()
        }
    }

    fn taint(key: &str, added: jiff::Timestamp) -> Taint {
        Taint {
            key: key.into(),
            effect: "NoExecute".into(),
            time_added: Some(Time(added)),
            ..Taint::default()
        }
    }

    #[test]
    fn toleration_seconds_set_the_eviction_time() {
        let added = jiff::Timestamp::UNIX_EPOCH;
        let unreachable = taint("node.kubernetes.io/unreachable", added);
        let tolerate = |seconds: Option<i64>| Toleration {
            key: Some("node.kubernetes.io/unreachable".into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: seconds,
            ..Toleration::default()
        };
        assert_eq!(
            eviction_time(&pod(vec![]), std::slice::from_ref(&unreachable)),
            Some(added)
        );
        assert_eq!(
            eviction_time(
                &pod(vec![tolerate(Some(30))]),
                std::slice::from_ref(&unreachable)
            ),
            Some(added + jiff::SignedDuration::from_secs(30))
        );
        assert_eq!(
            eviction_time(&pod(vec![tolerate(None)]), &[unreachable]),
            None
        );
    }
}
