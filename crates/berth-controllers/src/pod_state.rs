//! What controllers read from a Pod's status: readiness, availability, whether it still
//! counts. One definition, so every controller agrees on "ready" and "available".

use k8s_openapi::api::core::v1::Pod;

/// The pod's Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

/// When the pod last became Ready, if it is.
pub fn ready_since(pod: &Pod) -> Option<jiff::Timestamp> {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Ready" && c.status == "True"))
        .and_then(|c| c.last_transition_time.as_ref())
        .map(|t| t.0)
}

/// Ready for at least `min_ready_seconds` at `now`.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now: jiff::Timestamp) -> bool {
    is_ready(pod)
        && ready_since(pod)
            .is_some_and(|t| t.as_second() + i64::from(min_ready_seconds) <= now.as_second())
}

/// When a ready but not yet available pod becomes available.
pub fn available_at(pod: &Pod, min_ready_seconds: i32) -> Option<jiff::Timestamp> {
    let since = ready_since(pod)?;
    jiff::Timestamp::from_second(since.as_second() + i64::from(min_ready_seconds)).ok()
}

/// The pod's phase, `Pending` when unset.
pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Succeeded or Failed: its containers will not run again.
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// Counts toward a controller's replicas: not terminal and not being deleted.
pub fn is_active(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none() && !is_terminal(pod)
}
