//! The registries configuration (`--private-registry`, `/etc/berth/registries.yaml` by
//! default), in k3s's `registries.yaml` format so an existing file works unchanged:
//!
//! ```yaml
//! mirrors:
//!   docker.io:                      # or "*" for every registry
//!     endpoint: ["https://mirror.example.com:5000", "http://10.0.0.5:5000"]
//!     rewrite:                      # repository rewrites for this registry's mirrors
//!       "^library/(.*)": "mirrored/$1"
//! configs:
//!   "mirror.example.com:5000":      # a host (and port) the agent talks to
//!     auth: {username: u, password: p}   # or auth: base64(u:p), or identitytoken
//!     tls: {ca_file: /etc/ssl/ca.pem, cert_file: c.pem, key_file: k.pem, insecure_skip_verify: false}
//! ```
//!
//! Invariant: a loaded [`RegistriesConfig`] has parsed every endpoint and compiled every
//! rewrite, so a bad file is refused when the agent starts, naming the key at fault.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::RegistryError;
use crate::image::reference::DOCKER_HUB;

/// Where the agent looks when no `--private-registry` is given.
pub const DEFAULT_PATH: &str = "/etc/berth/registries.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    mirrors: BTreeMap<String, MirrorFile>,
    #[serde(default)]
    configs: BTreeMap<String, HostConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MirrorFile {
    #[serde(default)]
    endpoint: Vec<String>,
    #[serde(default)]
    rewrite: BTreeMap<String, String>,
}

/// Credentials and TLS settings for one host the agent talks to.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// base64 of `username:password`.
    #[serde(default)]
    pub auth: Option<String>,
    /// A bearer token used as is.
    #[serde(default)]
    pub token: Option<String>,
    /// An OAuth refresh token for the registry's token service.
    #[serde(default)]
    pub identitytoken: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// Where requests for a registry go: its mirrors in order, then (unless disabled) the
/// registry itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` or `http`.
    pub scheme: Scheme,
    /// `host` or `host:port`, as in URLs.
    pub host: String,
    /// Whether this is the registry itself rather than a mirror.
    pub is_default: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Https,
    Http,
    /// The registry itself on a loopback address: HTTPS, falling back to plain HTTP when
    /// the server does not speak TLS (as Docker and containerd treat local registries).
    HttpsOrHttp,
}

#[derive(Debug)]
struct Mirror {
    endpoints: Vec<Endpoint>,
    rewrites: Vec<(regex::Regex, String)>,
}

#[derive(Debug, Default)]
pub struct RegistriesConfig {
    mirrors: BTreeMap<String, Mirror>,
    configs: BTreeMap<String, HostConfig>,
    /// k3s's `--disable-default-registry-endpoint`: only mirrors are asked.
    pub disable_default_endpoint: bool,
}

impl RegistriesConfig {
    /// Reads `path`; a missing file is an empty configuration when `optional`.
    pub fn load(path: &Path, optional: bool) -> Result<RegistriesConfig, RegistryError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(RegistriesConfig::default());
            }
            Err(e) => {
                return Err(RegistryError::Config {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        };
        RegistriesConfig::parse(&text).map_err(|reason| RegistryError::Config {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<RegistriesConfig, String> {
        let file: File = if text.trim().is_empty() {
            File::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| e.to_string())?
        };
        let mut mirrors = BTreeMap::new();
        for (registry, mirror) in file.mirrors {
            let registry = canonical_host(&registry);
            let endpoints = mirror
                .endpoint
                .iter()
                .map(|e| {
                    parse_endpoint(e)
                        .map_err(|why| format!("mirrors.{registry}.endpoint: {e:?}: {why}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let rewrites = mirror
                .rewrite
                .iter()
                .map(|(pattern, replacement)| {
                    regex::Regex::new(pattern)
                        .map(|re| (re, replacement.clone()))
                        .map_err(|e| format!("mirrors.{registry}.rewrite: {pattern:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            mirrors.insert(
                registry,
                Mirror {
                    endpoints,
                    rewrites,
                },
            );
        }
        for (host, config) in &file.configs {
            if let Some(tls) = &config.tls
                && tls.cert_file.is_some() != tls.key_file.is_some()
            {
                return Err(format!(
                    "configs.{host}.tls: cert_file and key_file go together"
                ));
            }
        }
        let configs = file
            .configs
            .into_iter()
            .map(|(host, config)| (canonical_host(&host), config))
            .collect();
        Ok(RegistriesConfig {
            mirrors,
            configs,
            disable_default_endpoint: false,
        })
    }

    /// The endpoints to try for `registry`, in order.
    pub fn endpoints(&self, registry: &str) -> Vec<Endpoint> {
        let mirror = self.mirror(registry);
        let mut endpoints: Vec<Endpoint> = mirror.map(|m| m.endpoints.clone()).unwrap_or_default();
        if !self.disable_default_endpoint || endpoints.is_empty() {
            let default = default_endpoint(registry);
            if !endpoints.iter().any(|e| e.host == default.host) {
                endpoints.push(default);
            }
        }
        endpoints
    }

    /// `repository` as `registry`'s mirrors know it (the first matching rewrite applies);
    /// the registry itself always gets the repository unchanged.
    pub fn rewrite(&self, registry: &str, repository: &str) -> String {
        let Some(mirror) = self.mirror(registry) else {
            return repository.to_string();
        };
        for (re, replacement) in &mirror.rewrites {
            if re.is_match(repository) {
                return re.replace(repository, replacement.as_str()).into_owned();
            }
        }
        repository.to_string()
    }

    /// Settings for requests to `host` (an endpoint's `host[:port]`).
    pub fn host(&self, host: &str) -> Option<&HostConfig> {
        self.configs
            .get(host)
            .or_else(|| self.configs.get(&canonical_host(host)))
    }

    fn mirror(&self, registry: &str) -> Option<&Mirror> {
        self.mirrors
            .get(&canonical_host(registry))
            .or_else(|| self.mirrors.get("*"))
    }
}

/// Docker Hub's names all mean `docker.io`; a configuration keyed by any of them applies.
fn canonical_host(host: &str) -> String {
    match host {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        other => other.to_string(),
    }
}

fn default_endpoint(registry: &str) -> Endpoint {
    let host = if registry == DOCKER_HUB {
        "registry-1.docker.io".to_string()
    } else {
        registry.to_string()
    };
    let scheme = if is_loopback(&host) {
        Scheme::HttpsOrHttp
    } else {
        Scheme::Https
    };
    Endpoint {
        scheme,
        host,
        is_default: true,
    }
}

/// `localhost`, `127.0.0.0/8` or `[::1]`, with or without a port.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `https://host:port`, `http://host`, or a bare `host:port` (HTTPS). A path after the host
/// is refused: Berth asks every endpoint at `/v2/`.
fn parse_endpoint(text: &str) -> Result<Endpoint, &'static str> {
    let (scheme, rest) = if let Some(rest) = text.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = text.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else if text.contains("://") {
        return Err("only http:// and https:// endpoints are supported");
    } else {
        (Scheme::Https, text)
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || host.contains(['@', '?', '#', ' ']) {
        return Err("no valid host");
    }
    if !matches!(path, "" | "v2" | "v2/") {
        return Err(
            "an endpoint is a scheme and a host[:port]; paths other than /v2 are not supported",
        );
    }
    Ok(Endpoint {
        scheme,
        host: host.to_string(),
        is_default: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k3s_files_parse_and_mirrors_come_first() {
        let config = RegistriesConfig::parse(
            r#"
mirrors:
  docker.io:
    endpoint:
      - "https://mirror.example.com:5000"
      - "http://10.0.0.5:5000/v2"
    rewrite:
      "^library/(.*)": "hub/$1"
  "*":
    endpoint: ["mirror.example.com"]
configs:
  "mirror.example.com:5000":
    auth:
      username: u
      password: p
    tls:
      insecure_skip_verify: true
"#,
        )
        .expect("parses");
        let hosts = |registry: &str| {
            config
                .endpoints(registry)
                .into_iter()
                .map(|e| (e.host, e.scheme, e.is_default))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            hosts("docker.io"),
            vec![
                ("mirror.example.com:5000".into(), Scheme::Https, false),
                ("10.0.0.5:5000".into(), Scheme::Http, false),
                ("registry-1.docker.io".into(), Scheme::Https, true),
            ]
        );
        assert_eq!(
            hosts("quay.io"),
            vec![
                ("mirror.example.com".into(), Scheme::Https, false),
                ("quay.io".into(), Scheme::Https, true),
            ]
        );
        assert_eq!(
            config.rewrite("docker.io", "library/busybox"),
            "hub/busybox"
        );
        assert_eq!(config.rewrite("docker.io", "team/app"), "team/app");
        assert_eq!(
            config
                .host("mirror.example.com:5000")
                .and_then(|c| c.auth.clone())
                .and_then(|a| a.username),
            Some("u".into())
        );
    }

    #[test]
    fn loopback_registries_may_speak_plain_http() {
        let config = RegistriesConfig::default();
        for host in [
            "127.0.0.1:5000",
            "localhost:5000",
            "[::1]:5000",
            "localhost",
        ] {
            assert_eq!(
                config.endpoints(host)[0].scheme,
                Scheme::HttpsOrHttp,
                "{host}"
            );
        }
        assert_eq!(
            config.endpoints("registry.example.com")[0].scheme,
            Scheme::Https
        );
    }

    #[test]
    fn without_the_default_endpoint_only_mirrors_are_asked() {
        let mut config = RegistriesConfig::parse(
            "mirrors:\n  docker.io:\n    endpoint: [\"http://127.0.0.1:5000\"]\n",
        )
        .expect("parses");
        config.disable_default_endpoint = true;
        let endpoints = config.endpoints("docker.io");
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].host, "127.0.0.1:5000");
        // A registry without mirrors still has somewhere to go.
        assert_eq!(config.endpoints("quay.io")[0].host, "quay.io");
    }

    #[test]
    fn bad_files_name_the_key() {
        for (text, expected) in [
            (
                "mirrors: {docker.io: {endpoint: [\"ftp://x\"]}}",
                "mirrors.docker.io.endpoint",
            ),
            (
                "mirrors: {docker.io: {rewrite: {\"(\": x}}}",
                "mirrors.docker.io.rewrite",
            ),
            (
                "mirrors: {docker.io: {endpoint: [\"https://x/a/b\"]}}",
                "paths",
            ),
            (
                "configs: {x: {tls: {cert_file: a}}}",
                "cert_file and key_file",
            ),
            ("configs: {x: {tls: {ca: a}}}", "ca"),
            ("mirror: {}", "mirror"),
        ] {
            let error = RegistriesConfig::parse(text).expect_err(text);
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
