//! `GET` of a collection: selectors, `limit`/`continue`, as a `<Kind>List`, a Table or a
//! `PartialObjectMetadataList`.
//!
//! Served from the watch cache when it can be: no continue token, and the matching objects fit
//! in `limit` — or any `limit` for `resourceVersion=0` and `resourceVersionMatch=NotOlderThan`,
//! which upstream's cache answers whole (the limit is advisory: no `continue`, every item),
//! so informers' initial lists and relists (`resourceVersion=0&limit=500`) never page through
//! the store. A list without `resourceVersion` is a consistent read, so the cache must first
//! have caught up with the store's current revision; `resourceVersion=0` takes the cache as it
//! is. Everything else (paging through big lists, `resourceVersionMatch=Exact`) reads the
//! store at one revision: for `Exact` the one asked for (410 once compacted, 504 if the store
//! has not reached it).

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use berth_api::Object;
use berth_api::selector::{FieldSelector, LabelSelector};
use berth_store::Revision;
use bytes::{BufMut, BytesMut};
use serde_json::json;

use super::shape::{METADATA_API_VERSION, Shape, metadata_of};
use super::{Query, json};
use crate::registry::{ListOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};
use crate::watch_cache::Cached;

/// Upstream's `ValidateListOptions` of `resourceVersionMatch` and `sendInitialEvents` (with
/// watch-lists enabled): a 422 on `ListOptions` naming each rule broken.
pub fn check_version_match(query: &Query) -> Result<(), ApiError> {
    let matching = query
        .resource_version_match
        .as_deref()
        .filter(|m| !m.is_empty());
    let rv = query.resource_version.as_deref().unwrap_or_default();
    let continues = query
        .continue_token
        .as_deref()
        .is_some_and(|t| !t.is_empty());
    let mut causes = Vec::new();
    let forbidden = |field: &str, message: &str| {
        (
            field.to_string(),
            format!("Forbidden: {message}"),
            "FieldValueForbidden",
        )
    };
    let not_supported = |value: &str, supported: &str| {
        (
            "resourceVersionMatch".to_string(),
            format!("Unsupported value: {value:?}: supported values: {supported}"),
            "FieldValueNotSupported",
        )
    };
    const MATCH: &str = "resourceVersionMatch";
    if query.is_watch() {
        if query.send_initial_events.is_some() && matching != Some("NotOlderThan") {
            causes.push(forbidden(
                MATCH,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if let Some(matching) = matching {
            if query.send_initial_events.is_none() {
                causes.push(forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ));
            }
            if matching != "NotOlderThan" {
                causes.push(not_supported(matching, "\"NotOlderThan\""));
            }
            if continues {
                causes.push(forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
        }
    } else {
        if let Some(matching) = matching {
            if rv.is_empty() {
                causes.push(forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            if continues {
                causes.push(forbidden(
                    MATCH,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
            if matching != "Exact" && matching != "NotOlderThan" {
                causes.push(not_supported(matching, "\"Exact\", \"NotOlderThan\", \"\""));
            }
            if matching == "Exact" && rv == "0" {
                causes.push(forbidden(
                    MATCH,
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
        }
        if query.send_initial_events.is_some() {
            causes.push(forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for list",
            ));
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid_kind(
        "meta.k8s.io",
        "ListOptions",
        "",
        causes,
    ))
}

pub fn options(query: &Query) -> Result<ListOptions, ApiError> {
    check_version_match(query)?;
    Ok(ListOptions {
        labels: LabelSelector::parse(query.label_selector.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse labelSelector: {e}")))?,
        fields: FieldSelector::parse(query.field_selector.as_deref().unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse fieldSelector: {e}")))?,
        limit: query.limit.filter(|&l| l > 0),
        continue_token: query.continue_token.clone().filter(|t| !t.is_empty()),
        exact: match query.resource_version_match.as_deref() {
            Some("Exact") => {
                let rv = query.resource_version.as_deref().unwrap_or_default();
                Some(Revision::new(rv.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))
                })?))
            }
            _ => None,
        },
    })
}

/// Whether a cache entry passes the selectors: labels and indexed fields from its metadata;
/// other fields (rare) from its JSON.
pub fn matches_cached(options: &ListOptions, cached: &Cached) -> bool {
    let fields = &options.fields;
    options.labels.matches(&cached.meta.labels)
        && (fields.is_empty()
            || if fields.reads_only(cached.meta.indexed) {
                fields.matches_values(|path| Cow::Borrowed(cached.meta.field(path)))
            } else {
                serde_json::from_slice::<serde_json::Value>(&cached.json)
                    .is_ok_and(|value| fields.matches_kind(cached.meta.plural, &value))
            })
}

/// The revision a read must reflect: `None` for "whatever the cache has" (`resourceVersion=0`).
pub async fn wanted_revision(
    registry: &Registry,
    resource_version: Option<&str>,
) -> Result<Option<Revision>, ApiError> {
    match resource_version.filter(|rv| !rv.is_empty()) {
        Some("0") => Ok(None),
        Some(rv) => rv
            .parse::<i64>()
            .map(|n| Some(Revision::new(n)))
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))),
        None => registry
            .store()
            .current_revision()
            .await
            .map(Some)
            .map_err(ApiError::from_store),
    }
}

/// The matching objects from the cache, if the cache can answer this request.
async fn from_cache(
    registry: &Registry,
    target: &Target,
    query: &Query,
    options: &ListOptions,
) -> Result<Option<(Vec<Arc<Cached>>, Revision)>, ApiError> {
    if options.continue_token.is_some() || query.resource_version_match.as_deref() == Some("Exact")
    {
        return Ok(None);
    }
    let cache = registry.caches().get(target.rt).await?;
    if let Some(revision) = wanted_revision(registry, query.resource_version.as_deref()).await?
        && !cache.wait_for(revision).await
    {
        return Ok(None);
    }
    let (objects, revision) = cache.snapshot(&Registry::prefix(target.rt, target.namespace()));
    let selected: Vec<Arc<Cached>> = if options.labels.is_empty() && options.fields.is_empty() {
        objects
    } else {
        objects
            .into_iter()
            .filter(|c| matches_cached(options, c))
            .collect()
    };
    let rv = query.resource_version.as_deref().unwrap_or_default();
    let whole = rv == "0"
        || (!rv.is_empty() && query.resource_version_match.as_deref() == Some("NotOlderThan"));
    if !whole && options.limit.is_some_and(|limit| selected.len() > limit) {
        return Ok(None);
    }
    Ok(Some((selected, revision)))
}

/// A `<Kind>List` (or, for metadata, a `PartialObjectMetadataList`) written from
/// already-serialised items.
fn list_response(
    target: &Target,
    shape: Shape,
    items: &[&[u8]],
    metadata: serde_json::Value,
) -> Response {
    let head = match shape {
        Shape::Metadata => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": METADATA_API_VERSION,
            "metadata": metadata,
        }),
        _ => json!({
            "kind": format!("{}List", target.rt.kind),
            "apiVersion": target.rt.group_version().api_version(),
            "metadata": metadata,
        }),
    }
    .to_string();
    let mut body =
        BytesMut::with_capacity(head.len() + items.iter().map(|i| i.len() + 1).sum::<usize>() + 16);
    // `head` is a JSON object: reopen it to append the items.
    body.put_slice(&head.as_bytes()[..head.len() - 1]);
    body.put_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.put_u8(b',');
        }
        body.put_slice(item);
    }
    body.put_slice(b"]}");
    let mut response = Response::new(Body::from(body.freeze()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub async fn list(
    registry: &Registry,
    target: &Target,
    query: &Query,
    shape: Shape,
) -> Result<Response, ApiError> {
    let options = options(query)?;
    let include = IncludeObject::parse(query.include_object.as_deref());
    if let Some((cached, revision)) = from_cache(registry, target, query, &options).await? {
        let rv = revision.to_string();
        if shape == Shape::Table {
            let objects = cached
                .iter()
                .map(|c| c.object().map(std::borrow::Cow::into_owned))
                .collect::<Result<Vec<Object>, _>>()?;
            return Ok(json(200, &table(target.rt, &objects, include, &rv, None)));
        }
        let partial: Vec<Vec<u8>> = match shape {
            Shape::Metadata => cached.iter().map(|c| metadata_of(&c.json)).collect(),
            _ => Vec::new(),
        };
        let items: Vec<&[u8]> = match shape {
            Shape::Metadata => partial.iter().map(Vec::as_slice).collect(),
            _ => cached.iter().map(|c| c.json.as_ref()).collect(),
        };
        return Ok(list_response(
            target,
            shape,
            &items,
            json!({"resourceVersion": rv}),
        ));
    }
    let result = registry
        .list(target.rt, target.namespace(), &options)
        .await?;
    // A resourceVersion the store has not reached (the cache waited for it in vain).
    let requested = match query
        .resource_version
        .as_deref()
        .filter(|rv| !rv.is_empty() && *rv != "0" && options.continue_token.is_none())
    {
        // An explicit number only: without one, `wanted_revision` would read the store's
        // current revision, which later writes may have moved past this read's.
        Some(rv) => wanted_revision(registry, Some(rv)).await?,
        None => None,
    };
    if let Some(requested) = requested.filter(|requested| *requested > result.revision) {
        return Err(ApiError::too_large_resource_version(
            requested.get(),
            result.revision.get(),
        ));
    }
    let rv = result.revision.to_string();
    if shape == Shape::Table {
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
    let encoded: Vec<Vec<u8>> = result
        .items
        .iter()
        .map(|object| match shape {
            Shape::Metadata => metadata_of(&object.to_json()),
            _ => object.to_json(),
        })
        .collect();
    let items: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
    Ok(list_response(target, shape, &items, metadata))
}
