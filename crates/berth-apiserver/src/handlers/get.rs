//! `GET` of one object (as JSON, as a one-row Table, or its metadata only).

use axum::response::Response;

use super::shape::{Shape, metadata_of};
use super::{Query, json, json_bytes};
use crate::registry::Registry;
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};

pub async fn get(
    registry: &Registry,
    target: &Target,
    query: &Query,
    shape: Shape,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let object = registry.get(target.rt, target.namespace(), name).await?;
    if shape == Shape::Metadata {
        return Ok(json_bytes(200, metadata_of(&object.to_json()).into()));
    }
    if shape == Shape::Table {
        let include = IncludeObject::parse(query.include_object.as_deref());
        let rv = object.metadata.resource_version.clone();
        return Ok(json(
            200,
            &table(target.rt, std::slice::from_ref(&object), include, &rv, None),
        ));
    }
    Ok(json(200, &object))
}
