//! Status merge patches on the stored JSON: the write a kubelet makes for every pod it
//! starts, stops or probes, and so the most frequent write of a running cluster. A JSON
//! merge patch of `status` alone is applied to the stored object's `status` (the only part
//! decoded); the rest of the object is copied as text (`RawObject`), and the watch cache is
//! handed the entry's new filtering metadata instead of an object to decode or free.
//!
//! Invariants:
//! - The result is byte for byte what the general path (decode, merge, encode) stores, and
//!   answers the same: a patch that changes nothing writes nothing; the object's metadata,
//!   managedFields and generation are unchanged (status is not field-owned, and a status
//!   write leaves the spec alone).
//! - Whatever the general path would treat differently is left to it: an object being
//!   deleted (a write may finish its deletion), one whose managedFields the general path
//!   would rewrite (an entry without a manager or fields, or not an entry at all), a kind
//!   the watch cache keeps decoded or serves in a version other than its storage version
//!   (autoscaling/v1 HorizontalPodAutoscalers), and a stored object without a status or
//!   with a `null` one.
//! - Both paths check a status write's field validation on the new status alone (the rest
//!   of the object is not the request's to change).

use berth_api::object::RawObject;
use berth_api::{Object, ResourceType};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::Registry;
use super::written::Stored;
use crate::status::ApiError;
use crate::watch_cache::CachedMeta;

/// A managedFields entry, read only as far as the general path's ownership tracking looks
/// when it keeps the entries as they are.
#[derive(Deserialize)]
struct EntryOutline {
    manager: Option<Value>,
    #[serde(rename = "fieldsV1")]
    fields: Option<std::collections::BTreeMap<String, IgnoredAny>>,
}

impl EntryOutline {
    /// Ownership tracking keeps an entry that names its manager and owns some field.
    fn kept(&self) -> bool {
        matches!(self.manager, Some(Value::String(_)))
            && self.fields.as_ref().is_some_and(|fields| {
                fields.keys().any(|k| {
                    k == "." || k.starts_with("f:") || k.starts_with("k:") || k.starts_with("v:")
                })
            })
    }
}

/// A status patch applied to a stored object.
#[derive(Debug)]
pub(super) enum StatusEdit {
    /// The patch changes nothing.
    Unchanged,
    /// The stored form after the patch (no resourceVersion), where its resourceVersion goes,
    /// and the new status (`None`: removed).
    Changed {
        json: Vec<u8>,
        resource_version_at: Option<usize>,
        status: Option<Value>,
    },
}

/// `stored` (an object's JSON, with or without its resourceVersion) with the JSON merge
/// patch `patch` applied to its `status`; `Ok(None)` where the general path must decide
/// (see the module invariants).
pub(super) fn merge_status_json(
    stored: &[u8],
    patch: &Value,
) -> Result<Option<StatusEdit>, String> {
    let invalid = |e: serde_json::Error| e.to_string();
    let mut object = RawObject::parse(stored).map_err(invalid)?;
    // A status, and not `null` (which the general path would write as removed).
    let Some(mut merged) = object.get::<Value>("status").filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let meta = object.object_entry("metadata").map_err(invalid)?;
    if meta.get::<Value>("deletionTimestamp").is_some() {
        return Ok(None);
    }
    if meta.has("managedFields") {
        let kept = meta
            .get::<Vec<EntryOutline>>("managedFields")
            .is_some_and(|entries| entries.iter().all(EntryOutline::kept));
        if !kept {
            return Ok(None);
        }
    }
    meta.remove("resourceVersion");
    if !merge(&mut merged, patch) {
        return Ok(Some(StatusEdit::Unchanged));
    }
    let status = (!merged.is_null()).then_some(merged);
    match &status {
        Some(status) => object.set("status", status).map_err(invalid)?,
        None => {
            object.remove("status");
        }
    }
    let mut json = Vec::with_capacity(stored.len() + 256);
    let resource_version_at = object.write_marking(&mut json, "metadata", "uid");
    Ok(Some(StatusEdit::Changed {
        json,
        resource_version_at,
        status,
    }))
}

/// `target` with the JSON merge patch `patch` applied (RFC 7386); whether that changed it.
fn merge(target: &mut Value, patch: &Value) -> bool {
    let Value::Object(fields) = patch else {
        if target == patch {
            return false;
        }
        *target = patch.clone();
        return true;
    };
    let mut changed = false;
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
        changed = true;
    }
    let Value::Object(map) = target else {
        return changed;
    };
    for (key, value) in fields {
        if value.is_null() {
            changed |= map.remove(key).is_some();
        } else {
            match map.get_mut(key) {
                Some(existing) => changed |= merge(existing, value),
                None => {
                    let mut new = Value::Null;
                    merge(&mut new, value);
                    map.insert(key.clone(), new);
                    changed = true;
                }
            }
        }
    }
    changed
}

impl Registry {
    /// `PATCH <resource>/<name>/status` with a JSON merge patch of `status` alone
    /// (`{"status": patch}`), on the stored JSON; `check` sees the new status (in an object
    /// that has nothing else, which it gives back as it was) before it is written (field
    /// validation) and returns its warnings. `Ok(None)` when the object is
    /// one the general path must patch (see the module invariants).
    pub async fn merge_status(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        patch: &Value,
        mut check: impl FnMut(&mut Object) -> Result<Vec<String>, ApiError>,
    ) -> Result<Option<(Stored, Vec<String>)>, ApiError> {
        // Stored in the version it is served in: the cache's JSON is the stored form, and
        // the patch's fields are the stored object's (not autoscaling/v1 over v2).
        let stored_as_served = berth_api::conversion::storage_version(rt)
            .is_none_or(|s| s.group == rt.group && s.version == rt.version);
        if rt.subresource("status").is_none()
            || !stored_as_served
            || crate::watch_cache::keeps_decoded(rt.plural)
        {
            return Ok(None);
        }
        let key = Self::key(rt, namespace, name);
        // The watch cache's copy first; a stale one fails the compare-and-swap, and the
        // retry reads the store.
        let mut cached_ok = true;
        loop {
            let current = self.current_json(rt, &key, name, cached_ok).await?;
            cached_ok = false;
            let edit = match merge_status_json(&current.json, patch) {
                Ok(Some(edit)) => edit,
                Ok(None) => return Ok(None),
                Err(e) => {
                    tracing::debug!(object = name, error = e, "status patch on the general path");
                    return Ok(None);
                }
            };
            let (value, resource_version_at, status) = match edit {
                // Nothing to write, as upstream: the object as it is (the store's copy is
                // answered by the general path, which decodes it).
                StatusEdit::Unchanged => {
                    return Ok(current
                        .cached
                        .map(|cached| (Stored::Shared(cached), Vec::new())));
                }
                StatusEdit::Changed {
                    json,
                    resource_version_at,
                    status,
                } => (Bytes::from(json), resource_version_at, status),
            };
            let mut probe = Object::default();
            if let Some(status) = status {
                probe.body.insert("status".into(), status);
            }
            let warnings = check(&mut probe)?;
            let status = probe.body.remove("status");
            let rewritten = |meta: &CachedMeta| meta.with_status(status.as_ref());
            if let Some(written) = self
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
                return Ok(Some((written, warnings)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod() -> Object {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "uid": "u1", "resourceVersion": "9",
                         "generation": 2, "labels": {"app": "web"},
                         "managedFields": [{"manager": "kubectl", "operation": "Update",
                                            "fieldsV1": {"f:spec": {}}}]},
            "spec": {"containers": [{"name": "c", "image": "app:1"}], "nodeName": "n1"},
            "status": {"phase": "Pending", "qosClass": "BestEffort",
                       "conditions": [{"type": "PodScheduled", "status": "True"}]},
        }))
        .expect("pod")
    }

    /// What the general path stores: the decoded object merged and encoded.
    fn merged_whole(object: &Object, patch: &Value) -> Object {
        let mut whole = object.to_value();
        json_patch::merge(&mut whole, &json!({"status": patch}));
        let mut merged: Object = serde_json::from_value(whole).expect("object");
        merged.metadata.resource_version.clear();
        merged
    }

    #[test]
    fn a_status_patch_stores_what_the_general_path_would() {
        let pod = pod();
        for patch in [
            json!({"phase": "Running", "podIP": "10.0.0.2", "conditions": [
                {"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]}),
            json!({"phase": "Failed", "qosClass": null, "message": "gone \"away\" ü"}),
            json!({"nominatedNodeName": "n2", "startTime": "2026-01-01T00:00:00Z"}),
            json!(null),
        ] {
            let Some(StatusEdit::Changed {
                json,
                resource_version_at,
                status,
            }) = merge_status_json(&pod.to_json(), &patch).expect("valid")
            else {
                panic!("{patch}: not changed");
            };
            let expected = merged_whole(&pod, &patch);
            assert_eq!(json, expected.to_json(), "{patch}");
            assert_eq!(status.as_ref(), expected.body.get("status"), "{patch}");
            let mut versioned = expected.clone();
            versioned.metadata.resource_version = "10".into();
            assert_eq!(
                berth_api::object::insert_resource_version(
                    &json,
                    resource_version_at.expect("marked"),
                    "10"
                ),
                Some(versioned.to_json()),
                "{patch}"
            );
        }
    }

    #[test]
    fn merging_is_rfc_7386_and_tells_whether_it_changed_anything() {
        let targets = [
            json!({"a": 1, "b": {"c": [1, 2], "d": "x"}}),
            json!(null),
            json!([1]),
            json!({}),
        ];
        let patches = [
            json!({"a": 1}),
            json!({"a": 2, "b": {"d": null, "e": {"f": null}}}),
            json!({"b": {"c": [1, 2]}}),
            json!({"z": null}),
            json!({"z": {}}),
            json!({}),
            json!(null),
            json!("s"),
        ];
        for target in &targets {
            for patch in &patches {
                let mut expected = target.clone();
                json_patch::merge(&mut expected, patch);
                let mut merged = target.clone();
                let changed = merge(&mut merged, patch);
                assert_eq!(merged, expected, "{target} + {patch}");
                assert_eq!(changed, merged != *target, "{target} + {patch}");
            }
        }
    }

    #[test]
    fn a_patch_that_changes_nothing_writes_nothing() {
        let pod = pod();
        for patch in [
            json!({}),
            json!({"phase": "Pending"}),
            json!({"reason": null}),
        ] {
            assert!(
                matches!(
                    merge_status_json(&pod.to_json(), &patch),
                    Ok(Some(StatusEdit::Unchanged))
                ),
                "{patch}"
            );
        }
    }

    #[test]
    fn what_the_general_path_treats_differently_is_left_to_it() {
        let patch = json!({"phase": "Running"});
        let mut deleting = pod();
        deleting.metadata.deletion_timestamp = Some("2026-01-01T00:00:00Z".into());
        let mut unowned = pod();
        unowned.metadata.managed_fields = vec![json!({"manager": "kubectl", "fieldsV1": {}})];
        let mut nameless = pod();
        nameless.metadata.managed_fields = vec![json!({"fieldsV1": {"f:spec": {}}})];
        let mut unreadable = pod();
        unreadable.metadata.managed_fields = vec![json!({"manager": "x", "fieldsV1": "oops"})];
        let mut statusless = pod();
        statusless.body.remove("status");
        let mut null_status = pod();
        null_status.body.insert("status".into(), Value::Null);
        for (what, object) in [
            ("being deleted", deleting),
            ("an entry owning nothing", unowned),
            ("an entry without a manager", nameless),
            ("an entry that is not one", unreadable),
            ("no status", statusless),
            ("a null status", null_status),
        ] {
            assert!(
                matches!(merge_status_json(&object.to_json(), &patch), Ok(None)),
                "{what}"
            );
        }
        assert!(merge_status_json(b"[1]", &patch).is_err());
    }

    #[tokio::test]
    async fn a_status_patch_reaches_the_watch_cache_without_a_decode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = berth_api::catalogue::lookup("", "v1", "pods").expect("pods");
        let cache = registry.caches().get(rt).await.expect("cache");
        let pod: Object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "app:1"}], "nodeName": "n1"},
        }))
        .expect("pod");
        let created = registry
            .create(rt, Some("default"), pod, None, false)
            .await
            .expect("create");
        let patch = json!({"phase": "Running", "podIP": "10.42.0.7"});
        let mut checked = Vec::new();
        let (written, warnings) = registry
            .merge_status(rt, Some("default"), "p", &patch, |probe| {
                checked.push(probe.body.get("status").cloned());
                Ok(vec!["a warning".into()])
            })
            .await
            .expect("patch")
            .expect("on the stored JSON");
        assert_eq!(warnings, vec!["a warning".to_string()]);
        assert_eq!(checked.len(), 1, "checked once, before the write");
        assert!(
            matches!(written, Stored::Shared(_)),
            "the cache took the rewrite"
        );
        let written = written.into_object().expect("object");
        let stored = registry.get(rt, Some("default"), "p").await.expect("get");
        assert_eq!(written, stored);
        assert_eq!(stored.body["status"]["phase"], "Running");
        assert_eq!(stored.body["status"]["podIP"], "10.42.0.7");
        assert_eq!(stored.metadata.generation, created.metadata.generation);
        assert_eq!(
            stored.metadata.managed_fields,
            created.metadata.managed_fields
        );
        assert_ne!(
            stored.metadata.resource_version,
            created.metadata.resource_version
        );
        let entry = cache.object("/registry/pods/default/p").expect("cached");
        assert_eq!(entry.meta.field("status.phase"), "Running");
        assert_eq!(entry.meta.field("status.podIP"), "10.42.0.7");
        assert_eq!(entry.meta.field("spec.nodeName"), "n1");
        assert_eq!(entry.meta.labels, stored.metadata.labels);
        assert_eq!(
            entry.meta.resource_version,
            stored.metadata.resource_version
        );

        // Again: nothing changes, nothing is written or checked.
        let (same, _) = registry
            .merge_status(rt, Some("default"), "p", &patch, |_| {
                panic!("an unchanged status is not checked")
            })
            .await
            .expect("patch")
            .expect("on the stored JSON");
        assert_eq!(
            same.into_object()
                .expect("object")
                .metadata
                .resource_version,
            stored.metadata.resource_version
        );
        // Removing a field the cache indexes.
        registry
            .merge_status(rt, Some("default"), "p", &json!({"podIP": null}), |_| {
                Ok(vec![])
            })
            .await
            .expect("patch")
            .expect("on the stored JSON");
        let entry = cache.object("/registry/pods/default/p").expect("cached");
        assert_eq!(entry.meta.field("status.podIP"), "");
        assert_eq!(entry.meta.field("status.phase"), "Running");

        // Served in another version than it is stored in: the general path's.
        let v1 = berth_api::catalogue::lookup("autoscaling", "v1", "horizontalpodautoscalers")
            .expect("hpa v1");
        let general = registry
            .merge_status(
                v1,
                Some("default"),
                "h",
                &json!({"currentReplicas": 2}),
                |_| panic!("not checked here"),
            )
            .await
            .expect("no error");
        assert!(general.is_none());
    }
}
