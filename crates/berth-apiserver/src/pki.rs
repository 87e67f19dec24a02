//! The cluster's certificates and tokens, created on first start and reused afterwards.
//!
//! Files under `<data-dir>/server/tls/` (keys mode 0600): `server-ca.{crt,key}` (the CA every
//! client trusts), `serving.{crt,key}` (the API server's certificate, re-issued when the wanted
//! names change), `client-admin.{crt,key}` (`system:admin`, group `system:masters`). The admin
//! bearer token and the node join token live in `<data-dir>/server/token`.
//!
//! Invariant: existing CA material is never replaced; a damaged file is an error naming it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Bad { path: PathBuf, detail: String },
    #[error("generating {what}")]
    Generate {
        what: &'static str,
        #[source]
        source: rcgen::Error,
    },
}

/// PEM material the server and the kubeconfig need.
#[derive(Clone)]
pub struct Pki {
    pub ca_cert_pem: String,
    pub serving_cert_pem: String,
    pub serving_key_pem: String,
    pub admin_cert_pem: String,
    pub admin_key_pem: String,
    /// Bearer token of the admin user (also accepted as the node join token for now).
    pub token: String,
}

fn read(path: &Path) -> Result<Option<String>, PkiError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(PkiError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `contents` to `path` atomically (temp file + rename), with `mode`.
pub fn write_private(path: &Path, contents: &[u8], mode: u32) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io)?;
    file.write_all(contents).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(mode)).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

fn random_token() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

fn generate(what: &'static str) -> impl Fn(rcgen::Error) -> PkiError {
    move |source| PkiError::Generate { what, source }
}

impl Pki {
    /// Loads the PKI from `<data_dir>/server`, creating what is missing. `names` are the serving
    /// certificate's subject alternative names (IPs and DNS names).
    pub fn load_or_create(data_dir: &Path, names: &[String]) -> Result<Pki, PkiError> {
        let tls = data_dir.join("server").join("tls");
        let (ca_cert_pem, ca_key_pem) = match (
            read(&tls.join("server-ca.crt"))?,
            read(&tls.join("server-ca.key"))?,
        ) {
            (Some(cert), Some(key)) => (cert, key),
            (None, None) => {
                let key = KeyPair::generate().map_err(generate("the CA key"))?;
                let mut params = CertificateParams::new(Vec::<String>::new())
                    .map_err(generate("the CA certificate"))?;
                params
                    .distinguished_name
                    .push(DnType::CommonName, "berth-server-ca");
                params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
                params.key_usages = vec![
                    KeyUsagePurpose::KeyCertSign,
                    KeyUsagePurpose::CrlSign,
                    KeyUsagePurpose::DigitalSignature,
                ];
                let cert = params
                    .self_signed(&key)
                    .map_err(generate("the CA certificate"))?;
                let (cert, key) = (cert.pem(), key.serialize_pem());
                write_private(&tls.join("server-ca.key"), key.as_bytes(), 0o600)?;
                write_private(&tls.join("server-ca.crt"), cert.as_bytes(), 0o644)?;
                (cert, key)
            }
            _ => {
                return Err(PkiError::Bad {
                    path: tls.join("server-ca.key"),
                    detail: "only one of server-ca.crt and server-ca.key exists; restore both or remove both".into(),
                });
            }
        };
        let bad = |path: PathBuf| {
            move |e: rcgen::Error| PkiError::Bad {
                path,
                detail: e.to_string(),
            }
        };
        let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(bad(tls.join("server-ca.key")))?;
        let issuer = Issuer::from_ca_cert_pem(&ca_cert_pem, &ca_key)
            .map_err(bad(tls.join("server-ca.crt")))?;

        // The serving certificate: re-issued when the wanted names changed.
        let names_file = tls.join("serving.names");
        let wanted = names.join(",");
        let (serving_cert_pem, serving_key_pem) = match (
            read(&tls.join("serving.crt"))?,
            read(&tls.join("serving.key"))?,
            read(&names_file)?,
        ) {
            (Some(cert), Some(key), Some(had)) if had == wanted => (cert, key),
            _ => {
                let key = KeyPair::generate().map_err(generate("the serving key"))?;
                let mut params = CertificateParams::new(names.to_vec())
                    .map_err(generate("the serving certificate"))?;
                params
                    .distinguished_name
                    .push(DnType::CommonName, "berth-apiserver");
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
                let cert = params
                    .signed_by(&key, &issuer)
                    .map_err(generate("the serving certificate"))?;
                let (cert, key) = (cert.pem(), key.serialize_pem());
                write_private(&tls.join("serving.key"), key.as_bytes(), 0o600)?;
                write_private(&tls.join("serving.crt"), cert.as_bytes(), 0o644)?;
                write_private(&names_file, wanted.as_bytes(), 0o644)?;
                (cert, key)
            }
        };

        let (admin_cert_pem, admin_key_pem) = match (
            read(&tls.join("client-admin.crt"))?,
            read(&tls.join("client-admin.key"))?,
        ) {
            (Some(cert), Some(key)) => (cert, key),
            _ => {
                let key = KeyPair::generate().map_err(generate("the admin key"))?;
                let mut params = CertificateParams::new(Vec::<String>::new())
                    .map_err(generate("the admin certificate"))?;
                params
                    .distinguished_name
                    .push(DnType::CommonName, "system:admin");
                params
                    .distinguished_name
                    .push(DnType::OrganizationName, "system:masters");
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
                let cert = params
                    .signed_by(&key, &issuer)
                    .map_err(generate("the admin certificate"))?;
                let (cert, key) = (cert.pem(), key.serialize_pem());
                write_private(&tls.join("client-admin.key"), key.as_bytes(), 0o600)?;
                write_private(&tls.join("client-admin.crt"), cert.as_bytes(), 0o644)?;
                (cert, key)
            }
        };

        let token_file = data_dir.join("server").join("token");
        let token = match read(&token_file)? {
            Some(token) if !token.trim().is_empty() => token.trim().to_string(),
            _ => {
                let token = random_token();
                write_private(&token_file, format!("{token}\n").as_bytes(), 0o600)?;
                token
            }
        };
        Ok(Pki {
            ca_cert_pem,
            serving_cert_pem,
            serving_key_pem,
            admin_cert_pem,
            admin_key_pem,
            token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let first = Pki::load_or_create(dir.path(), &names).expect("create");
        let again = Pki::load_or_create(dir.path(), &names).expect("reload");
        assert_eq!(first.ca_cert_pem, again.ca_cert_pem);
        assert_eq!(first.serving_cert_pem, again.serving_cert_pem);
        assert_eq!(first.token, again.token);
        let mode = fs::metadata(dir.path().join("server/tls/server-ca.key"))
            .expect("key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // New names: a new serving certificate from the same CA.
        let more = vec!["127.0.0.1".to_string(), "berth.example".to_string()];
        let third = Pki::load_or_create(dir.path(), &more).expect("reissue");
        assert_eq!(third.ca_cert_pem, first.ca_cert_pem);
        assert_ne!(third.serving_cert_pem, first.serving_cert_pem);
    }
}
