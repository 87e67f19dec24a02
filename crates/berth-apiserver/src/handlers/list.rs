//! `GET` of a collection: selectors, `limit`/`continue`, as a `<Kind>List` or a Table.

use axum::response::Response;
use berth_api::selector::{FieldSelector, LabelSelector};
use serde_json::json;

use super::{Query, json};
use crate::registry::{ListOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};

pub fn options(query: &Query) -> Result<ListOptions, ApiError> {
    Ok(ListOptions {
        labels: LabelSelector::parse(query.label_selector.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse labelSelector: {e}")))?,
        fields: FieldSelector::parse(query.field_selector.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse fieldSelector: {e}")))?,
        limit: query.limit.filter(|&l| l > 0),
        continue_token: query.continue_token.clone().filter(|t| !t.is_empty()),
    })
}

pub async fn list(
    registry: &Registry,
    target: &Target,
    query: &Query,
    as_table: bool,
) -> Result<Response, ApiError> {
    let options = options(query)?;
    let result = registry
        .list(target.rt, target.namespace(), &options)
        .await?;
    let rv = result.revision.to_string();
    if as_table {
        let include = IncludeObject::parse(query.include_object.as_deref());
        return Ok(json(
            200,
            &table(
                target.rt,
                &result.items,
                include,
                &rv,
                result.continue_token.as_deref(),
            ),
        ));
    }
    let mut metadata = json!({"resourceVersion": rv});
    if let Some(token) = &result.continue_token {
        metadata["continue"] = json!(token);
    }
    if let Some(remaining) = result.remaining {
        metadata["remainingItemCount"] = json!(remaining);
    }
    let items: Vec<_> = result.items.iter().map(|o| o.to_value()).collect();
    Ok(json(
        200,
        &json!({
            "kind": format!("{}List", target.rt.kind),
            "apiVersion": target.rt.group_version().api_version(),
            "metadata": metadata,
            "items": items,
        }),
    ))
}
