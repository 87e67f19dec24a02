//! Credentials from a pod's `imagePullSecrets`, matched to images as the kubelet's keyring
//! does: a key is `host[:port][/path]` with an optional scheme (`https://index.docker.io/v1/`
//! is Docker Hub's), host labels may be globs (`*.example.com`), the port must be the same
//! and the image's repository must start with the key's path. More specific keys come
//! first; every match is a candidate, tried in order.

use base64::Engine;
use serde::Deserialize;

use super::auth::Credential;
use crate::image::reference::{DOCKER_HUB, ImageRef};

/// Secret types and the data key each keeps its document under.
pub const DOCKER_CONFIG_JSON: (&str, &str) =
    ("kubernetes.io/dockerconfigjson", ".dockerconfigjson");
pub const DOCKER_CFG: (&str, &str) = ("kubernetes.io/dockercfg", ".dockercfg");

#[derive(Debug, Deserialize)]
struct ConfigJson {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, Entry>,
}

#[derive(Debug, Default, Deserialize)]
struct Entry {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

#[derive(Debug, Clone)]
struct Key {
    /// Host labels, lowercase; each may be a glob.
    labels: Vec<String>,
    port: Option<String>,
    path: String,
    /// Length of the key as written, for ordering (more specific first).
    specificity: usize,
}

#[derive(Debug, Default, Clone)]
pub struct Keyring {
    entries: Vec<(Key, Credential)>,
}

impl Keyring {
    /// Adds the credentials of a Secret of type `kubernetes.io/dockerconfigjson` or
    /// `kubernetes.io/dockercfg` (its decoded `data`). Returns why it could not, for the
    /// pod's events; other Secret types are refused the same way.
    pub fn add_secret(
        &mut self,
        name: &str,
        kind: &str,
        data: &std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Result<(), String> {
        let (document, wrapped) = if kind == DOCKER_CONFIG_JSON.0 {
            (data.get(DOCKER_CONFIG_JSON.1), true)
        } else if kind == DOCKER_CFG.0 {
            (data.get(DOCKER_CFG.1), false)
        } else {
            return Err(format!(
                "secret \"{name}\" is of type {kind:?}, not {} or {}",
                DOCKER_CONFIG_JSON.0, DOCKER_CFG.0
            ));
        };
        let document = document.ok_or_else(|| {
            format!(
                "secret \"{name}\" has no {} key",
                if wrapped {
                    DOCKER_CONFIG_JSON.1
                } else {
                    DOCKER_CFG.1
                }
            )
        })?;
        let auths = if wrapped {
            serde_json::from_slice::<ConfigJson>(document).map(|c| c.auths)
        } else {
            serde_json::from_slice(document)
        }
        .map_err(|e| format!("secret \"{name}\": {e}"))?;
        for (key, entry) in auths {
            let credential = entry.credential(&format!("imagePullSecret \"{name}\""))?;
            if let Some(key) = Key::parse(&key) {
                self.entries.push((key, credential));
            }
        }
        self.entries
            .sort_by_key(|(key, _)| std::cmp::Reverse(key.specificity));
        Ok(())
    }

    /// The credentials that apply to `image`, most specific first.
    pub fn lookup(&self, image: &ImageRef) -> Vec<Credential> {
        let (host, port) = split_port(&image.registry);
        let host = host.to_ascii_lowercase();
        self.entries
            .iter()
            .filter(|(key, _)| key.matches(&host, port, &image.repository))
            .map(|(_, c)| c.clone())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Entry {
    fn credential(self, source: &str) -> Result<Credential, String> {
        let (mut username, mut password) = (self.username, self.password);
        if let Some(auth) = self.auth.filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| format!("{source}: \"auth\" is not base64 of user:password"))?;
            let (u, p) = decoded
                .split_once(':')
                .ok_or_else(|| format!("{source}: \"auth\" is not base64 of user:password"))?;
            username = username.filter(|u| !u.is_empty()).or(Some(u.to_string()));
            password = password.filter(|p| !p.is_empty()).or(Some(p.to_string()));
        }
        Ok(Credential {
            username: username.unwrap_or_default(),
            password: password.unwrap_or_default(),
            identity_token: self.identitytoken.filter(|t| !t.is_empty()),
            registry_token: self.registrytoken.filter(|t| !t.is_empty()),
            source: source.to_string(),
        })
    }
}

impl Key {
    fn parse(text: &str) -> Option<Key> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .unwrap_or(text);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = split_port(authority);
        let mut host = host.to_ascii_lowercase();
        let mut path = path.trim_end_matches('/').to_string();
        if matches!(host.as_str(), "index.docker.io" | "registry-1.docker.io") {
            host = DOCKER_HUB.to_string();
            // `https://index.docker.io/v1/` is the classic key for all of Docker Hub.
            if path == "v1" || path == "v2" {
                path.clear();
            }
        }
        if host.is_empty() {
            return None;
        }
        Some(Key {
            labels: host.split('.').map(str::to_string).collect(),
            port: port.map(str::to_string),
            path,
            specificity: text.len(),
        })
    }

    fn matches(&self, host: &str, port: Option<&str>, repository: &str) -> bool {
        let labels: Vec<&str> = host.split('.').collect();
        labels.len() == self.labels.len()
            && self
                .labels
                .iter()
                .zip(&labels)
                .all(|(pattern, label)| glob(pattern, label))
            && self.port.as_deref() == port
            && (self.path.is_empty()
                || repository == self.path
                || repository.starts_with(&format!("{}/", self.path)))
    }
}

/// `host:port` → (host, Some(port)); `[v6]:port` likewise; a bare host has no port.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if let Some(end) = authority.find(']') {
        let port = authority[end + 1..].strip_prefix(':');
        return (&authority[..=end], port);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => (host, Some(port)),
        _ => (authority, None),
    }
}

/// `*` matches any run of characters within one host label, as Go's `filepath.Match` does
/// for the kubelet.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(text) = text.strip_prefix(prefix) else {
                return false;
            };
            (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .any(|i| glob(rest, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn keyring(auths: serde_json::Value) -> Keyring {
        let mut keyring = Keyring::default();
        let mut data = BTreeMap::new();
        data.insert(
            ".dockerconfigjson".to_string(),
            serde_json::to_vec(&serde_json::json!({ "auths": auths })).expect("json"),
        );
        keyring
            .add_secret("regcred", DOCKER_CONFIG_JSON.0, &data)
            .expect("adds");
        keyring
    }

    fn users(keyring: &Keyring, image: &str) -> Vec<String> {
        keyring
            .lookup(&ImageRef::parse(image).expect("reference"))
            .into_iter()
            .map(|c| c.username)
            .collect()
    }

    #[test]
    fn keys_match_as_the_kubelet_matches_them() {
        let auth = base64::engine::general_purpose::STANDARD.encode("carol:pw3");
        let keyring = keyring(serde_json::json!({
            "https://index.docker.io/v1/": {"username": "hub", "password": "x"},
            "registry.example.com": {"username": "alice", "password": "pw"},
            "registry.example.com/team": {"username": "bob", "password": "pw2"},
            "*.corp.example": {"auth": auth},
            "127.0.0.1:5000": {"username": "local", "password": "x"},
        }));
        assert_eq!(users(&keyring, "busybox"), ["hub"]);
        assert_eq!(users(&keyring, "registry.example.com/app"), ["alice"]);
        assert_eq!(
            users(&keyring, "registry.example.com/team/app:1"),
            ["bob", "alice"]
        );
        assert_eq!(users(&keyring, "registry.example.com/teamx/app"), ["alice"]);
        assert_eq!(users(&keyring, "r1.corp.example/app"), ["carol"]);
        assert!(users(&keyring, "a.r1.corp.example/app").is_empty());
        assert_eq!(users(&keyring, "127.0.0.1:5000/app"), ["local"]);
        assert!(users(&keyring, "127.0.0.1:5001/app").is_empty());
        assert!(users(&keyring, "registry.example.com:443/app").is_empty());
        let carol = keyring.lookup(&ImageRef::parse("x.corp.example/a").expect("ref"));
        assert_eq!(carol[0].password, "pw3");
        assert_eq!(carol[0].source, "imagePullSecret \"regcred\"");
    }

    #[test]
    fn wrong_secrets_say_why() {
        let mut keyring = Keyring::default();
        let mut data = BTreeMap::new();
        assert!(
            keyring
                .add_secret("s", "Opaque", &data)
                .expect_err("opaque")
                .contains("not kubernetes.io/dockerconfigjson")
        );
        assert!(
            keyring
                .add_secret("s", DOCKER_CONFIG_JSON.0, &data)
                .expect_err("empty")
                .contains("no .dockerconfigjson key")
        );
        data.insert(
            ".dockercfg".to_string(),
            br#"{"r.io": {"auth": "!!"}}"#.to_vec(),
        );
        assert!(
            keyring
                .add_secret("s", DOCKER_CFG.0, &data)
                .expect_err("bad auth")
                .contains("not base64")
        );
    }
}
