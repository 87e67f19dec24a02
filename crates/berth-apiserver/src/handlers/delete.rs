//! `DELETE` of an object, with DeleteOptions preconditions. Pods answer with the deleted object,
//! other kinds with a `Status` of success, as upstream.

use axum::body::Body;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::{MAX_BODY_BYTES, Query, json};
use crate::registry::Registry;
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
struct DeleteOptions {
    #[serde(default)]
    preconditions: Option<Preconditions>,
    #[serde(default)]
    dry_run: Vec<String>,
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
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
    let options: DeleteOptions = if bytes.iter().all(u8::is_ascii_whitespace) {
        DeleteOptions::default()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let preconditions = options.preconditions.unwrap_or_default();
    let dry_run = query.dry_run() || options.dry_run.iter().any(|d| d == "All");
    let name = target.name.as_deref().unwrap_or_default();
    let deleted = registry
        .delete(
            target.rt,
            target.namespace(),
            name,
            preconditions.uid.as_deref(),
            preconditions.resource_version.as_deref(),
            dry_run,
        )
        .await?;
    if target.rt.group.is_empty() && target.rt.plural == "pods" {
        return Ok(json(200, &deleted.to_value()));
    }
    Ok(json(
        200,
        &json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {"name": name, "group": target.rt.group, "kind": target.rt.plural, "uid": deleted.metadata.uid},
        }),
    ))
}
