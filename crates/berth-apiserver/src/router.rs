//! The HTTP surface: fixed endpoints (version, health, discovery) and everything under
//! `/api/v1` and `/apis/<group>/<version>` routed to the REST verbs.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Extension, Query as QueryOf, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::authn::{Authenticator, User, require_user};
use crate::handlers::{self, Query, json};
use crate::registry::Registry;
use crate::routes;
use crate::status::ApiError;
use crate::{discovery, openapi};

/// The Kubernetes version Berth serves (kubectl's dispatcher picks its client by `minor`).
pub const KUBERNETES_MAJOR: &str = "1";
pub const KUBERNETES_MINOR: &str = "33";

#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub tokens: std::sync::Arc<crate::tokens::TokenIssuer>,
    /// The cluster CA (PEM), served unauthenticated at `/cacerts` for agents joining.
    pub ca_pem: Arc<str>,
    /// The cluster token, presented to node agents when streaming from them.
    pub agent_token: Arc<str>,
}

pub fn router(state: AppState, auth: Arc<Authenticator>) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/healthz", get(ok))
        .route("/livez", get(ok))
        .route("/readyz", get(ok))
        .route(
            "/cacerts",
            get(|State(state): State<AppState>| async move { state.ca_pem.to_string() }),
        )
        .route(
            "/api",
            get(|headers: HeaderMap| async move { discovery::core(&headers) }),
        )
        .route(
            "/apis",
            get(|headers: HeaderMap| async move { discovery::groups_list(&headers) }),
        )
        .route(
            "/openapi/v2",
            get(|headers: HeaderMap| async move { openapi::v2(&headers) }),
        )
        .route("/openapi/v3", get(|| async { openapi::index() }))
        .fallback(resource)
        .layer(middleware::from_fn_with_state(auth, require_user))
        .with_state(state)
}

async fn ok() -> &'static str {
    "ok"
}

async fn version() -> Response {
    json(
        200,
        &json!({
            "major": KUBERNETES_MAJOR,
            "minor": KUBERNETES_MINOR,
            "gitVersion": format!("v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0+berth-{}", env!("CARGO_PKG_VERSION")),
            "gitCommit": "",
            "gitTreeState": "clean",
            "buildDate": "",
            "goVersion": "",
            "compiler": "rustc",
            "platform": format!("{}/{}", std::env::consts::OS, if cfg!(target_arch = "x86_64") { "amd64" } else { std::env::consts::ARCH }),
        }),
    )
}

/// The connection's pending upgrade, taken from the request (streaming subresources).
pub struct Upgrade(Option<hyper::upgrade::OnUpgrade>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Upgrade {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Upgrade(
            parts.extensions.remove::<hyper::upgrade::OnUpgrade>(),
        ))
    }
}

async fn resource(
    State(state): State<AppState>,
    user: Option<Extension<User>>,
    Upgrade(upgrade): Upgrade,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path();
    if method == Method::GET
        && let Some(gv) = path.strip_prefix("/openapi/v3/")
    {
        return openapi::group_version(gv)
            .unwrap_or_else(|| ApiError::path_not_found(path).into_response());
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == Method::GET {
        let discovered = match segments.as_slice() {
            ["api", version] => discovery::resource_list("", version),
            ["apis", group] => discovery::group(group),
            ["apis", group, version] => discovery::resource_list(group, version),
            _ => None,
        };
        if let Some(response) = discovered {
            return response;
        }
    }
    let target = match routes::parse(path) {
        Some(Ok(target)) => target,
        Some(Err(err)) => return err.into_response(),
        None => return ApiError::path_not_found(path).into_response(),
    };
    let query = match QueryOf::<Query>::try_from_uri(&uri) {
        Ok(QueryOf(query)) => query,
        Err(err) => {
            return ApiError::bad_request(format!("invalid query: {}", err.body_text()))
                .into_response();
        }
    };
    let user = user.map(|Extension(user)| user);
    match handlers::dispatch(
        &state.registry,
        handlers::Context {
            user: user.as_ref(),
            tokens: &state.tokens,
            agent_token: &state.agent_token,
            raw_query: uri.query().unwrap_or(""),
            upgrade,
        },
        &method,
        target,
        query,
        &headers,
        body,
    )
    .await
    {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}
