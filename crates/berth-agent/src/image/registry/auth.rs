//! Registry authentication as the distribution spec describes it: a `401` carries a
//! `WWW-Authenticate` challenge; `Basic` means send the credentials with every request,
//! `Bearer` means trade them (or nothing, anonymously) at the challenge's `realm` for a
//! token scoped to the repository.

use base64::Engine;

/// Credentials for one registry, and where they came from (for messages).
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
    /// An OAuth refresh token (`identitytoken` in Docker's config).
    pub identity_token: Option<String>,
    /// A bearer token sent as is (`registrytoken`).
    pub registry_token: Option<String>,
    /// `imagePullSecret "regcred"`, `registries.yaml (configs."host")`, `--creds`.
    pub source: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret parts.
        f.debug_struct("Credential")
            .field("username", &self.username)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Credential {
    pub fn basic(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }

    pub fn from_config(config: &super::config::AuthConfig, source: String) -> Option<Credential> {
        let (mut username, mut password) = (
            config.username.clone().unwrap_or_default(),
            config.password.clone().unwrap_or_default(),
        );
        if let Some(auth) = &config.auth
            && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(auth.trim())
            && let Ok(pair) = String::from_utf8(bytes)
            && let Some((u, p)) = pair.split_once(':')
        {
            username = u.to_string();
            password = p.to_string();
        }
        let credential = Credential {
            username,
            password,
            identity_token: config.identitytoken.clone().filter(|t| !t.is_empty()),
            registry_token: config.token.clone().filter(|t| !t.is_empty()),
            source,
        };
        let empty = credential.username.is_empty()
            && credential.identity_token.is_none()
            && credential.registry_token.is_none();
        (!empty).then_some(credential)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// The first challenge Berth can answer in a `WWW-Authenticate` value.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_params(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Challenge::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
                scope: get("scope"),
            })
        } else {
            None
        }
    }
}

/// `k="v", k2=v2` with quoted-string escapes.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ',').is_some() {}
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() {
            break;
        }
        if chars.next_if_eq(&'=').is_none() {
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_string();
        }
        params.push((key, value));
    }
    params
}

/// A token service's answer (`token`, or OAuth's `access_token`).
#[derive(Debug, serde::Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
}

impl TokenResponse {
    pub fn into_token(self) -> Option<String> {
        self.token
            .filter(|t| !t.is_empty())
            .or(self.access_token)
            .filter(|t| !t.is_empty())
    }
}

/// `application/x-www-form-urlencoded` / query-string escaping.
pub fn form_escape(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/busybox:pull".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="berth-test""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm=http://x/t , service="a \"b\"""#),
            Some(Challenge::Bearer {
                realm: "http://x/t".into(),
                service: Some("a \"b\"".into()),
                scope: None,
            })
        );
        assert_eq!(Challenge::parse("Bearer service=x"), None);
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn credentials_from_the_config_and_escaping() {
        let config = super::super::config::AuthConfig {
            auth: Some(base64::engine::general_purpose::STANDARD.encode("u:p:q")),
            ..Default::default()
        };
        let c = Credential::from_config(&config, "x".into()).expect("credential");
        assert_eq!((c.username.as_str(), c.password.as_str()), ("u", "p:q"));
        assert!(!format!("{c:?}").contains("p:q"));
        assert!(Credential::from_config(&Default::default(), "x".into()).is_none());
        assert_eq!(
            form_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
