//! Controller benchmark: prints figures, decides nothing.
//!
//! `cargo bench -p berth --bench controllers` runs the release `berth server --disable-agent`
//! (embedded SQLite) and one `berth agent --simulate 100`, then:
//! 1. **Apply → all Running**: a 1,000-replica Deployment is created; time until its status
//!    says 1,000 updated, available replicas (every pod bound, Running and Ready: the
//!    simulated nodes play the kubelet).
//! 2. **Rolling update**: the pod template's image changes; time until the status says the
//!    rollout is complete (what `kubectl rollout status` waits for), with the default
//!    `maxSurge`/`maxUnavailable` of 25%.
//!
//! It reports the server's CPU time per pod (API server, scheduler and controllers
//! together) and the controllers' own (the `berth-ctrl` thread they run on, which
//! includes serving their own API requests in-process).
//!
//! `BERTH_BENCH_REPLICAS` and `BERTH_BENCH_NODES` change the sizes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// utime + stime of `/proc/<path>/stat`, in seconds (100 ticks/s here).
fn cpu_of(stat: &str) -> f64 {
    std::fs::read_to_string(stat)
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

fn cpu_seconds(pid: u32) -> f64 {
    cpu_of(&format!("/proc/{pid}/stat"))
}

/// CPU seconds of the threads of `pid` named `name`.
fn thread_cpu_seconds(pid: u32, name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| cpu_of(&t.path().join("stat").to_string_lossy()))
        .sum()
}

fn start_server(dir: &std::path::Path, port: u16) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
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
        .args(["--disable-agent"])
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

fn start_agent(url: &str, token: &str, nodes: usize) -> Process {
    Process(
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["agent", "--server", url, "--token", token])
            .args(["--simulate", &nodes.to_string(), "--node-name", "sim"])
            .args(["--capacity", "cpu=32,memory=128Gi,pods=110"])
            .env("BERTH_LOG", "error")
            .stderr(Stdio::null())
            .spawn()
            .expect("start berth agent"),
    )
}

fn deployment(replicas: usize, image: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": "bench", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {
                "metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "c", "image": image,
                          "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
            },
        },
    }))
    .expect("deployment")
}

/// Waits until the Deployment's status says every replica is updated and available.
async fn rolled_out(api: &Api<Deployment>, replicas: usize) {
    let want = i32::try_from(replicas).unwrap_or(i32::MAX);
    let mut stream = watcher::watcher(
        api.clone(),
        watcher::Config::default().fields("metadata.name=bench"),
    )
    .boxed();
    while let Some(event) = stream.next().await {
        let Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) = event else {
            continue;
        };
        let status = d.status.clone().unwrap_or_default();
        let observed = status.observed_generation >= d.metadata.generation;
        if observed
            && status.updated_replicas == Some(want)
            && status.replicas == Some(want)
            && status.available_replicas == Some(want)
        {
            return;
        }
    }
}

async fn run(nodes: usize, replicas: usize) {
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
    let _agent = start_agent(&url, &token, nodes);
    let node_api: Api<Node> = Api::all(client.clone());
    loop {
        let count = node_api
            .list_metadata(&Default::default())
            .await
            .map(|l| l.items.len())
            .unwrap_or(0);
        if count >= nodes {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let pid = server.0.id();
    let api: Api<Deployment> = Api::namespaced(client.clone(), "default");

    let (cpu0, ctl0) = (cpu_seconds(pid), thread_cpu_seconds(pid, "berth-ctrl"));
    let started = Instant::now();
    api.create(
        &PostParams::default(),
        &deployment(replicas, "registry.invalid/bench:1"),
    )
    .await
    .expect("create deployment");
    rolled_out(&api, replicas).await;
    let created = started.elapsed();
    let (cpu1, ctl1) = (cpu_seconds(pid), thread_cpu_seconds(pid, "berth-ctrl"));
    println!(
        "apply → {replicas} Running and Ready: {:.2} s; server CPU {:.2} s ({:.2} ms/pod), controllers {:.2} s ({:.2} ms/pod)",
        created.as_secs_f64(),
        cpu1 - cpu0,
        (cpu1 - cpu0) * 1000.0 / replicas as f64,
        ctl1 - ctl0,
        (ctl1 - ctl0) * 1000.0 / replicas as f64,
    );

    let started = Instant::now();
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "registry.invalid/bench:2"}]}}}});
    api.patch("bench", &PatchParams::default(), &Patch::Strategic(&patch))
        .await
        .expect("update image");
    rolled_out(&api, replicas).await;
    let updated = started.elapsed();
    let (cpu2, ctl2) = (cpu_seconds(pid), thread_cpu_seconds(pid, "berth-ctrl"));
    println!(
        "rolling update of {replicas} pods (maxSurge 25%, maxUnavailable 25%): {:.2} s; server CPU {:.2} s ({:.2} ms/pod), controllers {:.2} s ({:.2} ms/pod)",
        updated.as_secs_f64(),
        cpu2 - cpu1,
        (cpu2 - cpu1) * 1000.0 / replicas as f64,
        ctl2 - ctl1,
        (ctl2 - ctl1) * 1000.0 / replicas as f64,
    );
}

fn main() {
    let nodes: usize = std::env::var("BERTH_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let replicas: usize = std::env::var("BERTH_BENCH_REPLICAS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!(
        "# Controller benchmark ({} CPUs): a {replicas}-replica Deployment on {nodes} simulated nodes",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(nodes, replicas));
}
