//! Service account tokens: signed JWTs (ES256) as upstream issues them through the
//! `serviceaccounts/<name>/token` subresource (`kubectl create token`), and their verification
//! when one comes back as a bearer token.
//!
//! The signing key is created once, `<data-dir>/server/tls/service.key` (PKCS#8, mode 0600).
//! A token names its service account (and optionally the object it is bound to) with their
//! UIDs; it is accepted only while it has not expired, its audience includes the API server's,
//! and that service account still exists with the same UID.

use std::path::Path;

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use serde_json::{Value, json};

use crate::pki::{PkiError, write_private};

/// The issuer and default audience of tokens.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub namespace: String,
    pub service_account: String,
    pub uid: String,
}

pub struct TokenIssuer {
    key: EcdsaKeyPair,
    public: Vec<u8>,
    rng: SystemRandom,
}

impl TokenIssuer {
    /// Loads the signing key from the data dir, creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<TokenIssuer, PkiError> {
        let path = data_dir.join("server").join("tls").join("service.key");
        let rng = SystemRandom::new();
        let bad = |detail: String| PkiError::Bad {
            path: path.clone(),
            detail,
        };
        let pkcs8 = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| bad("could not generate a signing key".into()))?;
                write_private(&path, document.as_ref(), 0o600)?;
                document.as_ref().to_vec()
            }
            Err(source) => return Err(PkiError::Io { path, source }),
        };
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|e| bad(format!("not an ECDSA P-256 PKCS#8 key: {e}")))?;
        let public = key.public_key().as_ref().to_vec();
        Ok(TokenIssuer { key, public, rng })
    }

    /// A signed token for a service account, valid for `seconds`, for `audiences`.
    pub fn issue(
        &self,
        subject: &TokenSubject,
        audiences: &[String],
        seconds: i64,
        bound: Option<Value>,
        now: i64,
    ) -> Option<String> {
        let header = json!({"alg": "ES256", "typ": "JWT"});
        let mut kubernetes = json!({
            "namespace": subject.namespace,
            "serviceaccount": {"name": subject.service_account, "uid": subject.uid},
        });
        if let Some(bound) = bound
            && let (Some(kind), Some(name), Some(uid)) = (
                bound.get("kind").and_then(Value::as_str),
                bound.get("name").and_then(Value::as_str),
                bound.get("uid").and_then(Value::as_str),
            )
        {
            kubernetes[kind.to_lowercase()] = json!({"name": name, "uid": uid});
        }
        let claims = json!({
            "iss": ISSUER,
            "sub": format!("system:serviceaccount:{}:{}", subject.namespace, subject.service_account),
            "aud": audiences,
            "iat": now,
            "nbf": now,
            "exp": now + seconds,
            "kubernetes.io": kubernetes,
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature = self.key.sign(&self.rng, signing_input.as_bytes()).ok()?;
        Some(format!("{signing_input}.{}", b64(signature.as_ref())))
    }

    /// The token's subject, if its signature, lifetime and audience check out. Whether the
    /// service account still exists is the caller's check.
    pub fn verify(&self, token: &str, now: i64) -> Option<TokenSubject> {
        let mut parts = token.split('.');
        let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let decode = |part: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .ok()
        };
        let signed = format!("{header}.{claims}");
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.public)
            .verify(signed.as_bytes(), &decode(signature)?)
            .ok()?;
        let claims: Value = serde_json::from_slice(&decode(claims)?).ok()?;
        let exp = claims.get("exp").and_then(Value::as_i64)?;
        let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
        if now >= exp || now + 60 < nbf {
            return None;
        }
        let audience_ok = claims
            .get("aud")
            .and_then(Value::as_array)
            .is_some_and(|aud| aud.iter().any(|a| a.as_str() == Some(ISSUER)));
        if !audience_ok {
            return None;
        }
        let k = claims.get("kubernetes.io")?;
        Some(TokenSubject {
            namespace: k.get("namespace")?.as_str()?.to_string(),
            service_account: k.pointer("/serviceaccount/name")?.as_str()?.to_string(),
            uid: k.pointer("/serviceaccount/uid")?.as_str()?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_until_they_expire_and_not_when_tampered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let issuer = TokenIssuer::load_or_create(dir.path()).expect("issuer");
        let subject = TokenSubject {
            namespace: "default".into(),
            service_account: "robot".into(),
            uid: "u-1".into(),
        };
        let token = issuer
            .issue(&subject, &[ISSUER.to_string()], 600, None, 1_000)
            .expect("token");
        assert_eq!(issuer.verify(&token, 1_100), Some(subject.clone()));
        assert_eq!(issuer.verify(&token, 1_600), None, "expired");
        let mut tampered = token.clone();
        tampered.insert(tampered.len() / 2, 'x');
        assert_eq!(issuer.verify(&tampered, 1_100), None);
        let other = issuer
            .issue(&subject, &["vault".to_string()], 600, None, 1_000)
            .expect("token");
        assert_eq!(issuer.verify(&other, 1_100), None, "wrong audience");
        // The key survives a restart: tokens stay valid.
        let again = TokenIssuer::load_or_create(dir.path()).expect("reload");
        assert_eq!(again.verify(&token, 1_100), Some(subject));
        assert_eq!(issuer.verify("not.a.jwt", 1_100), None);
    }
}
