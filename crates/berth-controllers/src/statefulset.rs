//! StatefulSet controller, as upstream's: pods with stable identities `<set>-<ordinal>`
//! (ordinals from `spec.ordinals.start`), hostname = pod name and subdomain =
//! `serviceName` (the headless Service that gives them DNS names), and one
//! PersistentVolumeClaim per `volumeClaimTemplates` entry and pod (`<template>-<pod>`),
//! created before the pod and kept when it goes (deleted with the set only under
//! `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`).
//!
//! `OrderedReady` (the default) creates pod N only once 0…N-1 are Running and Ready and
//! removes pods from the highest ordinal down, one at a time, each gone before the next;
//! `Parallel` does both at once. `RollingUpdate` replaces pods from the highest ordinal down
//! to `partition`, one at a time, each Ready before the next; pods below the partition keep
//! (and are recreated from) the current revision. `OnDelete` replaces only deleted pods.
//! Template history is ControllerRevisions ([`crate::history`]); `currentRevision` catches
//! up with `updateRevision` once every pod is updated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::apps::v1::{ControllerRevision, StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    ObjectReference, PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, Pod,
    PodTemplateSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};

use crate::history::{self, REVISION_LABEL};
use crate::informer::{self, Informers, Kind};
use crate::ownership::{self, controller_of, controller_reference};
use crate::pod_state::{is_available, is_ready, is_terminal, phase};
use crate::retry::{Retries, key_of};

pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[
        Kind::StatefulSets,
        Kind::Pods,
        Kind::Revisions,
        Kind::Claims,
    ]);
    informers.ready().await;
    let controller = Controller {
        events: EventRecorder::new(client.clone(), "statefulset-controller"),
        client,
    };
    let mut retries = Retries::default();
    loop {
        let sets = informers.statefulsets.state();
        retries.retain(&sets.iter().filter_map(|o| o.metadata.uid.clone()).collect());
        let mut next = None;
        if !sets.is_empty() {
            let pods = informers.pods.state();
            let revisions = informers.revisions.state();
            let claims = informers.claims.state();
            let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
            for pod in &pods {
                let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
                by_namespace.entry(ns).or_default().push(pod);
            }
            for set in &sets {
                let ns = set.metadata.namespace.as_deref().unwrap_or_default();
                let candidates = by_namespace.get(ns).cloned().unwrap_or_default();
                let uid = set.metadata.uid.clone().unwrap_or_default();
                let owned_revisions = history::owned(revisions.iter().map(|r| r.as_ref()), &uid);
                let claim_names: HashSet<String> = claims
                    .iter()
                    .filter(|c| c.metadata.namespace.as_deref() == Some(ns))
                    .filter_map(|c| c.metadata.name.clone())
                    .collect();
                match controller
                    .sync(set, &candidates, &owned_revisions, &claim_names)
                    .await
                {
                    Ok(at) => {
                        retries.succeeded(key_of(&set.metadata));
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(statefulset = ?set.metadata.name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(key_of(&set.metadata)));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn reference(set: &StatefulSet) -> ObjectReference {
    ObjectReference {
        api_version: Some("apps/v1".into()),
        kind: Some("StatefulSet".into()),
        namespace: set.metadata.namespace.clone(),
        name: set.metadata.name.clone(),
        uid: set.metadata.uid.clone(),
        resource_version: set.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

/// The ordinal of a pod named `<set>-<n>`.
fn ordinal(set_name: &str, pod: &Pod) -> Option<i32> {
    pod.metadata
        .name
        .as_deref()?
        .strip_prefix(set_name)?
        .strip_prefix('-')?
        .parse()
        .ok()
        .filter(|n: &i32| *n >= 0)
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata
        .labels
        .as_ref()?
        .get(REVISION_LABEL)
        .map(String::as_str)
}

/// Running and Ready (and available for `minReadySeconds`).
fn healthy(pod: &Pod, min_ready: i32, now: jiff::Timestamp) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && phase(pod) == "Running"
        && is_available(pod, min_ready, now)
}

/// The template a ControllerRevision restores.
fn template_of(revision: &ControllerRevision) -> Option<PodTemplateSpec> {
    let mut value = revision.data.as_ref()?.0.pointer("/spec/template")?.clone();
    if let Some(map) = value.as_object_mut() {
        map.remove("$patch");
    }
    serde_json::from_value(value).ok()
}

fn claim_name(template: &PersistentVolumeClaim, pod_name: &str) -> String {
    format!(
        "{}-{pod_name}",
        template.metadata.name.as_deref().unwrap_or_default()
    )
}

struct Controller {
    client: kube::Client,
    events: EventRecorder,
}

impl Controller {
    fn pods(&self, set: &StatefulSet) -> Api<Pod> {
        Api::namespaced(
            self.client.clone(),
            set.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    /// Pod `ordinal` from `template` (a revision's), with its identity and claims.
    fn pod_for(
        &self,
        set: &StatefulSet,
        template: &PodTemplateSpec,
        hash: &str,
        ordinal: i32,
    ) -> Option<Pod> {
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let name = format!("{set_name}-{ordinal}");
        let meta = template.metadata.clone().unwrap_or_default();
        let mut spec = template.spec.clone()?;
        let mut labels = meta.labels.unwrap_or_default();
        labels.insert(REVISION_LABEL.into(), hash.into());
        labels.insert(POD_NAME_LABEL.into(), name.clone());
        labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
        spec.hostname = Some(name.clone());
        let service = set.spec.as_ref().and_then(|s| s.service_name.clone());
        if let Some(service) = service.filter(|s| !s.is_empty()) {
            spec.subdomain = Some(service);
        }
        for claim in set.spec.as_ref()?.volume_claim_templates.iter().flatten() {
            let volume_name = claim.metadata.name.clone().unwrap_or_default();
            let volumes = spec.volumes.get_or_insert_with(Vec::new);
            volumes.retain(|v| v.name != volume_name);
            volumes.push(Volume {
                name: volume_name,
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim_name(claim, &name),
                    read_only: None,
                }),
                ..Volume::default()
            });
        }
        Some(Pod {
            metadata: ObjectMeta {
                name: Some(name),
                namespace: set.metadata.namespace.clone(),
                labels: Some(labels),
                annotations: meta.annotations,
                finalizers: meta.finalizers,
                owner_references: Some(vec![controller_reference(set)]),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            status: None,
        })
    }

    async fn create_claims(
        &self,
        set: &StatefulSet,
        pod_name: &str,
        existing: &HashSet<String>,
    ) -> kube::Result<()> {
        let Some(spec) = set.spec.as_ref() else {
            return Ok(());
        };
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        let api: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), &namespace);
        let delete_with_set = spec
            .persistent_volume_claim_retention_policy
            .as_ref()
            .and_then(|p| p.when_deleted.as_deref())
            == Some("Delete");
        let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
        for template in spec.volume_claim_templates.iter().flatten() {
            let name = claim_name(template, pod_name);
            if existing.contains(&name) {
                continue;
            }
            let mut labels: BTreeMap<String, String> =
                template.metadata.labels.clone().unwrap_or_default();
            labels.extend(selector_labels.clone());
            let claim = PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(namespace.clone()),
                    labels: Some(labels),
                    annotations: template.metadata.annotations.clone(),
                    owner_references: delete_with_set.then(|| vec![controller_reference(set)]),
                    ..ObjectMeta::default()
                },
                spec: template.spec.clone(),
                status: None,
            };
            match api.create(&PostParams::default(), &claim).await {
                Ok(_) => self.events.record(
                    reference(set),
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!(
                        "create Claim {name} Pod {pod_name} in StatefulSet {} success",
                        set.metadata.name.as_deref().unwrap_or_default()
                    ),
                ),
                Err(kube::Error::Api(e)) if e.code == 409 => {}
                Err(e) => {
                    self.events.record(
                        reference(set),
                        EventType::Warning,
                        "FailedCreate",
                        format!("create Claim {name} for Pod {pod_name} failed error: {e}"),
                    );
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    async fn create_pod(
        &self,
        set: &StatefulSet,
        template: &PodTemplateSpec,
        hash: &str,
        ordinal: i32,
        claims: &HashSet<String>,
    ) -> kube::Result<()> {
        let Some(pod) = self.pod_for(set, template, hash, ordinal) else {
            return Ok(());
        };
        let name = pod.metadata.name.clone().unwrap_or_default();
        self.create_claims(set, &name, claims).await?;
        let set_name = set.metadata.name.as_deref().unwrap_or_default();
        match self.pods(set).create(&PostParams::default(), &pod).await {
            Ok(_) => {
                self.events.record(
                    reference(set),
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!("create Pod {name} in StatefulSet {set_name} successful"),
                );
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
            Err(e) => {
                self.events.record(
                    reference(set),
                    EventType::Warning,
                    "FailedCreate",
                    format!("create Pod {name} in StatefulSet {set_name} failed error: {e}"),
                );
                Err(e)
            }
        }
    }

    async fn delete_pod(&self, set: &StatefulSet, pod: &Pod) -> kube::Result<()> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        match self.pods(set).delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                self.events.record(
                    reference(set),
                    EventType::Normal,
                    "SuccessfulDelete",
                    format!(
                        "delete Pod {name} in StatefulSet {} successful",
                        set.metadata.name.as_deref().unwrap_or_default()
                    ),
                );
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn sync(
        &self,
        set: &StatefulSet,
        candidates: &[&Pod],
        revisions: &[ControllerRevision],
        claims: &HashSet<String>,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        let uid = set.metadata.uid.clone().unwrap_or_default();
        let set_name = set.metadata.name.clone().unwrap_or_default();
        let Some(spec) = set.spec.clone() else {
            return Ok(None);
        };
        let selector = serde_json::to_value(&spec.selector)
            .ok()
            .and_then(|v| LabelSelector::from_json(&v).ok());
        let Some(selector) = selector.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        if set.metadata.deletion_timestamp.is_some() {
            return Ok(None);
        }
        let namespace = set.metadata.namespace.clone().unwrap_or_default();
        // Claim pods (only those named as ours can be adopted).
        let api = self.pods(set);
        let mut owned: Vec<Pod> = Vec::new();
        for pod in candidates {
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            let matches = selector.matches(&labels) && ordinal(&set_name, pod).is_some();
            match controller_of(&pod.metadata) {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        owned.push((*pod).clone());
                    } else {
                        ownership::release(&api, &pod.metadata, &uid).await?;
                    }
                }
                None if matches && pod.metadata.deletion_timestamp.is_none() => {
                    owned.push(
                        ownership::adopt(&api, &pod.metadata, controller_reference(set)).await?,
                    );
                }
                _ => {}
            }
        }
        // Revisions: the update revision is the template's; the current one is the
        // status's until every pod is updated.
        let revisions_api: Api<ControllerRevision> =
            Api::namespaced(self.client.clone(), &namespace);
        let collisions = set.status.as_ref().and_then(|s| s.collision_count);
        let update = match history::current(
            &revisions_api,
            controller_reference(set),
            &spec.template,
            collisions,
            revisions,
        )
        .await
        {
            Ok(update) => update,
            Err(history::HistoryError::Api(e)) => return Err(e),
            Err(history::HistoryError::Collision(_)) => {
                let mut status = set.status.clone().unwrap_or_default();
                status.collision_count = Some(collisions.unwrap_or(0) + 1);
                self.write_status(set, status).await?;
                return Ok(None);
            }
        };
        let update_name = update.revision.metadata.name.clone().unwrap_or_default();
        let status_current = set.status.as_ref().and_then(|s| s.current_revision.clone());
        let current_revision = status_current
            .as_deref()
            .and_then(|name| {
                revisions
                    .iter()
                    .find(|r| r.metadata.name.as_deref() == Some(name))
            })
            .cloned()
            .unwrap_or_else(|| update.revision.clone());
        let current_name = current_revision.metadata.name.clone().unwrap_or_default();
        let hash_of = |r: &ControllerRevision| {
            r.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(REVISION_LABEL))
                .cloned()
                .unwrap_or_default()
        };
        let current_hash = if current_name == update_name {
            update.hash.clone()
        } else {
            hash_of(&current_revision)
        };
        let current_template =
            template_of(&current_revision).unwrap_or_else(|| spec.template.clone());

        let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0);
        let replicas = spec.replicas.unwrap_or(1).max(0);
        let end = start + replicas;
        let parallel = spec.pod_management_policy.as_deref() == Some("Parallel");
        let rolling = spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .is_none_or(|t| t == "RollingUpdate");
        let partition = spec
            .update_strategy
            .as_ref()
            .and_then(|s| s.rolling_update.as_ref())
            .and_then(|r| r.partition)
            .unwrap_or(0);
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let now = jiff::Timestamp::now();
        let by_ordinal: BTreeMap<i32, &Pod> = owned
            .iter()
            .filter_map(|p| ordinal(&set_name, p).map(|o| (o, p)))
            .collect();
        let mut next = None;

        let result = self
            .reconcile(
                set,
                &by_ordinal,
                (start, end),
                parallel,
                claims,
                (&current_template, &current_hash),
                (&spec.template, &update.hash),
                rolling.then_some(partition),
                min_ready,
            )
            .await;
        if let Err(e) = result {
            tracing::debug!(statefulset = set_name, error = %e, "reconciling pods");
            next = jiff::Timestamp::now()
                .checked_add(jiff::SignedDuration::from_secs(1))
                .ok();
        }

        // Status from the pods as observed.
        let in_range: Vec<&Pod> = by_ordinal
            .iter()
            .filter(|(o, _)| **o >= start && **o < end)
            .map(|(_, p)| *p)
            .collect();
        let existing: Vec<&&Pod> = by_ordinal.values().filter(|p| !is_terminal(p)).collect();
        let ready = existing.iter().filter(|p| is_ready(p)).count();
        let available = existing
            .iter()
            .filter(|p| is_available(p, min_ready, now))
            .count();
        let current_count = existing
            .iter()
            .filter(|p| revision_of(p) == Some(current_hash.as_str()))
            .count();
        let updated_count = existing
            .iter()
            .filter(|p| revision_of(p) == Some(update.hash.as_str()))
            .count();
        for p in &existing {
            if is_ready(p) && !is_available(p, min_ready, now) {
                next = informer::earliest(next, crate::pod_state::available_at(p, min_ready));
            }
        }
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        // Every pod updated and ready: the update revision becomes current.
        let complete = count(updated_count) == replicas
            && in_range.len() == usize::try_from(replicas).unwrap_or(0)
            && in_range
                .iter()
                .all(|p| revision_of(p) == Some(update.hash.as_str()) && is_ready(p));
        let (current_revision_name, current_replicas) = if complete {
            (update_name.clone(), count(updated_count))
        } else {
            (current_name.clone(), count(current_count))
        };
        let status = StatefulSetStatus {
            observed_generation: set.metadata.generation,
            replicas: count(existing.len()),
            ready_replicas: Some(count(ready)).filter(|n| *n > 0),
            available_replicas: Some(count(available)).filter(|n| *n > 0),
            current_replicas: Some(current_replicas).filter(|n| *n > 0),
            updated_replicas: Some(count(updated_count)).filter(|n| *n > 0),
            current_revision: Some(current_revision_name),
            update_revision: Some(update_name),
            collision_count: collisions,
            conditions: set.status.as_ref().and_then(|s| s.conditions.clone()),
        };
        self.write_status(set, status).await?;
        let in_use: HashSet<String> = owned
            .iter()
            .filter_map(|p| revision_of(p).map(str::to_string))
            .collect();
        let mut keep = in_use;
        keep.insert(current_hash);
        history::truncate(
            &revisions_api,
            revisions,
            update.revision.metadata.name.as_deref().unwrap_or_default(),
            &keep,
            spec.revision_history_limit.unwrap_or(10),
        )
        .await?;
        Ok(next)
    }

    /// Creates, replaces and removes pods; returns at the first wait (OrderedReady).
    #[allow(clippy::too_many_arguments)]
    async fn reconcile(
        &self,
        set: &StatefulSet,
        by_ordinal: &BTreeMap<i32, &Pod>,
        (start, end): (i32, i32),
        parallel: bool,
        claims: &HashSet<String>,
        (current_template, current_hash): (&PodTemplateSpec, &str),
        (update_template, update_hash): (&PodTemplateSpec, &str),
        partition: Option<i32>,
        min_ready: i32,
    ) -> kube::Result<()> {
        let now = jiff::Timestamp::now();
        // Pods below the partition are made from the current revision.
        let template_for = |ordinal: i32| match partition {
            Some(p) if ordinal < start + p => (current_template, current_hash),
            _ => (update_template, update_hash),
        };
        let mut first_unhealthy: Option<i32> = None;
        for ordinal in start..end {
            match by_ordinal.get(&ordinal) {
                None => {
                    let (template, hash) = template_for(ordinal);
                    self.create_pod(set, template, hash, ordinal, claims)
                        .await?;
                    if !parallel {
                        return Ok(());
                    }
                }
                Some(pod) if is_terminal(pod) && pod.metadata.deletion_timestamp.is_none() => {
                    // A failed (or finished) member is replaced.
                    self.delete_pod(set, pod).await?;
                    if !parallel {
                        return Ok(());
                    }
                }
                Some(pod) if !healthy(pod, min_ready, now) => {
                    first_unhealthy.get_or_insert(ordinal);
                    if !parallel {
                        return Ok(());
                    }
                }
                Some(_) => {}
            }
        }
        // Condemned: beyond the range, highest first.
        let condemned: Vec<(&i32, &&Pod)> = by_ordinal
            .iter()
            .filter(|(o, _)| **o < start || **o >= end)
            .rev()
            .collect();
        for (o, pod) in &condemned {
            if pod.metadata.deletion_timestamp.is_some() {
                if !parallel {
                    return Ok(());
                }
                continue;
            }
            // In order, a condemned pod goes only when it is the first unhealthy one or
            // all are healthy.
            if !parallel
                && !healthy(pod, min_ready, now)
                && first_unhealthy.is_some_and(|f| f < **o)
            {
                return Ok(());
            }
            self.delete_pod(set, pod).await?;
            if !parallel {
                return Ok(());
            }
        }
        // Rolling update from the highest ordinal down to the partition.
        let Some(partition) = partition else {
            return Ok(());
        };
        for ordinal in (start + partition..end).rev() {
            let Some(pod) = by_ordinal.get(&ordinal) else {
                return Ok(());
            };
            if revision_of(pod) != Some(update_hash) {
                if pod.metadata.deletion_timestamp.is_none() {
                    self.delete_pod(set, pod).await?;
                }
                return Ok(());
            }
            if !healthy(pod, min_ready, now) {
                return Ok(());
            }
        }
        Ok(())
    }

    async fn write_status(&self, set: &StatefulSet, status: StatefulSetStatus) -> kube::Result<()> {
        if set.status.as_ref() == Some(&status) {
            return Ok(());
        }
        let mut next = set.clone();
        next.status = Some(status);
        let api: Api<StatefulSet> = Api::namespaced(
            self.client.clone(),
            set.metadata.namespace.as_deref().unwrap_or_default(),
        );
        api.replace_status(
            set.metadata.name.as_deref().unwrap_or_default(),
            &PostParams::default(),
            &next,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ordinals_come_from_exact_names() {
        let pod = |name: &str| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap_or_default()
        };
        assert_eq!(ordinal("web", &pod("web-0")), Some(0));
        assert_eq!(ordinal("web", &pod("web-12")), Some(12));
        assert_eq!(ordinal("web", &pod("web-x")), None);
        assert_eq!(ordinal("web", &pod("webby-1")), None);
        assert_eq!(ordinal("web", &pod("web-api-1")), None);
    }
}
