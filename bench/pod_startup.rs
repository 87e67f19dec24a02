//! Pod startup benchmark: prints figures, decides nothing. Needs root, runc,
//! containernetworking-plugins and busybox-static (scripts/install-packages).
//!
//! `cargo bench -p berth --bench pod_startup` runs the release `berth server --disable-agent`
//! and one real `berth agent` (its own bridge, cgroup parent, pod and Service ranges, all
//! removed at the end), imports the demo image, then measures, through a watch:
//! 1. **One pod**: create → Running and Ready, 20 times in a row (p50, p99).
//! 2. **100 pods at once** on the one node: until all are Ready; per-pod p50/p99.
//! 3. **The floor**: `runc run --detach` of the same bundle alone, and the runtime's own start
//!    (shim + runc), without the API.
//! 4. **Memory**: the agent's RSS idle and with 100 pods; each shim's RSS, PSS and private
//!    (USS) memory.
//!
//! `BERTH_BENCH_PODS` changes the 100.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Fields of `/proc/<pid>/smaps_rollup` (kB): `Pss` is the process's share of pages it
/// maps together with others (the shim program every shim runs), `Private_*` what it alone
/// costs.
fn smaps_kib(pid: u32, fields: &[&str]) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .map(|s| {
            s.lines()
                .filter_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    fields
                        .contains(&name)
                        .then(|| value.split_whitespace().next()?.parse::<u64>().ok())
                        .flatten()
                })
                .sum()
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {"bench": "startup"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "berth.local/demo/busybox:1", "command": ["sleep", "3600"]}],
        },
    }))
    .expect("pod")
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Creates `names` at once; returns each one's create → Ready time, seen through a watch.
async fn start_pods(api: &Api<Pod>, names: &[String]) -> Vec<Duration> {
    let mut stream = watcher::watcher(
        api.clone(),
        watcher::Config::default().labels("bench=startup"),
    )
    .boxed();
    // The watch is established before the creates.
    while let Some(event) = stream.next().await {
        if matches!(event, Ok(watcher::Event::InitDone)) {
            break;
        }
    }
    let started = Instant::now();
    let mut created: HashMap<String, Instant> = HashMap::new();
    let creates = names.iter().map(|name| {
        let api = api.clone();
        let pod = pod(name);
        async move {
            let at = Instant::now();
            api.create(&PostParams::default(), &pod)
                .await
                .expect("create pod");
            at
        }
    });
    let times = futures_util::future::join_all(creates).await;
    for (name, at) in names.iter().zip(times) {
        created.insert(name.clone(), at);
    }
    let mut ready: HashMap<String, Duration> = HashMap::new();
    while ready.len() < names.len() {
        let Some(event) = stream.next().await else {
            break;
        };
        if let Ok(watcher::Event::Apply(p)) = event
            && is_ready(&p)
        {
            let name = p.metadata.name.clone().unwrap_or_default();
            if let Some(at) = created.get(&name) {
                ready.entry(name).or_insert_with(|| at.elapsed());
            }
        }
        if started.elapsed() > Duration::from_secs(300) {
            eprintln!(
                "gave up after 300 s with {} of {} Ready",
                ready.len(),
                names.len()
            );
            break;
        }
    }
    ready.into_values().collect()
}

async fn delete_all(api: &Api<Pod>) {
    let _ = api
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("bench=startup"),
        )
        .await;
    for _ in 0..600 {
        if api
            .list(&ListParams::default().labels("bench=startup"))
            .await
            .is_ok_and(|l| l.items.is_empty())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `runc run --detach` of a bundle made by the runtime's own code, alone (the floor).
fn runc_floor(work: &Path, layers: &[PathBuf], runs: usize) -> Vec<f64> {
    let runc_root = work.join("floor-runc");
    let mut times = Vec::new();
    for i in 0..runs {
        let id = format!("berth-floor-{}-{i}", std::process::id());
        let bundle = work.join(&id);
        std::fs::create_dir_all(&bundle).expect("bundle");
        berth_agent::runtime::rootfs::mount(&bundle, layers).expect("rootfs");
        let spec = berth_agent::runtime::ContainerSpec {
            id: id.clone(),
            args: vec!["sleep".into(), "3600".into()],
            env: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            uid: 0,
            gid: 0,
            additional_gids: vec![],
            hostname: "floor".into(),
            privileged: false,
            readonly_rootfs: false,
            add_capabilities: vec![],
            drop_capabilities: vec![],
            mounts: vec![],
            namespaces: Default::default(),
            cgroup_path: format!("/{id}"),
            resources: Default::default(),
            no_new_privileges: false,
            stdin: false,
            tty: false,
        };
        std::fs::write(bundle.join("config.json"), spec.oci_config().to_string()).expect("config");
        let started = Instant::now();
        let ok = Command::new("runc")
            .arg("--root")
            .arg(&runc_root)
            .args(["run", "--detach", "--bundle"])
            .arg(&bundle)
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            times.push(ms(started.elapsed()));
        }
        let _ = Command::new("runc")
            .arg("--root")
            .arg(&runc_root)
            .args(["kill", &id, "KILL"])
            .status();
        std::thread::sleep(Duration::from_millis(50));
        let _ = Command::new("runc")
            .arg("--root")
            .arg(&runc_root)
            .args(["delete", "--force", &id])
            .status();
        let _ = berth_agent::runtime::rootfs::unmount(&bundle);
        let _ = std::fs::remove_dir_all(&bundle);
    }
    times
}

fn cleanup_host(data_dir: &Path, bridge: &str, cgroup_root: &str, service_cidr: &str) {
    let _ = Command::new("ip")
        .args(["link", "del", bridge])
        .stderr(Stdio::null())
        .status();
    let _ = Command::new("ip")
        .args(["link", "del", &format!("{bridge}svc")])
        .stderr(Stdio::null())
        .status();
    let _ = Command::new("ip")
        .args(["route", "del", service_cidr])
        .stderr(Stdio::null())
        .status();
    // The node's NAT table (hostPort, egress masquerade).
    let _ = Command::new("nft")
        .args([
            "delete",
            "table",
            "ip",
            &berth_agent::network::nat::table_for(bridge),
        ])
        .stderr(Stdio::null())
        .status();
    if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
        for h in hierarchies.flatten() {
            let dir = h.path().join(cgroup_root);
            if let Ok(children) = std::fs::read_dir(&dir) {
                for c in children.flatten().filter(|c| c.path().is_dir()) {
                    let _ = std::fs::remove_dir(c.path());
                }
            }
            let _ = std::fs::remove_dir(&dir);
        }
    }
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let prefix = data_dir.to_string_lossy().into_owned();
    for mount in table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(&prefix))
    {
        let _ = Command::new("umount").args(["-l", mount]).status();
    }
}

async fn run(count: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("server");
    let agent_data = dir.path().join("agent");
    let unique = std::process::id() % 100_000;
    let bridge = format!("bb{unique}");
    let cgroup_root = format!("berth-bench-{unique}");
    let routes = String::from_utf8_lossy(
        &Command::new("ip")
            .args(["-4", "route"])
            .output()
            .expect("ip")
            .stdout,
    )
    .into_owned();
    let n = (200..250)
        .find(|n| !routes.contains(&format!("10.{n}.")))
        .expect("a free 10.x range");
    let (cluster_cidr, service_cidr) = (format!("10.{n}.0.0/17"), format!("10.{n}.128.0/17"));
    let port = free_port();
    let server = Process(
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("server")
            .arg("--data-dir")
            .arg(&data)
            .args([
                "--bind-address",
                "127.0.0.1",
                "--https-listen-port",
                &port.to_string(),
            ])
            .arg("--write-kubeconfig")
            .arg(dir.path().join("kubeconfig"))
            .args([
                "--disable-agent",
                "--cluster-cidr",
                &cluster_cidr,
                "--service-cidr",
                &service_cidr,
            ])
            .env("BERTH_LOG", "error")
            .stderr(Stdio::null())
            .spawn()
            .expect("berth server"),
    );
    let url = format!("https://127.0.0.1:{port}");
    let token_file = data.join("server/token");
    for _ in 0..300 {
        if token_file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let token = std::fs::read_to_string(&token_file)
        .expect("token")
        .trim()
        .to_string();
    let client = berth_client::connect(&url, &token).await.expect("client");
    // The demo image into the agent's store.
    let archive = dir.path().join("demo.tar");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-demo-image");
    assert!(
        Command::new("bash")
            .arg(script)
            .arg(&archive)
            .stdout(Stdio::null())
            .status()
            .expect("make-demo-image")
            .success()
    );
    assert!(
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["image", "import", "--data-dir"])
            .arg(&agent_data)
            .arg(&archive)
            .stdout(Stdio::null())
            .status()
            .expect("import")
            .success()
    );
    let node = format!("bench-{unique}");
    let agent = Process(
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .args([
                "agent",
                "--server",
                &url,
                "--token",
                &token,
                "--node-name",
                &node,
            ])
            .arg("--data-dir")
            .arg(&agent_data)
            .args([
                "--node-ip",
                "127.0.0.1",
                "--kubelet-port",
                &free_port().to_string(),
            ])
            .args([
                "--cni-bridge",
                &bridge,
                "--cgroup-root",
                &cgroup_root,
                "--service-cidr",
                &service_cidr,
            ])
            .args(["--cluster-dns", &format!("10.{n}.128.10")])
            .env("BERTH_LOG", "error")
            .stderr(Stdio::null())
            .spawn()
            .expect("berth agent"),
    );
    let nodes: Api<Node> = Api::all(client.clone());
    for _ in 0..600 {
        let ready = nodes.get_opt(&node).await.ok().flatten().is_some_and(|n| {
            n.spec.as_ref().and_then(|s| s.pod_cidr.as_ref()).is_some()
                && n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        });
        if ready {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let agent_pid = agent.0.id();
    let idle_rss = rss_kib(agent_pid);
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");

    println!("# Pod startup benchmark (2 CPUs): one real node, the demo image, `sleep 3600` pods");
    let mut single = Vec::new();
    for i in 0..20 {
        let times = start_pods(&pods, &[format!("single-{i}")]).await;
        single.extend(times.iter().map(|d| ms(*d)));
        delete_all(&pods).await;
    }
    single.sort_by(f64::total_cmp);
    println!(
        "one pod, create → Ready (20 runs): p50 {:.0} ms, p99 {:.0} ms",
        percentile(&single, 0.5),
        percentile(&single, 0.99)
    );

    let names: Vec<String> = (0..count).map(|i| format!("many-{i}")).collect();
    let started = Instant::now();
    let mut many: Vec<f64> = start_pods(&pods, &names)
        .await
        .iter()
        .map(|d| ms(*d))
        .collect();
    let all = started.elapsed();
    many.sort_by(f64::total_cmp);
    let busy_rss = rss_kib(agent_pid);
    let shims: Vec<u32> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
                    let cmd = String::from_utf8_lossy(&cmd).into_owned();
                    (cmd.contains("shim")
                        && cmd.contains(&agent_data.to_string_lossy().into_owned()))
                    .then(|| e.file_name().to_string_lossy().parse::<u32>().ok())
                    .flatten()
                })
                .collect()
        })
        .unwrap_or_default();
    let shim_pss: Vec<u64> = shims.iter().map(|p| smaps_kib(*p, &["Pss"])).collect();
    let shim_private: Vec<u64> = shims
        .iter()
        .map(|p| smaps_kib(*p, &["Private_Clean", "Private_Dirty"]))
        .collect();
    let shims: Vec<u64> = shims.into_iter().map(rss_kib).collect();
    let mean = |v: &[u64]| v.iter().sum::<u64>() as f64 / v.len().max(1) as f64 / 1024.0;
    println!(
        "{count} pods at once on one node: {} Ready in {:.2} s; per pod p50 {:.0} ms, p99 {:.0} ms",
        many.len(),
        all.as_secs_f64(),
        percentile(&many, 0.5),
        percentile(&many, 0.99)
    );
    println!(
        "agent RSS: idle {:.1} MiB, with {count} pods {:.1} MiB; shim RSS: {} shims, mean {:.2} MiB, max {:.2} MiB",
        idle_rss as f64 / 1024.0,
        busy_rss as f64 / 1024.0,
        shims.len(),
        mean(&shims),
        shims.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    );
    println!(
        "shim PSS mean {:.2} MiB (shared pages split among the processes mapping them); private (USS) mean {:.2} MiB",
        mean(&shim_pss),
        mean(&shim_private)
    );
    delete_all(&pods).await;

    // The floor, with the same layers.
    let store = berth_agent::image::ImageStore::open(&berth_agent::image::store_root(&agent_data))
        .expect("store");
    let image = store
        .resolve("berth.local/demo/busybox:1")
        .expect("resolve")
        .expect("demo image");
    let layers = store.unpack(&image).expect("unpack").layers;
    let mut floor = runc_floor(dir.path(), &layers, 20);
    floor.sort_by(f64::total_cmp);
    println!(
        "floor, `runc run --detach` of the same bundle alone (20 runs): p50 {:.0} ms, p99 {:.0} ms",
        percentile(&floor, 0.5),
        percentile(&floor, 0.99)
    );
    drop(agent);
    drop(server);
    cleanup_host(dir.path(), &bridge, &cgroup_root, &service_cidr);
}

fn main() {
    let count = std::env::var("BERTH_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(count));
}
