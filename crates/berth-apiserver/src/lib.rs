//! Berth's Kubernetes API server: what real kubectl and client libraries talk to.
//!
//! Layers, outside in: [`serve`] (TLS, HTTP/1.1 + h2) → [`router`] (fixed endpoints,
//! [`authn`], [`discovery`], resource paths parsed by [`routes`]) → [`handlers`] (one file per
//! verb; watch streams) → [`registry`] (objects in the [`berth_store::Store`], server-set
//! metadata, optimistic concurrency). Errors are [`status::ApiError`]s rendered as Kubernetes
//! `Status`; lists and objects can be printed as Tables ([`table`]). [`pki`] creates the CA and
//! certificates on first start; [`kubeconfig`] writes the admin's kubeconfig.

pub mod authn;
pub mod discovery;
mod handlers;
mod host_addresses;
pub mod kubeconfig;
pub mod local;
pub mod openapi;
pub mod pki;
pub mod registry;
pub mod router;
pub mod routes;
pub mod serve;
pub mod status;
pub mod table;
pub mod tokens;
pub mod watch_cache;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use berth_api::cidr::Ipv4Cidr;
use berth_store::Store;
use tokio::task::JoinHandle;

use authn::{Authenticator, User};
use pki::{Pki, PkiError};
use registry::{Registry, ServiceNetwork};
use router::{AppState, router};

/// How to run the API server.
#[derive(Debug, Clone)]
pub struct ApiServerConfig {
    pub data_dir: PathBuf,
    pub bind_address: IpAddr,
    pub port: u16,
    /// Extra names and addresses for the serving certificate.
    pub tls_san: Vec<String>,
    /// Where ClusterIPs come from; its first address is the `kubernetes` Service's (and a SAN).
    pub service_cidr: Ipv4Cidr,
    /// Pod admission settings (default toleration seconds).
    pub pod_admission: registry::PodAdmission,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiServerError {
    #[error("setting up certificates")]
    Pki(#[from] PkiError),
    #[error("setting up TLS")]
    Tls(#[from] serve::TlsError),
    #[error("listening on {address}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("creating the system namespaces: {0}")]
    Bootstrap(String),
}

/// A running API server; dropping it stops accepting connections.
pub struct ApiServer {
    pub local_addr: SocketAddr,
    pub pki: Pki,
    app: axum::Router,
    task: JoinHandle<()>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

impl ApiServer {
    pub async fn start(
        config: ApiServerConfig,
        store: Arc<dyn Store>,
    ) -> Result<ApiServer, ApiServerError> {
        let mut names: Vec<String> = vec!["127.0.0.1".into(), "localhost".into()];
        names.extend(hostname());
        if !config.bind_address.is_unspecified() {
            names.push(config.bind_address.to_string());
        }
        // The machine's addresses, so remote agents and users can verify the certificate.
        names.extend(host_addresses::local_ipv4().iter().map(ToString::to_string));
        names.extend(
            [
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ]
            .map(String::from),
        );
        if let Some(first) = config.service_cidr.nth(1) {
            names.push(first.to_string());
        }
        names.extend(config.tls_san.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(n.clone()));

        let pki = Pki::load_or_create(&config.data_dir, &names)?;
        let services = ServiceNetwork {
            cidr: config.service_cidr,
        };
        let registry = Registry::new(store, services).with_pod_admission(config.pod_admission);
        registry
            .ensure_system_namespaces()
            .await
            .map_err(|e| ApiServerError::Bootstrap(e.message))?;
        registry
            .ensure_system_priority_classes()
            .await
            .map_err(|e| ApiServerError::Bootstrap(e.message))?;
        let tls = serve::tls_config(
            &pki.ca_cert_pem,
            &pki.serving_cert_pem,
            &pki.serving_key_pem,
        )?;
        let address = SocketAddr::new(config.bind_address, config.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ApiServerError::Listen { address, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ApiServerError::Listen { address, source })?;
        registry
            .ensure_kubernetes_service(&services, local_addr.port())
            .await
            .map_err(|e| ApiServerError::Bootstrap(e.message))?;
        let tokens = Arc::new(tokens::TokenIssuer::load_or_create(&config.data_dir)?);
        let auth = Arc::new(
            Authenticator::new()
                .with_token(
                    pki.token.clone(),
                    User {
                        name: "system:admin".into(),
                        groups: vec!["system:masters".into(), "system:authenticated".into()],
                    },
                )
                .with_service_accounts(tokens.clone(), registry.clone()),
        );
        let app = router(
            AppState {
                registry,
                tokens,
                ca_pem: Arc::from(pki.ca_cert_pem.as_str()),
                agent_token: Arc::from(pki.token.as_str()),
            },
            auth,
        );
        let task = tokio::spawn(serve::serve(listener, tls, app.clone()));
        Ok(ApiServer {
            local_addr,
            pki,
            app,
            task,
        })
    }

    /// The API as an in-process service, for components running in this process as `user`
    /// (`system:kube-scheduler`, `system:kube-controller-manager`, …).
    pub fn local_service(&self, user: &str) -> local::LocalService {
        local::LocalService::new(
            self.app.clone(),
            User {
                name: user.to_string(),
                groups: vec!["system:authenticated".into()],
            },
        )
    }

    /// The admin kubeconfig for reaching this server at `server_url`.
    pub fn admin_kubeconfig(&self, server_url: &str) -> String {
        kubeconfig::admin_kubeconfig(&self.pki, server_url)
    }
}
