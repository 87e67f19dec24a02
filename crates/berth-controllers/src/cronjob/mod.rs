//! CronJob controller, as upstream's (v2): at each scheduled time (in `spec.timeZone`, UTC
//! by default) it creates the Job `<cronjob>-<minutes since the epoch>` from
//! `jobTemplate`, unless suspended, too late (`startingDeadlineSeconds`) or forbidden by
//! `concurrencyPolicy` (`Forbid` skips while one runs, `Replace` deletes the running ones
//! first). It keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, and deletes
//! the oldest finished Jobs beyond `successfulJobsHistoryLimit` (3) and
//! `failedJobsHistoryLimit` (1).
//!
//! Invariant: a scheduled time yields at most one Job — its name is a function of the time,
//! so a repeated create fails with AlreadyExists.

use std::collections::HashMap;
use std::time::Duration;

use berth_client::events::{EventRecorder, EventType};
use jiff::tz::TimeZone;
use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, DeleteParams, PostParams, PropagationPolicy};

use crate::informer::{self, Informers, Kind};
use crate::ownership::controller_reference;
use crate::retry::{Retries, key_of};
use berth_api::cron::Schedule;

pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::CronJobs, Kind::Jobs]);
    informers.ready().await;
    let controller = Controller {
        events: EventRecorder::new(client.clone(), "cronjob-controller"),
        client,
    };
    let mut retries = Retries::default();
    loop {
        let mut next = None;
        let cronjobs = informers.cronjobs.state();
        retries.retain(
            &cronjobs
                .iter()
                .filter_map(|o| o.metadata.uid.clone())
                .collect(),
        );
        if !cronjobs.is_empty() {
            let jobs = informers.jobs.state();
            let mut by_owner: HashMap<&str, Vec<&Job>> = HashMap::new();
            for job in &jobs {
                if let Some(owner) = crate::ownership::controller_of(&job.metadata) {
                    by_owner.entry(owner.uid.as_str()).or_default().push(job);
                }
            }
            for cj in &cronjobs {
                let uid = cj.metadata.uid.as_deref().unwrap_or_default();
                let owned = by_owner.get(uid).cloned().unwrap_or_default();
                match controller.sync(cj, &owned).await {
                    Ok(at) => {
                        retries.succeeded(key_of(&cj.metadata));
                        next = informer::earliest(next, at);
                    }
                    Err(e) => {
                        tracing::debug!(cronjob = ?cj.metadata.name, error = %e, "syncing; will retry");
                        next = informer::earliest(next, retries.failed(key_of(&cj.metadata)));
                    }
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn reference(cj: &CronJob) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".into()),
        kind: Some("CronJob".into()),
        namespace: cj.metadata.namespace.clone(),
        name: cj.metadata.name.clone(),
        uid: cj.metadata.uid.clone(),
        resource_version: cj.metadata.resource_version.clone(),
        ..ObjectReference::default()
    }
}

fn job_reference(job: &Job) -> ObjectReference {
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

/// `Complete` or `Failed`, if the Job finished.
fn finished(job: &Job) -> Option<&'static str> {
    let conditions = job.status.as_ref()?.conditions.as_ref()?;
    for (type_, outcome) in [("Complete", "Complete"), ("Failed", "Failed")] {
        if conditions
            .iter()
            .any(|c| c.type_ == type_ && c.status == "True")
        {
            return Some(outcome);
        }
    }
    None
}

fn seconds(t: jiff::Timestamp) -> Time {
    Time(jiff::Timestamp::from_second(t.as_second()).unwrap_or_default())
}

struct Controller {
    client: kube::Client,
    events: EventRecorder,
}

impl Controller {
    fn jobs(&self, cj: &CronJob) -> Api<Job> {
        Api::namespaced(
            self.client.clone(),
            cj.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }

    async fn delete_job(&self, cj: &CronJob, job: &Job) -> kube::Result<()> {
        let name = job.metadata.name.clone().unwrap_or_default();
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        match self.jobs(cj).delete(&name, &params).await {
            Ok(_) => {
                self.events.record(
                    reference(cj),
                    EventType::Normal,
                    "SuccessfulDelete",
                    format!("Deleted job {name}"),
                );
                Ok(())
            }
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// One pass over a CronJob; returns its next scheduled time.
    async fn sync(&self, cj: &CronJob, owned: &[&Job]) -> kube::Result<Option<jiff::Timestamp>> {
        let Some(spec) = cj.spec.clone() else {
            return Ok(None);
        };
        let mut status = cj.status.clone().unwrap_or_default();
        // Reconcile `active` with the Jobs that exist.
        let mut active: Vec<ObjectReference> = status.active.clone().unwrap_or_default();
        for job in owned {
            let uid = job.metadata.uid.clone();
            let listed = active.iter().any(|r| r.uid == uid);
            match finished(job) {
                Some(outcome) if listed => {
                    active.retain(|r| r.uid != uid);
                    self.events.record(
                        reference(cj),
                        EventType::Normal,
                        "SawCompletedJob",
                        format!(
                            "Saw completed job: {}, condition: {outcome}",
                            job.metadata.name.as_deref().unwrap_or_default()
                        ),
                    );
                }
                None if !listed && job.metadata.deletion_timestamp.is_none() => {
                    active.push(job_reference(job));
                }
                _ => {}
            }
            if finished(job) == Some("Complete") {
                let done = job.status.as_ref().and_then(|s| s.completion_time.clone());
                if done.as_ref().map(|t| t.0) > status.last_successful_time.as_ref().map(|t| t.0) {
                    status.last_successful_time = done;
                }
            }
        }
        let mut gone = Vec::new();
        for r in &active {
            if owned.iter().any(|j| j.metadata.uid == r.uid) {
                continue;
            }
            // Not watched (yet?): a live read decides.
            match self
                .jobs(cj)
                .get(r.name.as_deref().unwrap_or_default())
                .await
            {
                Ok(job) if job.metadata.uid == r.uid => {}
                Ok(_) => gone.push(r.uid.clone()),
                Err(kube::Error::Api(e)) if e.code == 404 => gone.push(r.uid.clone()),
                Err(e) => return Err(e),
            }
        }
        for uid in gone {
            if let Some(r) = active.iter().find(|r| r.uid == uid) {
                self.events.record(
                    reference(cj),
                    EventType::Normal,
                    "MissingJob",
                    format!(
                        "Active job went missing: {}",
                        r.name.as_deref().unwrap_or_default()
                    ),
                );
            }
            active.retain(|r| r.uid != uid);
        }
        status.active = (!active.is_empty()).then_some(active.clone());
        if cj.metadata.deletion_timestamp.is_some() || spec.suspend.unwrap_or(false) {
            self.write_status(cj, status).await?;
            return Ok(None);
        }
        let schedule = match Schedule::parse(&spec.schedule) {
            Ok(s) => s,
            Err(e) => {
                self.events.record(
                    reference(cj),
                    EventType::Warning,
                    "UnparseableSchedule",
                    format!("unparseable schedule: {:?} : {e}", spec.schedule),
                );
                self.write_status(cj, status).await?;
                return Ok(None);
            }
        };
        let tz = match spec.time_zone.as_deref() {
            None => TimeZone::UTC,
            Some(name) => match TimeZone::get(name) {
                Ok(tz) => tz,
                Err(_) => {
                    self.events.record(
                        reference(cj),
                        EventType::Warning,
                        "UnknownTimeZone",
                        format!("invalid timeZone: {name:?}: unknown time zone {name}"),
                    );
                    self.write_status(cj, status).await?;
                    return Ok(None);
                }
            },
        };
        let now = jiff::Timestamp::now();
        let next_run = schedule.next(now, &tz);
        // The earliest time a missed run could still be due.
        let created = cj
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .unwrap_or(now);
        let mut earliest = status
            .last_schedule_time
            .as_ref()
            .map(|t| t.0)
            .unwrap_or(created);
        if let Some(deadline) = spec.starting_deadline_seconds
            && let Ok(window) = now.checked_sub(jiff::SignedDuration::from_secs(deadline))
        {
            earliest = earliest.max(window);
        }
        let Some((scheduled, missed)) = schedule.most_recent(earliest, now, &tz) else {
            self.write_status(cj, status).await?;
            self.cleanup(cj, &spec, owned).await?;
            return Ok(next_run);
        };
        if missed > 100 {
            self.events.record(
                reference(cj),
                EventType::Warning,
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
            );
        }
        if let Some(deadline) = spec.starting_deadline_seconds
            && scheduled.as_second() + deadline < now.as_second()
        {
            self.events.record(
                reference(cj),
                EventType::Warning,
                "MissSchedule",
                format!(
                    "Missed scheduled time to start a job: {}",
                    seconds(scheduled).0
                ),
            );
            self.write_status(cj, status).await?;
            return Ok(next_run);
        }
        let cj_name = cj.metadata.name.clone().unwrap_or_default();
        let job_name = format!("{cj_name}-{}", scheduled.as_second() / 60);
        let done_already = owned
            .iter()
            .any(|j| j.metadata.name.as_deref() == Some(job_name.as_str()))
            || active
                .iter()
                .any(|r| r.name.as_deref() == Some(job_name.as_str()));
        if done_already {
            self.write_status(cj, status).await?;
            self.cleanup(cj, &spec, owned).await?;
            return Ok(next_run);
        }
        let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
        if policy == "Forbid" && !active.is_empty() {
            self.events.record(
                reference(cj),
                EventType::Normal,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            );
            self.write_status(cj, status).await?;
            return Ok(next_run);
        }
        if policy == "Replace" {
            for job in owned
                .iter()
                .filter(|j| active.iter().any(|r| r.uid == j.metadata.uid))
            {
                self.delete_job(cj, job).await?;
            }
            active.clear();
        }
        let template = spec.job_template.clone();
        let template_meta = template.metadata.unwrap_or_default();
        let mut annotations = template_meta.annotations.unwrap_or_default();
        let local = scheduled.to_zoned(tz.clone());
        annotations.insert(
            SCHEDULED_TIMESTAMP.into(),
            local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        );
        let job = Job {
            metadata: ObjectMeta {
                name: Some(job_name.clone()),
                namespace: cj.metadata.namespace.clone(),
                labels: template_meta.labels,
                annotations: Some(annotations),
                owner_references: Some(vec![controller_reference(cj)]),
                ..ObjectMeta::default()
            },
            spec: template.spec,
            status: None,
        };
        match self.jobs(cj).create(&PostParams::default(), &job).await {
            Ok(created) => {
                self.events.record(
                    reference(cj),
                    EventType::Normal,
                    "SuccessfulCreate",
                    format!("Created job {job_name}"),
                );
                active.push(job_reference(&created));
            }
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            Err(e) => {
                self.events.record(
                    reference(cj),
                    EventType::Warning,
                    "FailedCreate",
                    format!("Error creating job: {e}"),
                );
                return Err(e);
            }
        }
        status.active = (!active.is_empty()).then_some(active);
        status.last_schedule_time = Some(seconds(scheduled));
        self.write_status(cj, status).await?;
        self.cleanup(cj, &spec, owned).await?;
        Ok(next_run)
    }

    /// Deletes the oldest finished Jobs beyond the history limits.
    async fn cleanup(
        &self,
        cj: &CronJob,
        spec: &k8s_openapi::api::batch::v1::CronJobSpec,
        owned: &[&Job],
    ) -> kube::Result<()> {
        for (outcome, limit) in [
            ("Complete", spec.successful_jobs_history_limit.unwrap_or(3)),
            ("Failed", spec.failed_jobs_history_limit.unwrap_or(1)),
        ] {
            let mut done: Vec<&Job> = owned
                .iter()
                .copied()
                .filter(|j| finished(j) == Some(outcome) && j.metadata.deletion_timestamp.is_none())
                .collect();
            let keep = usize::try_from(limit.max(0)).unwrap_or(0);
            if done.len() <= keep {
                continue;
            }
            done.sort_by_key(|j| {
                let start = j
                    .status
                    .as_ref()
                    .and_then(|s| s.start_time.as_ref())
                    .map(|t| t.0.as_second());
                let created = j
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|t| t.0.as_second());
                (start.or(created).unwrap_or(0), j.metadata.name.clone())
            });
            let excess = done.len() - keep;
            for job in done.into_iter().take(excess) {
                self.delete_job(cj, job).await?;
            }
        }
        Ok(())
    }

    async fn write_status(&self, cj: &CronJob, status: CronJobStatus) -> kube::Result<()> {
        let current = cj.status.clone().unwrap_or_default();
        let normalize = |mut s: CronJobStatus| {
            if s.active.as_ref().is_some_and(Vec::is_empty) {
                s.active = None;
            }
            s
        };
        if normalize(current) == normalize(status.clone()) {
            return Ok(());
        }
        let mut next = cj.clone();
        next.status = Some(status);
        self.client_api(cj)
            .replace_status(
                cj.metadata.name.as_deref().unwrap_or_default(),
                &PostParams::default(),
                &next,
            )
            .await?;
        Ok(())
    }

    fn client_api(&self, cj: &CronJob) -> Api<CronJob> {
        Api::namespaced(
            self.client.clone(),
            cj.metadata.namespace.as_deref().unwrap_or_default(),
        )
    }
}
