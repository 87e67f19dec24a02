//! [`Object`]: every Kubernetes object as Berth handles it: `apiVersion`, `kind`, typed
//! [`ObjectMeta`], and the rest of the body (`spec`, `status`, `data`, …) kept as JSON.
//!
//! Request bodies are parsed into this once, at the edge; the API server then reads and sets
//! metadata through typed fields, never by poking at JSON paths.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

mod decode;
mod raw;

pub use raw::{RawObject, insert_resource_version, with_resource_version};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generate_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub creation_timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owner_references: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_fields: Vec<Value>,
    /// Fields this type does not model (kept, so nothing a client sent is lost).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub metadata: ObjectMeta,
    /// `spec`, `status`, `data` and every other top-level field.
    #[serde(flatten)]
    pub body: Map<String, Value>,
}

impl ObjectMeta {
    /// Whether `other` is the same but perhaps for its resourceVersion.
    pub fn same_but_resource_version(&self, other: &ObjectMeta) -> bool {
        let ObjectMeta {
            name,
            generate_name,
            namespace,
            uid,
            resource_version: _,
            generation,
            creation_timestamp,
            deletion_timestamp,
            deletion_grace_period_seconds,
            labels,
            annotations,
            owner_references,
            finalizers,
            managed_fields,
            other: others,
        } = self;
        *name == other.name
            && *generate_name == other.generate_name
            && *namespace == other.namespace
            && *uid == other.uid
            && *generation == other.generation
            && *creation_timestamp == other.creation_timestamp
            && *deletion_timestamp == other.deletion_timestamp
            && *deletion_grace_period_seconds == other.deletion_grace_period_seconds
            && *labels == other.labels
            && *annotations == other.annotations
            && *owner_references == other.owner_references
            && *finalizers == other.finalizers
            && *managed_fields == other.managed_fields
            && *others == other.other
    }
}

impl Object {
    /// Whether `other`'s body (spec, data, …) is the same but perhaps for its `status`
    /// (compared in place: nothing is copied).
    pub fn same_body_but_status(&self, other: &Object) -> bool {
        self.body
            .iter()
            .filter(|(key, _)| key.as_str() != "status")
            .eq(other
                .body
                .iter()
                .filter(|(key, _)| key.as_str() != "status"))
    }

    /// Parses JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Object, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The object as a JSON value (for selectors and responses).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// This object's JSON, built from `without`: the JSON of this same object with an empty
    /// `resourceVersion` (its stored form). The resourceVersion is spliced in where
    /// serialisation puts it (after `metadata.uid`) instead of serialising the whole object
    /// again. `None` when `without` does not start the way this object's JSON does (another
    /// version, another object): the caller serialises instead.
    pub fn to_json_from_stored(&self, without: &[u8]) -> Option<Vec<u8>> {
        // The serialised head up to where `resourceVersion` goes: the fields before it in
        // declaration order, each skipped when empty (see the serde attributes above).
        let mut head = Vec::with_capacity(160);
        head.push(b'{');
        let string_field = |head: &mut Vec<u8>, key: &str, value: &str, first: bool| {
            if value.is_empty() {
                return first;
            }
            if !first {
                head.push(b',');
            }
            head.push(b'"');
            head.extend_from_slice(key.as_bytes());
            head.extend_from_slice(b"\":");
            serde_json::to_writer(&mut *head, value).ok();
            false
        };
        let mut first = string_field(&mut head, "apiVersion", &self.api_version, true);
        first = string_field(&mut head, "kind", &self.kind, first);
        if !first {
            head.push(b',');
        }
        head.extend_from_slice(b"\"metadata\":{");
        let meta = &self.metadata;
        let mut first = true;
        for (key, value) in [
            ("name", &meta.name),
            ("generateName", &meta.generate_name),
            ("namespace", &meta.namespace),
            ("uid", &meta.uid),
        ] {
            first = string_field(&mut head, key, value, first);
        }
        let rest = without.strip_prefix(head.as_slice())?;
        // What follows the head: the end of metadata, or its next field.
        let next = *rest.first()?;
        let expected = if first { b'"' } else { b',' };
        if next != expected && next != b'}' {
            return None;
        }
        let rv = &self.metadata.resource_version;
        if rv.is_empty() {
            // Nothing to splice: this object's JSON is its stored form.
            return Some(without.to_vec());
        }
        let mut json = Vec::with_capacity(without.len() + rv.len() + 22);
        json.extend_from_slice(&head);
        if !first {
            json.push(b',');
        }
        json.extend_from_slice(b"\"resourceVersion\":");
        serde_json::to_writer(&mut json, rv).ok()?;
        if first && next != b'}' {
            json.push(b',');
        }
        json.extend_from_slice(rest);
        Some(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_unknown_fields_and_tolerates_nulls() {
        let input = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": null, "selfLink": "/x", "annotations": {"a": "b"}},
            "data": {"k": "v"}
        });
        let object: Object = serde_json::from_value(input).expect("parse");
        assert_eq!(object.metadata.name, "c");
        assert!(object.metadata.labels.is_empty());
        assert_eq!(object.metadata.other.get("selfLink"), Some(&json!("/x")));
        let out = object.to_value();
        assert_eq!(out["data"], json!({"k": "v"}));
        assert_eq!(out["metadata"]["annotations"], json!({"a": "b"}));
        assert!(out["metadata"].get("labels").is_none());
    }

    #[test]
    fn comparisons_skip_only_what_they_say() {
        let object: Object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "resourceVersion": "1", "labels": {"a": "b"}},
            "spec": {"nodeName": "n"}, "status": {"phase": "Pending"},
        }))
        .expect("parse");
        let mut other = object.clone();
        other.metadata.resource_version = "2".into();
        other
            .body
            .insert("status".into(), json!({"phase": "Running"}));
        assert!(object.metadata.same_but_resource_version(&other.metadata));
        assert!(object.same_body_but_status(&other));
        other.body.remove("status");
        assert!(object.same_body_but_status(&other), "a status removed");
        other.body.insert("spec".into(), json!({"nodeName": "m"}));
        assert!(!object.same_body_but_status(&other));
        other.metadata.labels.clear();
        assert!(!object.metadata.same_but_resource_version(&other.metadata));
        other = object.clone();
        other.body.insert("extra".into(), json!(1));
        assert!(!object.same_body_but_status(&other), "a field added");
    }

    #[test]
    fn splicing_the_resource_version_matches_serialising() {
        let cases = [
            json!({"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "p", "namespace": "default", "uid": "u-1",
                                "labels": {"a": "b"}, "creationTimestamp": "2026-01-01T00:00:00Z"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}]}}),
            json!({"metadata": {"name": "only-name"}}),
            json!({"kind": "ConfigMap", "metadata": {"generateName": "g-", "annotations": {"x": "\"q\""}}}),
            json!({"apiVersion": "apps/v1", "metadata": {}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"labels": {"k": "v"}}, "data": {}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "é\"\\", "uid": "x"}}),
        ];
        for case in cases {
            let mut object: Object = serde_json::from_value(case.clone()).expect("parse");
            let stored = object.to_json();
            object.metadata.resource_version = "12345".into();
            assert_eq!(
                object.to_json_from_stored(&stored).as_deref(),
                Some(object.to_json().as_slice()),
                "{case}"
            );
        }
        // Another object's (or version's) JSON is refused, not spliced.
        let mut object: Object = serde_json::from_value(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}),
        )
        .expect("parse");
        let mut other = object.clone();
        other.api_version = "v2".into();
        object.metadata.resource_version = "7".into();
        assert_eq!(object.to_json_from_stored(&other.to_json()), None);
        other = object.clone();
        other.metadata.name = "ab".into();
        other.metadata.resource_version.clear();
        assert_eq!(object.to_json_from_stored(&other.to_json()), None);
    }
}
