//! Deployment controller, as upstream's: a Deployment owns one ReplicaSet per pod template
//! (`<name>-<pod-template-hash>`); the one whose template equals the Deployment's is "new",
//! the others "old". A rollout moves pods from old to new within `maxSurge` /
//! `maxUnavailable` (RollingUpdate) or stops every old pod first (Recreate); a replica
//! change mid-rollout is shared proportionally; a paused Deployment only scales.
//! Revisions are ReplicaSet annotations: a rollback (`kubectl rollout undo` writes an old
//! template back) makes that old ReplicaSet new again with the next revision number; old
//! ReplicaSets beyond `revisionHistoryLimit` are deleted once empty.
//!
//! Level-triggered: every pass recomputes from the watched Deployments, ReplicaSets and
//! Pods. Invariant: every write to a ReplicaSet or Deployment carries the `resourceVersion`
//! it was computed from, so a decision made on a stale view fails (409) instead of undoing
//! a newer one; the next pass recomputes.

mod rollout;
mod status;
mod template;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::{ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::json;

use crate::informer::{self, Informers, Kind};
use crate::ownership::{self, controlled_by, controller_of, controller_reference};
use crate::pod_state::is_terminal;
use crate::retry::{Retries, key_of};
use rollout::{is_rolling, max_surge, replicas, size, total_size};
pub use template::{HASH_LABEL, REVISION};

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Deployments, Kind::ReplicaSets, Kind::Pods]);
    informers.ready().await;
    let controller = Controller {
        client: client.clone(),
        events: EventRecorder::new(client, "deployment-controller"),
    };
    let mut retries = Retries::default();
    loop {
        let mut next = None;
        let deployments = informers.deployments.state();
        retries.retain(
            &deployments
                .iter()
                .filter_map(|o| o.metadata.uid.clone())
                .collect(),
        );
        if !deployments.is_empty() {
            let sets = informers.replicasets.state();
            let pods = informers.pods.state();
            let mut sets_by_ns: HashMap<&str, Vec<&ReplicaSet>> = HashMap::new();
            for rs in &sets {
                let ns = rs.metadata.namespace.as_deref().unwrap_or_default();
                sets_by_ns.entry(ns).or_default().push(rs);
            }
            let mut pods_by_owner: HashMap<&str, Vec<&Pod>> = HashMap::new();
            for pod in &pods {
                if let Some(owner) = controller_of(&pod.metadata) {
                    pods_by_owner
                        .entry(owner.uid.as_str())
                        .or_default()
                        .push(pod);
                }
            }
            for d in deployments.iter() {
                let ns = d.metadata.namespace.as_deref().unwrap_or_default();
                let candidates = sets_by_ns.get(ns).cloned().unwrap_or_default();
                match controller.sync(d, &candidates, &pods_by_owner).await {
                    Ok(at) => {
                        retries.succeeded(key_of(&d.metadata));
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(deployment = ?d.metadata.name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(key_of(&d.metadata)));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn selector_of(d: &Deployment) -> Option<LabelSelector> {
    let spec = d.spec.as_ref()?;
    let value = serde_json::to_value(&spec.selector).ok()?;
    LabelSelector::from_json(&value).ok()
}

fn reference(d: &Deployment) -> ObjectReference {
    ObjectReference {
        api_version: Some("apps/v1".into()),
        kind: Some("Deployment".into()),
        namespace: d.metadata.namespace.clone(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        resource_version: d.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

fn is_paused(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false)
}

/// The new ReplicaSet (index into `sets`, sorted oldest first) if one has the template.
fn find_new(d: &Deployment, sets: &[ReplicaSet]) -> Option<usize> {
    let template = &d.spec.as_ref()?.template;
    sets.iter().position(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| template::equal_ignoring_hash(t, template))
    })
}

struct Controller {
    client: kube::Client,
    events: EventRecorder,
}

/// A Deployment being synced, with its ReplicaSets (`sets[new]` is the new one).
struct State {
    d: Deployment,
    new: Option<ReplicaSet>,
    old: Vec<ReplicaSet>,
}

impl State {
    fn all(&self) -> Vec<&ReplicaSet> {
        self.new.iter().chain(self.old.iter()).collect()
    }
}

impl Controller {
    fn deployments(&self, d: &Deployment) -> Api<Deployment> {
        Api::namespaced(
            self.client.clone(),
            d.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    fn replicasets(&self, d: &Deployment) -> Api<ReplicaSet> {
        Api::namespaced(
            self.client.clone(),
            d.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    /// One pass over a Deployment; returns when it next needs a pass regardless of changes.
    async fn sync(
        &self,
        d: &Deployment,
        candidates: &[&ReplicaSet],
        pods_by_owner: &HashMap<&str, Vec<&Pod>>,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        let uid = d.metadata.uid.clone().unwrap_or_default();
        let Some(selector) = selector_of(d) else {
            return Ok(None);
        };
        if selector.is_empty() {
            self.events.record(
                reference(d),
                EventType::Warning,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            );
            let mut status = d.status.clone().unwrap_or_default();
            if status.observed_generation < d.metadata.generation {
                status.observed_generation = d.metadata.generation;
                self.write_status(d.clone(), status::normalized(status))
                    .await?;
            }
            return Ok(None);
        }
        // Claim: own what the selector matches, release what it no longer does.
        let api = self.replicasets(d);
        let mut sets: Vec<ReplicaSet> = Vec::new();
        for rs in candidates {
            let labels = rs.metadata.labels.clone().unwrap_or_default();
            let matches = selector.matches(&labels);
            match controller_of(&rs.metadata) {
                Some(owner) if owner.uid == uid => {
                    if matches {
                        sets.push((*rs).clone());
                    } else if d.metadata.deletion_timestamp.is_none() {
                        ownership::release(&api, &rs.metadata, &uid).await?;
                    }
                }
                None if matches
                    && d.metadata.deletion_timestamp.is_none()
                    && rs.metadata.deletion_timestamp.is_none() =>
                {
                    sets.push(ownership::adopt(&api, &rs.metadata, controller_reference(d)).await?);
                }
                _ => {}
            }
        }
        sets.sort_by_key(rollout::created);
        let mut state = State {
            d: d.clone(),
            new: None,
            old: Vec::new(),
        };
        if d.metadata.deletion_timestamp.is_some() {
            self.split(&mut state, sets, false).await?;
            let status = status::calculate(&state.d, &state.all(), state.new.as_ref());
            self.write_status(state.d, status).await?;
            return Ok(None);
        }
        self.check_paused_conditions(&mut state).await?;
        let all: Vec<&ReplicaSet> = sets.iter().collect();
        if is_paused(&state.d) || rollout::is_scaling_event(&state.d, &all) {
            self.split(&mut state, sets, false).await?;
            self.scale(&mut state).await?;
            if is_paused(&state.d) {
                self.cleanup(&state).await?;
            }
            let status = status::calculate(&state.d, &state.all(), state.new.as_ref());
            self.write_status(state.d, status).await?;
            return Ok(None);
        }
        if is_rolling(&state.d) {
            self.rolling(state, sets).await
        } else {
            self.recreate(state, sets, pods_by_owner).await
        }
    }

    /// Upstream's `rolloutRolling`.
    async fn rolling(
        &self,
        mut state: State,
        sets: Vec<ReplicaSet>,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        self.split(&mut state, sets, true).await?;
        if self.reconcile_new(&mut state).await? || self.reconcile_old(&mut state).await? {
            return self.rollout_status(state).await;
        }
        let current = state.d.status.clone().unwrap_or_default();
        if status::complete(&state.d, &current) {
            self.cleanup(&state).await?;
        }
        self.rollout_status(state).await
    }

    /// Upstream's `rolloutRecreate`: every old pod gone before the new ones start.
    async fn recreate(
        &self,
        mut state: State,
        sets: Vec<ReplicaSet>,
        pods_by_owner: &HashMap<&str, Vec<&Pod>>,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        self.split(&mut state, sets.clone(), false).await?;
        let mut scaled = false;
        for i in 0..state.old.len() {
            if size(&state.old[i]) > 0 {
                let mut rs = state.old[i].clone();
                scaled |= self.scale_rs(&state.d, &mut rs, 0).await?;
                state.old[i] = rs;
            }
        }
        if scaled {
            return self.rollout_status(state).await;
        }
        let old_running = state.old.iter().any(|rs| {
            rs.status.as_ref().is_some_and(|s| s.replicas > 0)
                || pods_by_owner
                    .get(rs.metadata.uid.as_deref().unwrap_or_default())
                    .is_some_and(|pods| pods.iter().any(|p| !is_terminal(p)))
        });
        if old_running {
            return self.rollout_status(state).await;
        }
        if state.new.is_none() {
            self.split(&mut state, sets, true).await?;
        }
        if let Some(mut new) = state.new.take() {
            let want = replicas(&state.d);
            self.scale_rs(&state.d, &mut new, want).await?;
            state.new = Some(new);
        }
        let current = state.d.status.clone().unwrap_or_default();
        if status::complete(&state.d, &current) {
            self.cleanup(&state).await?;
        }
        self.rollout_status(state).await
    }

    /// Upstream's `getAllReplicaSetsAndSyncRevision`: splits `sets` into new and old,
    /// brings the new one's revision and annotations up to date, and creates it when
    /// `create` and it does not exist.
    async fn split(
        &self,
        state: &mut State,
        mut sets: Vec<ReplicaSet>,
        create: bool,
    ) -> kube::Result<()> {
        let new_index = find_new(&state.d, &sets);
        let new = new_index.map(|i| sets.remove(i));
        state.old = sets;
        let max_old = state
            .old
            .iter()
            .map(|rs| template::revision(&rs.metadata))
            .max()
            .unwrap_or(0);
        let new_revision = max_old + 1;
        let d = &state.d;
        let min_ready = d.spec.as_ref().and_then(|s| s.min_ready_seconds);
        if let Some(mut rs) = new {
            let mut annotations = rs.metadata.annotations.clone().unwrap_or_default();
            let annotations_changed =
                template::sync_new_annotations(d, &mut annotations, new_revision);
            let min_ready_changed = rs.spec.as_ref().and_then(|s| s.min_ready_seconds) != min_ready;
            if annotations_changed || min_ready_changed {
                let patch = json!({
                    "metadata": {"resourceVersion": rs.metadata.resource_version, "annotations": annotations},
                    "spec": {"minReadySeconds": min_ready},
                });
                rs = self
                    .replicasets(d)
                    .patch(
                        rs.metadata.name.as_deref().unwrap_or_default(),
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await?;
            }
            let rs_revision = template::revision(&rs.metadata);
            self.set_revision(state, rs_revision).await?;
            let current = state.d.status.clone().unwrap_or_default();
            if status::progress_deadline(&state.d).is_some()
                && status::get(&current, status::PROGRESSING).is_none()
            {
                let mut next = current;
                let name = rs.metadata.name.clone().unwrap_or_default();
                status::set(
                    &mut next,
                    status::condition(
                        status::PROGRESSING,
                        "True",
                        "FoundNewReplicaSet",
                        format!("Found new replica set \"{name}\""),
                    ),
                );
                state.d = self
                    .write_status(state.d.clone(), status::normalized(next))
                    .await?;
            }
            state.new = Some(rs);
            return Ok(());
        }
        if !create {
            state.new = None;
            return Ok(());
        }
        let Some(spec) = d.spec.clone() else {
            return Ok(());
        };
        let collisions = d.status.as_ref().and_then(|s| s.collision_count);
        let hash = template::hash(&spec.template, collisions);
        let template = template::with_hash(&spec.template, &hash);
        let mut selector = spec.selector.clone();
        selector
            .match_labels
            .get_or_insert_with(BTreeMap::new)
            .insert(HASH_LABEL.into(), hash.clone());
        let name = format!("{}-{hash}", d.metadata.name.as_deref().unwrap_or_default());
        let old: Vec<&ReplicaSet> = state.old.iter().collect();
        let new_size = rollout::new_rs_size(d, &old, None);
        let mut annotations = BTreeMap::new();
        template::sync_new_annotations(d, &mut annotations, new_revision);
        template::set_replicas_annotations(
            &mut annotations,
            replicas(d),
            replicas(d) + max_surge(d),
        );
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: d.metadata.namespace.clone(),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![controller_reference(d)]),
                ..ObjectMeta::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(new_size),
                min_ready_seconds: min_ready,
                selector,
                template: Some(template),
            }),
            status: None,
        };
        let created = match self
            .replicasets(d)
            .create(&PostParams::default(), &rs)
            .await
        {
            Ok(created) => {
                if new_size > 0 {
                    self.events.record(
                        reference(d),
                        EventType::Normal,
                        "ScalingReplicaSet",
                        format!("Scaled up replica set {name} from 0 to {new_size}"),
                    );
                }
                created
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {
                // Ours already (a stale view), or a hash collision: then count it and let
                // the next pass pick another name.
                let existing = self.replicasets(d).get(&name).await?;
                let uid = d.metadata.uid.as_deref().unwrap_or_default();
                let same = existing
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .is_some_and(|t| template::equal_ignoring_hash(t, &spec.template));
                if controlled_by(&existing.metadata, uid) && same {
                    state.new = Some(existing);
                    return Ok(());
                }
                let mut status = d.status.clone().unwrap_or_default();
                status.collision_count = Some(collisions.unwrap_or(0) + 1);
                self.write_status(d.clone(), status::normalized(status))
                    .await?;
                return Err(kube::Error::Api(e));
            }
            Err(e) => return Err(e),
        };
        self.set_revision(state, new_revision).await?;
        if status::progress_deadline(&state.d).is_some() {
            let mut next = state.d.status.clone().unwrap_or_default();
            status::set(
                &mut next,
                status::condition(
                    status::PROGRESSING,
                    "True",
                    "NewReplicaSetCreated",
                    format!("Created new replica set \"{name}\""),
                ),
            );
            state.d = self
                .write_status(state.d.clone(), status::normalized(next))
                .await?;
        }
        state.new = Some(created);
        Ok(())
    }

    /// Records `revision` on the Deployment when it differs.
    async fn set_revision(&self, state: &mut State, revision: i64) -> kube::Result<()> {
        let current = state
            .d
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION));
        if revision == 0 || current == Some(&revision.to_string()) {
            return Ok(());
        }
        let patch = json!({"metadata": {
            "resourceVersion": state.d.metadata.resource_version,
            "annotations": {REVISION: revision.to_string()},
        }});
        state.d = self
            .deployments(&state.d)
            .patch(
                state.d.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await?;
        Ok(())
    }

    /// Sets `rs` to `to` replicas (and the replica annotations); returns whether the size changed.
    async fn scale_rs(&self, d: &Deployment, rs: &mut ReplicaSet, to: i32) -> kube::Result<bool> {
        let from = size(rs);
        let mut annotations = rs.metadata.annotations.clone().unwrap_or_default();
        let annotations_changed = template::set_replicas_annotations(
            &mut annotations,
            replicas(d),
            replicas(d) + max_surge(d),
        );
        if from == to && !annotations_changed {
            return Ok(false);
        }
        let name = rs.metadata.name.clone().unwrap_or_default();
        let patch = json!({
            "metadata": {"resourceVersion": rs.metadata.resource_version, "annotations": annotations},
            "spec": {"replicas": to},
        });
        *rs = self
            .replicasets(d)
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        if from != to {
            let direction = if to > from { "up" } else { "down" };
            self.events.record(
                reference(d),
                EventType::Normal,
                "ScalingReplicaSet",
                format!("Scaled {direction} replica set {name} from {from} to {to}"),
            );
        }
        Ok(from != to)
    }

    /// Upstream's `reconcileNewReplicaSet`.
    async fn reconcile_new(&self, state: &mut State) -> kube::Result<bool> {
        let Some(mut new) = state.new.clone() else {
            return Ok(false);
        };
        let want = replicas(&state.d);
        let current = size(&new);
        if current == want {
            return Ok(false);
        }
        let to = if current > want {
            want
        } else {
            rollout::new_rs_size(&state.d, &state.all(), Some(&new))
        };
        let scaled = self.scale_rs(&state.d, &mut new, to).await?;
        state.new = Some(new);
        Ok(scaled)
    }

    /// Upstream's `reconcileOldReplicaSets`: unhealthy old pods first, then healthy ones as
    /// far as availability allows.
    async fn reconcile_old(&self, state: &mut State) -> kube::Result<bool> {
        if total_size(&state.old) == 0 {
            return Ok(false);
        }
        let budget = rollout::old_scale_down_budget(&state.d, &state.all(), state.new.as_ref());
        if budget <= 0 {
            return Ok(false);
        }
        let mut changed = false;
        let old: Vec<&ReplicaSet> = state.old.iter().collect();
        let plan = rollout::cleanup_unhealthy(&old, budget);
        for (i, to) in plan {
            let mut rs = state.old[i].clone();
            changed |= self.scale_rs(&state.d, &mut rs, to).await?;
            state.old[i] = rs;
        }
        let old: Vec<&ReplicaSet> = state.old.iter().collect();
        let plan = rollout::scale_down_old(&state.d, &state.all(), &old);
        for (i, to) in plan {
            let mut rs = state.old[i].clone();
            changed |= self.scale_rs(&state.d, &mut rs, to).await?;
            state.old[i] = rs;
        }
        Ok(changed)
    }

    /// Upstream's `scale`: a replica change applied to the active ReplicaSets.
    async fn scale(&self, state: &mut State) -> kube::Result<()> {
        let has_new = state.new.is_some();
        let plan = rollout::proportional(&state.d, &state.all(), has_new);
        for (i, to) in plan {
            if has_new && i == 0 {
                if let Some(mut rs) = state.new.clone() {
                    self.scale_rs(&state.d, &mut rs, to).await?;
                    state.new = Some(rs);
                }
            } else {
                let j = if has_new { i - 1 } else { i };
                let mut rs = state.old[j].clone();
                self.scale_rs(&state.d, &mut rs, to).await?;
                state.old[j] = rs;
            }
        }
        Ok(())
    }

    /// Deletes empty old ReplicaSets beyond `revisionHistoryLimit`, lowest revisions first.
    async fn cleanup(&self, state: &State) -> kube::Result<()> {
        let Some(limit) = state.d.spec.as_ref().and_then(|s| s.revision_history_limit) else {
            return Ok(());
        };
        let mut cleanable: Vec<&ReplicaSet> = state
            .old
            .iter()
            .filter(|rs| rs.metadata.deletion_timestamp.is_none())
            .collect();
        let excess = cleanable
            .len()
            .saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
        if excess == 0 {
            return Ok(());
        }
        cleanable.sort_by_key(|rs| (template::revision(&rs.metadata), rollout::created(rs)));
        for rs in cleanable.into_iter().take(excess) {
            let observed = rs.status.as_ref().and_then(|s| s.observed_generation);
            if rs.status.as_ref().is_some_and(|s| s.replicas != 0)
                || size(rs) != 0
                || rs.metadata.generation > observed
            {
                continue;
            }
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: rs.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match self
                .replicasets(&state.d)
                .delete(rs.metadata.name.as_deref().unwrap_or_default(), &params)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `Progressing` set to Unknown on pause and resume (unless the deadline already passed).
    async fn check_paused_conditions(&self, state: &mut State) -> kube::Result<()> {
        if status::progress_deadline(&state.d).is_none() {
            return Ok(());
        }
        let mut current = state.d.status.clone().unwrap_or_default();
        let reason = status::get(&current, status::PROGRESSING).and_then(|c| c.reason.clone());
        if reason.as_deref() == Some(status::TIMED_OUT) {
            return Ok(());
        }
        let paused_recorded = reason.as_deref() == Some(status::PAUSED);
        let condition = match (is_paused(&state.d), paused_recorded) {
            (true, false) => status::condition(
                status::PROGRESSING,
                "Unknown",
                status::PAUSED,
                "Deployment is paused",
            ),
            (false, true) => status::condition(
                status::PROGRESSING,
                "Unknown",
                status::RESUMED,
                "Deployment is resumed",
            ),
            _ => return Ok(()),
        };
        status::set(&mut current, condition);
        state.d = self
            .write_status(state.d.clone(), status::normalized(current))
            .await?;
        Ok(())
    }

    /// Upstream's `syncRolloutStatus`; returns when the progress deadline runs out.
    async fn rollout_status(&self, state: State) -> kube::Result<Option<jiff::Timestamp>> {
        let status = status::rollout(&state.d, &state.all(), state.new.as_ref());
        let deadline = status::deadline(&state.d, &status);
        let complete = status::complete(&state.d, &status);
        self.write_status(state.d, status).await?;
        // One more pass once the deadline passes (plus a second, as upstream), unless done.
        Ok(deadline
            .filter(|_| !complete)
            .and_then(|at| at.checked_add(jiff::SignedDuration::from_secs(1)).ok()))
    }

    /// Replaces the Deployment's status when it differs; returns the Deployment as stored.
    async fn write_status(
        &self,
        mut d: Deployment,
        status: DeploymentStatus,
    ) -> kube::Result<Deployment> {
        let current = status::normalized(d.status.clone().unwrap_or_default());
        if current == status {
            return Ok(d);
        }
        d.status = Some(status);
        let name = d.metadata.name.clone().unwrap_or_default();
        self.deployments(&d)
            .replace_status(&name, &PostParams::default(), &d)
            .await
    }
}
