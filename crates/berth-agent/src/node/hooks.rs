//! Container lifecycle hooks (`lifecycle.postStart`, `lifecycle.preStop`), as the kubelet
//! runs them: `exec` runs the command in the container (`runc exec`) and fails on a non-zero
//! exit; `httpGet` asks the pod (its IP unless `host` says otherwise; a named port is looked
//! up among the container's ports) and fails on a transport error or a status of 400 or
//! more, without checking an HTTPS certificate; `sleep` waits. The caller bounds the time.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use k8s_openapi::api::core::v1::{Container, LifecycleHandler};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::runtime::Runtime;

/// Where a hook runs.
pub struct HookTarget<'a> {
    pub runtime: &'a Runtime,
    /// The container's runtime ID.
    pub id: &'a str,
    pub container: &'a Container,
    pub pod_ip: Option<&'a str>,
}

/// Runs `handler`; the error says what failed, in the kubelet's words.
pub async fn run(handler: &LifecycleHandler, target: &HookTarget<'_>) -> Result<(), String> {
    if let Some(exec) = &handler.exec {
        let command = exec.command.clone().unwrap_or_default();
        if command.is_empty() {
            return Err("exec hook has no command".into());
        }
        let output = tokio::process::Command::new(target.runtime.runc())
            .arg("--root")
            .arg(target.runtime.runc_root())
            .arg("exec")
            .arg(target.id)
            .args(&command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| format!("running runc exec: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        let mut said = String::from_utf8_lossy(&output.stdout).into_owned();
        said.push_str(&String::from_utf8_lossy(&output.stderr));
        return Err(format!(
            "Exec lifecycle hook ({command:?}) for Container {:?} failed - error: command '{}' exited with {}: {}",
            target.container.name,
            command.join(" "),
            output.status.code().unwrap_or(-1),
            said.trim()
        ));
    }
    if let Some(get) = &handler.http_get {
        let port = match &get.port {
            IntOrString::Int(p) => u16::try_from(*p).ok(),
            IntOrString::String(name) => target
                .container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .and_then(|p| u16::try_from(p.container_port).ok()),
        }
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("httpGet hook: port {:?} not found", get.port))?;
        let host = get
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .or_else(|| target.pod_ip.map(str::to_string))
            .ok_or("httpGet hook: the pod has no IP")?;
        let scheme = if get.scheme.as_deref() == Some("HTTPS") {
            "https"
        } else {
            "http"
        };
        let host_port = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let path = get.path.clone().unwrap_or_default();
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        let url = format!("{scheme}://{host_port}{path}");
        let mut request =
            http::Request::get(&url).header(http::header::USER_AGENT, "kube-lifecycle/1.33");
        for h in get.http_headers.iter().flatten() {
            request = request.header(h.name.as_str(), h.value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("httpGet hook {url}: {e}"))?;
        let insecure = crate::image::registry::config::TlsConfig {
            insecure_skip_verify: true,
            ..Default::default()
        };
        let client = crate::image::registry::client::http_client(Some(&insecure))
            .map_err(|e| e.to_string())?;
        let response = client.request(request).await.map_err(|e| {
            format!(
                "HTTP lifecycle hook ({path}) for Container {:?} failed - error: {}",
                target.container.name,
                crate::image::registry::client::error_chain(&e)
            )
        })?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status.as_u16() >= 400 {
            return Err(format!(
                "HTTP lifecycle hook ({path}) for Container {:?} failed - error: {url}: {status}",
                target.container.name
            ));
        }
        return Ok(());
    }
    if let Some(sleep) = &handler.sleep {
        tokio::time::sleep(Duration::from_secs(sleep.seconds.max(0) as u64)).await;
        return Ok(());
    }
    Err("the hook names no action (exec, httpGet or sleep)".into())
}
