//! ReplicaSet and ReplicationController controller: keeps `spec.replicas` pods matching the
//! selector, owned by the set (ownerReferences with `controller: true`). ReplicationControllers
//! differ only in their selector (a plain label map), so one loop serves both ([`Replicated`]).
//!
//! - Orphan pods that match the selector are adopted; owned pods that stop matching are
//!   released, as upstream.
//! - Too few active pods (not terminal, not being deleted): create from the template. Too
//!   many: delete the least useful first — unscheduled, then pending, not ready, ready for the
//!   shortest time, most restarted, newest. Creates go out concurrently in batches of 1, 2,
//!   4, … (upstream's slow start); deletes all at once.
//! - Status: `replicas`, `fullyLabeledReplicas`, `readyReplicas`, `availableReplicas`
//!   (`minReadySeconds`), `observedGeneration`; Events `SuccessfulCreate` / `SuccessfulDelete`.
//!
//! Invariant: a ReplicaSet's creates and deletes are not repeated before the watch has shown
//! their effect ([`Expectations`]), so a lagging store never makes it create twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::store::Store;
use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use futures_util::future::join_all;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{ObjectReference, Pod, PodTemplateSpec, ReplicationController};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::expectations::Expectations;
use crate::informer::{self, Informers, Kind};
use crate::ownership::{self, controller_of, controller_reference};
use crate::pod_state::{available_at, is_active, is_available, is_ready, ready_since};
use crate::retry::Retries;

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

/// What the controller needs of a ReplicaSet or a ReplicationController: the two are the
/// same machine with different selector shapes.
pub(crate) trait Replicated:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + DeserializeOwned
    + Serialize
    + std::fmt::Debug
{
    fn replicas(&self) -> i32;
    /// The selector; `None` when it is unset or invalid (nothing is managed then).
    fn selector(&self) -> Option<LabelSelector>;
    fn template(&self) -> Option<PodTemplateSpec>;
    fn min_ready_seconds(&self) -> i32;
    /// `(replicas, fullyLabeled, ready, available, observedGeneration)` as stored.
    fn observed(&self) -> (i32, i32, i32, i32, Option<i64>);
}

/// The methods ReplicaSet and ReplicationController share field for field (their specs and
/// statuses are different types with the same field names).
macro_rules! same_fields {
    () => {
        fn replicas(&self) -> i32 {
            self.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
        }
        fn template(&self) -> Option<PodTemplateSpec> {
            self.spec.as_ref()?.template.clone()
        }
        fn min_ready_seconds(&self) -> i32 {
            self.spec
                .as_ref()
                .and_then(|s| s.min_ready_seconds)
                .unwrap_or(0)
        }
        fn observed(&self) -> (i32, i32, i32, i32, Option<i64>) {
            let s = self.status.clone().unwrap_or_default();
            (
                s.replicas,
                s.fully_labeled_replicas.unwrap_or(0),
                s.ready_replicas.unwrap_or(0),
                s.available_replicas.unwrap_or(0),
                s.observed_generation,
            )
        }
    };
}

impl Replicated for ReplicaSet {
    same_fields!();
    fn selector(&self) -> Option<LabelSelector> {
        let spec = self.spec.as_ref()?;
        serde_json::to_value(&spec.selector)
            .ok()
            .and_then(|v| LabelSelector::from_json(&v).ok())
    }
}

impl Replicated for ReplicationController {
    same_fields!();
    fn selector(&self) -> Option<LabelSelector> {
        // A plain label map; defaulted from the template's labels by the API server.
        let labels = self.spec.as_ref()?.selector.clone()?;
        LabelSelector::from_json(&json!({ "matchLabels": labels })).ok()
    }
}

fn reference<K: Replicated>(owner: &K) -> ObjectReference {
    ObjectReference {
        api_version: Some(K::api_version(&()).into_owned()),
        kind: Some(K::kind(&()).into_owned()),
        namespace: owner.meta().namespace.clone(),
        name: owner.meta().name.clone(),
        uid: owner.meta().uid.clone(),
        resource_version: owner.meta().resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// A new pod from the owner's template.
fn pod_from_template<K: Replicated>(owner: &K) -> Option<Pod> {
    let template = owner.template()?;
    let meta = template.metadata.unwrap_or_default();
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!(
                "{}-",
                owner.meta().name.clone().unwrap_or_default()
            )),
            namespace: owner.meta().namespace.clone(),
            labels: meta.labels,
            annotations: meta.annotations,
            finalizers: meta.finalizers,
            owner_references: Some(vec![controller_reference(owner)]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    })
}

/// The ReplicaSet controller.
pub async fn run(client: kube::Client, informers: Informers) {
    let store = informers.replicasets.clone();
    run_for(
        client,
        informers,
        store,
        Kind::ReplicaSets,
        "replicaset-controller",
    )
    .await;
}

/// The ReplicationController controller: the same loop over ReplicationControllers.
pub async fn run_replication_controllers(client: kube::Client, informers: Informers) {
    let store = informers.replication_controllers.clone();
    run_for(
        client,
        informers,
        store,
        Kind::ReplicationControllers,
        "replication-controller",
    )
    .await;
}

async fn run_for<K: Replicated>(
    client: kube::Client,
    informers: Informers,
    owners: Store<K>,
    kind: Kind,
    component: &str,
) {
    let wake = informers.subscribe(&[Kind::Pods, kind]);
    informers.ready().await;
    let events = EventRecorder::new(client.clone(), component);
    let mut expectations: HashMap<String, Expectations> = HashMap::new();
    let mut retries = Retries::default();
    loop {
        let mut next: Option<jiff::Timestamp> = None;
        let sets = owners.state();
        let live: HashSet<String> = sets.iter().filter_map(|r| r.meta().uid.clone()).collect();
        expectations.retain(|uid, _| live.contains(uid));
        retries.retain(&live);
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
                let namespace = rs.meta().namespace.as_deref().unwrap_or_default();
                let candidates = by_namespace.get(namespace).cloned().unwrap_or_default();
                let uid = rs.meta().uid.clone().unwrap_or_default();
                let expectation = expectations.entry(uid.clone()).or_default();
                match sync(&client, &events, rs.as_ref(), &candidates, expectation).await {
                    Ok(at) => {
                        retries.succeeded(&uid);
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(owner = ?rs.meta().name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(&uid));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Creates `count` pods from `template`, as upstream: in batches of 1, 2, 4, … issued
/// concurrently, stopping at the first batch with an error (a quota or admission failure
/// then costs one request, not hundreds).
async fn create_pods<K: Replicated>(
    pods_api: &Api<Pod>,
    events: &EventRecorder,
    owner: &K,
    template: &Pod,
    count: usize,
    expectation: &mut Expectations,
) -> Result<(), kube::Error> {
    let mut remaining = count;
    let mut batch = 1;
    while remaining > 0 {
        let size = batch.min(remaining);
        let params = PostParams::default();
        let results = join_all((0..size).map(|_| pods_api.create(&params, template))).await;
        let mut failure = None;
        for result in results {
            match result {
                Ok(created) => {
                    let pod_name = created.metadata.name.clone().unwrap_or_default();
                    events.record(
                        reference(owner),
                        EventType::Normal,
                        "SuccessfulCreate",
                        format!("Created pod: {pod_name}"),
                    );
                    expectation.created(pod_name);
                }
                Err(e) => {
                    events.record(
                        reference(owner),
                        EventType::Warning,
                        "FailedCreate",
                        format!("Error creating: {e}"),
                    );
                    failure = Some(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
        remaining -= size;
        batch *= 2;
    }
    Ok(())
}

/// Deletes `pods` concurrently.
async fn delete_pods<K: Replicated>(
    pods_api: &Api<Pod>,
    events: &EventRecorder,
    owner: &K,
    pods: &[&Pod],
    expectation: &mut Expectations,
) -> Result<(), kube::Error> {
    let results = join_all(pods.iter().map(|pod| async move {
        let pod_name = pod.metadata.name.clone().unwrap_or_default();
        let result = pods_api.delete(&pod_name, &DeleteParams::default()).await;
        (pod, pod_name, result)
    }))
    .await;
    let mut failure = None;
    for (pod, pod_name, result) in results {
        match result {
            Ok(_) => {
                events.record(
                    reference(owner),
                    EventType::Normal,
                    "SuccessfulDelete",
                    format!("Deleted pod: {pod_name}"),
                );
                expectation.deleted(pod.metadata.uid.clone().unwrap_or_default());
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => failure = Some(e),
        }
    }
    failure.map_or(Ok(()), Err)
}

async fn sync<K: Replicated>(
    client: &kube::Client,
    events: &EventRecorder,
    rs: &K,
    candidates: &[&Pod],
    expectation: &mut Expectations,
) -> Result<Option<jiff::Timestamp>, kube::Error> {
    if rs.meta().deletion_timestamp.is_some() {
        return Ok(None);
    }
    let namespace = rs.meta().namespace.clone().unwrap_or_default();
    let name = rs.meta().name.clone().unwrap_or_default();
    let uid = rs.meta().uid.clone().unwrap_or_default();
    let Some(selector) = rs.selector().filter(|s| !s.is_empty()) else {
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
    let wanted = usize::try_from(rs.replicas().max(0)).unwrap_or(0);
    if expectation.satisfied(&owned) {
        if active.len() < wanted {
            let missing = (wanted - active.len()).min(BURST);
            let Some(template) = pod_from_template(rs) else {
                return Ok(None);
            };
            create_pods(&pods_api, events, rs, &template, missing, expectation).await?;
        } else if active.len() > wanted {
            active.sort_by_key(|p| deletion_rank(p));
            let surplus = (active.len() - wanted).min(BURST);
            delete_pods(&pods_api, events, rs, &active[..surplus], expectation).await?;
        }
    }
    // Status from what is observed now.
    let min_ready = rs.min_ready_seconds();
    let now = jiff::Timestamp::now();
    let template_labels: BTreeMap<String, String> = rs
        .template()
        .and_then(|t| t.metadata)
        .and_then(|m| m.labels)
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
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let generation = rs.meta().generation.unwrap_or(1);
    let observed = (
        count(active.len()),
        count(fully_labeled),
        count(ready),
        count(available),
        Some(generation),
    );
    if rs.observed() != observed {
        let status = json!({
            "replicas": active.len(),
            "fullyLabeledReplicas": fully_labeled,
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": generation,
        });
        let api: Api<K> = Api::namespaced(client.clone(), &namespace);
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
