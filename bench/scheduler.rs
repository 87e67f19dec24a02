//! Scheduler benchmark (scheduler_perf-style): prints figures, decides nothing.
//!
//! `cargo bench -p berth --bench scheduler` runs, on this machine:
//! 1. **Placement quality** (no I/O): a fixed mixed workload placed by the scheduler's own
//!    algorithm on identical nodes with each profile; how many nodes each ends up using.
//! 2. **Decision speed** (no I/O): scheduling decisions per second against 5,000 nodes.
//! 3. **End to end**: the release `berth server --disable-agent` (embedded SQLite) and one
//!    `berth agent --simulate 5000` process; then 10,000 and 50,000 pods created as fast as a
//!    client can (64 concurrent creates, responses checked but not decoded); pods/s from the
//!    first create to the last binding stored (seen through a watch of bound pods). The simulated nodes keep renewing their Leases and mark
//!    every bound pod Running meanwhile, as kubelets would (scheduler_perf runs without them).
//!
//!    Then the same without kubelets, as scheduler_perf runs: the nodes are Node objects
//!    created through the API, nothing renews them or marks pods Running.
//! 4. **Backlog**: the first batch's count of pods created while the server runs without its
//!    scheduler; then the server restarts with it: pods/s until all are bound (start-up
//!    included), and from the first binding to the last (the scheduler's own rate, as
//!    scheduler_perf's SchedulingThroughput), both seen through a watch.
//!
//! `BERTH_BENCH_NODES` and `BERTH_BENCH_PODS` (comma-separated) change the sizes;
//! `BERTH_BENCH_ONLY` (comma-separated, of `quality`, `speed`, `simulated`, `objects`,
//! `backlog`) runs only those parts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use berth_client::lean::{Lean, unlean};
use berth_scheduler::algorithm::Algorithm;
use berth_scheduler::cache::Cache;
use berth_scheduler::model::PodInfo;
use berth_scheduler::profile;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, PostParams};
use kube::runtime::watcher;
use serde_json::json;

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

/// The binary under test: this build's, or `BERTH_BENCH_BINARY` (to compare two builds on
/// the same machine, run by run).
fn berth_binary() -> std::path::PathBuf {
    std::env::var_os("BERTH_BENCH_BINARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_berth").into())
}

fn cpu_seconds(pid: u32) -> f64 {
    // utime + stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100/s here).
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(") ")?.1.to_string();
            let fields: Vec<&str> = after.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

fn node(name: &str, cpu: &str, memory: &str) -> Node {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }))
    .expect("node")
}

fn pod(name: &str, cpu: &str, memory: &str, scheduler: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "default", "uid": name},
        "spec": {"schedulerName": scheduler, "containers": [{"name": "c", "image": "registry.invalid/app:1",
                 "resources": {"requests": {"cpu": cpu, "memory": memory}}}]},
    }))
    .expect("pod")
}

/// A fixed mix: many small pods, some medium, a few large (cpu, memory).
fn mixed_workload() -> Vec<(&'static str, &'static str)> {
    let mut mix = Vec::new();
    for i in 0..600 {
        mix.push(match i % 10 {
            0..=5 => ("250m", "512Mi"),
            6..=8 => ("1", "2Gi"),
            _ => ("3", "8Gi"),
        });
    }
    mix
}

fn utilisation() {
    println!("\n## Placement quality: 600 mixed pods on 100 identical nodes (8 CPU, 32 GiB)");
    let workload = mixed_workload();
    let total_cpu: f64 = workload
        .iter()
        .map(|(c, _)| {
            c.trim_end_matches('m').parse::<f64>().unwrap_or(0.0)
                / if c.ends_with('m') { 1000.0 } else { 1.0 }
        })
        .sum();
    println!(
        "workload requests {total_cpu:.0} CPU: at least {:.0} nodes",
        (total_cpu / 8.0).ceil()
    );
    for name in [profile::DEFAULT, profile::BINPACK] {
        let profile = profile::builtin()
            .into_iter()
            .find(|p| p.name == name)
            .expect("profile");
        let mut cache = Cache::default();
        for i in 0..100 {
            cache.upsert_node(&node(&format!("n{i}"), "8", "32Gi"));
        }
        let mut algorithm = Algorithm::default();
        let mut placed = 0;
        for (i, (cpu, memory)) in workload.iter().enumerate() {
            let info = Arc::new(PodInfo::from_pod(&pod(&format!("p{i}"), cpu, memory, name)));
            if let Ok(node) = algorithm.schedule(&cache, &info, &profile) {
                cache.assume(info, &node);
                placed += 1;
            }
        }
        let used = cache.nodes.iter().filter(|n| !n.pods.is_empty()).count();
        let busiest = cache
            .nodes
            .iter()
            .map(|n| n.requested.milli_cpu)
            .max()
            .unwrap_or(0);
        println!(
            "{name:>18}: {placed} placed on {used} nodes (busiest node {:.2} CPU requested)",
            busiest as f64 / 1000.0
        );
    }
}

fn decision_speed(nodes: usize) {
    println!("\n## Decision speed (algorithm only, no API): {nodes} nodes");
    let profile = profile::builtin().remove(0);
    let mut cache = Cache::default();
    for i in 0..nodes {
        cache.upsert_node(&node(&format!("n{i}"), "32", "128Gi"));
    }
    let mut algorithm = Algorithm::default();
    let count = 20_000;
    let pods: Vec<Arc<PodInfo>> = (0..count)
        .map(|i| {
            Arc::new(PodInfo::from_pod(&pod(
                &format!("p{i}"),
                "100m",
                "128Mi",
                profile::DEFAULT,
            )))
        })
        .collect();
    let start = Instant::now();
    for info in pods {
        if let Ok(node) = algorithm.schedule(&cache, &info, &profile) {
            cache.assume(info, &node);
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{count} decisions in {:.2} s: {:.0} decisions/s ({:.1} µs each)",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / count as f64
    );
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `berth agent --simulate nodes` joined to the server at `url`.
fn start_agent(url: &str, token: &str, nodes: usize) -> Process {
    Process(
        Command::new(berth_binary())
            .args(["agent", "--server", url, "--token", token])
            .args(["--simulate", &nodes.to_string(), "--node-name", "sim"])
            .args(["--capacity", "cpu=32,memory=128Gi,pods=110"])
            .env("BERTH_LOG", "error")
            .stderr(Stdio::null())
            .spawn()
            .expect("start berth agent"),
    )
}

fn start_server(dir: &std::path::Path, port: u16) -> Process {
    start_server_with(dir, port, &[])
}

fn start_server_with(dir: &std::path::Path, port: u16, extra: &[&str]) -> Process {
    let mut child = Command::new(berth_binary())
        .arg("server")
        .arg("--data-dir")
        .arg(dir)
        .args([
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &port.to_string(),
        ])
        .arg("--write-kubeconfig")
        .arg(dir.join("kubeconfig"))
        .args(["--disable-agent", "--node-monitor-grace-period=5m"])
        .args(extra)
        .env("BERTH_LOG", "warn,berth::cli=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start berth server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        if line.expect("log").contains("controllers started") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Process(child)
}

/// Creates `names` in `default`, 64 at a time, as a load generator does: each body is
/// serialised from the pod object, and each response is checked for success but not decoded
/// (the responses are the server's work, not this client's).
async fn create_pods(client: &kube::Client, names: Vec<String>) {
    let request = kube::core::Request::new("/api/v1/namespaces/default/pods");
    futures_util::stream::iter(names)
        .for_each_concurrent(64, |name| {
            let (client, request) = (client.clone(), &request);
            async move {
                let mut p = pod(&name, "100m", "128Mi", profile::DEFAULT);
                p.metadata.uid = None;
                let created = match serde_json::to_vec(&p) {
                    Ok(body) => match request.create(&PostParams::default(), body) {
                        Ok(http) => client.request_text(http).await.map(drop),
                        Err(e) => Err(kube::Error::BuildRequest(e)),
                    },
                    Err(e) => Err(kube::Error::SerdeError(e)),
                };
                if let Err(e) = created {
                    eprintln!("create {name}: {e}");
                }
            }
        })
        .await;
}

/// When each pod was first seen bound, by a watch of `api` (scheduler_perf observes
/// bindings through an informer too), and how many were already bound when the watch's
/// initial list arrived (their times are the list's, not their bindings').
struct Bindings {
    times: Arc<Mutex<HashMap<String, Instant>>>,
    bound_at_start: Arc<Mutex<Option<usize>>>,
}

/// Starts watching for bindings; returns once the watch has its initial list. The watch asks
/// for bound pods only (`spec.nodeName!=`, as kubelets watch theirs): a pod appears in it
/// when its binding is stored.
async fn watch_bindings(client: kube::Client) -> Bindings {
    let api: Api<Lean<Pod>> = Api::namespaced(client, "default");
    let bindings = Bindings {
        times: Arc::default(),
        bound_at_start: Arc::default(),
    };
    let (times, at_start) = (bindings.times.clone(), bindings.bound_at_start.clone());
    let (synced_tx, synced) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut synced_tx = Some(synced_tx);
        let config = watcher::Config::default().fields("spec.nodeName!=");
        let mut stream = watcher::watcher(api, config).boxed();
        while let Some(Ok(event)) = stream.next().await {
            match unlean(event) {
                watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)
                    if pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.node_name.as_ref())
                        .is_some() =>
                {
                    let name = pod.metadata.name.clone().unwrap_or_default();
                    times
                        .lock()
                        .expect("lock")
                        .entry(name)
                        .or_insert_with(Instant::now);
                }
                watcher::Event::InitDone => {
                    let mut at_start = at_start.lock().expect("lock");
                    if at_start.is_none() {
                        *at_start = Some(times.lock().expect("lock").len());
                    }
                    if let Some(tx) = synced_tx.take() {
                        let _ = tx.send(());
                    }
                }
                _ => {}
            }
        }
    });
    let _ = synced.await;
    bindings
}

/// The first and last binding times of `names`, once all are bound (`None` after 10 minutes).
async fn all_bound(
    times: &Mutex<HashMap<String, Instant>>,
    names: &[String],
) -> Option<(Instant, Instant)> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        {
            let map = times.lock().expect("lock");
            let seen: Vec<Instant> = names.iter().filter_map(|n| map.get(n).copied()).collect();
            if seen.len() == names.len() {
                return Some((seen.iter().min()?.to_owned(), seen.iter().max()?.to_owned()));
            }
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Where an end-to-end run's nodes come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NodeSource {
    /// `berth agent --simulate`: Leases renewed, bound pods marked Running (kubemark-like).
    Simulated,
    /// Node objects created through the API and nothing else, as scheduler_perf does: no
    /// kubelet marks pods Running (the server's node grace period outlasts the run).
    Objects,
}

async fn end_to_end(nodes: usize, batches: &[usize], source: NodeSource) {
    match source {
        NodeSource::Simulated => {
            println!("\n## End to end: berth server + berth agent --simulate {nodes}")
        }
        NodeSource::Objects => println!(
            "\n## End to end without kubelets (scheduler_perf's setting): berth server + {nodes} Node objects"
        ),
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let server = start_server(dir.path(), port);
    let url = format!("https://127.0.0.1:{port}");
    let token = std::fs::read_to_string(dir.path().join("server/token"))
        .expect("token")
        .trim()
        .to_string();
    let client = berth_client::connect(&url, &token).await.expect("client");
    let registering = Instant::now();
    let node_api: Api<Node> = Api::all(client.clone());
    let agent = match source {
        NodeSource::Simulated => Some(start_agent(&url, &token, nodes)),
        NodeSource::Objects => {
            futures_util::stream::iter(0..nodes)
                .for_each_concurrent(64, |i| {
                    let api = node_api.clone();
                    async move {
                        let name = format!("node-{i}");
                        let object = node(&name, "32", "128Gi");
                        if let Err(e) = api.create(&PostParams::default(), &object).await {
                            eprintln!("create {name}: {e}");
                        }
                    }
                })
                .await;
            None
        }
    };
    loop {
        let list = node_api
            .list_metadata(&Default::default())
            .await
            .map(|l| l.items.len())
            .unwrap_or(0);
        if list >= nodes {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let agent_pid = agent.as_ref().map(|a| a.0.id());
    println!(
        "{nodes} nodes registered in {:.1} s; agent RSS {}, server RSS {:.1} MiB",
        registering.elapsed().as_secs_f64(),
        agent_pid.map_or("(none)".into(), |pid| format!("{:.1} MiB", rss_mib(pid))),
        rss_mib(server.0.id())
    );
    // Let the first Lease round (or the node IPAM controller's podCIDR writes) settle.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let bound = watch_bindings(client.clone()).await;
    let mut offset = 0;
    for &count in batches {
        let server_cpu = cpu_seconds(server.0.id());
        let agent_cpu = agent_pid.map_or(0.0, cpu_seconds);
        let bench_cpu = cpu_seconds(std::process::id());
        let start = Instant::now();
        let names: Vec<String> = (offset..offset + count)
            .map(|i| format!("bench-{i}"))
            .collect();
        offset += count;
        create_pods(&client, names.clone()).await;
        let created = start.elapsed();
        let Some((_, last)) = all_bound(&bound.times, &names).await else {
            println!("timed out waiting for bindings");
            return;
        };
        let total = last.duration_since(start);
        let agent_figures = agent_pid.map_or(String::new(), |pid| {
            format!(
                " (agent: {:.1} s CPU, {:.0} MiB)",
                cpu_seconds(pid) - agent_cpu,
                rss_mib(pid)
            )
        });
        println!(
            "{count} pods: created in {:.2} s ({:.0}/s); all bound after {:.2} s: {:.0} pods/s end to end; CPU: server {:.1} s, this client {:.1} s; server RSS {:.0} MiB{agent_figures}",
            created.as_secs_f64(),
            count as f64 / created.as_secs_f64(),
            total.as_secs_f64(),
            count as f64 / total.as_secs_f64(),
            cpu_seconds(server.0.id()) - server_cpu,
            cpu_seconds(std::process::id()) - bench_cpu,
            rss_mib(server.0.id()),
        );
    }
}

/// Scheduling a backlog: pods created while no scheduler runs, then the server restarted with
/// its scheduler; the time until all are bound is the scheduler's own throughput (binding
/// writes included), without the pods' creation competing for the CPU.
async fn backlog(nodes: usize, count: usize) {
    println!(
        "\n## Backlog: {count} pending pods on {nodes} simulated nodes, then the scheduler starts"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let server = start_server_with(dir.path(), port, &["--disable-scheduler"]);
    let url = format!("https://127.0.0.1:{port}");
    let token = std::fs::read_to_string(dir.path().join("server/token"))
        .expect("token")
        .trim()
        .to_string();
    let client = berth_client::connect(&url, &token).await.expect("client");
    let agent = start_agent(&url, &token, nodes);
    create_pods(
        &client,
        (0..count).map(|i| format!("backlog-{i}")).collect(),
    )
    .await;
    drop(server);
    let restarted = Instant::now();
    let server = start_server(dir.path(), port);
    let client = berth_client::connect(&url, &token).await.expect("client");
    let cpu_before = cpu_seconds(server.0.id());
    let bindings = watch_bindings(client).await;
    let names: Vec<String> = (0..count).map(|i| format!("backlog-{i}")).collect();
    let Some((first, last)) = all_bound(&bindings.times, &names).await else {
        println!("timed out waiting for bindings");
        return;
    };
    let took = last.duration_since(restarted);
    print!(
        "{count} pods bound {:.2} s after the server restarted (start-up included): {:.0} pods/s; server CPU {:.1} s",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        cpu_seconds(server.0.id()) - cpu_before,
    );
    let at_start = bindings.bound_at_start.lock().expect("lock").unwrap_or(0);
    if at_start == 0 {
        let scheduling = last.duration_since(first);
        println!(
            "; first to last binding {:.2} s: {:.0} pods/s",
            scheduling.as_secs_f64(),
            count as f64 / scheduling.as_secs_f64()
        );
    } else {
        println!("; {at_start} were bound before the watch started (no first-to-last figure)");
    }
    drop(agent);
}

fn main() {
    let nodes: usize = std::env::var("BERTH_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let batches: Vec<usize> = std::env::var("BERTH_BENCH_PODS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 50_000]);
    println!(
        "# Scheduler benchmark ({} CPUs)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let only = std::env::var("BERTH_BENCH_ONLY").unwrap_or_default();
    let runs = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    if runs("quality") {
        utilisation();
    }
    if runs("speed") {
        decision_speed(nodes);
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if runs("simulated") {
        runtime.block_on(end_to_end(nodes, &batches, NodeSource::Simulated));
    }
    if runs("objects") {
        runtime.block_on(end_to_end(nodes, &batches, NodeSource::Objects));
    }
    if runs("backlog") {
        let backlog_pods = batches.first().copied().unwrap_or(10_000);
        runtime.block_on(backlog(nodes, backlog_pods));
    }
}
