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
use berth_store::StoreError;
use bytes::Bytes;
use serde_json::{Value, json};

use super::{DeleteOptions, Registry, Stored, UpdateOptions, WriteScope, now_rfc3339};
use crate::status::ApiError;
use crate::watch_cache::CachedMeta;

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

/// Sets (or replaces) condition `kind` in a `status.conditions` list; a condition already
/// at `status` is left as it is (its transition time stays).
fn set_condition(list: &mut Vec<Value>, kind: &str, status: &str) {
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

/// Why a pod cannot be bound, read from its JSON.
enum Refusal {
    /// The precondition names another pod (one of the same name, earlier or later).
    Uid(String),
    Deleting,
    Bound(String),
    /// `spec.schedulingGates` is not empty: the pod is not ready for scheduling.
    Gated,
}

/// The stored form of `pod` (its JSON, with or without a resourceVersion) bound to `node`:
/// `spec.nodeName` set, `PodScheduled=True`, `generation` one up (the spec changed, as an
/// update would count it). Only these fields are decoded; the rest is copied as it is.
/// With it, where its resourceVersion goes (after `metadata.uid`, as encoding puts it).
/// Of the watch cache's indexed fields only `spec.nodeName` changes (`bind_pod` tells the
/// cache so: a new edit of an indexed field must be told it too). A pod with scheduling
/// gates is refused, as upstream. `status.nominatedNodeName` stays (Kubernetes 1.33, which
/// we serve, clears it only behind a later feature gate).
#[allow(clippy::type_complexity)]
fn bind_json(
    pod: &[u8],
    uid: Option<&str>,
    node: &str,
) -> Result<Result<(Vec<u8>, Option<usize>), Refusal>, String> {
    let invalid = |e: serde_json::Error| e.to_string();
    let mut object = berth_api::object::RawObject::parse(pod).map_err(invalid)?;
    let meta = object.object_entry("metadata").map_err(invalid)?;
    let stored_uid: String = meta.get("uid").unwrap_or_default();
    if let Some(uid) = uid.filter(|u| !u.is_empty())
        && uid != stored_uid
    {
        return Ok(Err(Refusal::Uid(stored_uid)));
    }
    if meta.get::<String>("deletionTimestamp").is_some() {
        return Ok(Err(Refusal::Deleting));
    }
    meta.remove("resourceVersion");
    if let Some(generation) = meta.get::<i64>("generation") {
        meta.set("generation", &(generation + 1)).map_err(invalid)?;
    }
    let spec = object.object_entry("spec").map_err(invalid)?;
    if let Some(bound) = spec.get::<String>("nodeName").filter(|n| !n.is_empty()) {
        return Ok(Err(Refusal::Bound(bound)));
    }
    if spec
        .get::<Vec<Value>>("schedulingGates")
        .is_some_and(|gates| !gates.is_empty())
    {
        return Ok(Err(Refusal::Gated));
    }
    spec.set("nodeName", node).map_err(invalid)?;
    let status = object.object_entry("status").map_err(invalid)?;
    let mut conditions: Vec<Value> = status.get("conditions").unwrap_or_default();
    set_condition(&mut conditions, "PodScheduled", "True");
    status.set("conditions", &conditions).map_err(invalid)?;
    let mut out = Vec::with_capacity(pod.len() + 160);
    let resource_version_at = object.write_marking(&mut out, "metadata", "uid");
    Ok(Ok((out, resource_version_at)))
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
        let key = Self::key(rt, Some(namespace), name);
        // The watch cache's copy first (it may lag: the compare-and-swap catches that and
        // the store's copy is read instead).
        let mut cached_ok = true;
        loop {
            let current = self.current_json(rt, &key, name, cached_ok).await?;
            let from_cache = current.cached.is_some();
            cached_ok = false;
            let (value, resource_version_at) = match bind_json(&current.json, uid, node) {
                Ok(Ok((value, at))) => (Bytes::from(value), at),
                // The cache may lag (an earlier pod of that name, a binding or deletion it
                // has not seen): refusals are decided on the store's copy.
                Ok(Err(_)) if from_cache => continue,
                Ok(Err(refusal)) => {
                    let message = match refusal {
                        Refusal::Uid(stored) => format!(
                            "Precondition failed: UID in precondition: {}, UID in object meta: {stored}",
                            uid.unwrap_or_default()
                        ),
                        Refusal::Deleting => {
                            format!("pod {name} is being deleted, cannot be assigned to a host")
                        }
                        Refusal::Bound(bound) => {
                            format!("pod {name} is already assigned to node \"{bound}\"")
                        }
                        Refusal::Gated => {
                            format!("pod {name} has non-empty .spec.schedulingGates")
                        }
                    };
                    return Err(ApiError::operation_conflict("pods/binding", name, &message));
                }
                Err(e) if from_cache => {
                    tracing::debug!(
                        pod = name,
                        error = e,
                        "cached pod unreadable; reading the store"
                    );
                    continue;
                }
                Err(e) => {
                    return Err(ApiError::internal(format!(
                        "stored pod {name} cannot be bound: {e}"
                    )));
                }
            };
            // The cache's entry after the write: the same labels and deletion mark, the
            // new nodeName (the only indexed field `bind_json` changes: keep the two in
            // step).
            let rewritten = |meta: &CachedMeta| meta.with_field("spec.nodeName", node);
            if let Some(bound) = self
                .store_rewrite(
                    rt,
                    &key,
                    name,
                    &current,
                    value,
                    resource_version_at,
                    rewritten,
                )
                .await?
            {
                return Ok(bound);
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

    fn node_name(pod: &Object) -> Option<&str> {
        field(pod, "spec", "nodeName").filter(|n| !n.is_empty())
    }

    fn object(value: Value) -> Object {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn conditions_are_set_once() {
        let mut list = vec![json!({"type": "Ready", "status": "False"})];
        set_condition(&mut list, "PodScheduled", "True");
        let first = list[1].clone();
        set_condition(&mut list, "PodScheduled", "True");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], first, "unchanged when already at that status");
        set_condition(&mut list, "PodScheduled", "False");
        assert_eq!(list.len(), 2);
        assert_eq!(list[1]["status"], "False");
    }

    #[test]
    fn binding_edits_only_the_node_the_condition_and_the_generation() {
        let pod = object(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "uid": "u1", "resourceVersion": "9",
                         "generation": 1, "labels": {"app": "web"},
                         "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]},
            "spec": {"containers": [{"name": "c", "image": "app:1"}], "schedulerName": "default-scheduler"},
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }));
        let (bound, at) = bind_json(&pod.to_json(), Some("u1"), "n1")
            .expect("valid")
            .unwrap_or_else(|_| panic!("refused"));
        let decoded = Object::from_json(&bound).expect("json");
        let mut expected = pod.clone();
        expected.metadata.resource_version.clear();
        expected.metadata.generation = Some(2);
        expected.body["spec"]["nodeName"] = json!("n1");
        expected.body["status"]["conditions"] = decoded.body["status"]["conditions"].clone();
        assert_eq!(decoded, expected);
        assert_eq!(
            decoded.body["status"]["conditions"][0]["type"],
            "PodScheduled"
        );
        assert_eq!(decoded.body["status"]["conditions"][0]["status"], "True");
        // Byte for byte what encoding the edited object gives (the stored form), and with
        // a resourceVersion where encoding puts it.
        assert_eq!(bound, expected.to_json());
        let mut versioned = expected.clone();
        versioned.metadata.resource_version = "10".into();
        assert_eq!(
            berth_api::object::insert_resource_version(&bound, at.expect("marked"), "10"),
            Some(versioned.to_json())
        );

        let refused = |json: Value, uid: Option<&str>| {
            bind_json(&object(json).to_json(), uid, "n1")
                .expect("valid")
                .err()
        };
        assert!(matches!(
            refused(json!({"metadata": {"name": "p", "uid": "u2"}}), Some("u1")),
            Some(Refusal::Uid(stored)) if stored == "u2"
        ));
        assert!(matches!(
            refused(
                json!({"metadata": {"name": "p", "deletionTimestamp": "2026-01-01T00:00:00Z"}}),
                None
            ),
            Some(Refusal::Deleting)
        ));
        assert!(matches!(
            refused(json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n0"}}), None),
            Some(Refusal::Bound(n)) if n == "n0"
        ));
        assert!(matches!(
            refused(
                json!({"metadata": {"name": "p"}, "spec": {"schedulingGates": [{"name": "g"}]}}),
                None
            ),
            Some(Refusal::Gated)
        ));
        assert!(
            refused(
                json!({"metadata": {"name": "p"}, "spec": {"schedulingGates": []}}),
                None
            )
            .is_none(),
            "an emptied gate list is no gate"
        );
        assert!(bind_json(b"not json", None, "n1").is_err());
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
        bound_once(false).await;
    }

    #[tokio::test]
    async fn a_binding_reaches_the_watch_cache_without_a_decode() {
        bound_once(true).await;
    }

    async fn bound_once(with_cache: bool) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = pods().expect("pods");
        let cache = if with_cache {
            Some(registry.caches().get(rt).await.expect("cache"))
        } else {
            None
        };
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
            .expect("bind");
        assert_eq!(
            matches!(bound, Stored::Shared(_)),
            with_cache,
            "the cache takes the rewrite's entry when it runs"
        );
        let bound = bound.into_object().expect("object");
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
        if let Some(cache) = &cache {
            let entry = cache.object("/registry/pods/default/p").expect("cached");
            assert_eq!(entry.meta.field("spec.nodeName"), "n1");
            assert_eq!(
                entry.meta.resource_version,
                stored.metadata.resource_version
            );
            assert_eq!(entry.meta.labels, stored.metadata.labels);
            assert_eq!(Object::from_json(&entry.json).expect("json"), stored);
        }
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
