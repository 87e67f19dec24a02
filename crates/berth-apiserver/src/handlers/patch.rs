//! `PATCH`: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch,
//! applied to the current object and written back with optimistic concurrency.
//!
//! A `resourceVersion` the patch itself sets (kubectl does this for `diff`, and in the CSA→SSA
//! managedFields migration) is the client's precondition: a stale one is 409. Otherwise a
//! concurrent write is retried on the new state, as upstream. A patch that changes nothing
//! writes nothing.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use berth_api::Object;
use serde_json::Value;

use super::{
    MAX_BODY_BYTES, Query, field_manager, json, json_bytes, validate_object_fields, with_warnings,
};
use crate::registry::{Registry, UpdateOptions, WriteScope};
use crate::routes::Target;
use crate::status::ApiError;

/// The patch formats, from the Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
}

impl PatchKind {
    pub fn from_headers(headers: &HeaderMap) -> Result<PatchKind, ApiError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Ok(PatchKind::Json),
            "application/merge-patch+json" => Ok(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
            _ => Err(ApiError::unsupported_media_type(content_type)),
        }
    }
}

/// A parsed patch body.
pub enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
    Strategic(Value),
}

impl Patch {
    pub async fn read(headers: &HeaderMap, body: Body) -> Result<Patch, ApiError> {
        let kind = PatchKind::from_headers(headers)?;
        let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
            .await
            .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
        let bad =
            |e: serde_json::Error| ApiError::bad_request(format!("the patch is not valid: {e}"));
        Ok(match kind {
            PatchKind::Json => Patch::Json(serde_json::from_slice(&bytes).map_err(bad)?),
            PatchKind::Merge | PatchKind::Strategic => {
                let value: Value = serde_json::from_slice(&bytes).map_err(bad)?;
                if !value.is_object() {
                    return Err(ApiError::bad_request("the patch must be a JSON object"));
                }
                if kind == PatchKind::Merge {
                    Patch::Merge(value)
                } else {
                    Patch::Strategic(value)
                }
            }
        })
    }

    /// Whether the patch sets `metadata.resourceVersion` itself (a client precondition).
    pub fn sets_resource_version(&self) -> bool {
        match self {
            Patch::Json(patch) => patch
                .0
                .iter()
                .any(|op| *op.path() == "/metadata/resourceVersion"),
            Patch::Merge(v) | Patch::Strategic(v) => {
                v.pointer("/metadata/resourceVersion").is_some()
            }
        }
    }

    /// `current` patched. A merge patch that leaves metadata and the object's identity alone
    /// (a status or spec patch) merges into a copy of the body; anything else patches the
    /// object's JSON and decodes the result.
    pub fn apply_to(&self, kind: &str, current: &Object) -> Result<Object, ApiError> {
        if let Patch::Merge(Value::Object(patch)) = self
            && !patch
                .keys()
                .any(|k| matches!(k.as_str(), "metadata" | "apiVersion" | "kind"))
        {
            let mut patched = current.clone();
            for (key, value) in patch {
                if value.is_null() {
                    patched.body.remove(key);
                } else {
                    json_patch::merge(patched.body.entry(key).or_insert(Value::Null), value);
                }
            }
            return Ok(patched);
        }
        let after = self.apply(kind, current.to_value())?;
        serde_json::from_value(after)
            .map_err(|e| ApiError::bad_request(format!("the patched object is not valid: {e}")))
    }

    /// The patched document.
    pub fn apply(&self, kind: &str, mut document: Value) -> Result<Value, ApiError> {
        match self {
            Patch::Json(patch) => json_patch::patch(&mut document, patch).map_err(|e| {
                ApiError::unprocessable(format!("the JSON patch cannot be applied: {e}"))
            })?,
            Patch::Merge(patch) => json_patch::merge(&mut document, patch),
            Patch::Strategic(patch) => {
                document = berth_api::strategic_merge::apply(kind, &document, patch)
                    .map_err(|e| ApiError::unprocessable(e.to_string()))?;
            }
        }
        Ok(document)
    }
}

/// Field validation of a status write, on either path: the new status alone (a status write
/// changes nothing else; the rest of the object is not the request's). `object` is given
/// back as it was.
fn status_fields(
    query: &Query,
    rt: &berth_api::ResourceType,
    object: &mut Object,
) -> Result<Vec<String>, ApiError> {
    let mut probe = Object::default();
    if let Some(status) = object.body.remove("status") {
        probe.body.insert("status".into(), status);
    }
    let checked = validate_object_fields(query, rt, &probe);
    if let Some(status) = probe.body.remove("status") {
        object.body.insert("status".into(), status);
    }
    checked
}

pub async fn patch(
    registry: &Registry,
    target: &Target,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let patch = Patch::read(headers, body).await?;
    let scope = match target.subresource.as_deref() {
        Some("status") => WriteScope::Status,
        Some("finalize") => WriteScope::Finalize,
        _ => WriteScope::Main,
    };
    let client_precondition = patch.sets_resource_version();
    // A status merge patch (what kubelets send) is applied to the stored JSON.
    if scope == WriteScope::Status
        && !client_precondition
        && !query.dry_run()
        && let Patch::Merge(Value::Object(fields)) = &patch
        && fields.len() == 1
        && let Some(status) = fields.get("status")
    {
        let check = |object: &mut Object| status_fields(query, target.rt, object);
        if let Some((updated, warnings)) = registry
            .merge_status(target.rt, target.namespace(), name, status, check)
            .await?
        {
            return Ok(with_warnings(json_bytes(200, updated.json()), &warnings));
        }
    }
    let mut cached_ok = true;
    loop {
        let current = registry
            .get_for_update(target.rt, target.namespace(), name, cached_ok)
            .await?;
        cached_ok = false;
        let mut patched = patch.apply_to(target.rt.kind, &current)?;
        if patched == current {
            // Nothing to write, as upstream: the object as it is.
            return Ok(json(200, &current));
        }
        let warnings = if scope == WriteScope::Status {
            status_fields(query, target.rt, &mut patched)?
        } else {
            validate_object_fields(query, target.rt, &patched)?
        };
        if !client_precondition || patched.metadata.resource_version.is_empty() {
            patched.metadata.resource_version = current.metadata.resource_version.clone();
        }
        match registry
            .update_written(
                target.rt,
                target.namespace(),
                name,
                patched,
                UpdateOptions {
                    scope,
                    manager: Some(&field_manager(query, headers)),
                    dry_run: query.dry_run(),
                    current: Some(&current),
                },
            )
            .await
        {
            Err(err) if err.reason == "Conflict" && !client_precondition => continue,
            Err(err) => return Err(err),
            Ok(updated) => return Ok(with_warnings(json_bytes(200, updated.json()), &warnings)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_on_the_body_is_the_merge_of_the_whole_document() {
        let current = Object::from_json(
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "d", "labels": {"app": "web"}, "resourceVersion": "4"},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "a"}], "priority": 3},
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True"}]},
            })
            .to_string()
            .as_bytes(),
        )
        .expect("pod");
        let patches = [
            json!({"status": {"phase": "Running", "podIP": "10.0.0.2", "conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"spec": {"priority": null, "containers": [{"name": "c", "image": "b"}]}}),
            json!({"status": null}),
            json!({"status": {"phase": {"nested": {"gone": null, "kept": 1}}}}),
            json!({"data": {"a": "1", "b": null}, "spec": 7}),
            json!({}),
            // Not on the fast path: metadata and identity.
            json!({"metadata": {"labels": {"app": null, "tier": "x"}}, "status": {"phase": "Failed"}}),
            json!({"apiVersion": "v1", "spec": {"nodeName": "n2"}}),
        ];
        for patch in patches {
            let merge = Patch::Merge(patch.clone());
            let whole: Object =
                serde_json::from_value(merge.apply("Pod", current.to_value()).expect("apply"))
                    .expect("decode");
            assert_eq!(
                merge.apply_to("Pod", &current).expect("apply_to"),
                whole,
                "{patch}"
            );
        }
    }
}
