//! `PUT` of an object (or its `status`): replace it, honouring `resourceVersion` as a
//! precondition.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Query, field_manager, json_bytes, read_object, validate_object_fields, with_warnings};
use crate::registry::{Registry, UpdateOptions, WriteScope};
use crate::routes::Target;
use crate::status::ApiError;

pub async fn update(
    registry: &Registry,
    target: &Target,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let object = read_object(headers, body).await?;
    let warnings = validate_object_fields(query, target.rt, &object)?;
    let scope = match target.subresource.as_deref() {
        Some("status") => WriteScope::Status,
        Some("finalize") => WriteScope::Finalize,
        _ => WriteScope::Main,
    };
    let updated = registry
        .update_written(
            target.rt,
            target.namespace(),
            name,
            object,
            UpdateOptions {
                scope,
                manager: Some(&field_manager(query, headers)),
                dry_run: query.dry_run(),
                current: None,
            },
        )
        .await?;
    Ok(with_warnings(json_bytes(200, updated.json()), &warnings))
}
