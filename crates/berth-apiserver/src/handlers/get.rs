//! `GET` of one object (as JSON, or as a one-row Table).

use axum::response::Response;

use super::{Query, json};
use crate::registry::Registry;
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};

pub async fn get(
    registry: &Registry,
    target: &Target,
    query: &Query,
    as_table: bool,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let object = registry.get(target.rt, target.namespace(), name).await?;
    if as_table {
        let include = IncludeObject::parse(query.include_object.as_deref());
        let rv = object.metadata.resource_version.clone();
        return Ok(json(
            200,
            &table(target.rt, std::slice::from_ref(&object), include, &rv, None),
        ));
    }
    Ok(json(200, &object))
}
