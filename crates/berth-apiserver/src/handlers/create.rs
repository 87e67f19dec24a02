//! `POST` to a collection: create an object (201).

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

use super::{Query, field_manager, json_bytes, read_object, validate_object_fields, with_warnings};
use crate::registry::Registry;
use crate::routes::Target;
use crate::status::ApiError;

pub async fn create(
    registry: &Registry,
    target: &Target,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if target.subresource.is_some() {
        return Err(ApiError::method_not_allowed("POST", "a subresource"));
    }
    let object = read_object(headers, body).await?;
    let warnings = validate_object_fields(query, target.rt, &object)?;
    let created = registry
        .create_written(
            target.rt,
            target.namespace(),
            object,
            Some(&field_manager(query, headers)),
            query.dry_run(),
        )
        .await?;
    Ok(with_warnings(json_bytes(201, created.json()), &warnings))
}
