//! The Pod writes that are not plain updates: `pods/binding` (the scheduler assigns a node)
//! and `pods/eviction` (a delete that respects PodDisruptionBudgets, as `kubectl drain` uses).
//!
//! Invariants:
//! - A Pod is bound at most once: binding a Pod that has `spec.nodeName`, or is being
//!   deleted, is a 409 and changes nothing.
//! - An eviction never takes a PodDisruptionBudget below its `desiredHealthy`: the budget's
//!   `disruptionsAllowed` is decremented (compare-and-swap) before the Pod is deleted, and the
//!   evicted Pod is recorded in `status.disruptedPods` until the disruption controller sees it go.

use berth_api::selector::LabelSelector;
use berth_api::{Object, ResourceType};
use berth_store::{Revision, StoreError};
use serde_json::{Value, json};

use super::{DeleteOptions, Registry, Stored, UpdateOptions, WriteScope, now_rfc3339};
use crate::status::ApiError;

fn pods() -> Result<&'static ResourceType, ApiError> {
    berth_api::catalogue::lookup("", "v1", "pods").ok_or_else(|| ApiError::internal("no pods"))
}

fn budgets() -> Result<&'static ResourceType, ApiError> {
    berth_api::catalogue::lookup("policy", "v1", "poddisruptionbudgets")
        .ok_or_else(|| ApiError::internal("no poddisruptionbudgets"))
}

fn field<'a>(object: &'a Object, section: &str, name: &str) -> Option<&'a str> {
    object
        .body
        .get(section)
        .and_then(|s| s.get(name))
        .and_then(Value::as_str)
}

fn node_name(pod: &Object) -> Option<&str> {
    field(pod, "spec", "nodeName").filter(|n| !n.is_empty())
}

fn phase(pod: &Object) -> Option<&str> {
    field(pod, "status", "phase")
}

fn is_ready(pod: &Object) -> bool {
    pod.body
        .get("status")
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Sets (or replaces) condition `kind` in `status.conditions`.
fn set_condition(pod: &mut Object, kind: &str, status: &str) {
    let status_obj = pod.body.entry("status").or_insert_with(|| json!({}));
    let Some(map) = status_obj.as_object_mut() else {
        return;
    };
    let conditions = map.entry("conditions").or_insert_with(|| json!([]));
    let Some(list) = conditions.as_array_mut() else {
        return;
    };
    let condition = json!({
        "type": kind,
        "status": status,
        "lastProbeTime": null,
        "lastTransitionTime": now_rfc3339(),
    });
    match list
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    {
        Some(existing) => {
            if existing.get("status").and_then(Value::as_str) != Some(status) {
                *existing = condition;
            }
        }
        None => list.push(condition),
    }
}

/// What an eviction did.
#[derive(Debug)]
pub enum EvictionOutcome {
    /// The Pod is being deleted (or already gone).
    Evicted,
}

impl Registry {
    /// `POST pods/<name>/binding`: assigns `node` and marks the Pod scheduled.
    pub async fn bind_pod(
        &self,
        namespace: &str,
        name: &str,
        uid: Option<&str>,
        node: &str,
    ) -> Result<Stored, ApiError> {
        let rt = pods()?;
        if node.is_empty() {
            return Err(ApiError::invalid(
                rt,
                name,
                vec![(
                    "target.name".into(),
                    "Required value".into(),
                    "FieldValueRequired",
                )],
            ));
        }
        let mut cached_ok = true;
        loop {
            let from_cache = cached_ok;
            let current = self
                .get_for_update(rt, Some(namespace), name, cached_ok)
                .await?;
            cached_ok = false;
            if let Some(uid) = uid.filter(|u| !u.is_empty())
                && uid != current.metadata.uid
            {
                if from_cache {
                    // The cache may still hold an earlier pod of that name.
                    continue;
                }
                return Err(ApiError::operation_conflict(
                    "pods/binding",
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        current.metadata.uid
                    ),
                ));
            }
            if current.metadata.deletion_timestamp.is_some() {
                return Err(ApiError::operation_conflict(
                    "pods/binding",
                    name,
                    &format!("pod {name} is being deleted, cannot be assigned to a host"),
                ));
            }
            if let Some(bound) = node_name(&current) {
                return Err(ApiError::operation_conflict(
                    "pods/binding",
                    name,
                    &format!("pod {name} is already assigned to node \"{bound}\""),
                ));
            }
            let Ok(revision) = current.metadata.resource_version.parse::<i64>() else {
                if from_cache {
                    continue;
                }
                return Err(ApiError::internal(format!(
                    "pod {name} has an unreadable resourceVersion"
                )));
            };
            let mut next = current;
            if let Some(spec) = next
                .body
                .entry("spec")
                .or_insert_with(|| json!({}))
                .as_object_mut()
            {
                spec.insert("nodeName".into(), json!(node));
            }
            set_condition(&mut next, "PodScheduled", "True");
            // The pod spec changed (its nodeName), as an update would count it.
            next.metadata.generation = next.metadata.generation.map(|g| g + 1);
            match self
                .rewrite(rt, Some(namespace), name, next, Revision::new(revision))
                .await
            {
                Err(e) if e.code == 409 && e.reason == "Conflict" => continue,
                other => return other,
            }
        }
    }

    /// `POST pods/<name>/eviction`: deletes the Pod unless a PodDisruptionBudget forbids it
    /// (429, which `kubectl drain` retries).
    pub async fn evict_pod(
        &self,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<EvictionOutcome, ApiError> {
        let rt = pods()?;
        let pod = self.get(rt, Some(namespace), name).await?;
        // Pods that are not running, or already going, have nothing to protect.
        let exempt = pod.metadata.deletion_timestamp.is_some()
            || matches!(phase(&pod), Some("Succeeded" | "Failed" | "Pending"));
        if !exempt {
            self.take_disruption(namespace, &pod).await?;
        }
        match self.delete(rt, Some(namespace), name, options).await {
            Ok(_) => Ok(EvictionOutcome::Evicted),
            Err(e) if e.code == 404 => Ok(EvictionOutcome::Evicted),
            Err(e) => Err(e),
        }
    }

    /// Decrements the `disruptionsAllowed` of the one budget covering `pod`, or says why not.
    async fn take_disruption(&self, namespace: &str, pod: &Object) -> Result<(), ApiError> {
        let rt = budgets()?;
        let refused = |why: String| {
            ApiError::too_many_requests(
                "Cannot evict pod as it would violate the pod's disruption budget.",
                ("DisruptionBudget", why),
            )
        };
        for _attempt in 0..16 {
            let cache = self.caches().get(rt).await?;
            let (all, _) = cache.snapshot(&Registry::prefix(rt, Some(namespace)));
            let all = all
                .iter()
                .map(|c| c.object())
                .collect::<Result<Vec<_>, _>>()?;
            let matching: Vec<&Object> = all
                .iter()
                .map(|c| &**c)
                .filter(|pdb| budget_selects(pdb, pod))
                .collect();
            let budget = match matching.as_slice() {
                [] => return Ok(()),
                [one] => *one,
                _ => {
                    return Err(ApiError::internal(
                        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                    ));
                }
            };
            let status = budget.body.get("status");
            let int = |field: &str| {
                status
                    .and_then(|s| s.get(field))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            };
            let observed = int("observedGeneration");
            if observed < budget.metadata.generation.unwrap_or(1) {
                return Err(refused(format!(
                    "The disruption budget {} is still being processed by the server.",
                    budget.metadata.name
                )));
            }
            // An unhealthy pod can go when the budget is already met.
            let policy = budget
                .body
                .get("spec")
                .and_then(|s| s.get("unhealthyPodEvictionPolicy"))
                .and_then(Value::as_str);
            if !is_ready(pod)
                && (policy == Some("AlwaysAllow") || int("currentHealthy") >= int("desiredHealthy"))
            {
                return Ok(());
            }
            if int("disruptionsAllowed") <= 0 {
                return Err(refused(format!(
                    "The disruption budget {} needs {} healthy pods and has {} currently",
                    budget.metadata.name,
                    int("desiredHealthy"),
                    int("currentHealthy")
                )));
            }
            let mut next = budget.clone();
            let status = next.body.entry("status").or_insert_with(|| json!({}));
            if let Some(status) = status.as_object_mut() {
                status.insert(
                    "disruptionsAllowed".into(),
                    json!(int("disruptionsAllowed") - 1),
                );
                let disrupted = status.entry("disruptedPods").or_insert_with(|| json!({}));
                if let Some(disrupted) = disrupted.as_object_mut() {
                    disrupted.insert(pod.metadata.name.clone(), json!(now_rfc3339()));
                }
            }
            let options = UpdateOptions {
                scope: WriteScope::Status,
                manager: None,
                dry_run: false,
                current: Some(budget),
            };
            match self
                .update(rt, Some(namespace), &budget.metadata.name, next, options)
                .await
            {
                Ok(_) => return Ok(()),
                // Someone else changed the budget: read it again.
                Err(e) if e.code == 409 => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ApiError::from_store(StoreError::Closed))
    }
}

/// Whether `pdb`'s selector picks `pod` (an empty selector picks nothing in policy/v1beta1
/// and everything in policy/v1; we serve v1).
fn budget_selects(pdb: &Object, pod: &Object) -> bool {
    let Some(selector) = pdb.body.get("spec").and_then(|s| s.get("selector")) else {
        return false;
    };
    LabelSelector::from_json(selector).is_ok_and(|s| s.matches(&pod.metadata.labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Object {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn conditions_are_set_once() {
        let mut pod = object(json!({"metadata": {"name": "p"}, "status": {"phase": "Pending"}}));
        set_condition(&mut pod, "PodScheduled", "True");
        set_condition(&mut pod, "PodScheduled", "True");
        let list = pod.body["status"]["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["status"], "True");
    }

    #[test]
    fn budgets_select_by_labels() {
        let pod = object(json!({"metadata": {"name": "p", "labels": {"app": "web"}}}));
        let yes = object(json!({"spec": {"selector": {"matchLabels": {"app": "web"}}}}));
        let no = object(json!({"spec": {"selector": {"matchLabels": {"app": "db"}}}}));
        assert!(budget_selects(&yes, &pod));
        assert!(!budget_selects(&no, &pod));
    }

    #[tokio::test]
    async fn a_pod_is_bound_once_and_marked_scheduled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = pods().expect("pods");
        let pod: Object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "app:1"}]},
        }))
        .expect("pod");
        let created = registry
            .create(rt, Some("default"), pod, None, false)
            .await
            .expect("create");
        let uid = created.metadata.uid.clone();

        let wrong_uid = registry
            .bind_pod("default", "p", Some("not-the-uid"), "n1")
            .await
            .err()
            .expect("a stale uid is refused");
        assert_eq!(wrong_uid.code, 409);

        let bound = registry
            .bind_pod("default", "p", Some(&uid), "n1")
            .await
            .expect("bind")
            .into_object()
            .expect("object");
        assert_eq!(node_name(&bound), Some("n1"));
        let scheduled = bound.body["status"]["conditions"]
            .as_array()
            .expect("conditions")
            .iter()
            .find(|c| c["type"] == "PodScheduled")
            .expect("PodScheduled")
            .clone();
        assert_eq!(scheduled["status"], "True");
        assert_ne!(
            bound.metadata.resource_version, created.metadata.resource_version,
            "a new revision"
        );
        let stored = registry.get(rt, Some("default"), "p").await.expect("get");
        assert_eq!(node_name(&stored), Some("n1"));
        assert_eq!(stored.metadata.uid, uid);
        assert_eq!(
            stored.metadata.managed_fields,
            created.metadata.managed_fields
        );

        let again = registry
            .bind_pod("default", "p", None, "n2")
            .await
            .err()
            .expect("a bound pod is not bound again");
        assert_eq!(again.code, 409);
        assert!(
            again.message.contains("already assigned to node \"n1\""),
            "{}",
            again.message
        );
    }
}
