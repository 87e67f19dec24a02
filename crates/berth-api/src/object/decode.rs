//! Decoding [`Object`] and [`ObjectMeta`] in one pass.
//!
//! Both keep the fields they do not model (`body`, `metadata.other`). serde's derived
//! `#[serde(flatten)]` would first buffer every field of the map into its own generic tree and
//! then decode the struct from that copy, which doubled the cost of every decode (the API
//! server decodes an object on each read-modify-write). These visitors read each key once:
//! a modelled field goes straight to its typed slot, any other field becomes a JSON value.
//!
//! As the rest of the API server expects, `null` reads as the field's default (kubectl and
//! YAML tools send `labels: null`); for a key that appears twice the last one wins, as in a
//! JSON value.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::{Object, ObjectMeta};

/// The next value of `map`, `null` (or absent) as the default.
fn or_default<'de, A, T>(map: &mut A) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(map.next_value::<Option<T>>()?.unwrap_or_default())
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Object, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Kubernetes object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut object = Object::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "apiVersion" => object.api_version = or_default(&mut map)?,
                        "kind" => object.kind = or_default(&mut map)?,
                        "metadata" => object.metadata = or_default(&mut map)?,
                        _ => {
                            let value: Value = map.next_value()?;
                            object.body.insert(key, value);
                        }
                    }
                }
                Ok(object)
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl<'de> Deserialize<'de> for ObjectMeta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
        struct MetaVisitor;

        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = ObjectMeta;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("object metadata")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ObjectMeta, A::Error> {
                let mut meta = ObjectMeta::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => meta.name = or_default(&mut map)?,
                        "generateName" => meta.generate_name = or_default(&mut map)?,
                        "namespace" => meta.namespace = or_default(&mut map)?,
                        "uid" => meta.uid = or_default(&mut map)?,
                        "resourceVersion" => meta.resource_version = or_default(&mut map)?,
                        "generation" => meta.generation = map.next_value()?,
                        "creationTimestamp" => meta.creation_timestamp = or_default(&mut map)?,
                        "deletionTimestamp" => meta.deletion_timestamp = map.next_value()?,
                        "deletionGracePeriodSeconds" => {
                            meta.deletion_grace_period_seconds = map.next_value()?;
                        }
                        "labels" => meta.labels = or_default(&mut map)?,
                        "annotations" => meta.annotations = or_default(&mut map)?,
                        "ownerReferences" => meta.owner_references = or_default(&mut map)?,
                        "finalizers" => meta.finalizers = or_default(&mut map)?,
                        "managedFields" => meta.managed_fields = or_default(&mut map)?,
                        _ => {
                            let value: Value = map.next_value()?;
                            meta.other.insert(key, value);
                        }
                    }
                }
                Ok(meta)
            }
        }

        deserializer.deserialize_map(MetaVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_field_lands_in_its_place_and_nulls_read_as_defaults() {
        let input = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "p", "generateName": "p-", "namespace": "ns", "uid": "u",
                "resourceVersion": "7", "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
                "deletionTimestamp": "2026-01-02T00:00:00Z", "deletionGracePeriodSeconds": 30,
                "labels": {"a": "b"}, "annotations": {"c": "d"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "r", "uid": "o"}],
                "finalizers": ["f"], "managedFields": [{"manager": "m"}], "selfLink": "/x",
            },
            "spec": {"containers": []}, "status": {"phase": "Pending"},
        });
        let text = serde_json::to_vec(&input).expect("encode");
        let object: Object = serde_json::from_slice(&text).expect("from bytes");
        let from_value: Object = serde_json::from_value(input.clone()).expect("from a value");
        assert_eq!(object, from_value);
        assert_eq!(object.to_value(), input, "round trip");
        let meta = &object.metadata;
        assert_eq!(
            (
                meta.name.as_str(),
                meta.generate_name.as_str(),
                meta.namespace.as_str()
            ),
            ("p", "p-", "ns")
        );
        assert_eq!(
            (meta.generation, meta.deletion_grace_period_seconds),
            (Some(3), Some(30))
        );
        assert_eq!(meta.other.get("selfLink"), Some(&json!("/x")));
        assert_eq!(object.body.len(), 2);

        let nulls: Object = serde_json::from_value(json!({
            "apiVersion": null, "kind": null, "metadata": {
                "name": null, "labels": null, "annotations": null, "ownerReferences": null,
                "finalizers": null, "managedFields": null, "generation": null,
                "deletionTimestamp": null,
            },
        }))
        .expect("nulls");
        assert_eq!(nulls, Object::default());
        let no_metadata: Object =
            serde_json::from_value(json!({"metadata": null, "data": {}})).expect("null metadata");
        assert_eq!(no_metadata.metadata, ObjectMeta::default());
    }

    #[test]
    fn wrong_types_are_errors_not_panics() {
        for bad in [
            json!([1, 2]),
            json!("text"),
            json!({"metadata": {"labels": {"a": 1}}}),
            json!({"metadata": {"generation": "one"}}),
            json!({"metadata": []}),
            json!({"kind": 5}),
        ] {
            assert!(
                serde_json::from_value::<Object>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
