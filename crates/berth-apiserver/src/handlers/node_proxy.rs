//! The pod subresources a node serves go to the agent of the pod's node, as kube-apiserver
//! proxies them to the kubelet: `pods/<name>/log` (`kubectl logs`, streamed), and
//! `pods/<name>/exec` (`kubectl exec`, `cp`), `pods/<name>/attach` (`kubectl attach`, `run -it`) and `pods/<name>/portforward` (`kubectl
//! port-forward`), whose WebSockets are passed through untouched.
//!
//! The agent is reached at the node's InternalIP and `daemonEndpoints.kubeletEndpoint.Port`
//! over HTTPS; its certificate must be the one whose SHA-256 the node published
//! (`berth.dev/kubelet-serving-cert-sha256`), and the server presents the cluster token.
//! Simulated nodes run no containers and are never dialled.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::Value;

use super::Query;
use crate::registry::Registry;
use crate::routes::Target;
use crate::status::ApiError;

const FINGERPRINT_ANNOTATION: &str = "berth.dev/kubelet-serving-cert-sha256";
const SIMULATED_LABEL: &str = "berth.dev/simulated";

/// Accepts exactly the certificate with this SHA-256.
#[derive(Debug)]
struct Pinned {
    fingerprint: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if sha256_hex(end_entity.as_ref()) == self.fingerprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the agent's certificate is not the one its node published".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The agent's query string for the options kubectl sent.
fn forwarded_query(query: &Query) -> String {
    let mut pairs: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<bool>| {
        if value == Some(true) {
            pairs.push(format!("{name}=true"));
        }
    };
    flag("follow", query.follow);
    flag("previous", query.previous);
    flag("timestamps", query.timestamps);
    for (name, value) in [
        ("tailLines", query.tail_lines),
        ("sinceSeconds", query.since_seconds),
        ("limitBytes", query.limit_bytes),
    ] {
        if let Some(v) = value {
            pairs.push(format!("{name}={v}"));
        }
    }
    if let Some(t) = &query.since_time {
        pairs.push(format!(
            "sinceTime={}",
            t.replace(':', "%3A").replace('+', "%2B")
        ));
    }
    pairs.join("&")
}

/// A pod's container on its node's agent, ready to be dialled.
struct AgentTarget {
    namespace: String,
    name: String,
    container: String,
    node: String,
    address: std::net::IpAddr,
    port: u16,
    fingerprint: String,
}

/// Resolves `pods/<name>/<sub>` to the container (kubectl's `container` parameter, or the
/// only one) and the agent of the pod's node.
async fn agent_target(
    registry: &Registry,
    target: &Target,
    query: &Query,
    needs_container: bool,
) -> Result<AgentTarget, ApiError> {
    let namespace = target.namespace().unwrap_or("default").to_string();
    let name = target.name.clone().unwrap_or_default();
    let pod = registry.get(target.rt, Some(&namespace), &name).await?;
    let spec = pod.body.get("spec").cloned().unwrap_or(Value::Null);
    let names = |key: &str| -> Vec<String> {
        spec.get(key)
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("name")?.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let containers = names("containers");
    let init = names("initContainers");
    let container = match &query.container {
        _ if !needs_container => String::new(),
        Some(c) => {
            if !containers.contains(c) && !init.contains(c) {
                return Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )));
            }
            c.clone()
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    let Some(node_name) = spec.get("nodeName").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        )));
    };
    let nodes = berth_api::catalogue::lookup("", "v1", "nodes")
        .ok_or_else(|| ApiError::internal("nodes are not in the catalogue"))?;
    let node = registry.get(nodes, None, node_name).await?;
    if node.metadata.labels.contains_key(SIMULATED_LABEL) {
        return Err(ApiError::bad_request(format!(
            "node {node_name} is simulated: its pods run no containers"
        )));
    }
    let fingerprint = node
        .metadata
        .annotations
        .get(FINGERPRINT_ANNOTATION)
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_request(format!("node {node_name} publishes no agent endpoint"))
        })?;
    let status = node.body.get("status").cloned().unwrap_or(Value::Null);
    let address = status
        .get("addresses")
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|a| a.get("type").and_then(Value::as_str) == Some("InternalIP"))
        })
        .and_then(|a| a.get("address")?.as_str())
        .and_then(|a| a.parse::<std::net::IpAddr>().ok())
        .ok_or_else(|| ApiError::bad_request(format!("node {node_name} has no InternalIP")))?;
    let port = status
        .pointer("/daemonEndpoints/kubeletEndpoint/Port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(10250);
    Ok(AgentTarget {
        namespace,
        name,
        container,
        node: node_name.to_string(),
        address,
        port,
        fingerprint,
    })
}

/// An HTTP/1.1 connection (upgrades allowed) to the agent, its certificate pinned.
async fn dial(
    agent: &AgentTarget,
    path: &str,
) -> Result<hyper::client::conn::http1::SendRequest<http_body_util::Empty<bytes::Bytes>>, ApiError>
{
    let unreachable = |e: &dyn std::fmt::Display| {
        ApiError::internal(format!(
            "Get \"https://{}:{}{path}\": {e}",
            agent.address, agent.port
        ))
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            fingerprint: agent.fingerprint.clone(),
            provider,
        }))
        .with_no_client_auth();
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((agent.address, agent.port)),
    )
    .await
    .map_err(|e| unreachable(&e))?
    .map_err(|e| unreachable(&e))?;
    let server_name = ServerName::try_from(agent.node.clone())
        .unwrap_or(ServerName::IpAddress(agent.address.into()));
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .map_err(|e| unreachable(&e))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| unreachable(&e))?;
    tokio::spawn(connection.with_upgrades());
    Ok(sender)
}

/// An agent's error response as the API's error.
async fn agent_error(response: hyper::Response<hyper::body::Incoming>) -> ApiError {
    let code = response.status();
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    match code.as_u16() {
        400 | 404 => ApiError::bad_request(body),
        _ => ApiError::internal(body),
    }
}

pub async fn log(
    registry: &Registry,
    target: &Target,
    method: &Method,
    query: &Query,
    token: &str,
) -> Result<Response, ApiError> {
    if *method != Method::GET {
        return Err(ApiError::method_not_allowed(method.as_str(), "pods/log"));
    }
    let agent = agent_target(registry, target, query, true).await?;
    let path = format!(
        "/containerLogs/{}/{}/{}?{}",
        agent.namespace,
        agent.name,
        agent.container,
        forwarded_query(query)
    );
    let mut sender = dial(&agent, &path).await?;
    let request = hyper::Request::get(&path)
        .header(
            hyper::header::HOST,
            format!("{}:{}", agent.address, agent.port),
        )
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| ApiError::internal(format!("streaming from the agent: {e}")))?;
    if response.status() != StatusCode::OK {
        return Err(agent_error(response).await);
    }
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::new(response.into_body()))
        .map_err(|e| ApiError::internal(e.to_string()))
}

/// `pods/<name>/exec` and `pods/<name>/attach` (`subresource`): kubectl's WebSocket is
/// passed through to the agent's.
#[allow(clippy::too_many_arguments)]
pub async fn exec(
    registry: &Registry,
    target: &Target,
    subresource: &str,
    query: &Query,
    raw_query: &str,
    headers: &axum::http::HeaderMap,
    client: Option<hyper::upgrade::OnUpgrade>,
    token: &str,
) -> Result<Response, ApiError> {
    let Some(client) = client else {
        return Err(ApiError::bad_request(format!(
            "{subresource} needs a WebSocket upgrade (kubectl 1.30 or newer)"
        )));
    };
    let agent = agent_target(registry, target, query, true).await?;
    let path = format!(
        "/{subresource}/{}/{}/{}?{raw_query}",
        agent.namespace, agent.name, agent.container
    );
    pass_upgrade(&agent, &path, headers, client, token).await
}

/// `pods/<name>/portforward`: kubectl's WebSocket (SPDY/3.1 inside) is passed through to the
/// agent's.
pub async fn port_forward(
    registry: &Registry,
    target: &Target,
    query: &Query,
    headers: &axum::http::HeaderMap,
    client: Option<hyper::upgrade::OnUpgrade>,
    token: &str,
) -> Result<Response, ApiError> {
    let Some(client) = client else {
        return Err(ApiError::bad_request(
            "port-forward needs a WebSocket upgrade with subprotocol SPDY/3.1+portforward.k8s.io (kubectl 1.30 or newer)",
        ));
    };
    let agent = agent_target(registry, target, query, false).await?;
    let path = format!("/portForward/{}/{}", agent.namespace, agent.name);
    pass_upgrade(&agent, &path, headers, client, token).await
}

/// Passes a WebSocket upgrade through to the agent, as kube-apiserver's upgrade-aware proxy
/// does: the agent answers the handshake (the client's key and subprotocols are forwarded),
/// then bytes flow both ways untouched.
async fn pass_upgrade(
    agent: &AgentTarget,
    path: &str,
    headers: &axum::http::HeaderMap,
    client: hyper::upgrade::OnUpgrade,
    token: &str,
) -> Result<Response, ApiError> {
    let mut sender = dial(agent, path).await?;
    let mut request = hyper::Request::get(path)
        .header(
            hyper::header::HOST,
            format!("{}:{}", agent.address, agent.port),
        )
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONNECTION, "Upgrade")
        .header(hyper::header::UPGRADE, "websocket");
    for name in [
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
    ] {
        for value in headers.get_all(name) {
            request = request.header(name, value.clone());
        }
    }
    let request = request
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut response = sender
        .send_request(request)
        .await
        .map_err(|e| ApiError::internal(format!("reaching the agent: {e}")))?;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        return Err(agent_error(response).await);
    }
    let agent_side = hyper::upgrade::on(&mut response);
    let mut answer = Response::builder().status(StatusCode::SWITCHING_PROTOCOLS);
    for name in [
        "connection",
        "upgrade",
        "sec-websocket-accept",
        "sec-websocket-protocol",
    ] {
        if let Some(value) = response.headers().get(name) {
            answer = answer.header(name, value.clone());
        }
    }
    tokio::spawn(async move {
        let (Ok(client), Ok(agent)) = (client.await, agent_side.await) else {
            return;
        };
        let mut client = TokioIo::new(client);
        let mut agent = TokioIo::new(agent);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut agent).await;
    });
    answer
        .body(Body::empty())
        .map_err(|e| ApiError::internal(e.to_string()))
}
