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

use crate::registry::Registry;
use crate::status::ApiError;
use crate::tokens::TokenIssuer;

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

#[derive(Clone, Default)]
pub struct Authenticator {
    tokens: HashMap<String, User>,
    /// Service account tokens: the issuer that verifies them and where their accounts live.
    service_accounts: Option<(Arc<TokenIssuer>, Registry)>,
}

impl Authenticator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_token(mut self, token: impl Into<String>, user: User) -> Self {
        self.tokens.insert(token.into(), user);
        self
    }

    /// Also accepts service account tokens issued by `issuer`.
    pub fn with_service_accounts(mut self, issuer: Arc<TokenIssuer>, registry: Registry) -> Self {
        self.service_accounts = Some((issuer, registry));
        self
    }

    /// The client certificate's user, else the bearer token's.
    async fn authenticate(&self, peer: Option<User>, bearer: Option<String>) -> Option<User> {
        if let Some(user) = peer {
            return Some(user);
        }
        let token = bearer?;
        let token = token.trim();
        if let Some(user) = self.tokens.get(token) {
            return Some(user.clone());
        }
        let (issuer, registry) = self.service_accounts.as_ref()?;
        let subject = issuer.verify(token, jiff::Timestamp::now().as_second())?;
        // The account must still exist, and be the same one (a deleted and re-created account
        // does not inherit the old one's tokens).
        let rt = berth_api::catalogue::lookup("", "v1", "serviceaccounts")?;
        let account = registry
            .get(rt, Some(&subject.namespace), &subject.service_account)
            .await
            .ok()?;
        if account.metadata.uid != subject.uid {
            return None;
        }
        Some(User {
            name: format!(
                "system:serviceaccount:{}:{}",
                subject.namespace, subject.service_account
            ),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{}", subject.namespace),
                "system:authenticated".into(),
            ],
        })
    }
}

fn public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/livez" | "/readyz" | "/version" | "/cacerts"
    ) || path.starts_with("/healthz/")
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
    let peer = match request.extensions().get::<PeerIdentity>() {
        Some(PeerIdentity(Some(user))) => Some(user.clone()),
        _ => None,
    };
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::to_string);
    match auth.authenticate(peer, bearer).await {
        Some(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}
