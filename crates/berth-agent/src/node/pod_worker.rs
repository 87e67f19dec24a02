//! One task per pod bound to this node: the kubelet's pod worker. Level-triggered: each pass
//! looks at the pod as last seen and at what the runtime recorded, does the next step —
//! sandbox, volumes, init containers in order, app containers, restarts with back-off — and
//! reports the pod's status. A deleted pod's containers get SIGTERM, then SIGKILL after the
//! grace period; then everything is removed and the Pod object released.
//!
//! Invariants: container IDs are `<pod uid>_<container>_<attempt>`, so after an agent
//! restart the worker re-adopts what runs (and the restart counts) from the runtime alone;
//! nothing is started twice for one attempt; teardown is idempotent.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::core::v1::{ConfigMap, Container, ObjectReference, Pod, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use super::container::{self, ConfigError, Context, Sources};
use super::{hooks, image_pull, probes};
use crate::image::ImageStore;
use crate::image::registry::Puller;
use crate::network::{CniConfig, Sandbox};
use crate::runtime::{BindMount, ContainerState, Runtime, RuntimeError, SharedNamespaces};

/// What every pod worker of one node shares.
pub struct Shared {
    pub client: kube::Client,
    pub runtime: Runtime,
    pub images: ImageStore,
    pub puller: Arc<Puller>,
    pub cni: CniConfig,
    pub nat: crate::network::nat::Nat,
    pub node_name: String,
    pub host_ip: String,
    pub pods_dir: PathBuf,
    pub logs_dir: PathBuf,
    pub cgroup_root: String,
    pub cluster_dns: String,
    pub cluster_domain: String,
    pub events: EventRecorder,
}

const INITIAL_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One container of the pod, across its attempts.
#[derive(Debug, Default, Clone)]
struct Record {
    /// The current attempt (0 for the first), the restart count.
    attempt: u32,
    /// The current attempt's runtime ID, once started.
    id: Option<String>,
    state: Option<ContainerState>,
    /// The previous attempt's end, for `lastState`.
    last: Option<ContainerState>,
    image: String,
    image_id: String,
    /// Why it is waiting (`ErrImagePull`, `CreateContainerConfigError`, …) and the message.
    waiting: Option<(String, String)>,
    backoff: Duration,
    /// The image pull back-off (10 s doubling to 5 min while pulls fail).
    pull_backoff: Duration,
    /// Whether it was restarted before (the first restart is immediate).
    restarted: bool,
    retry_at: Option<Instant>,
}

impl Record {
    fn exited(&self) -> Option<&ContainerState> {
        self.state.as_ref().filter(|s| s.exit_code.is_some())
    }
    fn running(&self) -> bool {
        self.state.as_ref().is_some_and(ContainerState::running)
    }
}

pub struct PodWorker {
    shared: Arc<Shared>,
    uid: String,
    dir: PathBuf,
    sandbox: Sandbox,
    pod_ip: Option<String>,
    sandbox_ready: bool,
    records: HashMap<String, Record>,
    wake: Arc<Notify>,
    start_time: String,
    last_status: Option<Value>,
    sandbox_retry: Option<Instant>,
    /// The host ports this pod holds (bound sockets), and whether they are mapped.
    held_ports: Vec<std::os::fd::OwnedFd>,
    ports_mapped: bool,
    /// The probes of the running app containers that have any, by container name.
    probes: HashMap<String, probes::Probers>,
}

fn container_id(uid: &str, name: &str, attempt: u32) -> String {
    format!("{uid}_{name}_{attempt}")
}

/// `(uid, name, attempt)` of a runtime ID made by [`container_id`].
pub fn parse_container_id(id: &str) -> Option<(&str, &str, u32)> {
    let mut parts = id.splitn(3, '_');
    let uid = parts.next()?;
    let name = parts.next()?;
    let attempt = parts.next()?.parse().ok()?;
    Some((uid, name, attempt))
}

pub(super) fn reference(pod: &Pod, field: Option<String>) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        field_path: field,
        ..ObjectReference::default()
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

impl PodWorker {
    /// A worker for pod `uid`, re-adopting whatever the runtime holds of it.
    pub fn new(shared: Arc<Shared>, uid: &str) -> PodWorker {
        let dir = shared.pods_dir.join(uid);
        let sandbox = Sandbox::at(&dir);
        let mut worker = PodWorker {
            sandbox_ready: sandbox.exists(),
            pod_ip: std::fs::read_to_string(dir.join("ip"))
                .ok()
                .map(|s| s.trim().to_string()),
            sandbox,
            shared,
            uid: uid.to_string(),
            dir,
            records: HashMap::new(),
            wake: Arc::new(Notify::new()),
            start_time: now(),
            last_status: None,
            sandbox_retry: None,
            held_ports: Vec::new(),
            ports_mapped: false,
            probes: HashMap::new(),
        };
        worker.adopt();
        worker
    }

    fn adopt(&mut self) {
        let ids = self.shared.runtime.list().unwrap_or_default();
        let mut latest: BTreeMap<String, (u32, String)> = BTreeMap::new();
        for id in &ids {
            if let Some((uid, name, attempt)) = parse_container_id(id)
                && uid == self.uid
                && latest.get(name).is_none_or(|(a, _)| attempt > *a)
            {
                latest.insert(name.to_string(), (attempt, id.clone()));
            }
        }
        for (name, (attempt, id)) in latest {
            let state = self.shared.runtime.state(&id).ok().flatten();
            let last = attempt.checked_sub(1).and_then(|a| {
                self.shared
                    .runtime
                    .state(&container_id(&self.uid, &name, a))
                    .ok()
                    .flatten()
            });
            if state.as_ref().is_some_and(ContainerState::running) {
                self.watch_exit(&id);
            }
            self.records.insert(
                name,
                Record {
                    attempt,
                    id: Some(id),
                    state,
                    last,
                    backoff: INITIAL_BACKOFF,
                    ..Record::default()
                },
            );
        }
    }

    fn watch_exit(&self, id: &str) {
        let runtime = self.shared.runtime.clone();
        let wake = self.wake.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let _ = runtime.wait(&id).await;
            wake.notify_one();
        });
    }

    /// Runs until the pod is gone and everything of it removed.
    pub async fn run(mut self, mut pods: watch::Receiver<Option<Arc<Pod>>>) {
        loop {
            let pod = pods.borrow_and_update().clone();
            let Some(pod) = pod else {
                self.teardown(None, Duration::ZERO).await;
                return;
            };
            if pod.metadata.deletion_timestamp.is_some() {
                let grace = pod
                    .metadata
                    .deletion_grace_period_seconds
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(30);
                self.teardown(Some(&pod), Duration::from_secs(grace)).await;
                self.release(&pod).await;
                // The watch's Delete ends the worker; until then nothing more to do.
                if pods.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let next = self.sync(&pod).await;
            let sleep = next.map(|at| at.saturating_duration_since(Instant::now()));
            tokio::select! {
                changed = pods.changed() => {
                    if changed.is_err() {
                        self.teardown(None, Duration::ZERO).await;
                        return;
                    }
                }
                () = self.wake.notified() => {}
                () = async {
                    match sleep {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        }
    }

    /// One pass; returns when to look again without a change.
    async fn sync(&mut self, pod: &Pod) -> Option<Instant> {
        // What the shims recorded since the last pass (exits).
        for record in self.records.values_mut() {
            if let Some(id) = &record.id
                && record.running()
                && let Ok(Some(state)) = self.shared.runtime.state(id)
            {
                record.state = Some(state);
            }
        }
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
        if matches!(phase.as_deref(), Some("Succeeded" | "Failed"))
            && self.records.values().all(|r| !r.running())
        {
            return None;
        }
        let mut next: Option<Instant> = None;
        let mut earliest = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        if !self.sandbox_ready {
            if self.sandbox_retry.is_some_and(|t| t > Instant::now()) {
                earliest(self.sandbox_retry.unwrap_or_else(Instant::now));
            } else if let Err(message) = self.create_sandbox(pod).await {
                self.shared.events.record(
                    reference(pod, None),
                    EventType::Warning,
                    "FailedCreatePodSandBox",
                    format!("Failed to create pod sandbox: {message}"),
                );
                let at = Instant::now() + Duration::from_secs(5);
                self.sandbox_retry = Some(at);
                earliest(at);
            }
        }
        if self.sandbox_ready && !self.ports_mapped {
            self.map_host_ports(pod).await;
        }
        if self.sandbox_ready {
            let spec = pod.spec.clone().unwrap_or_default();
            let policy = spec
                .restart_policy
                .clone()
                .unwrap_or_else(|| "Always".into());
            let mut initialized = true;
            for c in spec.init_containers.iter().flatten() {
                let record = self.records.get(&c.name).cloned().unwrap_or_default();
                match record.exited() {
                    Some(s) if s.exit_code == Some(0) => continue,
                    Some(_) if policy == "Never" => {
                        initialized = false;
                        break;
                    }
                    _ => {}
                }
                initialized = false;
                if !record.running()
                    && let Some(at) = self.ensure_started(pod, c, record.exited().is_some()).await
                {
                    earliest(at);
                }
                break;
            }
            if initialized {
                for c in &spec.containers {
                    let record = self.records.get(&c.name).cloned().unwrap_or_default();
                    if record.running() {
                        continue;
                    }
                    let restart = match record.exited() {
                        None => true,
                        Some(s) => match policy.as_str() {
                            "Never" => false,
                            "OnFailure" => s.exit_code != Some(0),
                            _ => true,
                        },
                    };
                    if restart
                        && let Some(at) =
                            self.ensure_started(pod, c, record.exited().is_some()).await
                    {
                        earliest(at);
                    }
                }
            }
        }
        self.follow_probes(pod);
        self.report(pod).await;
        next
    }

    /// Starts the probes of each app container attempt that runs and has any; stops those
    /// of attempts that ended.
    fn follow_probes(&mut self, pod: &Pod) {
        let spec = pod.spec.clone().unwrap_or_default();
        let grace = spec
            .termination_grace_period_seconds
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(30);
        for c in &spec.containers {
            let running = self
                .records
                .get(&c.name)
                .filter(|r| r.running())
                .and_then(|r| r.id.clone());
            let probed = c.startup_probe.is_some()
                || c.readiness_probe.is_some()
                || c.liveness_probe.is_some();
            match running {
                Some(id) if probed => {
                    if self.probes.get(&c.name).is_some_and(|p| p.id == id) {
                        continue;
                    }
                    let target = probes::Target {
                        shared: self.shared.clone(),
                        id,
                        container: c.clone(),
                        pod_ip: self.pod_ip.clone(),
                        reference: reference(pod, Some(format!("spec.containers{{{}}}", c.name))),
                        grace: Duration::from_secs(grace),
                        wake: self.wake.clone(),
                    };
                    self.probes.insert(c.name.clone(), probes::start(target));
                }
                _ => {
                    self.probes.remove(&c.name);
                }
            }
        }
    }

    /// Whether app container `name` is ready: running and, with probes, started and passing
    /// its readiness probe.
    fn ready(&self, name: &str) -> bool {
        self.records.get(name).is_some_and(Record::running)
            && self.probes.get(name).is_none_or(probes::Probers::ready)
    }

    async fn create_sandbox(&mut self, pod: &Pod) -> Result<(), String> {
        let spec = pod.spec.clone().unwrap_or_default();
        let host_network = spec.host_network == Some(true);
        let name = pod.metadata.name.clone().unwrap_or_default();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let hostname: String = spec
            .hostname
            .clone()
            .unwrap_or_else(|| name.clone())
            .chars()
            .take(63)
            .collect();
        std::fs::create_dir_all(&self.dir).map_err(|e| e.to_string())?;
        // Host ports first: one some program holds fails the pod before anything is made.
        let ports = host_ports(pod);
        self.held_ports.clear();
        self.held_ports = ports
            .iter()
            .map(crate::network::nat::reserve)
            .collect::<Result<_, _>>()?;
        let cni = (!host_network).then_some(&self.shared.cni);
        let attachment = self
            .sandbox
            .create(&self.uid, &hostname, cni)
            .await
            .map_err(|e| e.to_string())?;
        let ip = if host_network {
            self.shared.host_ip.clone()
        } else {
            attachment
                .ips
                .first()
                .and_then(|a| a.split('/').next())
                .map(str::to_string)
                .ok_or_else(|| "the network gave the pod no address".to_string())?
        };
        let fqdn = spec.subdomain.as_ref().map(|sub| {
            format!(
                "{hostname}.{sub}.{namespace}.svc.{}",
                self.shared.cluster_domain
            )
        });
        let hosts = format!(
            "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{ip}\t{}{hostname}\n",
            fqdn.map(|f| format!("{f}\t")).unwrap_or_default()
        );
        let dns_policy = spec
            .dns_policy
            .clone()
            .unwrap_or_else(|| "ClusterFirst".into());
        let cluster_dns = dns_policy == "ClusterFirstWithHostNet"
            || (dns_policy == "ClusterFirst" && !host_network);
        let resolv = if cluster_dns {
            let d = &self.shared.cluster_domain;
            format!(
                "search {namespace}.svc.{d} svc.{d} {d}\nnameserver {}\noptions ndots:5\n",
                self.shared.cluster_dns
            )
        } else {
            std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default()
        };
        let write = |file: &str, text: &str| {
            std::fs::write(self.dir.join(file), text).map_err(|e| format!("writing {file}: {e}"))
        };
        write("hosts", &hosts)?;
        write("resolv.conf", &resolv)?;
        write("hostname", &format!("{hostname}\n"))?;
        write("ip", &ip)?;
        self.pod_ip = Some(ip);
        self.sandbox_ready = true;
        self.map_host_ports(pod).await;
        Ok(())
    }

    /// Maps the pod's host ports to it (after a restart of the agent, holding them again).
    async fn map_host_ports(&mut self, pod: &Pod) {
        self.ports_mapped = true;
        let ports = host_ports(pod);
        if ports.is_empty() {
            return;
        }
        if self.held_ports.is_empty() {
            self.held_ports = ports
                .iter()
                .filter_map(|p| crate::network::nat::reserve(p).ok())
                .collect();
        }
        let Some(ip) = self.pod_ip.as_deref().and_then(|ip| ip.parse().ok()) else {
            return;
        };
        if let Err(message) = self.shared.nat.set(&self.uid, ip, ports).await {
            tracing::warn!(pod = self.uid, error = %message, "mapping host ports");
            self.shared.events.record(
                reference(pod, None),
                EventType::Warning,
                "FailedCreatePodSandBox",
                format!("Failed to map host ports: {message}"),
            );
        }
    }

    /// Starts the next attempt of `c` unless it is backing off; returns when to look again.
    /// Restarts back off as the kubelet's: the first is immediate, then 10 s doubling to
    /// 5 min; a container that ran 10 minutes starts the count over.
    async fn ensure_started(&mut self, pod: &Pod, c: &Container, restart: bool) -> Option<Instant> {
        let mut record = self
            .records
            .get(&c.name)
            .cloned()
            .unwrap_or_else(|| Record {
                backoff: INITIAL_BACKOFF,
                ..Record::default()
            });
        let now = Instant::now();
        if let Some(at) = record.retry_at.filter(|at| *at > now) {
            // A failed pull shows as ErrImagePull, then as ImagePullBackOff while waiting.
            if record
                .waiting
                .as_ref()
                .is_some_and(|(reason, _)| reason == "ErrImagePull")
            {
                let field = Some(format!("spec.containers{{{}}}", c.name));
                self.shared.events.record(
                    reference(pod, field.clone()),
                    EventType::Normal,
                    "BackOff",
                    format!(
                        "Back-off pulling image \"{}\"",
                        c.image.clone().unwrap_or_default()
                    ),
                );
                self.shared.events.record(
                    reference(pod, field),
                    EventType::Warning,
                    "Failed",
                    "Error: ImagePullBackOff".to_string(),
                );
                if let Some((reason, _)) = record.waiting.as_mut() {
                    *reason = "ImagePullBackOff".to_string();
                }
                self.records.insert(c.name.clone(), record);
            }
            return Some(at);
        }
        if restart && record.retry_at.is_none() {
            let ran_long = record
                .exited()
                .is_some_and(|s| match (s.started_at, s.finished_at) {
                    (Some(a), Some(b)) => b.duration_since(a).as_secs() >= 600,
                    _ => false,
                });
            if ran_long {
                record.restarted = false;
                record.backoff = INITIAL_BACKOFF;
            }
            if record.restarted {
                let at = now + record.backoff;
                record.retry_at = Some(at);
                self.shared.events.record(
                    reference(pod, Some(format!("spec.containers{{{}}}", c.name))),
                    EventType::Warning,
                    "BackOff",
                    format!(
                        "Back-off restarting failed container {} in pod {}",
                        c.name,
                        pod.metadata.name.clone().unwrap_or_default()
                    ),
                );
                self.records.insert(c.name.clone(), record);
                return Some(at);
            }
        }
        let attempt = if restart {
            record.attempt + 1
        } else {
            record.attempt
        };
        let previous = if restart { record.state.clone() } else { None };
        let result = self.start(pod, c, attempt, &mut record).await;
        let next = match result {
            Ok(()) => {
                record.pull_backoff = Duration::ZERO;
                None
            }
            Err(StartFailure::Waiting { reason, message }) => {
                // Not started: this attempt did not happen.
                record.attempt = if restart { attempt - 1 } else { attempt };
                record.state = previous.clone().or(record.state.take());
                let pulling = reason == "ErrImagePull";
                record.waiting = Some((reason, message));
                let delay = if pulling {
                    record.pull_backoff =
                        (record.pull_backoff * 2).clamp(INITIAL_BACKOFF, MAX_BACKOFF);
                    record.pull_backoff
                } else {
                    INITIAL_BACKOFF
                };
                let at = now + delay;
                record.retry_at = Some(at);
                self.records.insert(c.name.clone(), record);
                // Look again soon to show the back-off (ImagePullBackOff).
                return Some(if pulling {
                    now + Duration::from_secs(1)
                } else {
                    at
                });
            }
            Err(StartFailure::Exited(state)) => {
                record.state = Some(state);
                // Look again at once: the exit is already known.
                Some(now)
            }
        };
        if restart {
            record.last = previous;
            record.backoff = if record.restarted {
                (record.backoff * 2).min(MAX_BACKOFF)
            } else {
                INITIAL_BACKOFF
            };
            record.restarted = true;
        }
        record.retry_at = None;
        self.records.insert(c.name.clone(), record);
        next
    }

    async fn start(
        &mut self,
        pod: &Pod,
        c: &Container,
        attempt: u32,
        record: &mut Record,
    ) -> Result<(), StartFailure> {
        let field = Some(format!("spec.containers{{{}}}", c.name));
        let image_name = c.image.clone().unwrap_or_default();
        let waiting = |reason: &str, message: String| StartFailure::Waiting {
            reason: reason.to_string(),
            message,
        };
        let first = record.image_id.is_empty() || attempt == 0;
        let unpacked = image_pull::ensure_image(&self.shared, pod, c, field.clone(), first)
            .await
            .map_err(|n| waiting(n.reason, n.message))?;
        let reference_ = unpacked.image.name.clone();
        record.image = image_name.clone();
        record.image_id = reference_.with_digest(&unpacked.image.manifest).to_string();
        let sources = self
            .sources(pod, c)
            .await
            .map_err(|e| waiting("CreateContainerConfigError", e.0))?;
        let spec = pod.spec.clone().unwrap_or_default();
        let host_network = spec.host_network == Some(true);
        let mut mounts = vec![
            BindMount {
                source: self.dir.join("hosts"),
                destination: "/etc/hosts".into(),
                readonly: false,
            },
            BindMount {
                source: self.dir.join("resolv.conf"),
                destination: "/etc/resolv.conf".into(),
                readonly: false,
            },
            BindMount {
                source: self.dir.join("hostname"),
                destination: "/etc/hostname".into(),
                readonly: false,
            },
        ];
        for vm in c.volume_mounts.iter().flatten() {
            let Some(volume) = spec.volumes.iter().flatten().find(|v| v.name == vm.name) else {
                return Err(waiting(
                    "CreateContainerConfigError",
                    format!("volume \"{}\" not found", vm.name),
                ));
            };
            let Some(mut source) = container::volume_source(&self.dir, volume) else {
                return Err(waiting(
                    "CreateContainerConfigError",
                    format!(
                        "volume \"{}\": this kind of volume is not supported yet",
                        vm.name
                    ),
                ));
            };
            self.prepare_volume(pod, volume, &source)
                .await
                .map_err(|e| waiting("CreateContainerConfigError", e))?;
            if let Some(sub) = vm.sub_path.as_ref().filter(|s| !s.is_empty()) {
                if sub.split('/').any(|p| p == "..") || sub.starts_with('/') {
                    return Err(waiting(
                        "CreateContainerConfigError",
                        format!("invalid subPath {sub:?}"),
                    ));
                }
                source = source.join(sub);
                let _ = std::fs::create_dir_all(&source);
            }
            mounts.push(BindMount {
                source,
                destination: vm.mount_path.clone(),
                readonly: vm.read_only == Some(true),
            });
        }
        let top = unpacked
            .layers
            .iter()
            .rev()
            .find(|l| l.join("etc/passwd").exists())
            .cloned()
            .unwrap_or_default();
        let id = container_id(&self.uid, &c.name, attempt);
        let ctx = Context {
            id: id.clone(),
            image: &unpacked.config,
            rootfs_for_lookup: &top,
            sources: &sources,
            namespaces: SharedNamespaces {
                network: (!host_network).then(|| self.sandbox.netns()),
                ipc: Some(self.sandbox.ipc()),
                uts: Some(self.sandbox.uts()),
            },
            mounts,
            cgroup_path: format!("/{}/{id}", self.shared.cgroup_root),
            hostname: std::fs::read_to_string(self.dir.join("hostname"))
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let runtime_spec = container::spec(pod, c, ctx).map_err(|ConfigError(m)| {
            self.shared.events.record(
                reference(pod, field.clone()),
                EventType::Warning,
                "Failed",
                format!("Error: {m}"),
            );
            waiting("CreateContainerConfigError", m)
        })?;
        let log = self.log_path(pod, &c.name, attempt);
        record.attempt = attempt;
        record.id = Some(id.clone());
        record.waiting = None;
        // A leftover of this attempt (an agent that died mid-start) goes first.
        let _ = self.shared.runtime.remove(&id).await;
        match self
            .shared
            .runtime
            .start(&runtime_spec, &unpacked.layers, &log)
            .await
        {
            Ok(state) => {
                self.shared.events.record(
                    reference(pod, field.clone()),
                    EventType::Normal,
                    "Created",
                    format!("Created container: {}", c.name),
                );
                self.shared.events.record(
                    reference(pod, field),
                    EventType::Normal,
                    "Started",
                    format!("Started container {}", c.name),
                );
                record.state = Some(state);
                self.watch_exit(&id);
                if let Some(handler) = c.lifecycle.as_ref().and_then(|l| l.post_start.as_ref()) {
                    let target = hooks::HookTarget {
                        runtime: &self.shared.runtime,
                        id: &id,
                        container: c,
                        pod_ip: self.pod_ip.as_deref(),
                    };
                    if let Err(message) = hooks::run(handler, &target).await {
                        // As the kubelet: the container is killed, its restart policy decides.
                        self.shared.events.record(
                            reference(pod, Some(format!("spec.containers{{{}}}", c.name))),
                            EventType::Warning,
                            "FailedPostStartHook",
                            message,
                        );
                        let _ = self.shared.runtime.kill(&id, "KILL").await;
                    }
                }
                Ok(())
            }
            Err(RuntimeError::Start { reason, message }) => {
                self.shared.events.record(
                    reference(pod, field),
                    EventType::Warning,
                    "Failed",
                    format!("Error: {reason}: {message}"),
                );
                let state =
                    self.shared
                        .runtime
                        .state(&id)
                        .ok()
                        .flatten()
                        .unwrap_or(ContainerState {
                            exit_code: Some(128),
                            reason: Some(reason),
                            message: Some(message),
                            finished_at: Some(jiff::Timestamp::now()),
                            ..ContainerState::default()
                        });
                Err(StartFailure::Exited(state))
            }
            Err(e) => {
                self.shared.events.record(
                    reference(pod, field),
                    EventType::Warning,
                    "Failed",
                    format!("Error: {e}"),
                );
                Err(waiting("CreateContainerError", e.to_string()))
            }
        }
    }

    fn log_path(&self, pod: &Pod, name: &str, attempt: u32) -> PathBuf {
        super::logs::pod_dir(
            &self.shared.logs_dir,
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.name.as_deref().unwrap_or_default(),
            &self.uid,
        )
        .join(name)
        .join(format!("{attempt}.log"))
    }

    /// ConfigMaps and Secrets the container's environment names.
    async fn sources(&self, pod: &Pod, c: &Container) -> Result<Sources, ConfigError> {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let mut maps: Vec<(String, bool)> = Vec::new();
        let mut secrets: Vec<(String, bool)> = Vec::new();
        for from in c.env_from.iter().flatten() {
            if let Some(r) = &from.config_map_ref {
                maps.push((r.name.clone(), r.optional == Some(true)));
            }
            if let Some(r) = &from.secret_ref {
                secrets.push((r.name.clone(), r.optional == Some(true)));
            }
        }
        for var in c.env.iter().flatten() {
            if let Some(from) = &var.value_from {
                if let Some(r) = &from.config_map_key_ref {
                    maps.push((r.name.clone(), r.optional == Some(true)));
                }
                if let Some(r) = &from.secret_key_ref {
                    secrets.push((r.name.clone(), r.optional == Some(true)));
                }
            }
        }
        let mut sources = Sources::default();
        let cm_api: Api<ConfigMap> = Api::namespaced(self.shared.client.clone(), &namespace);
        for (name, optional) in maps {
            match cm_api.get_opt(&name).await {
                Ok(Some(cm)) => {
                    sources
                        .config_maps
                        .insert(name, cm.data.unwrap_or_default());
                }
                Ok(None) if optional => {}
                Ok(None) => return Err(ConfigError(format!("configmap \"{name}\" not found"))),
                Err(e) => return Err(ConfigError(format!("reading configmap \"{name}\": {e}"))),
            }
        }
        let secret_api: Api<Secret> = Api::namespaced(self.shared.client.clone(), &namespace);
        for (name, optional) in secrets {
            match secret_api.get_opt(&name).await {
                Ok(Some(secret)) => {
                    let data: BTreeMap<String, String> = secret
                        .data
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, String::from_utf8_lossy(&v.0).into_owned()))
                        .chain(secret.string_data.unwrap_or_default())
                        .collect();
                    sources.secrets.insert(name, data);
                }
                Ok(None) if optional => {}
                Ok(None) => return Err(ConfigError(format!("secret \"{name}\" not found"))),
                Err(e) => return Err(ConfigError(format!("reading secret \"{name}\": {e}"))),
            }
        }
        Ok(sources)
    }

    /// Makes a volume's directory ready: emptyDir created, hostPath per its type,
    /// ConfigMap/Secret keys written as files.
    async fn prepare_volume(
        &self,
        pod: &Pod,
        volume: &k8s_openapi::api::core::v1::Volume,
        dir: &Path,
    ) -> Result<(), String> {
        if let Some(host) = &volume.host_path {
            let kind = host.type_.clone().unwrap_or_default();
            match kind.as_str() {
                "DirectoryOrCreate" => std::fs::create_dir_all(dir).map_err(|e| e.to_string())?,
                "FileOrCreate" if !dir.exists() => {
                    std::fs::write(dir, b"").map_err(|e| e.to_string())?;
                }
                "Directory" if !dir.is_dir() => {
                    return Err(format!(
                        "hostPath type check failed: {} is not a directory",
                        dir.display()
                    ));
                }
                "File" if !dir.is_file() => {
                    return Err(format!(
                        "hostPath type check failed: {} is not a file",
                        dir.display()
                    ));
                }
                _ => {}
            }
            return Ok(());
        }
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        if let Some(source) = &volume.config_map {
            let api: Api<ConfigMap> = Api::namespaced(self.shared.client.clone(), &namespace);
            match api.get_opt(&source.name).await.map_err(|e| e.to_string())? {
                Some(cm) => {
                    for (k, v) in cm.data.unwrap_or_default() {
                        files.insert(k, v.into_bytes());
                    }
                    for (k, v) in cm.binary_data.unwrap_or_default() {
                        files.insert(k, v.0);
                    }
                }
                None if source.optional == Some(true) => {}
                None => return Err(format!("configmap \"{}\" not found", source.name)),
            }
            remap(&mut files, source.items.as_ref());
        }
        if let Some(source) = &volume.secret {
            let name = source.secret_name.clone().unwrap_or_default();
            let api: Api<Secret> = Api::namespaced(self.shared.client.clone(), &namespace);
            match api.get_opt(&name).await.map_err(|e| e.to_string())? {
                Some(secret) => {
                    for (k, v) in secret.data.unwrap_or_default() {
                        files.insert(k, v.0);
                    }
                }
                None if source.optional == Some(true) => {}
                None => return Err(format!("secret \"{name}\" not found")),
            }
            remap(&mut files, source.items.as_ref());
        }
        for (path, bytes) in files {
            if path.split('/').any(|p| p == "..") || path.starts_with('/') {
                continue;
            }
            let file = dir.join(&path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Writes the pod's status when it changed.
    async fn report(&mut self, pod: &Pod) {
        let status = self.status(pod);
        if self.last_status.as_ref() == Some(&status) {
            return;
        }
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.shared.client.clone(), &namespace);
        match api
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": status})),
            )
            .await
        {
            Ok(_) => self.last_status = Some(status),
            Err(e) => tracing::debug!(pod = name, error = %e, "reporting pod status; will retry"),
        }
    }

    fn container_status(&self, pod: &Pod, c: &Container, app: bool, initializing: bool) -> Value {
        let record = self.records.get(&c.name).cloned().unwrap_or_default();
        let spec = pod.spec.clone().unwrap_or_default();
        let policy = spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".into());
        let terminated = |s: &ContainerState, id: &Option<String>| {
            let mut t = json!({
                "exitCode": s.exit_code.unwrap_or(0),
                "reason": s.reason.clone().unwrap_or_else(|| "Error".into()),
                "startedAt": s.started_at.map(|t| t.to_string()),
                "finishedAt": s.finished_at.map(|t| t.to_string()),
                "containerID": id.as_ref().map(|i| format!("runc://{i}")),
            });
            if let Some(m) = &s.message {
                t["message"] = json!(m);
            }
            json!({"terminated": t})
        };
        let (state, last_state) = match (&record.state, &record.waiting) {
            (Some(s), _) if s.running() => {
                let previous_id = record
                    .attempt
                    .checked_sub(1)
                    .map(|a| container_id(&self.uid, &c.name, a));
                (
                    json!({"running": {"startedAt": s.started_at.map(|t| t.to_string())}}),
                    record.last.as_ref().map(|l| terminated(l, &previous_id)),
                )
            }
            (Some(s), _) if s.exit_code.is_some() => {
                let failed = s.exit_code != Some(0);
                let will_restart = if app {
                    match policy.as_str() {
                        "Never" => false,
                        "OnFailure" => failed,
                        _ => true,
                    }
                } else {
                    policy != "Never" && failed
                };
                if will_restart {
                    (
                        json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!(
                            "back-off {}s restarting failed container={} pod={}_{}({})",
                            record.backoff.as_secs(), c.name,
                            pod.metadata.name.clone().unwrap_or_default(),
                            pod.metadata.namespace.clone().unwrap_or_default(), self.uid)}}),
                        Some(terminated(s, &record.id)),
                    )
                } else {
                    (
                        terminated(s, &record.id),
                        record.last.as_ref().map(|l| terminated(l, &None)),
                    )
                }
            }
            (_, Some((reason, message))) => (
                json!({"waiting": {"reason": reason, "message": message}}),
                None,
            ),
            _ => (
                json!({"waiting": {"reason": if app && initializing { "PodInitializing" } else { "ContainerCreating" }}}),
                None,
            ),
        };
        let running = record.running();
        let mut status = json!({
            "name": c.name,
            "image": c.image.clone().unwrap_or_default(),
            "imageID": record.image_id,
            "ready": if app { self.ready(&c.name) } else { record.exited().is_some_and(|s| s.exit_code == Some(0)) },
            "started": running && self.probes.get(&c.name).is_none_or(probes::Probers::started),
            "restartCount": record.attempt,
            "state": state,
            "lastState": last_state.unwrap_or_else(|| json!({})),
        });
        if let Some(id) = &record.id {
            status["containerID"] = json!(format!("runc://{id}"));
        }
        status
    }

    fn status(&self, pod: &Pod) -> Value {
        let spec = pod.spec.clone().unwrap_or_default();
        let policy = spec
            .restart_policy
            .clone()
            .unwrap_or_else(|| "Always".into());
        let inits: Vec<&Container> = spec.init_containers.iter().flatten().collect();
        let init_done = inits.iter().all(|c| {
            self.records
                .get(&c.name)
                .and_then(|r| r.exited())
                .is_some_and(|s| s.exit_code == Some(0))
        });
        let init_failed = policy == "Never"
            && inits.iter().any(|c| {
                self.records
                    .get(&c.name)
                    .and_then(|r| r.exited())
                    .is_some_and(|s| s.exit_code != Some(0))
            });
        let app: Vec<Option<&Record>> = spec
            .containers
            .iter()
            .map(|c| self.records.get(&c.name))
            .collect();
        let all_ready =
            !spec.containers.is_empty() && spec.containers.iter().all(|c| self.ready(&c.name));
        let finished = |r: &Option<&Record>| {
            r.and_then(|r| r.exited())
                .is_some_and(|s| match policy.as_str() {
                    "Never" => true,
                    "OnFailure" => s.exit_code == Some(0),
                    _ => false,
                })
        };
        let all_finished = !app.is_empty() && app.iter().all(finished);
        let phase = if init_failed {
            "Failed"
        } else if !init_done || !self.sandbox_ready {
            "Pending"
        } else if all_finished {
            if app.iter().all(|r| {
                r.and_then(|r| r.exited())
                    .is_some_and(|s| s.exit_code == Some(0))
            }) {
                "Succeeded"
            } else {
                "Failed"
            }
        } else if app
            .iter()
            .any(|r| r.is_some_and(|r| r.running() || r.exited().is_some()))
        {
            "Running"
        } else {
            "Pending"
        };
        let previous: BTreeMap<String, (String, Value)> = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                (
                    c.type_.clone(),
                    (c.status.clone(), json!(c.last_transition_time)),
                )
            })
            .collect();
        let condition = |kind: &str, ok: bool, reason: Option<&str>| {
            let status = if ok { "True" } else { "False" };
            let since = previous
                .get(kind)
                .filter(|(s, _)| s == status)
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| json!(now()));
            let mut c = json!({"type": kind, "status": status, "lastProbeTime": null, "lastTransitionTime": since});
            if let (false, Some(r)) = (ok, reason) {
                c["reason"] = json!(r);
            }
            c
        };
        let terminal = matches!(phase, "Succeeded" | "Failed");
        let ready_reason = if terminal {
            "PodCompleted"
        } else {
            "ContainersNotReady"
        };
        let ip = self.pod_ip.clone();
        let initializing = !init_done;
        json!({
            "phase": phase,
            "conditions": [
                condition("PodReadyToStartContainers", self.sandbox_ready && !terminal, None),
                condition("Initialized", init_done, Some(if terminal { "PodCompleted" } else { "ContainersNotInitialized" })),
                condition("Ready", all_ready && !terminal, Some(ready_reason)),
                condition("ContainersReady", all_ready && !terminal, Some(ready_reason)),
                condition("PodScheduled", true, None),
            ],
            "hostIP": self.shared.host_ip,
            "hostIPs": [{"ip": self.shared.host_ip}],
            "podIP": ip,
            "podIPs": ip.as_ref().map(|i| json!([{"ip": i}])).unwrap_or(json!([])),
            "startTime": pod.status.as_ref().and_then(|s| s.start_time.clone()).map(|t| json!(t)).unwrap_or(json!(self.start_time)),
            "qosClass": crate::heartbeat::qos_class(pod),
            "initContainerStatuses": inits.iter().map(|c| self.container_status(pod, c, false, initializing)).collect::<Vec<_>>(),
            "containerStatuses": spec.containers.iter().map(|c| self.container_status(pod, c, true, initializing)).collect::<Vec<_>>(),
        })
    }

    /// Stops every container (SIGTERM, SIGKILL after `grace`) and removes everything of the
    /// pod from the node. With `pod`, Killing events are recorded.
    async fn teardown(&mut self, pod: Option<&Pod>, grace: Duration) {
        // No probe may kill or judge a container that is being stopped.
        self.probes.clear();
        let running: Vec<(String, String)> = self
            .records
            .iter()
            .filter(|(_, r)| r.running())
            .filter_map(|(name, r)| Some((name.clone(), r.id.clone()?)))
            .collect();
        for (name, _) in &running {
            if let Some(pod) = pod {
                self.shared.events.record(
                    reference(pod, Some(format!("spec.containers{{{name}}}"))),
                    EventType::Normal,
                    "Killing",
                    format!("Stopping container {name}"),
                );
            }
        }
        let spec = pod.and_then(|p| p.spec.as_ref());
        let containers: Vec<&Container> = spec
            .map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
                    .collect()
            })
            .unwrap_or_default();
        let shared = &self.shared;
        let pod_ip = self.pod_ip.as_deref();
        let stops = running.iter().map(|(name, id)| {
            let container = containers.iter().find(|c| c.name == *name).copied();
            let field = pod.map(|p| reference(p, Some(format!("spec.containers{{{name}}}"))));
            stop_container(shared, field, container, id, pod_ip, grace)
        });
        futures_util::future::join_all(stops).await;
        let ids: Vec<String> = self
            .shared
            .runtime
            .list()
            .unwrap_or_default()
            .into_iter()
            .filter(|id| parse_container_id(id).is_some_and(|(uid, _, _)| uid == self.uid))
            .collect();
        for id in ids {
            if let Err(e) = self.shared.runtime.remove(&id).await {
                tracing::warn!(container = id, error = %e, "removing a container");
            }
        }
        if let Err(e) = self.shared.nat.remove(&self.uid).await {
            tracing::warn!(pod = self.uid, error = %e, "unmapping host ports");
        }
        self.held_ports.clear();
        self.ports_mapped = false;
        if let Err(e) = self.sandbox.remove(&self.uid, Some(&self.shared.cni)).await {
            tracing::warn!(pod = self.uid, error = %e, "removing the pod sandbox");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(pod) = pod {
            let logs = super::logs::pod_dir(
                &self.shared.logs_dir,
                pod.metadata.namespace.as_deref().unwrap_or_default(),
                pod.metadata.name.as_deref().unwrap_or_default(),
                &self.uid,
            );
            let _ = std::fs::remove_dir_all(logs);
        }
        self.records.clear();
        self.sandbox_ready = false;
    }

    /// Deletes the Pod object for good (grace 0, this pod's uid only), as the kubelet does
    /// once its containers are gone.
    async fn release(&self, pod: &Pod) {
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let api: Api<Pod> = Api::namespaced(self.shared.client.clone(), &namespace);
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(self.uid.clone()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => tracing::warn!(pod = name, error = %e, "finishing a pod's deletion"),
        }
    }
}

enum StartFailure {
    /// Not started; the container waits with this reason.
    Waiting { reason: String, message: String },
    /// Started (or tried) and ended at once: runc's create or start failed.
    Exited(ContainerState),
}

/// The host ports a pod's containers ask for (none for a pod on the host's network, whose
/// containers bind them directly).
/// Stops one container as the kubelet does: its `preStop` hook within `grace` (a failure is a
/// `FailedPreStopHook` event on `field` when given), then SIGTERM with at least 2 s left,
/// SIGKILL when that runs out. A zero `grace` kills at once.
pub(super) async fn stop_container(
    shared: &Shared,
    field: Option<ObjectReference>,
    container: Option<&Container>,
    id: &str,
    pod_ip: Option<&str>,
    grace: Duration,
) {
    let runtime = &shared.runtime;
    let started = Instant::now();
    // preStop first, within the grace period; then at least 2 s for SIGTERM,
    // as the kubelet gives.
    let pre_stop = container
        .and_then(|c| Some((c, c.lifecycle.as_ref()?.pre_stop.as_ref()?)))
        .filter(|_| !grace.is_zero());
    if let Some((container, handler)) = pre_stop {
        let name = &container.name;
        let target = hooks::HookTarget {
            runtime,
            id,
            container,
            pod_ip,
        };
        let failed = match tokio::time::timeout(grace, hooks::run(handler, &target)).await {
            Ok(Ok(())) => None,
            Ok(Err(message)) => Some(message),
            Err(_) => Some(format!(
                "PreStopHook for Container {name:?} did not finish within the grace period ({} s)",
                grace.as_secs()
            )),
        };
        if let (Some(message), Some(field)) = (failed, field) {
            shared
                .events
                .record(field, EventType::Warning, "FailedPreStopHook", message);
        }
    }
    let remaining = if grace.is_zero() {
        Duration::ZERO
    } else {
        grace
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(2))
    };
    let signal = if remaining.is_zero() { "KILL" } else { "TERM" };
    if let Err(e) = runtime.kill(id, signal).await {
        tracing::debug!(container = id, error = %e, "signalling");
    }
    if tokio::time::timeout(remaining.max(Duration::from_millis(1)), runtime.wait(id))
        .await
        .is_err()
    {
        let _ = runtime.kill(id, "KILL").await;
        let _ = tokio::time::timeout(Duration::from_secs(10), runtime.wait(id)).await;
    }
}

fn host_ports(pod: &Pod) -> Vec<crate::network::nat::HostPort> {
    use crate::network::nat::{HostPort, Protocol};
    let Some(spec) = pod.spec.as_ref().filter(|s| s.host_network != Some(true)) else {
        return Vec::new();
    };
    let mut ports: Vec<HostPort> = spec
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .filter_map(|p| {
            Some(HostPort {
                protocol: Protocol::parse(p.protocol.as_deref()),
                host_ip: p.host_ip.as_deref().and_then(|ip| ip.parse().ok()),
                host_port: u16::try_from(p.host_port?).ok().filter(|p| *p > 0)?,
                container_port: u16::try_from(p.container_port).ok()?,
            })
        })
        .collect();
    ports.sort();
    ports.dedup();
    ports
}

/// Keeps only the listed keys, under their paths (`items` of a ConfigMap/Secret volume).
fn remap(
    files: &mut BTreeMap<String, Vec<u8>>,
    items: Option<&Vec<k8s_openapi::api::core::v1::KeyToPath>>,
) {
    let Some(items) = items else {
        return;
    };
    let mut out = BTreeMap::new();
    for item in items {
        if let Some(bytes) = files.get(&item.key) {
            out.insert(item.path.clone(), bytes.clone());
        }
    }
    *files = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_round_trip() {
        let id = container_id("0f9c-aa", "web-server", 3);
        assert_eq!(parse_container_id(&id), Some(("0f9c-aa", "web-server", 3)));
        assert_eq!(parse_container_id("garbage"), None);
    }
}
