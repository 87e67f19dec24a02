//! REST verbs on resources: one file per verb. [`dispatch`] maps method + [`Target`] + query to
//! a verb; the helpers here negotiate content and read bodies.

mod apply;
mod binding;
mod create;
mod delete;
mod get;
mod list;
mod node_proxy;
mod patch;
mod review;
mod scale;
mod shape;
mod token_request;
mod update;
mod watch;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use berth_api::{Object, ResourceType};
use serde::Deserialize;
use serde_json::Value;

use crate::authn::User;
use crate::registry::{FieldManager, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::tokens::TokenIssuer;

/// Request bodies larger than this are refused with 413 (upstream's limit is 3 MiB).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The query parameters of resource requests (unknown ones, such as `timeout` or `pretty`,
/// are accepted and ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    pub watch: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<usize>,
    #[serde(rename = "continue")]
    pub continue_token: Option<String>,
    pub include_object: Option<String>,
    pub allow_watch_bookmarks: Option<bool>,
    pub send_initial_events: Option<bool>,
    pub dry_run: Option<String>,
    pub field_validation: Option<String>,
    pub field_manager: Option<String>,
    pub force: Option<bool>,
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub orphan_dependents: Option<bool>,
    // pods/log
    pub container: Option<String>,
    pub follow: Option<bool>,
    pub previous: Option<bool>,
    pub timestamps: Option<bool>,
    pub tail_lines: Option<i64>,
    pub since_seconds: Option<i64>,
    pub since_time: Option<String>,
    pub limit_bytes: Option<i64>,
}

impl Query {
    pub fn is_watch(&self) -> bool {
        matches!(self.watch.as_deref(), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run.as_deref() == Some("All")
    }
}

/// A JSON response; objects are serialised as they are (no `Value` tree in between).
pub fn json<T: serde::Serialize + ?Sized>(status: u16, body: &T) -> Response {
    json_bytes(status, serde_json::to_vec(body).unwrap_or_default().into())
}

/// A response of JSON serialised already.
pub fn json_bytes(status: u16, body: bytes::Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Reads a JSON or Kubernetes-protobuf body into an [`Object`], with upstream's errors for
/// size and format. JSON is parsed straight into the object (no intermediate tree); writes
/// then check it with [`validate_object_fields`].
pub async fn read_object(headers: &HeaderMap, body: Body) -> Result<Object, ApiError> {
    let (bytes, protobuf) = read_body(headers, body).await?;
    if protobuf {
        return object_from(parse_body(&bytes, true)?);
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        // Upstream's message for valid JSON that is not an object, else the syntax error.
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                Ok(_) => ApiError::bad_request("the request body must be a JSON object"),
                Err(e) => ApiError::bad_request(format!("the request body is not valid JSON: {e}")),
            },
        );
    }
    Object::from_json(&bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::bad_request(format!("the request body is not a valid object: {e}"))
        }
        _ => ApiError::bad_request(format!("the request body is not valid JSON: {e}")),
    })
}

/// The typed object of a request's JSON tree (consumed: strings move, nothing is copied).
pub fn object_from(value: Value) -> Result<Object, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("the request body is not a valid object: {e}")))
}

/// A request's body (at most [`MAX_BODY_BYTES`]) and whether it is Kubernetes protobuf
/// (else JSON).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<(bytes::Bytes, bool), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let protobuf = media == "application/vnd.kubernetes.protobuf";
    if !(protobuf || media.is_empty() || media == "application/json" || media == "*/*") {
        return Err(ApiError::unsupported_media_type(content_type));
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))?;
    Ok((bytes, protobuf))
}

fn parse_body(bytes: &[u8], protobuf: bool) -> Result<Value, ApiError> {
    let value: Value = if protobuf {
        berth_api::protobuf::decode(bytes).map_err(|e| {
            ApiError::bad_request(format!(
                "the protobuf request body could not be decoded: {e}"
            ))
        })?
    } else {
        serde_json::from_slice(bytes).map_err(|e| {
            ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
        })?
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    }
    Ok(value)
}

/// Applies `fieldValidation` to an object about to be written: `Strict` refuses unknown
/// fields (400), `Warn` (the default, as upstream) returns them as warnings, `Ignore` skips
/// the check.
pub fn validate_fields(
    query: &Query,
    rt: &ResourceType,
    object: &Value,
) -> Result<Vec<String>, ApiError> {
    field_validation(query, rt, |api_version| {
        berth_api::unknown_fields::unknown_fields(api_version, rt.kind, object)
    })
}

/// [`validate_fields`] of a parsed [`Object`].
pub fn validate_object_fields(
    query: &Query,
    rt: &ResourceType,
    object: &Object,
) -> Result<Vec<String>, ApiError> {
    field_validation(query, rt, |api_version| {
        berth_api::unknown_fields::unknown_fields_of(api_version, rt.kind, object)
    })
}

fn field_validation(
    query: &Query,
    rt: &ResourceType,
    unknown_fields: impl FnOnce(&str) -> Option<Vec<String>>,
) -> Result<Vec<String>, ApiError> {
    let mode = query.field_validation.as_deref().unwrap_or("Warn");
    if !matches!(mode, "Strict" | "Warn" | "Ignore") {
        return Err(ApiError::bad_request(format!(
            "fieldValidation: Invalid value: {mode:?}: must be one of Ignore, Warn, Strict"
        )));
    }
    if mode == "Ignore" {
        return Ok(Vec::new());
    }
    let unknown = unknown_fields(&rt.group_version().api_version()).unwrap_or_default();
    let messages: Vec<String> = unknown
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    if mode == "Strict" && !messages.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {list}",
            kind = rt.kind,
            version = rt.version,
            list = messages.join(", ")
        )));
    }
    Ok(messages)
}

/// The field manager of a write: `fieldManager`, else the User-Agent's product name.
pub fn field_manager(query: &Query, headers: &HeaderMap) -> FieldManager {
    FieldManager::from_request(
        query.field_manager.as_deref(),
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Adds `Warning` headers (kubectl prints each as `Warning: …`).
pub fn with_warnings(mut response: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let text = format!("299 - \"{}\"", warning.replace('"', "\\\""));
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}

fn is_pods(target: &Target) -> bool {
    target.rt.group.is_empty() && target.rt.plural == "pods"
}

/// Routes a resource request to its verb.
/// Who is calling, and the services a request may need beyond the registry.
pub struct Context<'a> {
    pub user: Option<&'a User>,
    pub tokens: &'a TokenIssuer,
    /// The cluster token, presented to node agents.
    pub agent_token: &'a str,
    /// The query string as sent (exec's repeated `command`s are forwarded as they are).
    pub raw_query: &'a str,
    /// The client connection's upgrade, for the streaming subresources.
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
}

pub async fn dispatch(
    registry: &Registry,
    context: Context<'_>,
    method: &Method,
    target: Target,
    query: Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if review::is_review(&target) {
        if *method != Method::POST || target.name.is_some() {
            return Err(ApiError::method_not_allowed(
                method.as_str(),
                target.rt.plural,
            ));
        }
        return Box::pin(review::review(&target, context.user, headers, body)).await;
    }
    if target.rt.group.is_empty()
        && target.rt.plural == "serviceaccounts"
        && target.subresource.as_deref() == Some("token")
    {
        if *method != Method::POST {
            return Err(ApiError::method_not_allowed(
                method.as_str(),
                "serviceaccounts/token",
            ));
        }
        return Box::pin(token_request::create(
            registry,
            context.tokens,
            &target,
            headers,
            body,
        ))
        .await;
    }
    let what = target.rt.qualified_plural();
    match target.subresource.as_deref() {
        None | Some("status" | "finalize") => {}
        Some("scale") => {
            return Box::pin(scale::scale(
                registry, &target, method, &query, headers, body,
            ))
            .await;
        }
        Some("binding") if is_pods(&target) => {
            return Box::pin(binding::bind(registry, &target, method, headers, body)).await;
        }
        Some("eviction") if is_pods(&target) => {
            return Box::pin(binding::evict(registry, &target, method, headers, body)).await;
        }
        Some("log") if is_pods(&target) => {
            return Box::pin(node_proxy::log(
                registry,
                &target,
                method,
                &query,
                context.agent_token,
            ))
            .await;
        }
        Some(sub @ ("exec" | "attach")) if is_pods(&target) => {
            if *method != Method::GET && *method != Method::POST {
                return Err(ApiError::method_not_allowed(
                    method.as_str(),
                    &format!("pods/{sub}"),
                ));
            }
            return Box::pin(node_proxy::exec(
                registry,
                &target,
                sub,
                &query,
                context.raw_query,
                headers,
                context.upgrade,
                context.agent_token,
            ))
            .await;
        }
        Some("portforward") if is_pods(&target) => {
            if *method != Method::GET && *method != Method::POST {
                return Err(ApiError::method_not_allowed(
                    method.as_str(),
                    "pods/portforward",
                ));
            }
            return Box::pin(node_proxy::port_forward(
                registry,
                &target,
                &query,
                headers,
                context.upgrade,
                context.agent_token,
            ))
            .await;
        }
        // The other subresources (proxy, …) come with their features.
        Some(sub) => {
            return Err(ApiError::method_not_allowed(
                method.as_str(),
                &format!("{what}/{sub}"),
            ));
        }
    }
    if target.rt.group.is_empty() && target.rt.plural == "bindings" {
        return Box::pin(binding::bind(registry, &target, method, headers, body)).await;
    }
    let shape = shape::shape(headers);
    match (method.clone(), target.name.is_some()) {
        (Method::GET, true) => Box::pin(get::get(registry, &target, &query, shape)).await,
        (Method::GET, false) if query.is_watch() => {
            Box::pin(watch::watch(registry, &target, &query, shape)).await
        }
        (Method::GET, false) => Box::pin(list::list(registry, &target, &query, shape)).await,
        (Method::POST, false) => {
            Box::pin(create::create(registry, &target, &query, headers, body)).await
        }
        (Method::PUT, true) => {
            Box::pin(update::update(registry, &target, &query, headers, body)).await
        }
        (Method::PATCH, true) if apply::is_apply(headers) => {
            Box::pin(apply::apply(registry, &target, &query, headers, body)).await
        }
        (Method::PATCH, true) => {
            Box::pin(patch::patch(registry, &target, &query, headers, body)).await
        }
        (Method::DELETE, true) => Box::pin(delete::delete(registry, &target, &query, body)).await,
        (Method::DELETE, false) => {
            Box::pin(delete::delete_collection(registry, &target, &query, body)).await
        }
        (method, _) => Err(ApiError::method_not_allowed(method.as_str(), &what)),
    }
    .map(IntoResponse::into_response)
}
