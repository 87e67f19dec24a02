//! Container probes — `startupProbe`, `readinessProbe`, `livenessProbe` — as the kubelet
//! runs them, one task per probe of each running container attempt.
//!
//! - The startup probe runs first; until it succeeds the container is not `started` and the
//!   other two wait. `failureThreshold` failures in a row kill the container.
//! - The readiness probe decides `ready` (false until `successThreshold` successes, false
//!   again after `failureThreshold` failures); without one a started container is ready.
//! - The liveness probe kills the container after `failureThreshold` failures in a row; its
//!   restart policy then decides, as for any exit. A kill is the kubelet's: `preStop`, then
//!   SIGTERM, SIGKILL after the grace period (the probe's own, else the pod's).
//!
//! Handlers: `exec` (`runc exec`, exit 0 succeeds), `httpGet` (a status from 200 to 399
//! succeeds; HTTPS certificates are not checked), `tcpSocket` (a connection succeeds);
//! each bounded by `timeoutSeconds`. `grpc` is not run: it is reported once and treated as
//! passing. Failures are `Unhealthy` events worded as upstream's; kills are `Killing` events.
//!
//! Invariant: a [`Probers`] belongs to one container attempt; dropping it stops its tasks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use berth_client::events::EventType;
use k8s_openapi::api::core::v1::{Container, Probe};
use tokio::sync::{Notify, watch};

use super::hooks;
use super::pod_worker::Shared;

/// The probes of one container attempt, and what they found.
pub struct Probers {
    /// The runtime ID of the attempt probed.
    pub id: String,
    started: watch::Receiver<bool>,
    ready: Arc<AtomicBool>,
    has_readiness: bool,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Probers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Probers {
    /// Whether the container has started (its startup probe, if any, succeeded).
    pub fn started(&self) -> bool {
        *self.started.borrow()
    }

    /// Whether the container is ready (its readiness probe, if any, passes).
    pub fn ready(&self) -> bool {
        self.started() && (!self.has_readiness || self.ready.load(Ordering::Relaxed))
    }
}

/// What the probe tasks of one attempt work with.
pub struct Target {
    pub shared: Arc<Shared>,
    /// The container attempt's runtime ID.
    pub id: String,
    pub container: Container,
    pub pod_ip: Option<String>,
    /// For events.
    pub reference: k8s_openapi::api::core::v1::ObjectReference,
    /// The pod's `terminationGracePeriodSeconds`.
    pub grace: Duration,
    /// Woken when a result changes, so the pod's status is written again.
    pub wake: Arc<Notify>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Startup,
    Readiness,
    Liveness,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Startup => "Startup",
            Kind::Readiness => "Readiness",
            Kind::Liveness => "Liveness",
        }
    }
}

/// Starts the probes of a container attempt that has just started running.
pub fn start(target: Target) -> Probers {
    let target = Arc::new(target);
    let c = &target.container;
    let grpc = [&c.startup_probe, &c.readiness_probe, &c.liveness_probe]
        .into_iter()
        .flatten()
        .any(|p| p.grpc.is_some());
    if grpc {
        target.shared.events.record(
            target.reference.clone(),
            EventType::Warning,
            "ProbeWarning",
            "grpc probes are not run by this node; they are treated as passing".to_string(),
        );
    }
    let (started_tx, started) = watch::channel(c.startup_probe.is_none());
    let started_tx = Arc::new(started_tx);
    let ready = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    if let Some(probe) = c.startup_probe.clone() {
        tasks.push(tokio::spawn(run(
            Kind::Startup,
            probe,
            target.clone(),
            started.clone(),
            Outcome::Started(started_tx.clone()),
        )));
    }
    if let Some(probe) = c.readiness_probe.clone() {
        tasks.push(tokio::spawn(run(
            Kind::Readiness,
            probe,
            target.clone(),
            started.clone(),
            Outcome::Ready(ready.clone()),
        )));
    }
    if let Some(probe) = c.liveness_probe.clone() {
        tasks.push(tokio::spawn(run(
            Kind::Liveness,
            probe,
            target.clone(),
            started.clone(),
            Outcome::Alive,
        )));
    }
    Probers {
        id: target.id.clone(),
        started,
        ready,
        has_readiness: c.readiness_probe.is_some(),
        tasks,
    }
}

/// Where a probe's verdict goes.
enum Outcome {
    Started(Arc<watch::Sender<bool>>),
    Ready(Arc<AtomicBool>),
    Alive,
}

/// The probe's settings with upstream's defaults and floors.
struct Settings {
    initial_delay: Duration,
    period: Duration,
    timeout: Duration,
    success_threshold: u32,
    failure_threshold: u32,
}

impl Settings {
    fn of(probe: &Probe) -> Settings {
        let seconds = |v: Option<i32>, default: u64, floor: u64| {
            Duration::from_secs(
                v.and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(default)
                    .max(floor),
            )
        };
        let count = |v: Option<i32>, default: u32| {
            v.and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v > 0)
                .unwrap_or(default)
        };
        Settings {
            initial_delay: seconds(probe.initial_delay_seconds, 0, 0),
            period: seconds(probe.period_seconds, 10, 1),
            timeout: seconds(probe.timeout_seconds, 1, 1),
            success_threshold: count(probe.success_threshold, 1),
            failure_threshold: count(probe.failure_threshold, 3),
        }
    }
}

async fn run(
    kind: Kind,
    probe: Probe,
    target: Arc<Target>,
    mut started: watch::Receiver<bool>,
    outcome: Outcome,
) {
    if kind != Kind::Startup && started.wait_for(|s| *s).await.is_err() {
        return;
    }
    let settings = Settings::of(&probe);
    tokio::time::sleep(settings.initial_delay).await;
    let (mut successes, mut failures) = (0u32, 0u32);
    loop {
        match check(&probe, &target, settings.timeout).await {
            Check::Passed => {
                successes += 1;
                failures = 0;
            }
            Check::Failed(message) => {
                failures += 1;
                successes = 0;
                target.shared.events.record(
                    target.reference.clone(),
                    EventType::Warning,
                    "Unhealthy",
                    format!("{} probe failed: {message}", kind.name()),
                );
            }
        }
        match &outcome {
            Outcome::Started(sender) if successes >= settings.success_threshold => {
                sender.send_replace(true);
                target.wake.notify_one();
                return;
            }
            Outcome::Ready(ready) => {
                let now = if successes >= settings.success_threshold {
                    Some(true)
                } else if failures >= settings.failure_threshold {
                    Some(false)
                } else {
                    None
                };
                if let Some(now) = now
                    && ready.swap(now, Ordering::Relaxed) != now
                {
                    target.wake.notify_one();
                }
            }
            Outcome::Started(_) | Outcome::Alive if failures >= settings.failure_threshold => {
                let what = if kind == Kind::Startup {
                    "startup"
                } else {
                    "liveness"
                };
                target.shared.events.record(
                    target.reference.clone(),
                    EventType::Normal,
                    "Killing",
                    format!(
                        "Container {} failed {what} probe, will be restarted",
                        target.container.name
                    ),
                );
                let grace = probe
                    .termination_grace_period_seconds
                    .and_then(|s| u64::try_from(s).ok())
                    .map_or(target.grace, Duration::from_secs);
                stop(&target, grace).await;
                return;
            }
            _ => {}
        }
        tokio::time::sleep(settings.period).await;
    }
}

enum Check {
    Passed,
    Failed(String),
}

/// Runs the probe's handler once, within `timeout`.
async fn check(probe: &Probe, target: &Target, timeout: Duration) -> Check {
    let c = &target.container;
    let pod_ip = target.pod_ip.as_deref();
    let timed_out = || Check::Failed(format!("timeout: the probe took longer than {timeout:?}"));
    if let Some(exec) = &probe.exec {
        let command = exec.command.clone().unwrap_or_default();
        let run = hooks::exec_in(&target.shared.runtime, &target.id, &command);
        return match tokio::time::timeout(timeout, run).await {
            Err(_) => Check::Failed(format!(
                "command {command:?} timed out after {}s",
                timeout.as_secs()
            )),
            Ok(Err(e)) => Check::Failed(e),
            Ok(Ok(output)) if output.status.success() => Check::Passed,
            Ok(Ok(output)) => {
                let mut said = String::from_utf8_lossy(&output.stdout).into_owned();
                said.push_str(&String::from_utf8_lossy(&output.stderr));
                Check::Failed(said.trim().to_string())
            }
        };
    }
    if let Some(get) = &probe.http_get {
        return match tokio::time::timeout(
            timeout,
            hooks::http_get(get, c, pod_ip, "kube-probe/1.33"),
        )
        .await
        {
            Err(_) => timed_out(),
            Ok(Err(e)) => Check::Failed(format!("Get {e}")),
            Ok(Ok((_, status))) if (200..400).contains(&status.as_u16()) => Check::Passed,
            Ok(Ok((_, status))) => Check::Failed(format!(
                "HTTP probe failed with statuscode: {}",
                status.as_u16()
            )),
        };
    }
    if let Some(tcp) = &probe.tcp_socket {
        let Some(port) = hooks::container_port(&tcp.port, c) else {
            return Check::Failed(format!("port {:?} not found", tcp.port));
        };
        let host = tcp
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .or_else(|| pod_ip.map(str::to_string));
        let Some(host) = host else {
            return Check::Failed("the pod has no IP".into());
        };
        let address = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        return match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&address)).await {
            Err(_) => Check::Failed(format!("dial tcp {address}: i/o timeout")),
            Ok(Err(e)) => Check::Failed(format!("dial tcp {address}: {e}")),
            Ok(Ok(_)) => Check::Passed,
        };
    }
    if probe.grpc.is_some() {
        return Check::Passed;
    }
    Check::Failed("the probe names no handler (exec, httpGet, tcpSocket or grpc)".into())
}

/// Stops the attempt as the kubelet's kill for a failed probe does: `preStop`, SIGTERM,
/// SIGKILL after `grace`.
async fn stop(target: &Target, grace: Duration) {
    super::pod_worker::stop_container(
        &target.shared,
        Some(target.reference.clone()),
        Some(&target.container),
        &target.id,
        target.pod_ip.as_deref(),
        grace,
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use hooks::container_port as port_of;
    use k8s_openapi::api::core::v1::ContainerPort;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    #[test]
    fn settings_take_upstream_defaults_and_floors() {
        let defaults = Settings::of(&Probe::default());
        assert_eq!(defaults.period, Duration::from_secs(10));
        assert_eq!(defaults.timeout, Duration::from_secs(1));
        assert_eq!(
            (defaults.success_threshold, defaults.failure_threshold),
            (1, 3)
        );
        let odd = Settings::of(&Probe {
            period_seconds: Some(0),
            timeout_seconds: Some(-5),
            failure_threshold: Some(0),
            initial_delay_seconds: Some(2),
            ..Probe::default()
        });
        assert_eq!(odd.period, Duration::from_secs(1));
        assert_eq!(odd.timeout, Duration::from_secs(1));
        assert_eq!(odd.failure_threshold, 3);
        assert_eq!(odd.initial_delay, Duration::from_secs(2));
    }

    #[test]
    fn named_ports_are_looked_up() {
        let c = Container {
            ports: Some(vec![ContainerPort {
                name: Some("http".into()),
                container_port: 8080,
                ..ContainerPort::default()
            }]),
            ..Container::default()
        };
        assert_eq!(port_of(&IntOrString::String("http".into()), &c), Some(8080));
        assert_eq!(port_of(&IntOrString::String("nope".into()), &c), None);
        assert_eq!(port_of(&IntOrString::Int(0), &c), None);
        assert_eq!(port_of(&IntOrString::Int(81), &c), Some(81));
    }
}
