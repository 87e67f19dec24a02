//! Controller references (`ownerReferences` with `controller: true`): reading them, making
//! them, and the adopt / release writes every workload controller performs on the objects
//! its selector matches.
//!
//! Invariant: adoption and release are merge patches carrying the object's `uid`, so they
//! never touch a same-named successor of the object that was looked at.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The controller reference of an object, if any.
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))
}

/// Whether `meta` is controlled by the object with uid `owner`.
pub fn controlled_by(meta: &ObjectMeta, owner: &str) -> bool {
    controller_of(meta).is_some_and(|o| o.uid == owner)
}

/// A controller reference to `owner` (which blocks the owner's foreground deletion).
pub fn controller_reference<K>(owner: &K) -> OwnerReference
where
    K: Resource<DynamicType = ()>,
{
    OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.meta().name.clone().unwrap_or_default(),
        uid: owner.meta().uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// Adds `owner` as the controller of `object`.
pub async fn adopt<K>(api: &Api<K>, object: &ObjectMeta, owner: OwnerReference) -> kube::Result<K>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut refs = object.owner_references.clone().unwrap_or_default();
    refs.push(owner);
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": object.uid}});
    api.patch(
        object.name.as_deref().unwrap_or_default(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}

/// Removes the reference to `owner` (a uid) from `object`.
pub async fn release<K>(api: &Api<K>, object: &ObjectMeta, owner: &str) -> kube::Result<K>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let refs: Vec<&OwnerReference> = object
        .owner_references
        .iter()
        .flatten()
        .filter(|o| o.uid != owner)
        .collect();
    let patch = json!({"metadata": {"ownerReferences": refs, "uid": object.uid}});
    api.patch(
        object.name.as_deref().unwrap_or_default(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}
