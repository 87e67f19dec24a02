//! `DELETE` of an object (DeleteOptions from the body or the query) and of a collection
//! (`deletecollection`, with selectors). A pod, and any object whose deletion is pending
//! (graceful, finalizers), answers with the object; other kinds with a `Status` of success,
//! as upstream.

use axum::body::Body;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::list::options as list_options;
use super::{MAX_BODY_BYTES, Query, json};
use crate::registry::{DeleteOptions, Deleted, Registry};
use crate::routes::Target;
use crate::status::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Preconditions {
    uid: Option<String>,
    resource_version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteBody {
    #[serde(default)]
    preconditions: Option<Preconditions>,
    #[serde(default)]
    dry_run: Vec<String>,
    grace_period_seconds: Option<i64>,
    propagation_policy: Option<String>,
    orphan_dependents: Option<bool>,
}

async fn options(query: &Query, body: Body) -> Result<DeleteOptions, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
    let parsed: DeleteBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        DeleteBody::default()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let preconditions = parsed.preconditions.unwrap_or_default();
    let orphan = parsed.orphan_dependents.or(query.orphan_dependents) == Some(true);
    Ok(DeleteOptions {
        grace_period_seconds: parsed.grace_period_seconds.or(query.grace_period_seconds),
        propagation_policy: parsed
            .propagation_policy
            .or_else(|| query.propagation_policy.clone())
            .or_else(|| orphan.then(|| "Orphan".to_string())),
        precondition_uid: preconditions.uid,
        precondition_rv: preconditions.resource_version,
        dry_run: query.dry_run() || parsed.dry_run.iter().any(|d| d == "All"),
    })
}

pub async fn delete(
    registry: &Registry,
    target: &Target,
    query: &Query,
    body: Body,
) -> Result<Response, ApiError> {
    if target.subresource.is_some() {
        return Err(ApiError::method_not_allowed("DELETE", "a subresource"));
    }
    let options = options(query, body).await?;
    let name = target.name.as_deref().unwrap_or_default();
    match registry
        .delete(target.rt, target.namespace(), name, &options)
        .await?
    {
        Deleted::Pending(object) => Ok(json(200, &object)),
        Deleted::Gone(object) if target.rt.group.is_empty() && target.rt.plural == "pods" => {
            Ok(json(200, &object))
        }
        Deleted::Gone(object) => Ok(json(
            200,
            &json!({
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": name, "group": target.rt.group, "kind": target.rt.plural, "uid": object.metadata.uid},
            }),
        )),
    }
}

/// `DELETE` on a collection: every object matching the selectors, answered with the list of
/// what was deleted.
pub async fn delete_collection(
    registry: &Registry,
    target: &Target,
    query: &Query,
    body: Body,
) -> Result<Response, ApiError> {
    let options = options(query, body).await?;
    let mut selection = list_options(query)?;
    selection.limit = None;
    selection.continue_token = None;
    let listed = registry
        .list(target.rt, target.namespace(), &selection)
        .await?;
    let mut items = Vec::new();
    for object in listed.items {
        let namespace =
            (!object.metadata.namespace.is_empty()).then_some(object.metadata.namespace.as_str());
        match registry
            .delete(target.rt, namespace, &object.metadata.name, &options)
            .await
        {
            Ok(Deleted::Gone(o) | Deleted::Pending(o)) => items.push(o.to_value()),
            // Deleted meanwhile by someone else: fine.
            Err(e) if e.reason == "NotFound" => {}
            Err(e) => return Err(e),
        }
    }
    Ok(json(
        200,
        &json!({
            "kind": format!("{}List", target.rt.kind),
            "apiVersion": target.rt.group_version().api_version(),
            "metadata": {},
            "items": items,
        }),
    ))
}
