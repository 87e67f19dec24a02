//! Job controller, as upstream's: runs pods until `completions` succeed (or, without
//! `completions`, until one succeeds and the rest finish), at most `parallelism` at a time;
//! Indexed Jobs run one pod per completion index. Failures are retried with exponential
//! backoff (10 s doubling, at most 10 min) until `backoffLimit` is exceeded; a Job running
//! longer than `activeDeadlineSeconds` fails. `suspend` stops the pods and resumes later.
//! Conditions as upstream 1.33: `SuccessCriteriaMet` then `Complete`, `FailureTarget` then
//! `Failed` (once no pod is left running), `Suspended`.
//!
//! Invariant (finalizer-based tracking): every pod carries `batch.kubernetes.io/job-tracking`
//! until it is counted. A finished pod's uid goes into `status.uncountedTerminatedPods`
//! first, then its finalizer is removed, then it moves to `succeeded`/`failed`: a pod is
//! counted exactly once even if it is deleted right after finishing or the controller stops
//! between the steps.

mod indexes;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::expectations::Expectations;
use crate::informer::{self, Informers, Kind};
use crate::ownership::{self, controller_of, controller_reference};
use crate::pod_state::{is_active, is_ready, phase};
use crate::retry::{Retries, key_of};

pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
pub const INDEX_ANNOTATION: &str = "batch.kubernetes.io/job-completion-index";
const BACKOFF_BASE: i64 = 10;
const BACKOFF_MAX: i64 = 600;
/// Pods created per Job per pass.
const BURST: usize = 500;

/// What the controller remembers of a Job between passes.
#[derive(Default)]
struct Memory {
    expectations: Expectations,
    /// When the last failure was counted, for the retry backoff.
    last_failure: Option<jiff::Timestamp>,
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Jobs, Kind::Pods]);
    informers.ready().await;
    let controller = Controller {
        events: EventRecorder::new(client.clone(), "job-controller"),
        client,
    };
    let mut memory: HashMap<String, Memory> = HashMap::new();
    let mut retries = Retries::default();
    loop {
        let jobs = informers.jobs.state();
        retries.retain(&jobs.iter().filter_map(|o| o.metadata.uid.clone()).collect());
        let live: HashSet<String> = jobs.iter().filter_map(|j| j.metadata.uid.clone()).collect();
        memory.retain(|uid, _| live.contains(uid));
        let mut next = None;
        if !jobs.is_empty() {
            let pods = informers.pods.state();
            let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
            for pod in &pods {
                let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
                by_namespace.entry(ns).or_default().push(pod);
            }
            for job in &jobs {
                let ns = job.metadata.namespace.as_deref().unwrap_or_default();
                let candidates = by_namespace.get(ns).cloned().unwrap_or_default();
                let uid = job.metadata.uid.clone().unwrap_or_default();
                let remembered = memory.entry(uid).or_default();
                match controller.sync(job, &candidates, remembered).await {
                    Ok(at) => {
                        retries.succeeded(key_of(&job.metadata));
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(job = ?job.metadata.name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(key_of(&job.metadata)));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn now() -> Time {
    Time(jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap_or_default())
}

fn reference(job: &Job) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("Job".into()),
        namespace: job.metadata.namespace.clone(),
        name: job.metadata.name.clone(),
        uid: job.metadata.uid.clone(),
        resource_version: job.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

fn has_condition(status: &JobStatus, type_: &str) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == type_ && c.status == "True")
}

/// Sets a condition (keeping `lastTransitionTime` when its status is unchanged).
fn set_condition(status: &mut JobStatus, type_: &str, value: &str, reason: &str, message: &str) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if let Some(c) = conditions.iter_mut().find(|c| c.type_ == type_) {
        if c.status == value && c.reason.as_deref() == Some(reason) {
            return;
        }
        if c.status != value {
            c.last_transition_time = Some(now());
        }
        c.status = value.into();
        c.reason = Some(reason.into());
        c.message = Some(message.into());
        c.last_probe_time = Some(now());
        return;
    }
    conditions.push(JobCondition {
        type_: type_.into(),
        status: value.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_probe_time: Some(now()),
        last_transition_time: Some(now()),
    });
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == TRACKING_FINALIZER)
}

fn completion_index(pod: &Pod) -> Option<i32> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(INDEX_ANNOTATION)?
        .parse()
        .ok()
}

/// A finished pod counts as failed if it failed, or was deleted before succeeding (it
/// will never get the chance), as upstream with `podReplacementPolicy: TerminatingOrFailed`.
fn counts_as_failed(pod: &Pod) -> bool {
    phase(pod) == "Failed"
        || (pod.metadata.deletion_timestamp.is_some() && phase(pod) != "Succeeded")
}

struct Controller {
    client: kube::Client,
    events: EventRecorder,
}

impl Controller {
    fn pods(&self, job: &Job) -> Api<Pod> {
        Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    fn jobs(&self, job: &Job) -> Api<Job> {
        Api::namespaced(
            self.client.clone(),
            job.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    /// Removes the tracking finalizer from `pod`.
    async fn release_finalizer(&self, job: &Job, pod: &Pod) -> kube::Result<()> {
        let rest: Vec<&String> = pod
            .metadata
            .finalizers
            .iter()
            .flatten()
            .filter(|f| *f != TRACKING_FINALIZER)
            .collect();
        let patch = json!({"metadata": {"finalizers": rest, "uid": pod.metadata.uid}});
        match self
            .pods(job)
            .patch(
                pod.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn delete_pod(&self, job: &Job, pod: &Pod, memory: &mut Memory) -> kube::Result<()> {
        let name = pod.metadata.name.clone().unwrap_or_default();
        match self.pods(job).delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                memory
                    .expectations
                    .deleted(pod.metadata.uid.clone().unwrap_or_default());
                self.events.record(
                    reference(job),
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

    async fn write_status(&self, job: &Job, status: JobStatus) -> kube::Result<Job> {
        if job.status.as_ref() == Some(&status) {
            return Ok(job.clone());
        }
        let mut next = job.clone();
        next.status = Some(status);
        self.jobs(job)
            .replace_status(
                job.metadata.name.as_deref().unwrap_or_default(),
                &PostParams::default(),
                &next,
            )
            .await
    }

    /// A new pod for `index` (Indexed Jobs) from the template.
    fn pod_for(&self, job: &Job, index: Option<i32>) -> Option<Pod> {
        let template = job.spec.as_ref()?.template.clone();
        let meta = template.metadata.unwrap_or_default();
        let name = job.metadata.name.clone().unwrap_or_default();
        let mut labels = meta.labels.unwrap_or_default();
        let mut annotations = meta.annotations.unwrap_or_default();
        let mut spec = template.spec?;
        let mut generate_name = format!("{name}-");
        if let Some(index) = index {
            labels.insert(INDEX_ANNOTATION.into(), index.to_string());
            annotations.insert(INDEX_ANNOTATION.into(), index.to_string());
            generate_name = format!("{name}-{index}-");
            if spec.hostname.is_none() {
                spec.hostname = Some(format!("{name}-{index}"));
            }
            let env = EnvVar {
                name: "JOB_COMPLETION_INDEX".into(),
                value: None,
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        api_version: None,
                        field_path: format!("metadata.labels['{INDEX_ANNOTATION}']"),
                    }),
                    ..EnvVarSource::default()
                }),
            };
            for container in spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten())
            {
                container.env.get_or_insert_with(Vec::new).push(env.clone());
            }
        }
        let mut finalizers = meta.finalizers.unwrap_or_default();
        finalizers.push(TRACKING_FINALIZER.into());
        Some(Pod {
            metadata: ObjectMeta {
                generate_name: Some(generate_name),
                namespace: job.metadata.namespace.clone(),
                labels: Some(labels),
                annotations: (!annotations.is_empty()).then_some(annotations),
                finalizers: Some(finalizers),
                owner_references: Some(vec![controller_reference(job)]),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
            status: None,
        })
    }

    /// One pass over a Job; returns when it next needs one regardless of changes.
    async fn sync(
        &self,
        job: &Job,
        candidates: &[&Pod],
        memory: &mut Memory,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        let uid = job.metadata.uid.clone().unwrap_or_default();
        let Some(spec) = job.spec.clone() else {
            return Ok(None);
        };
        let selector = serde_json::to_value(&spec.selector)
            .ok()
            .and_then(|v| LabelSelector::from_json(&v).ok());
        let Some(selector) = selector.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let mut status = job.status.clone().unwrap_or_default();
        let finished = has_condition(&status, "Complete") || has_condition(&status, "Failed");
        let deleting = job.metadata.deletion_timestamp.is_some();
        // Claim pods.
        let api = self.pods(job);
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
                None if matches && is_active(pod) && !finished && !deleting => {
                    owned.push(
                        ownership::adopt(&api, &pod.metadata, controller_reference(job)).await?,
                    );
                }
                _ => {}
            }
        }
        if deleting || finished {
            // Nothing more to count: let every pod go.
            for pod in owned.iter().filter(|p| has_finalizer(p)) {
                self.release_finalizer(job, pod).await?;
            }
            if finished && !deleting {
                for pod in owned.iter().filter(|p| is_active(p)) {
                    self.delete_pod(job, pod, memory).await?;
                }
            }
            return Ok(None);
        }
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let mut completed: BTreeSet<i32> =
            indexes::parse(status.completed_indexes.as_deref().unwrap_or_default());

        // 1. Newly finished pods: into uncountedTerminatedPods (Indexed successes into
        //    completedIndexes), written before any finalizer is removed.
        let mut uncounted = status.uncounted_terminated_pods.clone().unwrap_or_default();
        let mut changed = false;
        let mut current = job.clone();
        for pod in owned.iter().filter(|p| has_finalizer(p)) {
            let pod_uid = pod.metadata.uid.clone().unwrap_or_default();
            let listed = |list: &Option<Vec<String>>| list.iter().flatten().any(|u| *u == pod_uid);
            if listed(&uncounted.succeeded) || listed(&uncounted.failed) {
                continue;
            }
            if phase(pod) == "Succeeded" {
                if indexed {
                    let index = completion_index(pod);
                    if let Some(ix) = index.filter(|ix| completions.is_some_and(|c| *ix < c)) {
                        changed |= completed.insert(ix);
                    }
                } else {
                    uncounted
                        .succeeded
                        .get_or_insert_with(Vec::new)
                        .push(pod_uid);
                    changed = true;
                }
            } else if counts_as_failed(pod) {
                uncounted.failed.get_or_insert_with(Vec::new).push(pod_uid);
                memory.last_failure = Some(jiff::Timestamp::now());
                changed = true;
            }
        }
        if changed {
            status.uncounted_terminated_pods = Some(uncounted.clone());
            if indexed {
                status.completed_indexes = Some(indexes::format(&completed));
                status.succeeded = Some(i32::try_from(completed.len()).unwrap_or(i32::MAX));
            }
            current = self.write_status(job, status).await?;
            status = current.status.clone().unwrap_or_default();
        }
        // 2. Counted (or about to be): their finalizers go.
        let in_uncounted = |pod_uid: &str| {
            uncounted
                .succeeded
                .iter()
                .flatten()
                .chain(uncounted.failed.iter().flatten())
                .any(|u| u == pod_uid)
        };
        let mut released: HashSet<String> = HashSet::new();
        for pod in owned.iter().filter(|p| has_finalizer(p)) {
            let pod_uid = pod.metadata.uid.clone().unwrap_or_default();
            let indexed_done = indexed
                && phase(pod) == "Succeeded"
                && completion_index(pod).is_some_and(|ix| completed.contains(&ix));
            let indexed_extra = indexed && phase(pod) == "Succeeded" && !indexed_done;
            if in_uncounted(&pod_uid) || indexed_done || indexed_extra {
                self.release_finalizer(job, pod).await?;
                released.insert(pod_uid);
            }
        }
        // 3. Flush: uncounted pods whose finalizer is gone move to the counters.
        let still_tracked: HashSet<String> = owned
            .iter()
            .filter(|p| has_finalizer(p))
            .filter_map(|p| p.metadata.uid.clone())
            .filter(|u| !released.contains(u))
            .collect();
        let mut succeeded = status.succeeded.unwrap_or(0);
        let mut failed = status.failed.unwrap_or(0);
        let mut remaining = UncountedTerminatedPods::default();
        for pod_uid in uncounted.succeeded.iter().flatten() {
            if still_tracked.contains(pod_uid) {
                remaining
                    .succeeded
                    .get_or_insert_with(Vec::new)
                    .push(pod_uid.clone());
            } else {
                succeeded += 1;
            }
        }
        for pod_uid in uncounted.failed.iter().flatten() {
            if still_tracked.contains(pod_uid) {
                remaining
                    .failed
                    .get_or_insert_with(Vec::new)
                    .push(pod_uid.clone());
            } else {
                failed += 1;
            }
        }
        if indexed {
            succeeded = i32::try_from(completed.len()).unwrap_or(i32::MAX);
        }
        let pending_succeeded =
            i32::try_from(remaining.succeeded.iter().flatten().count()).unwrap_or(0);
        let pending_failed = i32::try_from(remaining.failed.iter().flatten().count()).unwrap_or(0);
        status.succeeded = Some(succeeded);
        status.failed = Some(failed);
        status.uncounted_terminated_pods = Some(remaining);

        // Decide.
        let all_succeeded = succeeded + pending_succeeded;
        let all_failed = failed + pending_failed;
        let active: Vec<&Pod> = owned.iter().filter(|p| is_active(p)).collect();
        let terminating = owned
            .iter()
            .filter(|p| {
                p.metadata.deletion_timestamp.is_some()
                    && !matches!(phase(p), "Succeeded" | "Failed")
            })
            .count();
        let suspended = spec.suspend.unwrap_or(false);
        let mut next = None;
        if !suspended && status.start_time.is_none() {
            status.start_time = Some(now());
        }
        let backoff_limit = spec.backoff_limit.unwrap_or(6);
        let deadline = spec.active_deadline_seconds.and_then(|seconds| {
            let start = status.start_time.as_ref()?.0;
            jiff::Timestamp::from_second(start.as_second() + seconds).ok()
        });
        let failure = if all_failed > backoff_limit {
            Some((
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
            ))
        } else if !suspended && deadline.is_some_and(|d| d <= jiff::Timestamp::now()) {
            Some((
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
            ))
        } else {
            None
        };
        let complete = match completions {
            Some(c) => all_succeeded >= c,
            None => all_succeeded > 0 && active.is_empty(),
        };
        if let Some((reason, message)) = failure.or_else(|| {
            has_condition(&status, "FailureTarget").then(|| {
                let c = status
                    .conditions
                    .iter()
                    .flatten()
                    .find(|c| c.type_ == "FailureTarget");
                let reason = c.and_then(|c| c.reason.clone()).unwrap_or_default();
                if reason == "DeadlineExceeded" {
                    (
                        "DeadlineExceeded",
                        "Job was active longer than specified deadline",
                    )
                } else {
                    (
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit",
                    )
                }
            })
        }) {
            for pod in &active {
                self.delete_pod(job, pod, memory).await?;
            }
            set_condition(&mut status, "FailureTarget", "True", reason, message);
            if active.is_empty()
                && terminating == 0
                && pending_failed == 0
                && pending_succeeded == 0
            {
                set_condition(&mut status, "Failed", "True", reason, message);
                self.events
                    .record(reference(job), EventType::Warning, reason, message);
            }
        } else if complete || has_condition(&status, "SuccessCriteriaMet") {
            for pod in &active {
                self.delete_pod(job, pod, memory).await?;
            }
            set_condition(
                &mut status,
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
            );
            if active.is_empty()
                && terminating == 0
                && pending_failed == 0
                && pending_succeeded == 0
            {
                set_condition(
                    &mut status,
                    "Complete",
                    "True",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                );
                status.completion_time = Some(now());
                self.events.record(
                    reference(job),
                    EventType::Normal,
                    "Completed",
                    "Job completed",
                );
            }
        } else if suspended {
            for pod in &active {
                self.delete_pod(job, pod, memory).await?;
            }
            if !has_condition(&status, "Suspended") {
                set_condition(
                    &mut status,
                    "Suspended",
                    "True",
                    "JobSuspended",
                    "Job suspended",
                );
                self.events.record(
                    reference(job),
                    EventType::Normal,
                    "Suspended",
                    "Job suspended",
                );
            }
        } else {
            if has_condition(&status, "Suspended") {
                set_condition(
                    &mut status,
                    "Suspended",
                    "False",
                    "JobResumed",
                    "Job resumed",
                );
                status.start_time = Some(now());
                self.events
                    .record(reference(job), EventType::Normal, "Resumed", "Job resumed");
            }
            let refs: Vec<&Pod> = owned.iter().collect();
            if memory.expectations.satisfied(&refs) {
                next = self
                    .manage(
                        job,
                        &spec,
                        &active,
                        &completed,
                        all_succeeded,
                        all_failed,
                        memory,
                    )
                    .await?;
            }
            next = informer::earliest(next, deadline);
        }
        status.active = Some(i32::try_from(active.len()).unwrap_or(i32::MAX));
        status.ready =
            Some(i32::try_from(active.iter().filter(|p| is_ready(p)).count()).unwrap_or(i32::MAX));
        status.terminating = Some(i32::try_from(terminating).unwrap_or(i32::MAX));
        if indexed {
            status.completed_indexes = Some(indexes::format(&completed));
        }
        self.write_status(&current, status).await?;
        Ok(next)
    }

    /// Creates or deletes pods toward the active count the Job wants now.
    #[allow(clippy::too_many_arguments)]
    async fn manage(
        &self,
        job: &Job,
        spec: &k8s_openapi::api::batch::v1::JobSpec,
        active: &[&Pod],
        completed: &BTreeSet<i32>,
        succeeded: i32,
        failed: i32,
        memory: &mut Memory,
    ) -> kube::Result<Option<jiff::Timestamp>> {
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let want = match spec.completions {
            Some(c) => parallelism.min((c - succeeded).max(0)),
            None if succeeded > 0 => i32::try_from(active.len()).unwrap_or(0),
            None => parallelism,
        };
        let want = usize::try_from(want).unwrap_or(0);
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        // Duplicates of an index: the extra pods go.
        let mut by_index: BTreeMap<i32, Vec<&Pod>> = BTreeMap::new();
        let mut active: Vec<&Pod> = active.to_vec();
        if indexed {
            let mut keep = Vec::new();
            for pod in &active {
                match completion_index(pod) {
                    Some(ix)
                        if !completed.contains(&ix) && spec.completions.is_some_and(|c| ix < c) =>
                    {
                        by_index.entry(ix).or_default().push(pod);
                    }
                    _ => self.delete_pod(job, pod, memory).await?,
                }
            }
            for pods in by_index.values() {
                keep.push(pods[0]);
                for extra in &pods[1..] {
                    self.delete_pod(job, extra, memory).await?;
                }
            }
            active = keep;
        }
        if active.len() > want {
            active.sort_by_key(|p| crate::replicaset::deletion_rank(p));
            for pod in active.iter().take(active.len() - want) {
                self.delete_pod(job, pod, memory).await?;
            }
            return Ok(None);
        }
        if active.len() == want {
            return Ok(None);
        }
        // Backoff after failures: 10 s doubling per failure, at most 10 minutes.
        if failed > 0
            && let Some(last) = memory.last_failure
        {
            let exponent = u32::try_from((failed - 1).clamp(0, 16)).unwrap_or(0);
            let delay = (BACKOFF_BASE * 2_i64.pow(exponent)).min(BACKOFF_MAX);
            let ready_at = jiff::Timestamp::from_second(last.as_second() + delay).ok();
            if ready_at.is_some_and(|at| at > jiff::Timestamp::now()) {
                return Ok(ready_at);
            }
        }
        let missing = (want - active.len()).min(BURST);
        let mut free_indexes = Vec::new();
        if indexed {
            let total = spec.completions.unwrap_or(0);
            free_indexes = (0..total)
                .filter(|ix| !completed.contains(ix) && !by_index.contains_key(ix))
                .take(missing)
                .collect();
        }
        for n in 0..missing {
            let index = if indexed {
                match free_indexes.get(n) {
                    Some(ix) => Some(*ix),
                    None => break,
                }
            } else {
                None
            };
            let Some(pod) = self.pod_for(job, index) else {
                return Ok(None);
            };
            match self.pods(job).create(&PostParams::default(), &pod).await {
                Ok(created) => {
                    let name = created.metadata.name.clone().unwrap_or_default();
                    self.events.record(
                        reference(job),
                        EventType::Normal,
                        "SuccessfulCreate",
                        format!("Created pod: {name}"),
                    );
                    memory.expectations.created(name);
                }
                Err(e) => {
                    self.events.record(
                        reference(job),
                        EventType::Warning,
                        "FailedCreate",
                        format!("Error creating: {e}"),
                    );
                    return Err(e);
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_pods_that_did_not_succeed_count_as_failed() {
        let pod = |phase: &str, deleting: bool| -> Pod {
            let mut value = json!({"metadata": {"name": "p"}, "status": {"phase": phase}});
            if deleting {
                value["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            }
            serde_json::from_value(value).unwrap_or_default()
        };
        assert!(counts_as_failed(&pod("Failed", false)));
        assert!(counts_as_failed(&pod("Running", true)));
        assert!(!counts_as_failed(&pod("Succeeded", true)));
        assert!(!counts_as_failed(&pod("Running", false)));
    }
}
