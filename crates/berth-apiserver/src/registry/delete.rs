//! Deletion, as upstream: immediate, graceful, or pending on finalizers.
//!
//! - An object without finalizers and without a grace period is removed at once.
//! - A Pod bound to a node and not yet finished is deleted gracefully: it gets
//!   `deletionTimestamp = now + grace` and `deletionGracePeriodSeconds`; its node agent stops
//!   it and then deletes it with a grace period of 0. The grace period comes from
//!   DeleteOptions, else `spec.terminationGracePeriodSeconds`, else 30 s.
//! - An object with finalizers (or one that `propagationPolicy` gives one: `Foreground` →
//!   `foregroundDeletion`, `Orphan` → `orphan`) gets `deletionTimestamp` and stays until the
//!   finalizers are removed (an update that removes the last one completes the deletion).
//!   A Namespace also shows `status.phase: Terminating`.
//!
//! Deleting an object that is already being deleted changes nothing and answers with it.

use berth_api::{Object, ResourceType};
use berth_store::StoreError;
use serde_json::{Value, json};

use super::Registry;
use crate::status::ApiError;

/// The parts of `DeleteOptions` (body or query) that deletion honours.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub precondition_uid: Option<String>,
    pub precondition_rv: Option<String>,
    pub dry_run: bool,
}

/// What a delete did.
pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Object),
    /// The object is being deleted (graceful or finalizers pending); this is its state now.
    Pending(Object),
}

/// A Namespace's own finalizers (`spec.finalizers`), which its controller removes through
/// `/finalize` once the namespace is empty.
pub(super) fn namespace_finalizers(rt: &ResourceType, object: &Object) -> usize {
    if !(rt.group.is_empty() && rt.plural == "namespaces") {
        return 0;
    }
    object
        .body
        .get("spec")
        .and_then(|s| s.get("finalizers"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn is_pod(rt: &ResourceType) -> bool {
    rt.group.is_empty() && rt.plural == "pods"
}

/// The grace period a Pod deletion waits for.
fn pod_grace(object: &Object, requested: Option<i64>) -> i64 {
    let spec = object.body.get("spec");
    let bound = spec
        .and_then(|s| s.get("nodeName"))
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    let phase = object
        .body
        .get("status")
        .and_then(|s| s.get("phase"))
        .and_then(Value::as_str);
    if !bound || matches!(phase, Some("Succeeded" | "Failed")) {
        // Nothing runs it: nobody would finish a graceful deletion.
        return 0;
    }
    requested
        .or_else(|| {
            spec.and_then(|s| s.get("terminationGracePeriodSeconds"))
                .and_then(Value::as_i64)
        })
        .unwrap_or(30)
        .max(0)
}

impl Registry {
    pub async fn delete(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let key = Self::key(rt, namespace, name);
        let added_finalizer = match options.propagation_policy.as_deref() {
            Some("Foreground") => Some("foregroundDeletion"),
            Some("Orphan") => Some("orphan"),
            Some("Background") | None => None,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "propagationPolicy {other:?} is not one of Background, Foreground, Orphan"
                )));
            }
        };
        loop {
            let current = match self.store.get(&key).await {
                Ok(Some(kv)) => kv,
                Ok(None) => return Err(ApiError::not_found(rt, name)),
                Err(e) => return Err(ApiError::from_store(e)),
            };
            let object = Self::decode(rt, &current)?;
            if options
                .precondition_uid
                .as_deref()
                .is_some_and(|uid| uid != object.metadata.uid)
                || options
                    .precondition_rv
                    .as_deref()
                    .is_some_and(|rv| rv != object.metadata.resource_version)
            {
                return Err(ApiError::conflict(rt, name));
            }
            let grace = if is_pod(rt) {
                pod_grace(&object, options.grace_period_seconds)
            } else {
                0
            };
            let mut next = object.clone();
            if let Some(finalizer) = added_finalizer
                && !next.metadata.finalizers.iter().any(|f| f == finalizer)
                && next.metadata.deletion_timestamp.is_none()
            {
                next.metadata.finalizers.push(finalizer.to_string());
            }
            let already = object.metadata.deletion_timestamp.is_some();
            let immediate = next.metadata.finalizers.is_empty()
                && namespace_finalizers(rt, &next) == 0
                && (grace == 0 || (already && options.grace_period_seconds == Some(0)));
            if options.dry_run {
                return Ok(if immediate {
                    Deleted::Gone(object)
                } else {
                    Deleted::Pending(next)
                });
            }
            if immediate {
                match self.store.delete(&key, Some(current.mod_revision)).await {
                    Ok(deleted) => {
                        let mut gone = object;
                        gone.metadata.resource_version = deleted.revision.to_string();
                        if Self::is_service(rt) {
                            self.release(&super::services::allocations_of(&gone)).await;
                        }
                        return Ok(Deleted::Gone(gone));
                    }
                    Err(StoreError::Conflict { .. }) if options.precondition_rv.is_none() => {
                        continue;
                    }
                    Err(e) => return Err(ApiError::from_write(rt, name, e)),
                }
            }
            if already && next == object {
                return Ok(Deleted::Pending(object));
            }
            if !already {
                let at = jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::from_secs(grace))
                    .unwrap_or_else(|_| jiff::Timestamp::now());
                next.metadata.deletion_timestamp = Some(
                    at.round(jiff::Unit::Second)
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                );
                next.metadata.deletion_grace_period_seconds = Some(grace);
                if rt.group.is_empty() && rt.plural == "namespaces" {
                    next.body
                        .insert("status".into(), json!({"phase": "Terminating"}));
                }
            }
            match self
                .store
                .update(&key, Self::encode(rt, &mut next), current.mod_revision)
                .await
            {
                Ok(kv) => {
                    next.metadata.resource_version = kv.mod_revision.to_string();
                    return Ok(Deleted::Pending(next));
                }
                Err(StoreError::Conflict { .. }) if options.precondition_rv.is_none() => continue,
                Err(e) => return Err(ApiError::from_write(rt, name, e)),
            }
        }
    }
}
