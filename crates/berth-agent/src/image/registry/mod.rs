//! Pulling images from OCI registries into the [`ImageStore`](super::ImageStore): the
//! registries configuration (mirrors, credentials, TLS — k3s's `registries.yaml`,
//! [`config`]), pull-secret credentials ([`keyring`]), challenge/token authentication
//! ([`auth`]), HTTP to one endpoint ([`client`]) and the pull itself ([`pull`]).
//!
//! Berth speaks the distribution protocol itself on the hyper/rustls stack it already has,
//! rather than through `oci-client` (whose reqwest, url/ICU and builder crates would add
//! some seventy crates to the one binary every shim maps): the pull needs two GETs and a
//! token exchange.

pub mod auth;
pub mod client;
pub mod config;
pub mod keyring;
pub mod pull;

use std::path::PathBuf;

pub use auth::Credential;
pub use config::RegistriesConfig;
pub use keyring::Keyring;
pub use pull::{Pulled, Puller};

use super::{Digest, ImageError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registries configuration {path}: {reason}")]
    Config { path: PathBuf, reason: String },
    #[error("TLS configuration: {0}")]
    Tls(String),
    #[error("GET {url}: {reason}")]
    Request { url: String, reason: String },
    #[error("{url}: not found ({detail})")]
    NotFound { url: String, detail: String },
    #[error("{url}: 401 Unauthorized: {detail}")]
    Unauthorized { url: String, detail: String },
    #[error("{url}: {status}: {detail}")]
    Status {
        url: String,
        status: String,
        detail: String,
    },
    #[error("{reference}: the registry sent {what} {actual}, expected {expected}")]
    Tampered {
        reference: String,
        what: &'static str,
        expected: Digest,
        actual: Digest,
    },
    #[error("{reference}: no image for {platform} in the index (it has {available})")]
    NoPlatform {
        reference: String,
        platform: String,
        available: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("layer {layer}: {source}")]
    Layer {
        layer: Digest,
        #[source]
        source: ImageError,
    },
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error("{}", .0.iter().map(|(host, e)| format!("{host}: {e}")).collect::<Vec<_>>().join("; "))]
    Endpoints(Vec<(String, RegistryError)>),
}

impl RegistryError {
    /// Whether the registry refused the credentials (or demanded some).
    pub fn is_unauthorized(&self) -> bool {
        match self {
            RegistryError::Unauthorized { .. } => true,
            RegistryError::Endpoints(all) => all.iter().any(|(_, e)| e.is_unauthorized()),
            _ => false,
        }
    }
}
