//! ReplicaSet controller: keeps `spec.replicas` pods matching the selector, owned by the
//! ReplicaSet (ownerReferences with `controller: true`).
//!
//! - Orphan pods that match the selector are adopted; owned pods that stop matching are
//!   released, as upstream.
//! - Too few active pods (not terminal, not being deleted): create from the template. Too
//!   many: delete the least useful first — unscheduled, then pending, not ready, ready for the
//!   shortest time, most restarted, newest.
//! - Status: `replicas`, `fullyLabeledReplicas`, `readyReplicas`, `availableReplicas`
//!   (`minReadySeconds`), `observedGeneration`; Events `SuccessfulCreate` / `SuccessfulDelete`.
//!
//! Invariant: a ReplicaSet's creates and deletes are not repeated before the watch has shown
//! their effect ([`Expectations`]), so a lagging store never makes it create twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::expectations::Expectations;
use crate::informer::{self, Informers, Kind};
use crate::ownership::{self, controller_of, controller_reference};
use crate::pod_state::{available_at, is_active, is_available, is_ready, ready_since};

/// Pods created or deleted per ReplicaSet per pass (upstream's burst is 500).
const BURST: usize = 500;

/// Deletion order: the least useful pods first, as upstream's ActivePods ranking.
pub(crate) fn deletion_rank(pod: &Pod) -> impl Ord {
    let scheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_ref())
        .is_some();
    let phase = match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") => 0,
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    };
    let ready = is_ready(pod);
    // Ready for a shorter time → deleted first: negate by sorting newest first.
    let since = std::cmp::Reverse(ready_since(pod).map(|t| t.as_second()).unwrap_or(i64::MAX));
    let restarts = std::cmp::Reverse(
        pod.status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .map(|cs| cs.iter().map(|c| c.restart_count).max().unwrap_or(0))
            .unwrap_or(0),
    );
    let created = std::cmp::Reverse(
        pod.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .unwrap_or(0),
    );
    (scheduled, phase, ready, since, restarts, created)
}

fn reference(rs: &ReplicaSet) -> ObjectReference {
    ObjectReference {
        api_version: Some("apps/v1".into()),
        kind: Some("ReplicaSet".into()),
        namespace: rs.metadata.namespace.clone(),
        name: rs.metadata.name.clone(),
        uid: rs.metadata.uid.clone(),
        resource_version: rs.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// A new pod from the ReplicaSet's template.
fn pod_from_template(rs: &ReplicaSet) -> Option<Pod> {
    let template = rs.spec.as_ref()?.template.clone()?;
    let meta = template.metadata.unwrap_or_default();
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs.metadata.name.clone().unwrap_or_default())),
            namespace: rs.metadata.namespace.clone(),
            labels: meta.labels,
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![controller_reference(rs)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    })
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Pods, Kind::ReplicaSets]);
    informers.ready().await;
    let events = EventRecorder::new(client.clone(), "replicaset-controller");
    let mut expectations: HashMap<String, Expectations> = HashMap::new();
    loop {
        let mut next: Option<jiff::Timestamp> = None;
        let sets = informers.replicasets.state();
        let live: HashSet<String> = sets.iter().filter_map(|r| r.metadata.uid.clone()).collect();
        expectations.retain(|uid, _| live.contains(uid));
        if !sets.is_empty() {
            let pods = informers.pods.state();
            let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
            for pod in &pods {
                by_namespace
                    .entry(pod.metadata.namespace.as_deref().unwrap_or_default())
                    .or_default()
                    .push(pod);
            }
            for rs in &sets {
                let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
                let candidates = by_namespace.get(namespace).cloned().unwrap_or_default();
                let uid = rs.metadata.uid.clone().unwrap_or_default();
                let expectation = expectations.entry(uid).or_default();
                match sync(&client, &events, rs, &candidates, expectation).await {
                    Ok(at) => next = informer::earliest(next, at),
                    Err(e) => {
                        tracing::debug!(replicaset = ?rs.metadata.name, error = %e, "syncing; will retry");
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sync(
    client: &kube::Client,
    events: &EventRecorder,
    rs: &ReplicaSet,
    candidates: &[&Pod],
    expectation: &mut Expectations,
) -> Result<Option<jiff::Timestamp>, kube::Error> {
    if rs.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    let namespace = rs.metadata.namespace.clone().unwrap_or_default();
    let name = rs.metadata.name.clone().unwrap_or_default();
    let uid = rs.metadata.uid.clone().unwrap_or_default();
    let spec = rs.spec.clone().unwrap_or_default();
    let selector = serde_json::to_value(&spec.selector)
        .ok()
        .and_then(|v| LabelSelector::from_json(&v).ok());
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let labels_of = |p: &Pod| p.metadata.labels.clone().unwrap_or_default();
    // Adopt matching orphans; release owned pods that no longer match.
    let mut owned: Vec<&Pod> = Vec::new();
    for pod in candidates {
        let matches = selector.matches(&labels_of(pod));
        match controller_of(&pod.metadata) {
            Some(owner) if owner.uid == uid => {
                if matches {
                    owned.push(pod);
                } else {
                    ownership::release(&pods_api, &pod.metadata, &uid).await?;
                }
            }
            None if matches && is_active(pod) => {
                ownership::adopt(&pods_api, &pod.metadata, controller_reference(rs)).await?;
                owned.push(pod);
            }
            _ => {}
        }
    }
    let mut active: Vec<&Pod> = owned.iter().copied().filter(|p| is_active(p)).collect();
    let wanted = usize::try_from(spec.replicas.unwrap_or(1).max(0)).unwrap_or(0);
    if expectation.satisfied(&owned) {
        if active.len() < wanted {
            let missing = (wanted - active.len()).min(BURST);
            let Some(template) = pod_from_template(rs) else {
                return Ok(None);
            };
            for _ in 0..missing {
                match pods_api.create(&PostParams::default(), &template).await {
                    Ok(created) => {
                        let pod_name = created.metadata.name.clone().unwrap_or_default();
                        events.record(
                            reference(rs),
                            EventType::Normal,
                            "SuccessfulCreate",
                            format!("Created pod: {pod_name}"),
                        );
                        expectation.created(pod_name);
                    }
                    Err(e) => {
                        events.record(
                            reference(rs),
                            EventType::Warning,
                            "FailedCreate",
                            format!("Error creating: {e}"),
                        );
                        return Err(e);
                    }
                }
            }
        } else if active.len() > wanted {
            active.sort_by_key(|p| deletion_rank(p));
            for pod in active.iter().take((active.len() - wanted).min(BURST)) {
                let pod_name = pod.metadata.name.clone().unwrap_or_default();
                match pods_api.delete(&pod_name, &DeleteParams::default()).await {
                    Ok(_) => {
                        events.record(
                            reference(rs),
                            EventType::Normal,
                            "SuccessfulDelete",
                            format!("Deleted pod: {pod_name}"),
                        );
                        expectation.deleted(pod.metadata.uid.clone().unwrap_or_default());
                    }
                    Err(kube::Error::Api(e)) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    // Status from what is observed now.
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    let now = jiff::Timestamp::now();
    let template_labels: BTreeMap<String, String> = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let active: Vec<&Pod> = owned.iter().copied().filter(|p| is_active(p)).collect();
    let ready = active.iter().filter(|p| is_ready(p)).count();
    let available = active
        .iter()
        .filter(|p| is_available(p, min_ready, now))
        .count();
    // The next pod to become available, for the next pass.
    let next = active
        .iter()
        .filter(|p| is_ready(p) && !is_available(p, min_ready, now))
        .filter_map(|p| available_at(p, min_ready))
        .min();
    let fully_labeled = active
        .iter()
        .filter(|p| {
            let labels = labels_of(p);
            template_labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
        })
        .count();
    let status = json!({
        "replicas": active.len(),
        "fullyLabeledReplicas": fully_labeled,
        "readyReplicas": ready,
        "availableReplicas": available,
        "observedGeneration": rs.metadata.generation.unwrap_or(1),
    });
    let current = rs.status.clone().unwrap_or_default();
    let changed = usize::try_from(current.replicas).ok() != Some(active.len())
        || current
            .fully_labeled_replicas
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            != fully_labeled
        || current
            .ready_replicas
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            != ready
        || current
            .available_replicas
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            != available
        || current.observed_generation != rs.metadata.generation;
    if changed {
        let api: Api<ReplicaSet> = Api::namespaced(client.clone(), &namespace);
        api.patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": status})),
        )
        .await?;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: Option<&str>, phase: &str, ready: bool, created: i64) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": jiff::Timestamp::from_second(created).unwrap_or_default().to_string()},
            "spec": {"containers": [], "nodeName": node},
            "status": {"phase": phase, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]},
        }))
        .unwrap_or_default()
    }

    #[test]
    fn the_least_useful_pods_go_first() {
        let pods = [
            pod("running-old", Some("n"), "Running", true, 100),
            pod("unscheduled", None, "Pending", false, 50),
            pod("running-new", Some("n"), "Running", true, 200),
            pod("not-ready", Some("n"), "Running", false, 10),
        ];
        let mut order: Vec<&Pod> = pods.iter().collect();
        order.sort_by_key(|p| deletion_rank(p));
        let names: Vec<&str> = order
            .iter()
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        assert_eq!(
            names,
            vec!["unscheduled", "not-ready", "running-new", "running-old"]
        );
    }
}
