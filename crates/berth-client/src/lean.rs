//! Watched objects decoded without their managedFields.
//!
//! In-process components decode every pod (and node) event; a pod's managedFields are about
//! a third of its decoded size and of the work to decode it, and no component reads them.
//! [`Lean<K>`] is `K` decoded from the same JSON with `metadata.managedFields` skipped
//! (serde still scans it, but builds nothing); use it as the type of a watch and unwrap the
//! events with [`unlean`].
//!
//! Invariant: a `Lean<K>`'s object is exactly what decoding `K` gives, minus managedFields.
//! An update built from it carries no managedFields, which the API server reads as
//! "unchanged" (as upstream).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, NodeSpec, NodeStatus, Pod, PodSpec, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::runtime::watcher::Event;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// `K` decoded without its managedFields.
#[derive(Clone, Debug)]
pub struct Lean<K>(pub K);

/// A kind of the shape `{metadata, spec, status}` that can be decoded lean.
pub trait LeanKind: k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta> + Sized {
    type Spec: DeserializeOwned;
    type Status: DeserializeOwned;
    fn assemble(
        metadata: ObjectMeta,
        spec: Option<Self::Spec>,
        status: Option<Self::Status>,
    ) -> Self;
}

impl LeanKind for Pod {
    type Spec = PodSpec;
    type Status = PodStatus;
    fn assemble(metadata: ObjectMeta, spec: Option<PodSpec>, status: Option<PodStatus>) -> Pod {
        Pod {
            metadata,
            spec,
            status,
        }
    }
}

impl LeanKind for Node {
    type Spec = NodeSpec;
    type Status = NodeStatus;
    fn assemble(metadata: ObjectMeta, spec: Option<NodeSpec>, status: Option<NodeStatus>) -> Node {
        Node {
            metadata,
            spec,
            status,
        }
    }
}

/// ObjectMeta's fields but managedFields (unknown keys are skipped).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Meta {
    annotations: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> ObjectMeta {
        ObjectMeta {
            annotations: m.annotations,
            creation_timestamp: m.creation_timestamp,
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            deletion_timestamp: m.deletion_timestamp,
            finalizers: m.finalizers,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            managed_fields: None,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: m.resource_version,
            self_link: m.self_link,
            uid: m.uid,
        }
    }
}

#[derive(Deserialize)]
#[serde(bound = "S: DeserializeOwned, T: DeserializeOwned")]
struct Raw<S, T> {
    #[serde(default)]
    metadata: Option<Meta>,
    spec: Option<S>,
    status: Option<T>,
}

impl<'de, K: LeanKind> Deserialize<'de> for Lean<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Raw::<K::Spec, K::Status>::deserialize(deserializer)?;
        let metadata = raw.metadata.unwrap_or_default().into();
        Ok(Lean(K::assemble(metadata, raw.spec, raw.status)))
    }
}

impl<K: k8s_openapi::Resource> k8s_openapi::Resource for Lean<K> {
    const API_VERSION: &'static str = K::API_VERSION;
    const GROUP: &'static str = K::GROUP;
    const KIND: &'static str = K::KIND;
    const VERSION: &'static str = K::VERSION;
    const URL_PATH_SEGMENT: &'static str = K::URL_PATH_SEGMENT;
    type Scope = K::Scope;
}

impl<K: k8s_openapi::Metadata<Ty = ObjectMeta>> k8s_openapi::Metadata for Lean<K> {
    type Ty = ObjectMeta;
    fn metadata(&self) -> &ObjectMeta {
        self.0.metadata()
    }
    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        self.0.metadata_mut()
    }
}

/// A watch event of `Lean<K>` as one of `K`.
pub fn unlean<K>(event: Event<Lean<K>>) -> Event<K> {
    match event {
        Event::Apply(Lean(k)) => Event::Apply(k),
        Event::Delete(Lean(k)) => Event::Delete(k),
        Event::Init => Event::Init,
        Event::InitApply(Lean(k)) => Event::InitApply(k),
        Event::InitDone => Event::InitDone,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lean_pod_is_the_pod_without_its_managed_fields() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": "web", "namespace": "default", "uid": "u1", "resourceVersion": "9",
                "labels": {"app": "web"}, "annotations": {"a": "b"}, "generation": 2,
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "deletionTimestamp": "2026-01-01T00:01:00Z", "deletionGracePeriodSeconds": 30,
                "finalizers": ["f"], "generateName": "web-",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                     "name": "rs", "uid": "u0", "controller": true}],
                "managedFields": [{"manager": "kubectl", "operation": "Update",
                                   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}],
            },
            "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Running", "podIP": "10.42.0.5"},
        });
        let Lean(lean): Lean<Pod> = serde_json::from_value(json.clone()).expect("lean");
        let mut full: Pod = serde_json::from_value(json).expect("full");
        assert!(full.metadata.managed_fields.take().is_some());
        assert_eq!(lean, full);

        let Lean(empty): Lean<Node> = serde_json::from_value(serde_json::json!({})).expect("{}");
        assert_eq!(empty, Node::default());
    }
}
