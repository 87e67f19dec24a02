//! `POST pods/<name>/binding` (and the older `POST namespaces/<ns>/bindings`): the scheduler's
//! write. `POST pods/<name>/eviction`: `kubectl drain`'s delete that honours disruption budgets.

use axum::body::Body;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::{Value, json};

use super::{json, read_object};
use crate::registry::{DeleteOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;

fn success() -> Response {
    json(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    )
}

pub async fn bind(
    registry: &Registry,
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if *method != Method::POST {
        return Err(ApiError::method_not_allowed(
            method.as_str(),
            "pods/binding",
        ));
    }
    let binding = read_object(headers, body).await?;
    // The subresource names the pod in the URL; the `bindings` collection in the body.
    let name = match (&target.name, target.rt.plural) {
        (Some(name), "pods") => name.clone(),
        _ => binding.metadata.name.clone(),
    };
    if !binding.metadata.name.is_empty() && binding.metadata.name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            binding.metadata.name
        )));
    }
    let node = binding
        .body
        .get("target")
        .and_then(|t| t.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let uid = Some(binding.metadata.uid.as_str()).filter(|u| !u.is_empty());
    registry
        .bind_pod(target.namespace().unwrap_or("default"), &name, uid, node)
        .await?;
    Ok(success())
}

pub async fn evict(
    registry: &Registry,
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if *method != Method::POST {
        return Err(ApiError::method_not_allowed(
            method.as_str(),
            "pods/eviction",
        ));
    }
    let eviction = read_object(headers, body).await?;
    let name = target.name.clone().unwrap_or_default();
    if !eviction.metadata.name.is_empty() && eviction.metadata.name != name {
        return Err(ApiError::bad_request(format!(
            "name in URL does not match name in Eviction object: {name} != {}",
            eviction.metadata.name
        )));
    }
    let delete = eviction.body.get("deleteOptions");
    let options = DeleteOptions {
        grace_period_seconds: delete
            .and_then(|d| d.get("gracePeriodSeconds"))
            .and_then(Value::as_i64),
        propagation_policy: delete
            .and_then(|d| d.get("propagationPolicy"))
            .and_then(Value::as_str)
            .map(String::from),
        precondition_uid: delete
            .and_then(|d| d.pointer("/preconditions/uid"))
            .and_then(Value::as_str)
            .map(String::from),
        precondition_rv: delete
            .and_then(|d| d.pointer("/preconditions/resourceVersion"))
            .and_then(Value::as_str)
            .map(String::from),
        dry_run: delete
            .and_then(|d| d.get("dryRun"))
            .and_then(Value::as_array)
            .is_some_and(|v| v.iter().any(|x| x == "All")),
    };
    registry
        .evict_pod(target.namespace().unwrap_or("default"), &name, &options)
        .await?;
    Ok(success())
}
