//! The `scale` subresource (`autoscaling/v1` `Scale`) of Deployments, ReplicaSets,
//! StatefulSets and ReplicationControllers: `kubectl scale` reads and writes `spec.replicas`
//! through it.

use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use berth_api::Object;
use serde_json::{Value, json};

use super::patch::Patch;
use super::{MAX_BODY_BYTES, Query, field_manager, json};
use crate::registry::{Registry, UpdateOptions, WriteScope};
use crate::routes::Target;
use crate::status::ApiError;

/// `spec.selector` as the label-selector string `Scale.status.selector` carries.
fn selector_string(object: &Object) -> String {
    let selector = object.body.get("spec").and_then(|s| s.get("selector"));
    let labels = selector.and_then(|s| s.get("matchLabels")).or_else(|| {
        // ReplicationControllers have a plain map selector.
        selector.filter(|s| s.get("matchExpressions").is_none())
    });
    let mut parts: Vec<String> = labels
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    for expr in selector
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        parts.push(match expr.get("operator").and_then(Value::as_str) {
            Some("In") => format!("{key} in ({})", values.join(",")),
            Some("NotIn") => format!("{key} notin ({})", values.join(",")),
            Some("Exists") => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    parts.join(",")
}

fn to_scale(object: &Object) -> Value {
    let replicas = object
        .body
        .get("spec")
        .and_then(|s| s.get("replicas"))
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let status_replicas = object
        .body
        .get("status")
        .and_then(|s| s.get("replicas"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": object.metadata.name,
            "namespace": object.metadata.namespace,
            "uid": object.metadata.uid,
            "resourceVersion": object.metadata.resource_version,
            "creationTimestamp": object.metadata.creation_timestamp,
        },
        "spec": {"replicas": replicas},
        "status": {"replicas": status_replicas, "selector": selector_string(object)},
    })
}

fn replicas_of(scale: &Value) -> Result<i64, ApiError> {
    let replicas = scale
        .pointer("/spec/replicas")
        .map(|r| {
            r.as_i64()
                .ok_or_else(|| ApiError::bad_request("spec.replicas must be an integer"))
        })
        .transpose()?
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::bad_request(
            "spec.replicas: must be greater than or equal to 0",
        ));
    }
    Ok(replicas)
}

pub async fn scale(
    registry: &Registry,
    target: &Target,
    method: &Method,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let current = registry.get(target.rt, target.namespace(), name).await?;
    let (replicas, precondition) = match *method {
        Method::GET => return Ok(json(200, &to_scale(&current))),
        Method::PUT => {
            let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
                .await
                .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
            let scale: Value = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::bad_request(format!("invalid Scale: {e}")))?;
            let rv = scale
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            (replicas_of(&scale)?, rv)
        }
        Method::PATCH => {
            let patch = Patch::read(headers, body).await?;
            let scale = patch.apply("Scale", to_scale(&current))?;
            let rv = if patch.sets_resource_version() {
                scale
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            } else {
                current.metadata.resource_version.clone()
            };
            (replicas_of(&scale)?, rv)
        }
        ref other => return Err(ApiError::method_not_allowed(other.as_str(), "scale")),
    };
    let mut updated = current.clone();
    updated.metadata.resource_version = precondition;
    let spec = updated.body.entry("spec").or_insert_with(|| json!({}));
    if let Some(spec) = spec.as_object_mut() {
        spec.insert("replicas".into(), json!(replicas));
    }
    let written = registry
        .update(
            target.rt,
            target.namespace(),
            name,
            updated,
            UpdateOptions {
                scope: WriteScope::Main,
                manager: Some(&field_manager(query, headers)),
                dry_run: query.dry_run(),
                current: Some(&current),
            },
        )
        .await?;
    Ok(json(200, &to_scale(&written)))
}
