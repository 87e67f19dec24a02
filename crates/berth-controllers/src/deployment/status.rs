//! A Deployment's status from its ReplicaSets, and its conditions as upstream:
//! `Available` (MinimumReplicasAvailable / MinimumReplicasUnavailable), `Progressing`
//! (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated, NewReplicaSetAvailable,
//! ProgressDeadlineExceeded, DeploymentPaused, DeploymentResumed) and `ReplicaFailure`.
//!
//! Invariant: a condition's `lastTransitionTime` changes only when its status does;
//! `Progressing`'s `lastUpdateTime` moves on every sign of progress, and the deadline
//! (`progressDeadlineSeconds`) counts from it.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::rollout::{max_unavailable, replicas};

pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";

/// Now, to the second (what the API stores).
pub fn now() -> Time {
    Time(jiff::Timestamp::from_second(jiff::Timestamp::now().as_second()).unwrap_or_default())
}

pub fn condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: impl Into<String>,
) -> DeploymentCondition {
    let at = now();
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message.into()),
        last_update_time: Some(at.clone()),
        last_transition_time: Some(at),
    }
}

pub fn get<'a>(status: &'a DeploymentStatus, type_: &str) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

pub fn remove(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
    }
}

/// Sets `condition` unless one with the same status and reason is there; keeps
/// `lastTransitionTime` when the status is unchanged.
pub fn set(status: &mut DeploymentStatus, mut condition: DeploymentCondition) {
    if let Some(current) = get(status, &condition.type_) {
        if current.status == condition.status && current.reason == condition.reason {
            return;
        }
        if current.status == condition.status {
            condition.last_transition_time = current.last_transition_time.clone();
        }
    }
    remove(status, &condition.type_);
    status
        .conditions
        .get_or_insert_with(Vec::new)
        .push(condition);
}

/// Zero counts as absent (the fields are `omitempty` upstream), so a status read back from
/// the API compares equal to the one computed.
pub fn normalized(mut status: DeploymentStatus) -> DeploymentStatus {
    for field in [
        &mut status.replicas,
        &mut status.updated_replicas,
        &mut status.ready_replicas,
        &mut status.available_replicas,
        &mut status.unavailable_replicas,
        &mut status.terminating_replicas,
    ] {
        if *field == Some(0) {
            *field = None;
        }
    }
    if status.conditions.as_ref().is_some_and(Vec::is_empty) {
        status.conditions = None;
    }
    status
}

fn sum(
    sets: &[&ReplicaSet],
    field: impl Fn(&k8s_openapi::api::apps::v1::ReplicaSetStatus) -> i32,
) -> i32 {
    sets.iter()
        .filter_map(|rs| rs.status.as_ref())
        .map(field)
        .sum()
}

/// Counts and the `Available` condition (upstream's `calculateStatus`).
pub fn calculate(
    d: &Deployment,
    all: &[&ReplicaSet],
    new: Option<&ReplicaSet>,
) -> DeploymentStatus {
    let available = sum(all, |s| s.available_replicas.unwrap_or(0));
    let total: i32 = super::rollout::total_size(all.iter().copied());
    let current = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(sum(all, |s| s.replicas)),
        updated_replicas: Some(new.map(|n| sum(&[n], |s| s.replicas)).unwrap_or(0)),
        ready_replicas: Some(sum(all, |s| s.ready_replicas.unwrap_or(0))),
        available_replicas: Some(available),
        unavailable_replicas: Some((total - available).max(0)),
        collision_count: current.collision_count,
        conditions: current.conditions.clone(),
        terminating_replicas: None,
    };
    if available >= replicas(d) - max_unavailable(d) {
        set(
            &mut status,
            condition(
                AVAILABLE,
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            ),
        );
    } else {
        set(
            &mut status,
            condition(
                AVAILABLE,
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            ),
        );
    }
    normalized(status)
}

/// Every pod is updated and available, and the spec was observed.
pub fn complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let want = replicas(d);
    status.updated_replicas.unwrap_or(0) == want
        && status.replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) == want
        && status.observed_generation >= d.metadata.generation
}

/// Something moved forward since `d.status`.
fn progressing(d: &Deployment, status: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let old_pods = |s: &DeploymentStatus| s.replicas.unwrap_or(0) - s.updated_replicas.unwrap_or(0);
    status.updated_replicas.unwrap_or(0) > old.updated_replicas.unwrap_or(0)
        || old_pods(status) < old_pods(&old)
        || status.ready_replicas.unwrap_or(0) > old.ready_replicas.unwrap_or(0)
        || status.available_replicas.unwrap_or(0) > old.available_replicas.unwrap_or(0)
}

pub fn progress_deadline(d: &Deployment) -> Option<i32> {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .filter(|s| *s != i32::MAX)
}

/// When the `Progressing` condition in `status` runs out of time, if it can.
pub fn deadline(d: &Deployment, status: &DeploymentStatus) -> Option<jiff::Timestamp> {
    let seconds = progress_deadline(d)?;
    let cond = get(status, PROGRESSING)?;
    if matches!(cond.reason.as_deref(), Some(TIMED_OUT | NEW_RS_AVAILABLE)) {
        return None;
    }
    let from = cond.last_update_time.as_ref()?.0;
    jiff::Timestamp::from_second(from.as_second() + i64::from(seconds)).ok()
}

fn timed_out(d: &Deployment, status: &DeploymentStatus) -> bool {
    if get(status, PROGRESSING).and_then(|c| c.reason.as_deref()) == Some(TIMED_OUT) {
        return true;
    }
    deadline(d, status).is_some_and(|at| at <= jiff::Timestamp::now())
}

/// The rollout status (upstream's `syncRolloutStatus`): counts, then `Progressing` from
/// progress, completion or the deadline, and `ReplicaFailure` from the ReplicaSets.
pub fn rollout(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> DeploymentStatus {
    let mut status = calculate(d, all, new);
    if progress_deadline(d).is_none() {
        remove(&mut status, PROGRESSING);
    } else {
        let current = get(&status, PROGRESSING).cloned();
        let is_complete = status.replicas == status.updated_replicas
            && current.as_ref().and_then(|c| c.reason.as_deref()) == Some(NEW_RS_AVAILABLE);
        if !is_complete {
            let name = new.and_then(|n| n.metadata.name.clone());
            if complete(d, &status) {
                let message = match &name {
                    Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                    None => "Deployment has successfully progressed.".to_string(),
                };
                set(
                    &mut status,
                    condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message),
                );
            } else if progressing(d, &status) {
                let message = match &name {
                    Some(n) => format!("ReplicaSet \"{n}\" is progressing."),
                    None => format!(
                        "Deployment \"{}\" is progressing.",
                        d.metadata.name.as_deref().unwrap_or_default()
                    ),
                };
                let mut update = condition(PROGRESSING, "True", "ReplicaSetUpdated", message);
                if let Some(current) = current.filter(|c| c.status == "True") {
                    update.last_transition_time = current.last_transition_time;
                }
                remove(&mut status, PROGRESSING);
                status.conditions.get_or_insert_with(Vec::new).push(update);
            } else if timed_out(d, &status) {
                let message = match &name {
                    Some(n) => format!("ReplicaSet \"{n}\" has timed out progressing."),
                    None => format!(
                        "Deployment \"{}\" has timed out progressing.",
                        d.metadata.name.as_deref().unwrap_or_default()
                    ),
                };
                set(
                    &mut status,
                    condition(PROGRESSING, "False", TIMED_OUT, message),
                );
            }
        }
    }
    // A ReplicaSet's failure (pods it cannot create) shows on the Deployment.
    let failure = all.iter().find_map(|rs| {
        rs.status
            .as_ref()?
            .conditions
            .as_ref()?
            .iter()
            .find(|c| c.type_ == REPLICA_FAILURE && c.status == "True")
            .cloned()
    });
    match failure {
        Some(f) => set(
            &mut status,
            DeploymentCondition {
                type_: REPLICA_FAILURE.into(),
                status: f.status,
                reason: f.reason,
                message: f.message,
                last_update_time: f.last_transition_time.clone(),
                last_transition_time: f.last_transition_time,
            },
        ),
        None => remove(&mut status, REPLICA_FAILURE),
    }
    normalized(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_finished_rollout_is_complete_and_says_so() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "web", "generation": 2},
            "spec": {"replicas": 2, "selector": {}, "template": {}, "progressDeadlineSeconds": 600},
            "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 1, "availableReplicas": 2},
        }))
        .unwrap_or_default();
        let rs: ReplicaSet = serde_json::from_value(json!({
            "metadata": {"name": "web-abc"},
            "spec": {"replicas": 2, "selector": {}},
            "status": {"replicas": 2, "readyReplicas": 2, "availableReplicas": 2},
        }))
        .unwrap_or_default();
        let status = rollout(&d, &[&rs], Some(&rs));
        assert!(complete(&d, &status));
        let progressing = get(&status, PROGRESSING).and_then(|c| c.reason.clone());
        assert_eq!(progressing.as_deref(), Some(NEW_RS_AVAILABLE));
        let available = get(&status, AVAILABLE).map(|c| c.status.clone());
        assert_eq!(available.as_deref(), Some("True"));
        assert_eq!(status.unavailable_replicas, None);
    }
}
