//! Authentication: who is calling. A client certificate signed by the cluster CA (user = CN,
//! groups = O), or a bearer token known to the server. Anything else is 401, except the
//! endpoints upstream leaves public (`/healthz`, `/livez`, `/readyz`, `/version`).
//! Authorisation comes later: for now every authenticated user may do everything.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::status::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// The verified client certificate's user, attached to every request of a TLS connection.
#[derive(Debug, Clone)]
pub struct PeerIdentity(pub Option<User>);

/// Reads user and groups from a (verified) client certificate.
pub fn user_from_cert(der: &[u8]) -> Option<User> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_string))
        .collect();
    Some(User { name, groups })
}

#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    tokens: HashMap<String, User>,
}

impl Authenticator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_token(mut self, token: impl Into<String>, user: User) -> Self {
        self.tokens.insert(token.into(), user);
        self
    }

    fn authenticate(&self, request: &Request) -> Option<User> {
        if let Some(PeerIdentity(Some(user))) = request.extensions().get::<PeerIdentity>() {
            return Some(user.clone());
        }
        let value = request
            .headers()
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        self.tokens.get(token.trim()).cloned()
    }
}

fn public(path: &str) -> bool {
    matches!(path, "/healthz" | "/livez" | "/readyz" | "/version")
        || path.starts_with("/healthz/")
        || path.starts_with("/livez/")
        || path.starts_with("/readyz/")
}

/// Middleware: attaches the [`User`] or answers 401.
pub async fn require_user(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    if public(request.uri().path()) {
        return next.run(request).await;
    }
    match auth.authenticate(&request) {
        Some(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}
