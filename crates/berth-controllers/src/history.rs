//! ControllerRevisions: the template history of DaemonSets and StatefulSets, as upstream
//! keeps it. Each distinct template is one ControllerRevision `<owner>-<hash>` whose `data`
//! is the strategic merge patch that restores it (`{"spec":{"template":{…,"$patch":
//! "replace"}}}`, what `kubectl rollout undo` applies) and whose `revision` numbers it.
//! Returning to an older template renumbers that revision as the newest, as upstream.
//!
//! Invariant: the current revision is found by its data (canonical JSON equality), never by
//! name, so a hash collision is detected (the owner's `collisionCount` then changes the name).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ControllerRevision;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, Preconditions};
use serde_json::{Value, json};

use crate::hash;
use crate::ownership::controlled_by;

/// The pod label naming the revision a pod was made from.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// The patch that restores `template`.
pub fn patch_for(template: &PodTemplateSpec) -> Value {
    let mut value = serde_json::to_value(template).unwrap_or_else(|_| json!({}));
    if let Some(map) = value.as_object_mut() {
        map.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": value}})
}

fn data_of(revision: &ControllerRevision) -> Option<Value> {
    revision
        .data
        .as_ref()
        .and_then(|d| hash::canonical(d.0.clone()))
}

/// The owner's ControllerRevisions (controller reference to `owner_uid`), oldest first.
pub fn owned<'a>(
    all: impl IntoIterator<Item = &'a ControllerRevision>,
    owner_uid: &str,
) -> Vec<ControllerRevision> {
    let mut list: Vec<ControllerRevision> = all
        .into_iter()
        .filter(|r| controlled_by(&r.metadata, owner_uid))
        .cloned()
        .collect();
    list.sort_by_key(|r| r.revision);
    list
}

/// The outcome of [`current`]: the revision of the owner's template, and its hash.
pub struct Current {
    pub revision: ControllerRevision,
    pub hash: String,
}

/// Why the current revision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("hash collision: {0} exists with other data")]
    Collision(String),
    #[error(transparent)]
    Api(#[from] kube::Error),
}

/// Finds or creates the revision for `template`, renumbering it as the newest if it was an
/// older one. `labels` are the template's (a revision is selected like the owner's pods).
pub async fn current(
    api: &Api<ControllerRevision>,
    owner: OwnerReference,
    template: &PodTemplateSpec,
    collision_count: Option<i32>,
    revisions: &[ControllerRevision],
) -> Result<Current, HistoryError> {
    let patch = patch_for(template);
    let canonical = hash::canonical(patch.clone());
    let newest = revisions.iter().map(|r| r.revision).max().unwrap_or(0);
    let label_hash = |r: &ControllerRevision| {
        r.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(REVISION_LABEL))
            .cloned()
    };
    if let Some(found) = revisions.iter().rev().find(|r| data_of(r) == canonical) {
        let hash =
            label_hash(found).unwrap_or_else(|| hash::of(canonical.as_ref(), collision_count));
        if found.revision == newest {
            return Ok(Current {
                revision: found.clone(),
                hash,
            });
        }
        let renumbered = api
            .patch(
                found.metadata.name.as_deref().unwrap_or_default(),
                &PatchParams::default(),
                &Patch::Merge(&json!({
                    "metadata": {"resourceVersion": found.metadata.resource_version},
                    "revision": newest + 1,
                })),
            )
            .await?;
        return Ok(Current {
            revision: renumbered,
            hash,
        });
    }
    let hash = hash::of(canonical.as_ref(), collision_count);
    let name = format!("{}-{hash}", owner.name);
    let mut labels: BTreeMap<String, String> = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    labels.insert(REVISION_LABEL.into(), hash.clone());
    let namespace = api_namespace(api);
    let revision = ControllerRevision {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace,
            labels: Some(labels),
            owner_references: Some(vec![owner.clone()]),
            ..ObjectMeta::default()
        },
        data: Some(RawExtension(patch)),
        revision: newest + 1,
    };
    match api.create(&PostParams::default(), &revision).await {
        Ok(created) => Ok(Current {
            revision: created,
            hash,
        }),
        Err(kube::Error::Api(e)) if e.code == 409 => {
            let existing = api.get(&name).await?;
            if controlled_by(&existing.metadata, &owner.uid) && data_of(&existing) == canonical {
                Ok(Current {
                    revision: existing,
                    hash,
                })
            } else {
                Err(HistoryError::Collision(name))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// The namespace an `Api` was made for (ControllerRevisions are namespaced).
fn api_namespace(api: &Api<ControllerRevision>) -> Option<String> {
    api.namespace().map(str::to_string)
}

/// Deletes the oldest revisions beyond `limit` that no pod uses (`in_use`: hashes).
pub async fn truncate(
    api: &Api<ControllerRevision>,
    revisions: &[ControllerRevision],
    current: &str,
    in_use: &std::collections::HashSet<String>,
    limit: i32,
) -> kube::Result<()> {
    let candidates: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| {
            let hash = r
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(REVISION_LABEL))
                .cloned()
                .unwrap_or_default();
            r.metadata.name.as_deref() != Some(current) && !in_use.contains(&hash)
        })
        .collect();
    let excess = candidates
        .len()
        .saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
    for r in candidates.into_iter().take(excess) {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: r.metadata.uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api
            .delete(r.metadata.name.as_deref().unwrap_or_default(), &params)
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
