//! The admin kubeconfig: the cluster CA, the server URL and the admin client certificate.

use base64::Engine;

use crate::pki::Pki;

/// A kubeconfig for `server` (e.g. `https://127.0.0.1:6443`) that authenticates as the admin.
pub fn admin_kubeconfig(pki: &Pki, server: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {server}
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
preferences: {{}}
users:
- name: default
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
",
        ca = b64(&pki.ca_cert_pem),
        cert = b64(&pki.admin_cert_pem),
        key = b64(&pki.admin_key_pem),
    )
}
