//! Joining a server from another process: `--server URL --token T`. The server's CA comes
//! from its public `/cacerts` endpoint, as k3s agents fetch it; when the token carries the
//! CA's hash (`K10<sha256 hex>::…`) the fetched CA must match it, otherwise it is trusted on
//! first use (a warning says so).
//!
//! The client speaks HTTP/2 only, as client-go does over TLS: every request and watch of the
//! process shares one connection. (One HTTP/1.1 connection per request in flight cost the
//! server and the agent ~10 % more CPU per simulated pod.)

use std::time::Duration;

use kube::config::{AuthInfo, Config};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the server URL {0:?} is not a valid https:// URL")]
    BadUrl(String),
    #[error("fetching the cluster CA from {url}/cacerts")]
    FetchCa {
        url: String,
        #[source]
        source: kube::Error,
    },
    #[error("the CA served by {0} is not a PEM certificate")]
    BadCa(String),
    #[error(
        "the CA served by {url} has hash {actual}, but the token expects {expected}: wrong server, or a man in the middle"
    )]
    CaMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("building the API client")]
    Client(#[source] kube::Error),
}

/// HTTP/2 pings on an idle connection, and how long an unanswered one waits before the
/// connection is dropped (client-go's ReadIdleTimeout and PingTimeout are 30 s and 15 s).
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(15);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CA hash a full-format token (`K10<hash>::<user>:<secret>`) pins, if any.
fn pinned_hash(token: &str) -> Option<&str> {
    let rest = token.strip_prefix("K10")?;
    let (hash, _) = rest.split_once("::")?;
    (hash.len() == 64).then_some(hash)
}

fn base_config(url: &http::Uri, token: &str) -> Config {
    let mut config = Config::new(url.clone());
    config.auth_info = AuthInfo {
        token: Some(token.to_string().into()),
        ..AuthInfo::default()
    };
    config.connect_timeout = Some(Duration::from_secs(10));
    config
}

/// A client for the server at `url` (`https://host:port`) authenticating with `token`.
pub async fn connect(url: &str, token: &str) -> Result<kube::Client, ConnectError> {
    let uri: http::Uri = url
        .trim_end_matches('/')
        .parse()
        .map_err(|_| ConnectError::BadUrl(url.to_string()))?;
    if uri.scheme_str() != Some("https") {
        return Err(ConnectError::BadUrl(url.to_string()));
    }
    let mut insecure = base_config(&uri, token);
    insecure.accept_invalid_certs = true;
    let fetch = kube::Client::try_from(insecure).map_err(ConnectError::Client)?;
    let request = http::Request::get("/cacerts")
        .body(Vec::new())
        .map_err(|e| ConnectError::Client(kube::Error::HttpError(e)))?;
    let pem = fetch
        .request_text(request)
        .await
        .map_err(|source| ConnectError::FetchCa {
            url: url.to_string(),
            source,
        })?;
    let actual = hex(ring::digest::digest(&ring::digest::SHA256, pem.as_bytes()).as_ref());
    match pinned_hash(token) {
        Some(expected) if expected != actual => {
            return Err(ConnectError::CaMismatch {
                url: url.to_string(),
                expected: expected.to_string(),
                actual,
            });
        }
        Some(_) => {}
        None => tracing::warn!(
            server = url,
            ca_hash = %actual,
            "the token does not pin the server's CA; trusting the CA the server sent"
        ),
    }
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|_| ConnectError::BadCa(url.to_string()))?;
    let mut config = base_config(&uri, token);
    config.root_cert = Some(vec![parsed.contents]);
    multiplexed(config).map_err(ConnectError::Client)
}

/// A client speaking HTTP/2 (as client-go does): every request and watch on one TLS
/// connection, kept alive by pings, instead of one HTTP/1.1 connection per request in flight.
fn multiplexed(config: Config) -> Result<kube::Client, kube::Error> {
    use hyper_util::rt::{TokioExecutor, TokioTimer};
    use kube::client::ConfigExt;

    let tls = config.rustls_client_config()?;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(config.connect_timeout);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http2()
        .wrap_connector(http);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .http2_only(true)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .http2_keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .http2_keep_alive_while_idle(true)
        .timer(TokioTimer::new())
        .build(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .map_err(|e: hyper_util::client::legacy::Error| Box::new(e) as tower::BoxError)
        .service(client);
    Ok(kube::Client::new(service, config.default_namespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_tokens_pin_a_hash() {
        let hash = "a".repeat(64);
        assert_eq!(
            pinned_hash(&format!("K10{hash}::server:secret")),
            Some(hash.as_str())
        );
        assert_eq!(pinned_hash("plain-secret"), None);
        assert_eq!(pinned_hash("K10short::server:x"), None);
    }
}
