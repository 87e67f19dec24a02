//! Container lifecycle hooks (`lifecycle.postStart`, `lifecycle.preStop`), as the kubelet
//! runs them: `exec` runs the command in the container (`runc exec`) and fails on a non-zero
//! exit; `httpGet` asks the pod (its IP unless `host` says otherwise; a named port is looked
//! up among the container's ports) and fails on a transport error or a status of 400 or
//! more, without checking an HTTPS certificate; `sleep` waits. The caller bounds the time.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use k8s_openapi::api::core::v1::{Container, HTTPGetAction, LifecycleHandler};
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
        let output = exec_in(target.runtime, target.id, &command).await?;
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
        let path = request_path(get);
        let (url, status) = http_get(get, target.container, target.pod_ip, "kube-lifecycle/1.33")
            .await
            .map_err(|e| {
                format!(
                    "HTTP lifecycle hook ({path}) for Container {:?} failed - error: {e}",
                    target.container.name
                )
            })?;
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

/// `runc exec` of `command` in container `id`, its output collected (killed if dropped).
pub(super) async fn exec_in(
    runtime: &Runtime,
    id: &str,
    command: &[String],
) -> Result<std::process::Output, String> {
    tokio::process::Command::new(runtime.runc())
        .arg("--root")
        .arg(runtime.runc_root())
        .arg("exec")
        .arg(id)
        .args(command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("running runc exec: {e}"))
}

/// A container port by number or by the name of one of `container`'s ports.
pub(super) fn container_port(port: &IntOrString, container: &Container) -> Option<u16> {
    match port {
        IntOrString::Int(p) => u16::try_from(*p).ok(),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok()),
    }
    .filter(|p| *p > 0)
}

/// The path of an `httpGet` action, with its leading `/`.
fn request_path(get: &HTTPGetAction) -> String {
    let path = get.path.clone().unwrap_or_default();
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

/// Performs an `httpGet` action against the pod (its IP unless `host` says otherwise),
/// without checking an HTTPS certificate, as the kubelet; the URL and the status, or what
/// failed.
pub(super) async fn http_get(
    get: &HTTPGetAction,
    container: &Container,
    pod_ip: Option<&str>,
    user_agent: &str,
) -> Result<(String, http::StatusCode), String> {
    let port = container_port(&get.port, container)
        .ok_or_else(|| format!("port {:?} not found", get.port))?;
    let host = get
        .host
        .clone()
        .filter(|h| !h.is_empty())
        .or_else(|| pod_ip.map(str::to_string))
        .ok_or("the pod has no IP")?;
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
    let url = format!("{scheme}://{host_port}{}", request_path(get));
    let mut request = http::Request::get(&url).header(http::header::USER_AGENT, user_agent);
    for h in get.http_headers.iter().flatten() {
        request = request.header(h.name.as_str(), h.value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("{url}: {e}"))?;
    let insecure = crate::image::registry::config::TlsConfig {
        insecure_skip_verify: true,
        ..Default::default()
    };
    let client =
        crate::image::registry::client::http_client(Some(&insecure)).map_err(|e| e.to_string())?;
    let response = client
        .request(request)
        .await
        .map_err(|e| crate::image::registry::client::error_chain(&e))?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    Ok((url, status))
}
