//! TTL after finished: a Job with `ttlSecondsAfterFinished` is deleted (foreground, so its
//! pods go first) that many seconds after it finished (its `Complete` or `Failed`
//! condition). The expiry is confirmed on a live read before deleting, with the read's
//! `resourceVersion` as precondition, so a Job changed meanwhile (its TTL raised) is kept.

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, DeleteParams, Preconditions, PropagationPolicy};

use crate::informer::{self, Informers, Kind};

/// When `job` expires, if it finished and has a TTL.
pub fn expires_at(job: &Job) -> Option<jiff::Timestamp> {
    let ttl = job.spec.as_ref()?.ttl_seconds_after_finished?;
    let finished = job
        .status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .filter(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .filter_map(|c| c.last_transition_time.as_ref().map(|t| t.0))
        .max()?;
    jiff::Timestamp::from_second(finished.as_second() + i64::from(ttl)).ok()
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Jobs]);
    informers.ready().await;
    loop {
        let mut next = None;
        let now = jiff::Timestamp::now();
        for job in informers.jobs.state() {
            if job.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let Some(at) = expires_at(&job) else {
                continue;
            };
            if at > now {
                next = informer::earliest(next, Some(at));
                continue;
            }
            let api: Api<Job> = Api::namespaced(
                client.clone(),
                job.metadata.namespace.as_deref().unwrap_or_default(),
            );
            let name = job.metadata.name.clone().unwrap_or_default();
            let fresh = match api.get(&name).await {
                Ok(fresh) => fresh,
                Err(e) => {
                    tracing::debug!(job = name, error = %e, "reading an expired Job");
                    continue;
                }
            };
            if fresh.metadata.uid != job.metadata.uid
                || expires_at(&fresh).is_none_or(|at| at > now)
            {
                continue;
            }
            let params = DeleteParams {
                propagation_policy: Some(PropagationPolicy::Foreground),
                preconditions: Some(Preconditions {
                    uid: fresh.metadata.uid.clone(),
                    resource_version: fresh.metadata.resource_version.clone(),
                }),
                ..DeleteParams::default()
            };
            if let Err(e) = api.delete(&name, &params).await {
                tracing::debug!(job = name, error = %e, "deleting an expired Job");
            }
        }
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
