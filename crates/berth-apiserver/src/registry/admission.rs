//! Built-in admission for new Pods, as upstream's admission plugins of the same names:
//! - **Priority**: `spec.priorityClassName` → `spec.priority` and `spec.preemptionPolicy`
//!   (the global-default class, else 0); an unknown class is refused with 403.
//! - **DefaultTolerationSeconds**: every Pod tolerates the `not-ready` and `unreachable`
//!   NoExecute taints for a configured time (300 s by default), unless it already says how.
//! - **ServiceAccount** (its image-pull part): `spec.serviceAccountName` defaults to
//!   `default`, and a Pod without `imagePullSecrets` gets its ServiceAccount's. A missing
//!   ServiceAccount is tolerated (upstream refuses the Pod; Berth's namespaces get their
//!   `default` ServiceAccount asynchronously).
//!
//! Also the built-in PriorityClasses (`system-cluster-critical`, `system-node-critical`).

use std::borrow::Cow;
use std::sync::Arc;

use berth_api::{Object, ResourceType};
use serde_json::{Map, Value, json};

use super::Registry;
use crate::status::ApiError;
use crate::watch_cache::Cached;

/// Taint keys the node lifecycle controller puts on nodes that stop being Ready.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Tunables of pod admission (`berth server` flags).
#[derive(Debug, Clone, Copy)]
pub struct PodAdmission {
    pub not_ready_toleration_seconds: i64,
    pub unreachable_toleration_seconds: i64,
}

impl Default for PodAdmission {
    fn default() -> Self {
        PodAdmission {
            not_ready_toleration_seconds: 300,
            unreachable_toleration_seconds: 300,
        }
    }
}

/// Priority classes that always exist, as upstream.
const SYSTEM_PRIORITY_CLASSES: &[(&str, i64, &str)] = &[
    (
        "system-node-critical",
        2_000_001_000,
        "Used for system critical pods that must not be moved from their current node.",
    ),
    (
        "system-cluster-critical",
        2_000_000_000,
        "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    ),
];

fn priority_classes() -> Option<&'static ResourceType> {
    berth_api::catalogue::lookup("scheduling.k8s.io", "v1", "priorityclasses")
}

/// Whether `tolerations` already say something about a NoExecute taint with `key`.
fn tolerates_no_execute(tolerations: &[Value], key: &str) -> bool {
    tolerations.iter().any(|t| {
        let effect = t.get("effect").and_then(Value::as_str).unwrap_or_default();
        let t_key = t.get("key").and_then(Value::as_str).unwrap_or_default();
        let exists = t.get("operator").and_then(Value::as_str) == Some("Exists");
        (effect.is_empty() || effect == "NoExecute")
            && (t_key == key || (t_key.is_empty() && exists))
    })
}

fn forbidden(object: &Object, why: String) -> ApiError {
    ApiError::forbidden(format!(
        "pods \"{}\" is forbidden: {why}",
        if object.metadata.name.is_empty() {
            &object.metadata.generate_name
        } else {
            &object.metadata.name
        }
    ))
}

impl Registry {
    /// Applies Priority and DefaultTolerationSeconds to a Pod about to be created.
    pub(super) async fn admit_pod(&self, object: &mut Object) -> Result<(), ApiError> {
        let snapshot = self.priority_classes_snapshot().await?;
        // Kept decoded by the cache: borrowed, not copied.
        let classes = snapshot
            .iter()
            .map(|c| c.object())
            .collect::<Result<Vec<_>, _>>()?;
        let (class_name, value, policy) = resolve_priority(object, &classes)?;
        let admission = self.pod_admission;
        let spec = object
            .body
            .entry("spec")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("spec must be an object"))?;
        if let Some(given) = spec.get("priority").and_then(Value::as_i64)
            && given != value
        {
            let name = object.metadata.name.clone();
            return Err(ApiError::forbidden(format!(
                "pods \"{name}\" is forbidden: the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"
            )));
        }
        if let Some(class_name) = class_name {
            spec.insert("priorityClassName".into(), json!(class_name));
        }
        spec.insert("priority".into(), json!(value));
        spec.insert("preemptionPolicy".into(), json!(policy));
        add_default_tolerations(spec, admission);
        self.admit_service_account(object).await
    }

    async fn admit_service_account(&self, object: &mut Object) -> Result<(), ApiError> {
        let namespace = object.metadata.namespace.clone();
        let Some(spec) = object.body.get_mut("spec").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let account = spec
            .get("serviceAccountName")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| spec.get("serviceAccount").and_then(Value::as_str))
            .filter(|n| !n.is_empty())
            .unwrap_or("default")
            .to_string();
        spec.insert("serviceAccountName".into(), json!(account));
        let has_secrets = spec
            .get("imagePullSecrets")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        if has_secrets {
            return Ok(());
        }
        let Some(rt) = berth_api::catalogue::lookup("", "v1", "serviceaccounts") else {
            return Ok(());
        };
        let cache = self.caches().get(rt).await?;
        let key = Registry::key(
            rt,
            Some(namespace.as_str()).filter(|n| !n.is_empty()),
            &account,
        );
        let account = cache.object(&key);
        let account = match &account {
            Some(cached) => Some(cached.object()?),
            None => None,
        };
        let secrets = account
            .as_ref()
            .and_then(|sa| sa.body.get("imagePullSecrets"))
            .filter(|s| s.as_array().is_some_and(|a| !a.is_empty()))
            .cloned();
        if let Some(secrets) = secrets {
            spec.insert("imagePullSecrets".into(), secrets);
        }
        Ok(())
    }

    async fn priority_classes_snapshot(&self) -> Result<Vec<Arc<Cached>>, ApiError> {
        let rt = priority_classes().ok_or_else(|| ApiError::internal("no priorityclasses"))?;
        let cache = self.caches().get(rt).await?;
        Ok(cache.snapshot(&Registry::prefix(rt, None)).0)
    }

    /// Creates the built-in PriorityClasses if missing, and starts their cache so pod
    /// admission can read them without touching the store.
    pub async fn ensure_system_priority_classes(&self) -> Result<(), ApiError> {
        let rt = priority_classes().ok_or_else(|| ApiError::internal("no priorityclasses"))?;
        for (name, value, description) in SYSTEM_PRIORITY_CLASSES {
            let object: Object = serde_json::from_value(json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": name},
                "value": value,
                "description": description,
                "preemptionPolicy": "PreemptLowerPriority",
            }))
            .map_err(|e| ApiError::internal(e.to_string()))?;
            match self.create(rt, None, object, None, false).await {
                Ok(_) => {}
                Err(e) if e.reason == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        let cache = self.caches().get(rt).await?;
        cache.wait_for(cache.revision()).await;
        Ok(())
    }
}

/// The class name, value and preemption policy a new Pod gets.
fn resolve_priority(
    object: &Object,
    classes: &[Cow<'_, Object>],
) -> Result<(Option<String>, i64, String), ApiError> {
    const DEFAULT_POLICY: &str = "PreemptLowerPriority";
    let requested = object
        .body
        .get("spec")
        .and_then(|s| s.get("priorityClassName"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty());
    let of = |class: &Cow<'_, Object>| {
        let value = class.body.get("value").and_then(Value::as_i64).unwrap_or(0);
        let policy = class
            .body
            .get("preemptionPolicy")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_POLICY)
            .to_string();
        (Some(class.metadata.name.clone()), value, policy)
    };
    match requested {
        Some(name) => classes
            .iter()
            .find(|c| c.metadata.name == name)
            .map(of)
            .ok_or_else(|| {
                forbidden(
                    object,
                    format!("no PriorityClass with name {name} was found"),
                )
            }),
        None => Ok(classes
            .iter()
            .filter(|c| c.body.get("globalDefault").and_then(Value::as_bool) == Some(true))
            // Upstream picks the lowest value among several global defaults.
            .min_by_key(|c| c.body.get("value").and_then(Value::as_i64).unwrap_or(0))
            .map(of)
            .unwrap_or((None, 0, DEFAULT_POLICY.to_string()))),
    }
}

fn add_default_tolerations(spec: &mut Map<String, Value>, admission: PodAdmission) {
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    let Some(list) = tolerations.as_array_mut() else {
        return;
    };
    for (key, seconds) in [
        (TAINT_NOT_READY, admission.not_ready_toleration_seconds),
        (TAINT_UNREACHABLE, admission.unreachable_toleration_seconds),
    ] {
        if !tolerates_no_execute(list, key) {
            list.push(json!({
                "key": key,
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": seconds,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_tolerations_are_added_once() {
        let mut spec = Map::new();
        add_default_tolerations(&mut spec, PodAdmission::default());
        add_default_tolerations(&mut spec, PodAdmission::default());
        let list = spec["tolerations"].as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["key"], TAINT_NOT_READY);
        assert_eq!(list[1]["tolerationSeconds"], 300);
    }

    #[test]
    fn a_pod_that_tolerates_everything_gets_nothing_added() {
        let mut spec = Map::new();
        spec.insert("tolerations".into(), json!([{"operator": "Exists"}]));
        add_default_tolerations(&mut spec, PodAdmission::default());
        assert_eq!(spec["tolerations"].as_array().map(Vec::len), Some(1));
    }
}
