//! Pod templates and ReplicaSets of a Deployment: the `pod-template-hash`, template equality
//! (which ReplicaSet is the "new" one), and the revision annotations.
//!
//! Invariants:
//! - The new ReplicaSet is the oldest one whose template equals the Deployment's, ignoring
//!   the `pod-template-hash` label; equality treats absent, null and empty values alike (as
//!   upstream's semantic equality), so server defaulting never makes two templates differ.
//! - The hash is a function of the template alone (and `status.collisionCount`), see
//!   [`crate::hash`]: the same template always gets the same ReplicaSet name.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::Value;

pub const HASH_LABEL: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// Longest `revision-history` annotation kept (upstream's default flag value).
const REVISION_HISTORY_CHARS: usize = 2000;

/// The template in canonical form, without the hash label.
fn comparable(template: &PodTemplateSpec) -> Option<Value> {
    let mut template = template.clone();
    if let Some(labels) = template.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
        labels.remove(HASH_LABEL);
    }
    crate::hash::canonical(serde_json::to_value(template).ok()?)
}

/// Whether two templates are equal, ignoring `pod-template-hash`.
pub fn equal_ignoring_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    comparable(a) == comparable(b)
}

/// The `pod-template-hash` of `template` (without its own label) and the collision count.
pub fn hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    crate::hash::of(comparable(template).as_ref(), collision_count)
}

/// The revision number an object's annotation records (0 when absent).
pub fn revision(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> i64 {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The Deployment's template as the ReplicaSet with `hash` carries it.
pub fn with_hash(template: &PodTemplateSpec, hash: &str) -> PodTemplateSpec {
    let mut template = template.clone();
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(HASH_LABEL.into(), hash.into());
    template
}

/// Annotations not copied from the Deployment to its ReplicaSets.
fn skip_copy(key: &str) -> bool {
    matches!(
        key,
        LAST_APPLIED | REVISION | REVISION_HISTORY | DESIRED_REPLICAS | MAX_REPLICAS | ROLLBACK_TO
    )
}

/// Brings the new ReplicaSet's `annotations` up to date: the Deployment's own annotations,
/// and `new_revision` if higher than its own (a rollback to it), the old number moving to
/// `revision-history`. Returns whether anything changed.
pub fn sync_new_annotations(
    deployment: &Deployment,
    annotations: &mut BTreeMap<String, String>,
    new_revision: i64,
) -> bool {
    let mut changed = false;
    for (k, v) in deployment.metadata.annotations.iter().flatten() {
        if skip_copy(k) || annotations.get(k) == Some(v) {
            continue;
        }
        annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    let old = annotations.get(REVISION).cloned();
    let old_number: i64 = old.as_deref().and_then(|r| r.parse().ok()).unwrap_or(0);
    if old_number < new_revision {
        annotations.insert(REVISION.into(), new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = annotations
                .get(REVISION_HISTORY)
                .cloned()
                .unwrap_or_default();
            let mut entries: Vec<&str> = history.split(',').filter(|e| !e.is_empty()).collect();
            entries.push(&old);
            while entries.join(",").len() > REVISION_HISTORY_CHARS && entries.len() > 1 {
                entries.remove(0);
            }
            annotations.insert(REVISION_HISTORY.into(), entries.join(","));
        }
    }
    changed
}

/// Sets `desired-replicas` and `max-replicas`; returns whether they changed.
pub fn set_replicas_annotations(
    annotations: &mut BTreeMap<String, String>,
    desired: i32,
    max: i32,
) -> bool {
    let mut changed = false;
    for (key, value) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let value = value.to_string();
        if annotations.get(key) != Some(&value) {
            annotations.insert(key.into(), value);
            changed = true;
        }
    }
    changed
}

/// A ReplicaSet's `desired-replicas` annotation.
pub fn desired_replicas(rs: &ReplicaSet) -> Option<i32> {
    rs.metadata
        .annotations
        .as_ref()?
        .get(DESIRED_REPLICAS)?
        .parse()
        .ok()
}

/// A ReplicaSet's `max-replicas` annotation.
pub fn max_replicas(rs: &ReplicaSet) -> Option<i32> {
    rs.metadata
        .annotations
        .as_ref()?
        .get(MAX_REPLICAS)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(value: Value) -> PodTemplateSpec {
        serde_json::from_value(value).unwrap_or_default()
    }

    #[test]
    fn the_hash_ignores_its_own_label_and_empty_values() {
        let a = template(
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}),
        );
        let b = template(
            json!({"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}, "annotations": {}}, "spec": {"containers": [{"name": "c", "image": "x:1", "env": []}]}}),
        );
        let c = template(
            json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "x:2"}]}}),
        );
        assert!(equal_ignoring_hash(&a, &b));
        assert!(!equal_ignoring_hash(&a, &c));
        assert_eq!(hash(&a, None), hash(&b, None));
        assert_ne!(hash(&a, None), hash(&c, None));
        assert_ne!(hash(&a, None), hash(&a, Some(1)));
    }

    #[test]
    fn a_rollback_keeps_the_old_revision_in_the_history() {
        let deployment: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d", "annotations": {"kubernetes.io/change-cause": "v1", REVISION: "3"}}
        }))
        .unwrap_or_default();
        let mut annotations = BTreeMap::from([(REVISION.to_string(), "1".to_string())]);
        assert!(sync_new_annotations(&deployment, &mut annotations, 4));
        assert_eq!(annotations.get(REVISION).map(String::as_str), Some("4"));
        assert_eq!(
            annotations.get(REVISION_HISTORY).map(String::as_str),
            Some("1")
        );
        assert_eq!(
            annotations
                .get("kubernetes.io/change-cause")
                .map(String::as_str),
            Some("v1")
        );
        assert!(!sync_new_annotations(&deployment, &mut annotations, 4));
    }
}
