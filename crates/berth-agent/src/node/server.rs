//! The agent's own HTTPS endpoint (the kubelet's port, 10250 by default): the API server
//! streams `kubectl logs` through it (`GET /containerLogs/<ns>/<pod>/<container>`).
//!
//! The serving certificate is made at start and self-signed; its SHA-256 fingerprint is
//! published on the Node (annotation [`CERT_FINGERPRINT_ANNOTATION`]) and the API server
//! accepts no other. Callers authenticate with the cluster token.
//!
//! Invariant: a follower's stream ends when the container has exited and everything it
//! wrote was sent; it waits on inotify, never a timer.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::logs::{self, LogOptions};
use crate::runtime::Runtime;

/// The Node annotation holding the SHA-256 (hex) of the agent's serving certificate.
pub const CERT_FINGERPRINT_ANNOTATION: &str = "berth.dev/kubelet-serving-cert-sha256";

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// The agent's serving identity.
pub struct ServingIdentity {
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
    /// Lowercase hex SHA-256 of the certificate.
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("making the agent's serving certificate: {0}")]
    Certificate(String),
    #[error("listening on {address}: {source}")]
    Listen {
        address: String,
        source: std::io::Error,
    },
}

impl ServingIdentity {
    /// A fresh self-signed certificate for `names` (node name, addresses).
    pub fn generate(names: Vec<String>) -> Result<ServingIdentity, ServeError> {
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| ServeError::Certificate(e.to_string()))?;
        let cert_der = certified.cert.der().to_vec();
        let fingerprint = crate::image::Digest::of(&cert_der).hex().to_string();
        Ok(ServingIdentity {
            key_der: certified.signing_key.serialize_der(),
            cert_der,
            fingerprint,
        })
    }
}

/// What requests are served from.
pub struct Endpoint {
    pub token: String,
    pub logs_dir: PathBuf,
    pub runtime: Runtime,
    /// `(namespace, name)` → uid of the pods on this node.
    pub pods: PodIndex,
    /// Where each pod's directory (and its namespaces) is: `<pods_dir>/<uid>`.
    pub pods_dir: PathBuf,
}

/// The pods bound to this node, by namespace and name (kept by the pod watch).
pub type PodIndex = Arc<std::sync::Mutex<std::collections::HashMap<(String, String), String>>>;

/// Binds `address` and serves until the runtime stops.
pub async fn serve(
    address: &str,
    identity: ServingIdentity,
    endpoint: Arc<Endpoint>,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(address)
        .await
        .map_err(|source| ServeError::Listen {
            address: address.to_string(),
            source,
        })?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(identity.key_der.into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| {
        b.with_no_client_auth()
            .with_single_cert(vec![identity.cert_der.into()], key)
    })
    .map_err(|e| ServeError::Certificate(e.to_string()))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    let endpoint = endpoint.clone();
                    async move { Ok::<_, Infallible>(handle(&endpoint, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    Ok(())
}

fn text(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(message.into())).boxed_unsync());
    *response.status_mut() = status;
    response
}

async fn handle(endpoint: &Endpoint, mut req: Request<Incoming>) -> Response<Body> {
    let authorized = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        // Compared as digests: no early exit on the first differing byte of the token.
        .is_some_and(|t| {
            crate::image::Digest::of(t.trim().as_bytes())
                == crate::image::Digest::of(endpoint.token.as_bytes())
        });
    if !authorized {
        return text(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (req.method(), parts.as_slice()) {
        (&http::Method::GET, ["containerLogs", namespace, pod, container]) => {
            container_logs(endpoint, namespace, pod, container, &query).await
        }
        (&http::Method::GET, ["exec", namespace, pod, container]) => {
            let (namespace, pod, container) = (
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            );
            exec(
                endpoint, &mut req, &namespace, &pod, &container, &query, false,
            )
        }
        (&http::Method::GET, ["attach", namespace, pod, container]) => {
            let (namespace, pod, container) = (
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            );
            exec(
                endpoint, &mut req, &namespace, &pod, &container, &query, true,
            )
        }
        (&http::Method::GET, ["portForward", namespace, pod]) => {
            let (namespace, pod) = (namespace.to_string(), pod.to_string());
            port_forward(endpoint, &mut req, &namespace, &pod)
        }
        _ => text(StatusCode::NOT_FOUND, "404 page not found"),
    }
}

/// The subprotocols a WebSocket upgrade offers.
fn offered_protocols(req: &Request<Incoming>) -> Vec<String> {
    req.headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
        .collect()
}

fn websocket_key(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get("sec-websocket-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The WebSocket key of an upgrade for pod `namespace/pod`, and the pod's uid; or the
/// answer saying why there is no upgrade.
fn handshake(
    endpoint: &Endpoint,
    req: &Request<Incoming>,
    namespace: &str,
    pod: &str,
) -> Result<(String, String), (StatusCode, String)> {
    let key = websocket_key(req).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "not a WebSocket upgrade".to_string(),
        )
    })?;
    let uid = pod_uid(endpoint, namespace, pod).ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            format!("pod {namespace}/{pod} is not on this node"),
        )
    })?;
    Ok((key, uid))
}

/// The uid of pod `namespace/pod` if it is on this node.
fn pod_uid(endpoint: &Endpoint, namespace: &str, pod: &str) -> Option<String> {
    endpoint
        .pods
        .lock()
        .ok()
        .and_then(|pods| pods.get(&(namespace.to_string(), pod.to_string())).cloned())
}

/// The `101 Switching Protocols` answer to a WebSocket handshake with `key`.
fn switching_protocols(key: &str, protocol: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).boxed_unsync());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    if let Ok(accept) = http::HeaderValue::from_str(&super::exec::accept_key(key)) {
        headers.insert("sec-websocket-accept", accept);
    }
    headers.insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static(protocol),
    );
    response
}

/// Upgrades to the port-forward WebSocket (SPDY/3.1 inside) for a pod on this node.
fn port_forward(
    endpoint: &Endpoint,
    req: &mut Request<Incoming>,
    namespace: &str,
    pod: &str,
) -> Response<Body> {
    if !offered_protocols(req)
        .iter()
        .any(|p| p == super::port_forward::PROTOCOL)
    {
        return text(
            StatusCode::BAD_REQUEST,
            format!(
                "port-forward needs a WebSocket with subprotocol {}",
                super::port_forward::PROTOCOL
            ),
        );
    }
    let (key, uid) = match handshake(endpoint, req, namespace, pod) {
        Ok(found) => found,
        Err((status, message)) => return text(status, message),
    };
    let sandbox = crate::network::Sandbox::at(&endpoint.pods_dir.join(&uid));
    let netns = sandbox.netns();
    let on_own_network = crate::runtime::rootfs::is_mountpoint(&netns).unwrap_or(false);
    let network = super::port_forward::PodNetwork {
        pod: format!("{namespace}/{pod}"),
        uid,
        netns: on_own_network.then_some(netns),
    };
    let upgrade = hyper::upgrade::on(req);
    tokio::spawn(async move {
        if let Ok(io) = upgrade.await {
            super::port_forward::run(io, network).await;
        }
    });
    switching_protocols(&key, super::port_forward::PROTOCOL)
}

async fn container_logs(
    endpoint: &Endpoint,
    namespace: &str,
    pod: &str,
    container: &str,
    query: &str,
) -> Response<Body> {
    let options = match LogOptions::from_query(query) {
        Ok(options) => options,
        Err(message) => return text(StatusCode::BAD_REQUEST, message),
    };
    let Some(path) = logs::find(
        &endpoint.logs_dir,
        namespace,
        pod,
        container,
        options.previous,
    ) else {
        let message = if options.previous {
            format!("previous terminated container \"{container}\" in pod \"{pod}\" not found")
        } else {
            format!("container \"{container}\" in pod \"{pod}\" is waiting to start: no log yet")
        };
        return text(StatusCode::BAD_REQUEST, message);
    };
    let content = tokio::fs::read_to_string(&path).await.unwrap_or_default();
    let (lines, rest) = logs::parse(&content);
    let mut first = logs::render(&lines, &options);
    if let Some(limit) = options.limit_bytes {
        truncate(&mut first, limit);
    }
    if !options.follow || options.limit_bytes.is_some_and(|l| first.len() >= l) {
        return Response::new(Full::new(Bytes::from(first)).boxed_unsync());
    }
    let id = logs::container_id_of(&path).unwrap_or_default();
    let offset = (content.len() - rest) as u64;
    let follower = match logs::Follower::open(&path, Some(offset), endpoint.runtime.clone(), id)
        .await
    {
        Ok(follower) => follower,
        Err(e) => {
            tracing::warn!(log = %path.display(), error = %e, "cannot follow a container's log");
            return Response::new(Full::new(Bytes::from(first)).boxed_unsync());
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    let sent = first.len();
    let _ = tx.send(Bytes::from(first)).await;
    tokio::spawn(follow(follower, options, sent, tx));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(Frame::data(chunk)), rx))
    });
    Response::new(BodyExt::boxed_unsync(StreamBody::new(stream)))
}

/// Upgrades to the exec WebSocket and runs the command in the container's current attempt;
/// or, with `attach`, connects to the container's own input and output.
fn exec(
    endpoint: &Endpoint,
    req: &mut Request<Incoming>,
    namespace: &str,
    pod: &str,
    container: &str,
    query: &str,
    attach: bool,
) -> Response<Body> {
    let request = super::exec::ExecRequest::from_query(query);
    if !attach && request.command.is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "you must specify at least one command for the container",
        );
    }
    let offered = offered_protocols(req);
    let Some(protocol) = super::exec::PROTOCOLS
        .iter()
        .find(|p| offered.iter().any(|o| o == *p))
    else {
        return text(
            StatusCode::BAD_REQUEST,
            "exec needs a WebSocket with subprotocol v5.channel.k8s.io or v4.channel.k8s.io",
        );
    };
    let (key, uid) = match handshake(endpoint, req, namespace, pod) {
        Ok(found) => found,
        Err((status, message)) => return text(status, message),
    };
    let prefix = format!("{uid}_{container}_");
    let id = endpoint
        .runtime
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|id| id.starts_with(&prefix))
        .filter(|id| {
            endpoint
                .runtime
                .state(id)
                .ok()
                .flatten()
                .is_some_and(|s| s.running())
        })
        .max_by_key(|id| id[prefix.len()..].parse::<u32>().unwrap_or(0));
    let Some(id) = id else {
        return text(
            StatusCode::BAD_REQUEST,
            format!("container {container} is not running in pod {pod}"),
        );
    };
    let upgrade = hyper::upgrade::on(req);
    let v5 = *protocol == "v5.channel.k8s.io";
    if attach {
        // The log of the very attempt that runs (not the newest file of that pod's name).
        let Some(log) = logs::attempt_path(&endpoint.logs_dir, namespace, pod, &id) else {
            return text(
                StatusCode::BAD_REQUEST,
                format!("container {container} in pod {pod} has no output yet"),
            );
        };
        let target = super::attach::AttachTarget {
            runtime: endpoint.runtime.clone(),
            bundle: endpoint.runtime.bundle(&id),
            id,
            log,
        };
        tokio::spawn(async move {
            if let Ok(io) = upgrade.await {
                super::attach::run(io, v5, target, request).await;
            }
        });
        return switching_protocols(&key, protocol);
    }
    let (runc, runc_root) = (endpoint.runtime.runc(), endpoint.runtime.runc_root());
    tokio::spawn(async move {
        if let Ok(io) = upgrade.await {
            super::exec::run(io, v5, runc, runc_root, id, request).await;
        }
    });
    switching_protocols(&key, protocol)
}

fn truncate(text: &mut String, limit: usize) {
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
}

/// Sends the lines appended to the log (from where `follower` starts) until the container
/// exits, the client goes away, or `limitBytes` is reached.
async fn follow(
    mut follower: logs::Follower,
    options: LogOptions,
    mut sent: usize,
    tx: tokio::sync::mpsc::Sender<Bytes>,
) {
    let options = LogOptions {
        tail_lines: None,
        ..options
    };
    // Bytes read but not yet rendered: an unfinished line, or partial lines awaiting their end.
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let Some(appended) = follower.next_until(tx.closed()).await else {
            return;
        };
        pending.extend_from_slice(&appended);
        let Some(last) = pending.iter().rposition(|b| *b == b'\n') else {
            continue;
        };
        let text = String::from_utf8_lossy(&pending[..=last]).into_owned();
        let (lines, rest) = logs::parse(&text);
        // Keep the raw bytes of the lines `parse` left (partial lines awaiting their end).
        let kept_lines = text[text.len() - rest..].matches('\n').count();
        let keep_from = if kept_lines == 0 {
            last + 1
        } else {
            pending[..=last]
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1)
                .rev()
                .nth(kept_lines)
                .unwrap_or(0)
        };
        pending.drain(..keep_from);
        let mut chunk = logs::render(&lines, &options);
        if let Some(limit) = options.limit_bytes {
            truncate(&mut chunk, limit.saturating_sub(sent));
        }
        sent += chunk.len();
        if !chunk.is_empty() && tx.send(Bytes::from(chunk)).await.is_err() {
            return;
        }
        if options.limit_bytes.is_some_and(|l| sent >= l) {
            return;
        }
    }
}
