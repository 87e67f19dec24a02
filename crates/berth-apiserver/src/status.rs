//! [`ApiError`]: every failure a client sees, rendered as a Kubernetes `Status` with upstream's
//! code, reason, message and details, so kubectl prints what users know
//! (`Error from server (NotFound): pods "nope" not found`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_api::ResourceType;
use berth_store::StoreError;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified_plural()),
        )
        .with_details(json!({"name": name, "group": rt.group, "kind": rt.plural}))
    }

    pub fn namespace_not_found(namespace: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("namespaces \"{namespace}\" not found"),
        )
        .with_details(json!({"name": namespace, "kind": "namespaces"}))
    }

    pub fn path_not_found(path: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
        .with_details(json!({}))
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified_plural()),
        )
        .with_details(json!({"name": name, "group": rt.group, "kind": rt.plural}))
    }

    pub fn conflict(rt: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified_plural()
            ),
        )
        .with_details(json!({"name": name, "group": rt.group, "kind": rt.plural}))
    }

    /// 409 Conflict for an operation the object's state refuses.
    pub fn operation_conflict(what: &str, name: &str, why: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {what} \"{name}\": {why}"),
        )
        .with_details(json!({"name": name, "kind": what}))
    }

    /// 429 TooManyRequests with one cause (`(reason, message)`), as the eviction API answers.
    pub fn too_many_requests(message: impl Into<String>, cause: (&str, String)) -> ApiError {
        ApiError::new(429, "TooManyRequests", message)
            .with_details(json!({"causes": [{"reason": cause.0, "message": cause.1}]}))
    }

    /// 504 for a read that asks for a resourceVersion the store has not reached (upstream's
    /// `NewTooLargeResourceVersionError`; clients retry after a second).
    pub fn too_large_resource_version(requested: i64, current: i64) -> ApiError {
        ApiError::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {requested}, current: {current}"),
        )
        .with_details(json!({
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        }))
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "Forbidden", message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    /// 422 with one cause per bad field: `(field, message, reason)`.
    pub fn invalid(
        rt: &ResourceType,
        name: &str,
        causes: Vec<(String, String, &'static str)>,
    ) -> ApiError {
        ApiError::invalid_kind(rt.group, rt.kind, name, causes)
    }

    /// [`ApiError::invalid`] for an object of any kind (`ListOptions`, `DeleteOptions`…).
    pub fn invalid_kind(
        group: &str,
        kind: &str,
        name: &str,
        causes: Vec<(String, String, &'static str)>,
    ) -> ApiError {
        let summary: Vec<String> = causes.iter().map(|(f, m, _)| format!("{f}: {m}")).collect();
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let message = format!("{qualified} \"{name}\" is invalid: {}", summary.join(", "));
        let causes: Vec<Value> = causes
            .into_iter()
            .map(|(field, message, reason)| json!({"reason": reason, "message": message, "field": field}))
            .collect();
        ApiError::new(422, "Invalid", message)
            .with_details(json!({"name": name, "group": group, "kind": kind, "causes": causes}))
    }

    /// 422 for a patch that cannot be applied to the object.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(422, "Invalid", message)
    }

    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn method_not_allowed(verb: &str, what: &str) -> ApiError {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{verb} is not supported on {what}"),
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type:?}) - accepted media types include: application/json, application/yaml"
            ),
        )
    }

    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// Maps the failure of a write to `rt`'s object `name`: a lost compare-and-swap is 409, a
    /// vanished object 404, anything else a store fault.
    pub fn from_write(rt: &ResourceType, name: &str, err: StoreError) -> ApiError {
        match err {
            StoreError::Conflict { .. } => ApiError::conflict(rt, name),
            StoreError::NotFound { .. } => ApiError::not_found(rt, name),
            other => ApiError::from_store(other),
        }
    }

    /// Maps a store fault that is not one of the model's outcomes the caller handled.
    pub fn from_store(err: StoreError) -> ApiError {
        match err {
            StoreError::Compacted { requested, .. } => {
                ApiError::gone(format!("too old resource version: {requested}"))
            }
            other => {
                tracing::error!(error = %chain(&other), "datastore failure");
                ApiError::internal(format!("datastore: {}", chain(&other)))
            }
        }
    }

    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

/// An error and its sources on one line.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            code,
            serde_json::to_vec(&self.to_status()).unwrap_or_default(),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
