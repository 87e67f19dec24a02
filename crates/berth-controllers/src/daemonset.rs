//! DaemonSet controller, as upstream's: one pod on every eligible node (node selector,
//! required node affinity, tolerated NoSchedule/NoExecute taints — the scheduler's own
//! predicates, [`berth_scheduler::plugins::daemon_eligible`]). Pods are pinned to their node
//! with node affinity (`matchFields metadata.name`) and placed by the scheduler; they
//! tolerate the node-condition taints as upstream's do. Extra pods on a node, pods on nodes
//! no longer eligible and failed pods are deleted (failed ones recreated with a per-node
//! backoff).
//!
//! Updates: `RollingUpdate` replaces pods whose `controller-revision-hash` is not the
//! current revision's, at most `maxUnavailable` nodes at a time (or, with `maxSurge`, starts
//! the new pod first and removes the old one once the new one is available); `OnDelete`
//! replaces them only when deleted. The template history is ControllerRevisions
//! ([`crate::history`]), so `kubectl rollout history|undo|status ds/…` work.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::apps::v1::{ControllerRevision, DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    ObjectReference, Pod, Toleration,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, DeleteParams, PostParams};

use crate::expectations::Expectations;
use crate::history::{self, REVISION_LABEL};
use crate::informer::{self, Informers, Kind};
use crate::int_or_percent;
use crate::ownership::{self, controller_of, controller_reference};
use crate::pod_state::{is_active, is_available, is_ready, phase};
use crate::retry::{Retries, key_of};

const BACKOFF_BASE: i64 = 1;
const BACKOFF_MAX: i64 = 900;

#[derive(Default)]
struct Memory {
    expectations: Expectations,
    /// Node → (failed pods deleted, when the last was).
    failures: HashMap<String, (u32, jiff::Timestamp)>,
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::DaemonSets, Kind::Pods, Kind::Nodes, Kind::Revisions]);
    informers.ready().await;
    let controller = Controller {
        events: EventRecorder::new(client.clone(), "daemonset-controller"),
        client,
    };
    let mut memory: HashMap<String, Memory> = HashMap::new();
    let mut retries = Retries::default();
    loop {
        let sets = informers.daemonsets.state();
        retries.retain(&sets.iter().filter_map(|o| o.metadata.uid.clone()).collect());
        let live: HashSet<String> = sets.iter().filter_map(|d| d.metadata.uid.clone()).collect();
        memory.retain(|uid, _| live.contains(uid));
        let mut next = None;
        if !sets.is_empty() {
            let nodes = informers.nodes.state();
            let pods = informers.pods.state();
            let revisions = informers.revisions.state();
            let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
            for pod in &pods {
                let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
                by_namespace.entry(ns).or_default().push(pod);
            }
            for ds in &sets {
                let ns = ds.metadata.namespace.as_deref().unwrap_or_default();
                let candidates = by_namespace.get(ns).cloned().unwrap_or_default();
                let uid = ds.metadata.uid.clone().unwrap_or_default();
                let owned_revisions = history::owned(revisions.iter().map(|r| r.as_ref()), &uid);
                let remembered = memory.entry(uid).or_default();
                let result = controller
                    .sync(ds, &nodes, &candidates, &owned_revisions, remembered)
                    .await;
                match result {
                    Ok(at) => {
                        retries.succeeded(key_of(&ds.metadata));
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(daemonset = ?ds.metadata.name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(key_of(&ds.metadata)));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn reference(ds: &DaemonSet) -> ObjectReference {
    ObjectReference {
        api_version: Some("apps/v1".into()),
        kind: Some("DaemonSet".into()),
        namespace: ds.metadata.namespace.clone(),
        name: ds.metadata.name.clone(),
        uid: ds.metadata.uid.clone(),
        resource_version: ds.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// The node a DaemonSet pod is for: where it is bound, or where its affinity pins it.
fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = &spec.node_name {
        return Some(node.clone());
    }
    let terms = &spec
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()?
        .node_selector_terms;
    terms.iter().find_map(|t| {
        t.match_fields
            .iter()
            .flatten()
            .find(|f| f.key == "metadata.name" && f.operator == "In")
            .and_then(|f| f.values.as_ref()?.first().cloned())
    })
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// The tolerations every DaemonSet pod gets (upstream's `AddOrUpdateDaemonPodTolerations`).
fn daemon_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut list = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        list.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    list.into_iter()
        .map(|(key, effect)| Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some(effect.into()),
            ..Toleration::default()
        })
        .collect()
}

struct Controller {
    client: kube::Client,
    events: EventRecorder,
}

impl Controller {
    fn pods(&self, ds: &DaemonSet) -> Api<Pod> {
        Api::namespaced(
            self.client.clone(),
            ds.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    /// A pod of `ds` for `node`, from the template, with the revision's hash.
    fn pod_for(&self, ds: &DaemonSet, node: &str, hash: &str) -> Option<Pod> {
        let template = ds.spec.as_ref()?.template.clone();
        let meta = template.metadata.unwrap_or_default();
        let mut spec = template.spec?;
        let mut labels = meta.labels.unwrap_or_default();
        labels.insert(REVISION_LABEL.into(), hash.into());
        if let Some(generation) = ds.metadata.generation {
            labels.insert("pod-template-generation".into(), generation.to_string());
        }
        // Pin to the node: required node affinity replaced by `metadata.name In [node]`.
        let pin = NodeSelectorTerm {
            match_expressions: None,
            match_fields: Some(vec![NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec![node.into()]),
            }]),
        };
        let affinity = spec.affinity.get_or_insert_with(Affinity::default);
        let node_affinity = affinity
            .node_affinity
            .get_or_insert_with(NodeAffinity::default);
        node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector {
            node_selector_terms: vec![pin],
        });
        let host_network = spec.host_network.unwrap_or(false);
        let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
        for t in daemon_tolerations(host_network) {
            if !tolerations
                .iter()
                .any(|have| have.key == t.key && have.effect == t.effect)
            {
                tolerations.push(t);
            }
        }
        Some(Pod {
            metadata: ObjectMeta {
                generate_name: Some(format!(
                    "{}-",
                    ds.metadata.name.as_deref().unwrap_or_default()
                )),
                namespace: ds.metadata.namespace.clone(),
                labels: Some(labels),
                annotations: meta.annotations,
                finalizers: meta.finalizers,
                owner_references: Some(vec![controller_reference(ds)]),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            status: None,
        })
    }

    async fn delete_pod(&self, ds: &DaemonSet, pod: &Pod, memory: &mut Memory) -> kube::Result<()> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        match self.pods(ds).delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                memory
                    .expectations
                    .deleted(pod.metadata.uid.clone().unwrap_or_default());
                self.events.record(
                    reference(ds),
                    EventType::Normal,
                    "SuccessfulDelete",
                    format!("Deleted pod: {name}"),
                );
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn create_pod(
        &self,
        ds: &DaemonSet,
        node: &str,
        hash: &str,
        memory: &mut Memory,
    ) -> kube::Result<()> {
        let Some(pod) = self.pod_for(ds, node, hash) else {
            return Ok(());
        };
        match self.pods(ds).create(&PostParams::default(), &pod).await {
            Ok(created) => {
                let name = created.metadata.name.clone().unwrap_or_default();
                self.events.record(
                    reference(ds),
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!("Created pod: {name}"),
                );
                memory.expectations.created(name);
                Ok(())
            }
            Err(e) => {
                self.events.record(
                    reference(ds),
                    EventType::Warning,
                    "FailedCreate",
                    format!("Error creating: {e}"),
                );
                Err(e)
            }
        }
    }

    async fn sync(
        &self,
        ds: &DaemonSet,
        nodes: &[std::sync::Arc<Node>],
        candidates: &[&Pod],
        revisions: &[ControllerRevision],
        memory: &mut Memory,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        let uid = ds.metadata.uid.clone().unwrap_or_default();
        let Some(spec) = ds.spec.clone() else {
            return Ok(None);
        };
        let selector = serde_json::to_value(&spec.selector)
            .ok()
            .and_then(|v| LabelSelector::from_json(&v).ok());
        let Some(selector) = selector.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if ds.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let namespace = ds.metadata.namespace.clone().unwrap_or_default();
        // Claim pods.
        let api = self.pods(ds);
        let mut owned: Vec<Pod> = Vec::new();
        for pod in candidates {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let matches = selector.matches(&labels);
            match controller_of(&pod.metadata) {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        owned.push((*pod).clone());
                    } else {
                        ownership::release(&api, &pod.metadata, &uid).await?;
                    }
                }
                None if matches && is_active(pod) => {
                    owned.push(
                        ownership::adopt(&api, &pod.metadata, controller_reference(ds)).await?,
                    );
                }
                _ => {}
            }
        }
        // The current revision.
        let revisions_api: Api<ControllerRevision> =
            Api::namespaced(self.client.clone(), &namespace);
        let collisions = ds.status.as_ref().and_then(|s| s.collision_count);
        let current = match history::current(
            &revisions_api,
            controller_reference(ds),
            &spec.template,
            collisions,
            revisions,
        )
        .await
        {
            Ok(current) => current,
            Err(history::HistoryError::Api(e)) => return Err(e),
            Err(history::HistoryError::Collision(_)) => {
                let mut status = ds.status.clone().unwrap_or_default();
                status.collision_count = Some(collisions.unwrap_or(0) + 1);
                self.write_status(ds, status).await?;
                return Ok(None);
            }
        };
        let hash = current.hash.clone();
        // Pods by node.
        let mut by_node: BTreeMap<String, Vec<&Pod>> = BTreeMap::new();
        for pod in &owned {
            if let Some(node) = target_node(pod) {
                by_node.entry(node).or_default().push(pod);
            }
        }
        let template_pod = Pod {
            metadata: ObjectMeta::default(),
            spec: self.pod_for(ds, "", &hash).and_then(|p| p.spec),
            status: None,
        };
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let now = jiff::Timestamp::now();
        let mut next: Option<jiff::Timestamp> = None;
        let refs: Vec<&Pod> = owned.iter().collect();
        let settled = memory.expectations.satisfied(&refs);
        let mut eligible_nodes: Vec<&Node> = Vec::new();
        let mut misscheduled = 0;
        let node_names: HashSet<&str> = nodes
            .iter()
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        for node in nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            // Eligibility, checked with the pod pinned to this node.
            let mut probe = template_pod.clone();
            if let Some(s) = probe.spec.as_mut() {
                s.affinity = spec.template.spec.as_ref().and_then(|t| t.affinity.clone());
            }
            let eligible = node.metadata.deletion_timestamp.is_none()
                && berth_scheduler::plugins::daemon_eligible(&probe, node);
            // A NoSchedule taint added later keeps new pods off but lets a running one stay
            // (upstream's `shouldContinueRunning`); NoExecute and affinity do not.
            let may_stay = eligible || {
                let mut lenient = (**node).clone();
                if let Some(taints) = lenient.spec.as_mut().and_then(|s| s.taints.as_mut()) {
                    taints.retain(|t| t.effect != "NoSchedule");
                }
                node.metadata.deletion_timestamp.is_none()
                    && berth_scheduler::plugins::daemon_eligible(&probe, &lenient)
            };
            let pods: Vec<&Pod> = by_node.get(&name).cloned().unwrap_or_default();
            let active: Vec<&Pod> = pods.iter().copied().filter(|p| is_active(p)).collect();
            if eligible {
                eligible_nodes.push(node);
            } else if !active.is_empty() && !may_stay {
                misscheduled += 1;
            }
            if !settled {
                continue;
            }
            // Failed pods go; their replacement waits out the node's backoff.
            for pod in pods
                .iter()
                .filter(|p| phase(p) == "Failed" && p.metadata.deletion_timestamp.is_none())
            {
                self.delete_pod(ds, pod, memory).await?;
                let entry = memory.failures.entry(name.clone()).or_insert((0, now));
                *entry = (entry.0 + 1, now);
            }
            if !eligible {
                if !may_stay {
                    for pod in &active {
                        self.delete_pod(ds, pod, memory).await?;
                    }
                }
                continue;
            }
            match active.len() {
                0 => {
                    if let Some((count, last)) = memory.failures.get(&name) {
                        let delay = (BACKOFF_BASE << (*count).min(10)).min(BACKOFF_MAX);
                        let at = jiff::Timestamp::from_second(last.as_second() + delay).ok();
                        if at.is_some_and(|at| at > now) {
                            next = informer::earliest(next, at);
                            continue;
                        }
                    }
                    self.create_pod(ds, &name, &hash, memory).await?;
                }
                1 => {}
                _ => {
                    // Keep the updated, available, oldest one.
                    let mut ranked = active.clone();
                    ranked.sort_by_key(|p| {
                        (
                            revision_of(p) != Some(hash.as_str()),
                            !is_available(p, min_ready, now),
                            p.metadata
                                .creation_timestamp
                                .as_ref()
                                .map(|t| t.0.as_second()),
                        )
                    });
                    let surge = max_surge(ds, 1) > 0;
                    for pod in ranked.iter().skip(1) {
                        // With surge, an old pod stays until its replacement is available.
                        let replacement_waiting = surge
                            && revision_of(pod) != Some(hash.as_str())
                            && !is_available(ranked[0], min_ready, now);
                        if !replacement_waiting {
                            self.delete_pod(ds, pod, memory).await?;
                        }
                    }
                }
            }
        }
        memory
            .failures
            .retain(|n, _| node_names.contains(n.as_str()));
        // Rolling update.
        let rolling = spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .is_none_or(|t| t == "RollingUpdate");
        let desired = i32::try_from(eligible_nodes.len()).unwrap_or(i32::MAX);
        if rolling && settled {
            let max_unavailable = max_unavailable(ds, desired);
            let surge = max_surge(ds, desired);
            let mut unavailable = 0;
            let mut replace_now: Vec<&Pod> = Vec::new();
            let mut candidates: Vec<&Pod> = Vec::new();
            let mut surge_nodes: Vec<String> = Vec::new();
            for node in &eligible_nodes {
                let name = node.metadata.name.clone().unwrap_or_default();
                let active: Vec<&Pod> = by_node
                    .get(&name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|p| is_active(p))
                    .collect();
                let new = active
                    .iter()
                    .find(|p| revision_of(p) == Some(hash.as_str()));
                let old = active
                    .iter()
                    .find(|p| revision_of(p) != Some(hash.as_str()));
                match (old, new) {
                    (None, None) => unavailable += 1,
                    (None, Some(new)) | (Some(_), Some(new)) => {
                        if !is_available(new, min_ready, now) {
                            unavailable += 1;
                        }
                    }
                    (Some(old), None) => {
                        if !is_available(old, min_ready, now) {
                            replace_now.push(old);
                        } else if surge > 0 {
                            surge_nodes.push(name.clone());
                        } else {
                            candidates.push(old);
                        }
                    }
                }
            }
            if surge > 0 {
                let budget = usize::try_from((surge - unavailable).max(0)).unwrap_or(0);
                for node in surge_nodes.into_iter().take(budget) {
                    self.create_pod(ds, &node, &hash, memory).await?;
                }
            } else {
                let budget = usize::try_from((max_unavailable - unavailable).max(0)).unwrap_or(0);
                replace_now.extend(candidates.into_iter().take(budget));
            }
            for pod in replace_now {
                self.delete_pod(ds, pod, memory).await?;
            }
        }
        // History beyond the limit, unless a pod still uses it.
        let in_use: HashSet<String> = owned
            .iter()
            .filter_map(|p| revision_of(p).map(str::to_string))
            .collect();
        history::truncate(
            &revisions_api,
            revisions,
            current
                .revision
                .metadata
                .name
                .as_deref()
                .unwrap_or_default(),
            &in_use,
            spec.revision_history_limit.unwrap_or(10),
        )
        .await?;
        // Status.
        let mut scheduled = 0;
        let mut ready = 0;
        let mut available = 0;
        let mut updated = 0;
        for node in &eligible_nodes {
            let name = node.metadata.name.clone().unwrap_or_default();
            let active: Vec<&Pod> = by_node
                .get(&name)
                .into_iter()
                .flatten()
                .copied()
                .filter(|p| is_active(p))
                .collect();
            if active.is_empty() {
                continue;
            }
            scheduled += 1;
            if active.iter().any(|p| is_ready(p)) {
                ready += 1;
            }
            if active.iter().any(|p| is_available(p, min_ready, now)) {
                available += 1;
            }
            if active.iter().any(|p| revision_of(p) == Some(hash.as_str())) {
                updated += 1;
            }
            for p in &active {
                if is_ready(p) && !is_available(p, min_ready, now) {
                    next = informer::earliest(next, crate::pod_state::available_at(p, min_ready));
                }
            }
        }
        let status = DaemonSetStatus {
            current_number_scheduled: scheduled,
            desired_number_scheduled: desired,
            number_misscheduled: misscheduled,
            number_ready: ready,
            number_available: Some(available).filter(|n| *n > 0),
            number_unavailable: Some(desired - available).filter(|n| *n > 0),
            updated_number_scheduled: Some(updated).filter(|n| *n > 0),
            observed_generation: ds.metadata.generation,
            collision_count: collisions,
            conditions: ds.status.as_ref().and_then(|s| s.conditions.clone()),
        };
        self.write_status(ds, status).await?;
        Ok(next)
    }

    async fn write_status(&self, ds: &DaemonSet, status: DaemonSetStatus) -> kube::Result<()> {
        let normalize = |mut s: DaemonSetStatus| {
            for field in [
                &mut s.number_available,
                &mut s.number_unavailable,
                &mut s.updated_number_scheduled,
            ] {
                if *field == Some(0) {
                    *field = None;
                }
            }
            s
        };
        if ds.status.clone().map(normalize) == Some(normalize(status.clone())) {
            return Ok(());
        }
        let mut next = ds.clone();
        next.status = Some(status);
        let api: Api<DaemonSet> = Api::namespaced(
            self.client.clone(),
            ds.metadata.namespace.as_deref().unwrap_or_default(),
        );
        api.replace_status(
            ds.metadata.name.as_deref().unwrap_or_default(),
            &PostParams::default(),
            &next,
        )
        .await?;
        Ok(())
    }
}

fn rolling_field(ds: &DaemonSet, surge: bool) -> Option<IntOrString> {
    let rolling = ds
        .spec
        .as_ref()?
        .update_strategy
        .as_ref()?
        .rolling_update
        .as_ref()?;
    if surge {
        rolling.max_surge.clone()
    } else {
        rolling.max_unavailable.clone()
    }
}

/// `maxSurge` against the desired count, rounded up (0 by default).
fn max_surge(ds: &DaemonSet, desired: i32) -> i32 {
    rolling_field(ds, true)
        .map(|v| int_or_percent::resolve(&v, desired, true))
        .unwrap_or(0)
        .max(0)
}

/// `maxUnavailable` against the desired count, rounded up (1 by default); with neither
/// surge nor unavailability allowed, one at a time.
fn max_unavailable(ds: &DaemonSet, desired: i32) -> i32 {
    let value = rolling_field(ds, false)
        .map(|v| int_or_percent::resolve(&v, desired, true))
        .unwrap_or(1)
        .max(0);
    if value == 0 && max_surge(ds, desired) == 0 {
        1
    } else {
        value
    }
}
