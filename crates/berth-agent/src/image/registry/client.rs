//! HTTP to one registry endpoint for one repository: `GET /v2/<repository>/manifests/<ref>`
//! and `/blobs/<digest>`, answering `401` challenges with the candidate credentials in
//! order (anonymous when there are none), following blob redirects (without the
//! `Authorization` header when the host changes), and — for a registry on a loopback
//! address — falling back from HTTPS to plain HTTP when the server does not speak TLS.
//!
//! Invariant: a response handed back is a success (2xx); every other outcome is a
//! [`RegistryError`] that names the URL and says what the registry answered.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::RegistryError;
use super::auth::{Challenge, Credential, TokenResponse, form_escape};
use super::config::{Endpoint, Scheme, TlsConfig};

pub type Http = HyperClient<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How long a registry may take to answer a request (headers; bodies have their own
/// per-chunk limit where they are read).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;

/// An HTTP client for one TLS configuration (HTTP and HTTPS URLs alike).
pub fn http_client(tls: Option<&TlsConfig>) -> Result<Http, RegistryError> {
    let config = tls_config(tls)?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector))
}

fn tls_config(tls: Option<&TlsConfig>) -> Result<rustls::ClientConfig, RegistryError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| RegistryError::Tls(e.to_string()))?;
    let tls = tls.cloned().unwrap_or_default();
    let builder = if tls.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate { provider }))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(ca) = &tls.ca_file {
            let certs = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| RegistryError::Tls(format!("ca_file {}: {e}", ca.display())))?;
            if certs.is_empty() {
                return Err(RegistryError::Tls(format!(
                    "ca_file {}: no certificate in it",
                    ca.display()
                )));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| RegistryError::Tls(format!("ca_file {}: {e}", ca.display())))?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| RegistryError::Tls(format!("cert_file {}: {e}", cert.display())))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| RegistryError::Tls(format!("key_file {}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| RegistryError::Tls(e.to_string()))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// `insecure_skip_verify`: any certificate (signatures are still checked).
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
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
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One endpoint, one repository, its candidate credentials.
pub struct RepositoryClient {
    http: Http,
    endpoint: Endpoint,
    repository: String,
    credentials: Vec<Credential>,
    /// `https` or `http`, once known.
    scheme: Mutex<Option<&'static str>>,
    /// The `Authorization` value that last worked.
    authorization: Mutex<Option<HeaderValue>>,
}

impl RepositoryClient {
    pub fn new(
        http: Http,
        endpoint: Endpoint,
        repository: String,
        credentials: Vec<Credential>,
    ) -> RepositoryClient {
        let scheme = match endpoint.scheme {
            Scheme::Https => Some("https"),
            Scheme::Http => Some("http"),
            Scheme::HttpsOrHttp => None,
        };
        RepositoryClient {
            http,
            endpoint,
            repository,
            credentials,
            scheme: Mutex::new(scheme),
            authorization: Mutex::new(None),
        }
    }

    pub fn host(&self) -> &str {
        &self.endpoint.host
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// `GET /v2/<repository>/manifests/<reference>` with the manifest types Berth reads.
    pub async fn manifest(&self, reference: &str) -> Result<Response<Incoming>, RegistryError> {
        let accept = [
            crate::image::oci::MEDIA_OCI_INDEX,
            crate::image::oci::MEDIA_OCI_MANIFEST,
            crate::image::oci::MEDIA_DOCKER_LIST,
            crate::image::oci::MEDIA_DOCKER_MANIFEST,
        ]
        .join(", ");
        self.get(&format!("manifests/{reference}"), Some(&accept))
            .await
    }

    /// `GET /v2/<repository>/blobs/<digest>`, following redirects.
    pub async fn blob(&self, digest: &str) -> Result<Response<Incoming>, RegistryError> {
        self.get(&format!("blobs/{digest}"), None).await
    }

    async fn get(
        &self,
        what: &str,
        accept: Option<&str>,
    ) -> Result<Response<Incoming>, RegistryError> {
        let path = format!("/v2/{}/{what}", self.repository);
        let url = self.url(&path).await?;
        let mut response = self.send(&url, accept, true).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            response = self.authenticate(&url, accept, response).await?;
        }
        let mut url = url;
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                break;
            }
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| RegistryError::Request {
                    url: url.clone(),
                    reason: format!("{} without a Location", response.status()),
                })?;
            let next = resolve_location(&url, location);
            let same_host = authority(&next) == authority(&url);
            url = next;
            response = self.send(&url, accept, same_host).await?;
        }
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.failure(&url, response).await)
        }
    }

    /// The full URL of `path`, settling HTTPS-or-HTTP on first use.
    async fn url(&self, path: &str) -> Result<String, RegistryError> {
        let known = *self.scheme.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(scheme) = known {
            return Ok(format!("{scheme}://{}{path}", self.endpoint.host));
        }
        let https = format!("https://{}/v2/", self.endpoint.host);
        let scheme = match self.send(&https, None, false).await {
            Ok(_) => "https",
            // The server speaks TLS but its certificate is not trusted: say so, rather than
            // what it answers to plain HTTP.
            Err(tls) if tls.to_string().contains("invalid peer certificate") => return Err(tls),
            Err(tls) => {
                let http = format!("http://{}/v2/", self.endpoint.host);
                match self.send(&http, None, false).await {
                    Ok(_) => "http",
                    Err(plain) => {
                        return Err(RegistryError::Request {
                            url: https,
                            reason: format!("{tls}; over plain HTTP: {plain}"),
                        });
                    }
                }
            }
        };
        *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) = Some(scheme);
        Ok(format!("{scheme}://{}{path}", self.endpoint.host))
    }

    async fn send(
        &self,
        url: &str,
        accept: Option<&str>,
        authorize: bool,
    ) -> Result<Response<Incoming>, RegistryError> {
        let authorization = authorize
            .then(|| {
                self.authorization
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone()
            })
            .flatten();
        self.request(Method::GET, url, accept, authorization, None)
            .await
    }

    async fn request(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        authorization: Option<HeaderValue>,
        form: Option<String>,
    ) -> Result<Response<Incoming>, RegistryError> {
        let failed = |reason: String| RegistryError::Request {
            url: url.to_string(),
            reason,
        };
        let mut request = Request::builder().method(method).uri(url).header(
            header::USER_AGENT,
            concat!("berth/", env!("CARGO_PKG_VERSION")),
        );
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(form))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request.body(body).map_err(|e| failed(e.to_string()))?;
        tokio::time::timeout(REQUEST_TIMEOUT, self.http.request(request))
            .await
            .map_err(|_| failed(format!("no answer in {} s", REQUEST_TIMEOUT.as_secs())))?
            .map_err(|e| failed(error_chain(&e)))
    }

    /// Answers the challenge in `response` with each candidate credential in turn; returns
    /// the first response that is not `401`.
    async fn authenticate(
        &self,
        url: &str,
        accept: Option<&str>,
        response: Response<Incoming>,
    ) -> Result<Response<Incoming>, RegistryError> {
        let challenge = response
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Challenge::parse);
        let Some(challenge) = challenge else {
            return Err(self.unauthorized(url, "the registry sent no challenge Berth can answer"));
        };
        let candidates: Vec<Option<&Credential>> = if self.credentials.is_empty() {
            vec![None]
        } else {
            self.credentials.iter().map(Some).collect()
        };
        let mut refused = Vec::new();
        for credential in candidates {
            let authorization = match (&challenge, credential) {
                (Challenge::Basic, None) => {
                    return Err(self.unauthorized(url, "authentication required, and no credentials apply to this registry (imagePullSecrets, registries.yaml)"));
                }
                (Challenge::Basic, Some(c)) => c.basic(),
                (Challenge::Bearer { .. }, _) => match self.token(&challenge, credential).await {
                    Ok(token) => format!("Bearer {token}"),
                    Err(e) => {
                        refused.push(e.to_string());
                        continue;
                    }
                },
            };
            let value = HeaderValue::from_str(&authorization)
                .map_err(|_| self.unauthorized(url, "the credentials are not valid in a header"))?;
            let retried = self
                .request(Method::GET, url, accept, Some(value.clone()), None)
                .await?;
            if retried.status() != StatusCode::UNAUTHORIZED {
                *self.authorization.lock().unwrap_or_else(|p| p.into_inner()) = Some(value);
                return Ok(retried);
            }
            refused.push(match credential {
                Some(c) => format!(
                    "credentials from {} ({}) were refused",
                    c.source, c.username
                ),
                None => "anonymous access was refused".to_string(),
            });
        }
        Err(self.unauthorized(url, &refused.join("; ")))
    }

    /// A bearer token from the challenge's realm.
    async fn token(
        &self,
        challenge: &Challenge,
        credential: Option<&Credential>,
    ) -> Result<String, RegistryError> {
        let Challenge::Bearer {
            realm,
            service,
            scope,
        } = challenge
        else {
            return Err(RegistryError::Invalid("not a bearer challenge".into()));
        };
        if let Some(token) = credential.and_then(|c| c.registry_token.clone()) {
            return Ok(token);
        }
        let scope = scope
            .clone()
            .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
        let mut params = Vec::new();
        if let Some(service) = service {
            params.push(format!("service={}", form_escape(service)));
        }
        params.push(format!("scope={}", form_escape(&scope)));
        let response = if let Some(refresh) = credential.and_then(|c| c.identity_token.clone()) {
            params.push("grant_type=refresh_token".into());
            params.push(format!("refresh_token={}", form_escape(&refresh)));
            params.push("client_id=berth".into());
            self.request(Method::POST, realm, None, None, Some(params.join("&")))
                .await?
        } else {
            let separator = if realm.contains('?') { '&' } else { '?' };
            let url = format!("{realm}{separator}{}", params.join("&"));
            let basic = credential
                .filter(|c| !c.username.is_empty())
                .and_then(|c| HeaderValue::from_str(&c.basic()).ok());
            self.request(Method::GET, &url, None, basic, None).await?
        };
        if !response.status().is_success() {
            let who = match credential {
                Some(c) => format!("credentials from {} ({})", c.source, c.username),
                None => "anonymous".to_string(),
            };
            return Err(RegistryError::Unauthorized {
                url: realm.clone(),
                detail: format!("the token service answered {} for {who}", response.status()),
            });
        }
        let body =
            read_small(response.into_body())
                .await
                .map_err(|reason| RegistryError::Request {
                    url: realm.clone(),
                    reason,
                })?;
        serde_json::from_slice::<TokenResponse>(&body)
            .ok()
            .and_then(TokenResponse::into_token)
            .ok_or_else(|| RegistryError::Request {
                url: realm.clone(),
                reason: "the token service's answer has no token".into(),
            })
    }

    fn unauthorized(&self, url: &str, detail: &str) -> RegistryError {
        RegistryError::Unauthorized {
            url: url.to_string(),
            detail: detail.to_string(),
        }
    }

    /// What a non-success answer means, with the registry's own error codes.
    async fn failure(&self, url: &str, response: Response<Incoming>) -> RegistryError {
        let status = response.status();
        let body = read_small(response.into_body()).await.unwrap_or_default();
        let detail = registry_errors(&body);
        match status {
            StatusCode::NOT_FOUND => RegistryError::NotFound {
                url: url.to_string(),
                detail,
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => RegistryError::Unauthorized {
                url: url.to_string(),
                detail: format!("{status}: {detail}"),
            },
            _ => RegistryError::Status {
                url: url.to_string(),
                status: status.to_string(),
                detail,
            },
        }
    }
}

/// The distribution spec's `{"errors": [{"code", "message"}]}`, or the body's first line.
fn registry_errors(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(errors) = serde_json::from_slice::<Errors>(body) {
        return errors
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.code, e.message))
            .collect::<Vec<_>>()
            .join("; ");
    }
    String::from_utf8_lossy(body)
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// Reads a body expected to be small (errors, tokens, manifests), at most 4 MiB.
pub async fn read_small(body: Incoming) -> Result<Bytes, String> {
    const LIMIT: usize = 4 << 20;
    let limited = http_body_util::Limited::new(body, LIMIT);
    tokio::time::timeout(REQUEST_TIMEOUT, limited.collect())
        .await
        .map_err(|_| format!("the body did not arrive in {} s", REQUEST_TIMEOUT.as_secs()))?
        .map(|c| c.to_bytes())
        .map_err(|e| format!("reading the body (at most {LIMIT} bytes): {e}"))
}

/// `e` and its sources, `: `-separated (hyper's errors say little on their own).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or_default()
}

/// An absolute `Location`, or one relative to `base`'s host.
fn resolve_location(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let scheme = base.split_once("://").map_or("https", |(s, _)| s);
    format!("{scheme}://{}{location}", authority(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_and_error_bodies() {
        assert_eq!(
            resolve_location("http://127.0.0.1:5000/v2/a/blobs/x", "/b/c?d=1"),
            "http://127.0.0.1:5000/b/c?d=1"
        );
        assert_eq!(
            resolve_location("https://r.io/v2/a", "https://cdn.example/x"),
            "https://cdn.example/x"
        );
        assert_eq!(authority("https://cdn.example/x"), "cdn.example");
        assert_eq!(
            registry_errors(
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#
            ),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            registry_errors(b"404 page not found\nmore"),
            "404 page not found"
        );
    }
}
