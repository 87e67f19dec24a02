//! Server-side apply: `PATCH` with `application/apply-patch+yaml` (`kubectl apply
//! --server-side`). The body is the manager's complete intent; [`ownership::apply`] merges it
//! and records ownership. Creates the object when it does not exist (201).
//! Conflicts answer 409 with one `FieldManagerConflict` cause per field, as upstream;
//! `force=true` takes the fields over.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use berth_api::Object;
use serde_json::{Value, json};

use super::{MAX_BODY_BYTES, Query, field_manager, json, validate_fields, with_warnings};
use crate::registry::{Registry, UpdateOptions, WriteScope, ownership};
use crate::routes::Target;
use crate::status::ApiError;

pub fn is_apply(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';').next().unwrap_or_default().trim() == "application/apply-patch+yaml"
        })
}

fn conflict_error(target: &Target, name: &str, conflicts: &[ownership::Conflict]) -> ApiError {
    let causes: Vec<serde_json::Value> = conflicts
        .iter()
        .map(|c| {
            json!({
                "reason": "FieldManagerConflict",
                "message": format!("conflict with \"{}\" using {}", c.manager, c.api_version),
                "field": c.field,
            })
        })
        .collect();
    let listed: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "conflict with \"{}\" using {}: {}",
                c.manager, c.api_version, c.field
            )
        })
        .collect();
    let noun = if conflicts.len() == 1 {
        "conflict"
    } else {
        "conflicts"
    };
    ApiError {
        code: 409,
        reason: "Conflict",
        message: format!(
            "Apply failed with {} {noun}: {}",
            conflicts.len(),
            listed.join("\n")
        ),
        details: Some(
            json!({"name": name, "group": target.rt.group, "kind": target.rt.plural, "causes": causes}),
        ),
    }
}

/// An object with its managedFields' timestamps removed, to see whether an apply changes
/// anything (a no-op apply writes nothing, as upstream).
fn without_times(object: &Object) -> serde_json::Value {
    let mut copy = object.clone();
    for entry in &mut copy.metadata.managed_fields {
        if let Some(entry) = entry.as_object_mut() {
            entry.remove("time");
        }
    }
    copy.to_value()
}

pub async fn apply(
    registry: &Registry,
    target: &Target,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if target.subresource.is_some() {
        return Err(ApiError::method_not_allowed(
            "PATCH (apply)",
            "a subresource",
        ));
    }
    if query.field_manager.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::bad_request(
            "PATCH with apply requires a fieldManager",
        ));
    }
    let manager = field_manager(query, headers);
    let name = target.name.as_deref().unwrap_or_default();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
    let applied: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the apply configuration must be JSON (kubectl sends JSON; YAML bodies are not supported yet): {e}"
        ))
    })?;
    let warnings = validate_fields(query, target.rt, &applied)?;
    let mut applied: Object = serde_json::from_value(applied).map_err(|e| {
        ApiError::bad_request(format!(
            "the apply configuration must be JSON (kubectl sends JSON; YAML bodies are not supported yet): {e}"
        ))
    })?;
    if !applied.metadata.name.is_empty() && applied.metadata.name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            applied.metadata.name
        )));
    }
    applied.metadata.name = name.to_string();
    let force = query.force == Some(true);
    loop {
        let live = match registry.get(target.rt, target.namespace(), name).await {
            Ok(live) => Some(live),
            Err(e) if e.reason == "NotFound" => None,
            Err(e) => return Err(e),
        };
        let result = ownership::apply(target.rt, live.as_ref(), &applied, &manager, force)
            .map_err(|conflicts| conflict_error(target, name, &conflicts))?;
        let written = match live {
            None => match registry
                .create(target.rt, target.namespace(), result, None, query.dry_run())
                .await
            {
                Ok(created) => {
                    return Ok(with_warnings(json(201, &created), &warnings).into_response());
                }
                // Created concurrently: apply onto it.
                Err(e) if e.reason == "AlreadyExists" => continue,
                Err(e) => return Err(e),
            },
            Some(live) => {
                if without_times(&result) == without_times(&live) {
                    return Ok(with_warnings(json(200, &live), &warnings));
                }
                registry
                    .update(
                        target.rt,
                        target.namespace(),
                        name,
                        result,
                        UpdateOptions {
                            scope: WriteScope::Main,
                            manager: None,
                            dry_run: query.dry_run(),
                            current: Some(&live),
                        },
                    )
                    .await
            }
        };
        match written {
            Ok(updated) => return Ok(with_warnings(json(200, &updated), &warnings)),
            Err(e) if e.reason == "Conflict" => continue,
            Err(e) => return Err(e),
        }
    }
}
