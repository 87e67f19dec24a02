//! `serviceaccounts/<name>/token` (`kubectl create token`): a TokenRequest answered with a
//! signed token for the service account, bound to its UID. Not stored.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{json, read_object};
use crate::registry::Registry;
use crate::routes::Target;
use crate::status::ApiError;
use crate::tokens::{ISSUER, TokenIssuer, TokenSubject};

/// Upstream's bounds: at least ten minutes; one hour when not asked.
const MIN_SECONDS: i64 = 600;
const DEFAULT_SECONDS: i64 = 3600;
const MAX_SECONDS: i64 = 48 * 3600;

pub async fn create(
    registry: &Registry,
    tokens: &TokenIssuer,
    target: &Target,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let name = target.name.as_deref().unwrap_or_default();
    let namespace = target.namespace().unwrap_or("default").to_string();
    let account = registry.get(target.rt, Some(&namespace), name).await?;
    let request = read_object(headers, body).await?;
    let spec = request
        .body
        .get("spec")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let seconds = spec
        .get("expirationSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_SECONDS);
    if seconds < MIN_SECONDS {
        return Err(ApiError::bad_request(format!(
            "spec.expirationSeconds: Invalid value: {seconds}: may not specify a duration less than 10 minutes"
        )));
    }
    let seconds = seconds.min(MAX_SECONDS);
    let audiences: Vec<String> = spec
        .get("audiences")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![ISSUER.to_string()]);
    let now = jiff::Timestamp::now().as_second();
    let subject = TokenSubject {
        namespace: namespace.clone(),
        service_account: name.to_string(),
        uid: account.metadata.uid.clone(),
    };
    let token = tokens
        .issue(
            &subject,
            &audiences,
            seconds,
            spec.get("boundObjectRef").cloned(),
            now,
        )
        .ok_or_else(|| ApiError::internal("signing the token failed"))?;
    let expiration = jiff::Timestamp::from_second(now + seconds)
        .map(|t| t.to_string())
        .unwrap_or_default();
    Ok(json(
        201,
        &json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": null},
            "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": spec.get("boundObjectRef")},
            "status": {"token": token, "expirationTimestamp": expiration},
        }),
    ))
}
