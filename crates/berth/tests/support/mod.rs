//! End-to-end support: a real `berth server` on a free loopback port with its own data dir,
//! kubeconfig and HOME (so kubectl's discovery cache is fresh), driven by the real `kubectl`.
//! Everything is stopped and removed on drop, also when a test fails.

#![allow(dead_code)]

pub mod node;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const DEADLINE: Duration = Duration::from_secs(60);

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    pub log: mpsc::Receiver<String>,
    /// The server's extra flags, for [`Cluster::restart`].
    extra: Vec<String>,
    /// What the agent put on the host, cleaned after the server stops and before the data
    /// dir goes (it holds the runc state the cleanup reads).
    host_cleanup: Option<HostCleanup>,
}

pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Fails the test with both streams unless the command succeeded.
    pub fn ok(self) -> Run {
        assert!(
            self.status.success(),
            "command failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Fails the test unless the command failed.
    pub fn failed(self) -> Run {
        assert!(
            !self.status.success(),
            "command succeeded unexpectedly:\n{}",
            self.stdout
        );
        self
    }
}

/// A `berth agent --simulate` process; killed (by pid) on drop.
pub struct Agent {
    child: Option<Child>,
}

impl Agent {
    /// Kills the agent (SIGKILL) and waits for it, as a crashed node would stop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Agent {
    /// How many established TCP connections the agent has to `port` on loopback: its
    /// sockets (`/proc/PID/fd`) looked up in its network namespace's table.
    pub fn connections_to(&self, port: u16) -> usize {
        let Some(pid) = self.child.as_ref().map(Child::id) else {
            return 0;
        };
        let inodes: std::collections::HashSet<String> =
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .map(|dir| {
                    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                        .filter_map(|target| {
                            let target = target.to_string_lossy().into_owned();
                            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
                            Some(inode.to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
        let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap_or_default();
        let remote = format!("0100007F:{port:04X}");
        table
            .lines()
            .skip(1)
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() > 9 && f[2] == remote && f[3] == "01" && inodes.contains(f[9]))
            .count()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Cluster {
    /// A server without a node agent (no containers run on this machine).
    pub fn start() -> Cluster {
        Self::start_with(&[])
    }

    /// Starts a server with extra flags, without its node agent.
    pub fn start_with(extra: &[&str]) -> Cluster {
        let mut flags = extra.to_vec();
        if !flags.contains(&"--disable-agent") {
            flags.push("--disable-agent");
        }
        Self::start_server(&flags)
    }

    /// Starts a server that runs its node agent: real containers on this machine. `extra`
    /// must make the node's names unique (`--cni-bridge`, `--cgroup-root`, `--cluster-cidr`,
    /// `--node-name`).
    pub fn start_with_agent(extra: &[&str]) -> Cluster {
        Self::start_server(extra)
    }

    fn start_server(extra: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        let port = free_port();
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, log) = Self::spawn_server(dir.path(), port, &extra);
        let cluster = Cluster {
            dir,
            port,
            child: Some(child),
            log,
            extra,
            host_cleanup: None,
        };
        cluster.wait_for_log("API server ready");
        cluster
    }

    fn spawn_server(dir: &Path, port: u16, extra: &[String]) -> (Child, mpsc::Receiver<String>) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("server")
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args([
                "--bind-address",
                "127.0.0.1",
                "--https-listen-port",
                &port.to_string(),
            ])
            .arg("--write-kubeconfig")
            .arg(dir.join("kubeconfig"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start berth server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, log)
    }

    /// Kills the server with SIGKILL (its agent too) and starts it again on the same data
    /// dir and port, as after a crash.
    pub fn restart(&mut self) {
        self.kill();
        let (child, log) = Self::spawn_server(self.dir.path(), self.port, &self.extra);
        self.child = Some(child);
        self.log = log;
        self.wait_for_log("API server ready");
    }

    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            match self
                .log
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!("no log line containing {needle:?}; saw {seen:#?}"),
            }
        }
    }

    /// The server's log lines not yet read by [`Cluster::wait_for_log`], the last `count`
    /// of them (for a failing test's message).
    pub fn log_tail(&self, count: usize) -> Vec<String> {
        let lines: Vec<String> = self.log.try_iter().collect();
        lines[lines.len().saturating_sub(count)..].to_vec()
    }

    /// Starts `count` simulated nodes named `prefix-0…` with `capacity` and `labels`
    /// (`k=v,…`) and waits until kubectl sees them Ready.
    /// `berth agent` joining this server with the cluster token, as another machine would.
    pub fn agent_command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
        command
            .args([
                "agent",
                "--server",
                &format!("https://127.0.0.1:{}", self.port),
            ])
            .arg("--token-file")
            .arg(self.dir.path().join("data/server/token"));
        command
    }

    /// Starts a real agent (`agent_command` with `args`), logging to `<dir>/agent.log`.
    pub fn join_agent(&self, args: &[&str]) -> Agent {
        let log = std::fs::File::create(self.dir.path().join("agent.log")).expect("agent log");
        let child = self
            .agent_command()
            .args(args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start berth agent");
        Agent { child: Some(child) }
    }

    pub fn simulate(&self, prefix: &str, count: usize, capacity: &str, labels: &str) -> Agent {
        let mut command = self.agent_command();
        command
            .args(["--simulate", &count.to_string(), "--node-name", prefix])
            .args(["--capacity", capacity]);
        for label in labels.split(',').filter(|l| !l.is_empty()) {
            command.args(["--node-label", label]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start berth agent");
        let agent = Agent { child: Some(child) };
        for i in 0..count {
            let node = format!("{prefix}-{i}");
            self.wait_until(&format!("node {node} Ready"), || {
                let run = self.kubectl(&[
                    "get",
                    "node",
                    &node,
                    "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
                ]);
                (run.status.success() && run.stdout.trim() == "True").then_some(())
            });
        }
        agent
    }

    /// Polls `check` until it returns a value, failing the test after [`DEADLINE`].
    pub fn wait_until<T>(&self, what: &str, check: impl FnMut() -> Option<T>) -> T {
        self.wait_until_within(DEADLINE, what, check)
    }

    /// Polls `check` until it returns a value, failing the test after `limit` (for
    /// conditions bound to the wall clock, such as a cron schedule's next minute).
    pub fn wait_until_within<T>(
        &self,
        limit: Duration,
        what: &str,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(value) = check() {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `kubectl get <what> -o jsonpath=<path>`, trimmed; empty when it fails.
    pub fn jsonpath(&self, what: &[&str], path: &str) -> String {
        let mut args: Vec<&str> = vec!["get"];
        args.extend_from_slice(what);
        let expression = format!("jsonpath={path}");
        args.extend_from_slice(&["-o", &expression]);
        let run = self.kubectl(&args);
        if run.status.success() {
            run.stdout.trim().to_string()
        } else {
            String::new()
        }
    }

    /// A kube-rs client for the cluster (from its kubeconfig).
    pub async fn kube_client(&self) -> kube::Client {
        use kube::config::{KubeConfigOptions, Kubeconfig};
        let kubeconfig = Kubeconfig::read_from(self.kubeconfig()).expect("read kubeconfig");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .expect("kube config");
        kube::Client::try_from(config).expect("kube client")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn kubectl_command(&self) -> Command {
        let mut command = Command::new("kubectl");
        command
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.home())
            .env_remove("KUBERNETES_SERVICE_HOST")
            .current_dir(self.dir.path());
        command
    }

    /// `command` (a kubectl command line) in a terminal of its own (util-linux `script`), as
    /// `-t` needs: kubectl refuses a terminal when its input is not one.
    ///
    /// `script` runs `command` with `$SHELL -c`; the shell is fixed here (dash) so that runs
    /// do not depend on the caller's environment. Every process of `command` must stay in
    /// the terminal's foreground process group: kubectl switches the terminal to raw mode,
    /// and a process outside it that does so is stopped by SIGTTOU — use `timeout
    /// --foreground`, never a plain `timeout` (which moves itself and kubectl to a group of
    /// their own).
    pub fn in_terminal(&self, command: &str) -> Command {
        let mut script = Command::new("script");
        script
            .args(["-q", "-e", "-c", command, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.home())
            .env_remove("KUBERNETES_SERVICE_HOST")
            .current_dir(self.dir.path());
        script
    }

    /// Runs kubectl with `args` to completion.
    pub fn kubectl(&self, args: &[&str]) -> Run {
        Run::from(
            self.kubectl_command()
                .args(args)
                .output()
                .expect("run kubectl"),
        )
    }

    /// Runs kubectl with `stdin` as its input.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .kubectl_command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("kubectl output"))
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write manifest");
        path
    }

    /// Cleans what the node agent put on the host when this cluster is dropped, after its
    /// server stopped, also when the test fails.
    pub fn clean_host_on_drop(&mut self, cleanup: HostCleanup) {
        self.host_cleanup = Some(cleanup);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Kills the server (SIGKILL), as a crashed machine would stop; kubectl fails after.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        drop(self.host_cleanup.take());
    }
}

/// `GET /` over HTTP/1.0 (the server closes), with short timeouts; `None` if it fails.
pub fn http_get(ip: &str, port: u16) -> Option<String> {
    http_get_path(ip, port, "/")
}

pub fn http_get_path(ip: &str, port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect_timeout(
        &format!("{ip}:{port}").parse().ok()?,
        Duration::from_secs(2),
    )
    .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {ip}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// Reads lines from a running command until one contains `needle`, with a deadline.
pub fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    match find_line(lines, needle) {
        Ok(line) => line,
        Err(seen) => panic!("no line containing {needle:?}; saw {seen:#?}"),
    }
}

/// [`wait_for_line`] that hands back the lines seen instead of failing, so the test can
/// say more about why.
pub fn find_line(lines: &mpsc::Receiver<String>, needle: &str) -> Result<String, Vec<String>> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains(needle) => return Ok(line),
            Ok(line) => seen.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                seen.push("(deadline passed)".into());
                return Err(seen);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                seen.push("(the command ended)".into());
                return Err(seen);
            }
        }
    }
}

/// Streams a child's stdout lines into a channel.
pub fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Watches the pods matching a label selector in `default` on a thread of its own, calling
/// `on_event` with each change (after the initial list) and every pod then known; stops
/// when dropped.
pub struct PodWatcher {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// One change a [`PodWatcher`] saw.
pub enum PodChange<'a> {
    Applied(&'a k8s_openapi::api::core::v1::Pod),
    Deleted(&'a k8s_openapi::api::core::v1::Pod),
}

impl PodWatcher {
    pub fn start<F>(cluster: &Cluster, selector: &str, mut on_event: F) -> PodWatcher
    where
        F: FnMut(PodChange<'_>, &[std::sync::Arc<k8s_openapi::api::core::v1::Pod>])
            + Send
            + 'static,
    {
        use futures_util::StreamExt;
        use kube::runtime::watcher;
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let kubeconfig = cluster.kubeconfig();
        let selector = selector.to_string();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let kubeconfig =
                    kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
                let config = kube::Config::from_custom_kubeconfig(
                    kubeconfig,
                    &kube::config::KubeConfigOptions::default(),
                )
                .await
                .expect("config");
                let client = kube::Client::try_from(config).expect("client");
                let api: kube::Api<k8s_openapi::api::core::v1::Pod> =
                    kube::Api::namespaced(client, "default");
                let (reader, writer) = kube::runtime::reflector::store();
                let mut stream = kube::runtime::reflector::reflector(
                    writer,
                    watcher(api, watcher::Config::default().labels(&selector)),
                )
                .boxed();
                let _ = ready_tx.send(());
                // The store holds the full list only from InitDone on.
                let mut listed = false;
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        item = stream.next() => {
                            let Some(item) = item else { break };
                            let state = reader.state();
                            match item {
                                Ok(watcher::Event::InitDone) => listed = true,
                                Ok(watcher::Event::Apply(pod)) if listed => {
                                    on_event(PodChange::Applied(&pod), &state);
                                }
                                Ok(watcher::Event::Delete(pod)) if listed => {
                                    on_event(PodChange::Deleted(&pod), &state);
                                }
                                _ => {}
                            }
                        }
                    }
                }
            });
        });
        let _ = ready_rx.recv();
        PodWatcher {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops watching and waits for the thread.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PodWatcher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Addresses for one test node: pods in 10.N.0.0/17, Services in 10.N.128.0/17, cluster DNS
/// 10.N.128.10, for a 10.N/16 (N in 200–249) no route on this machine uses.
pub struct TestNetworks {
    pub cluster_cidr: String,
    pub service_cidr: String,
    pub cluster_dns: String,
}

pub fn free_networks(tag: u32) -> TestNetworks {
    let cidr = free_cluster_cidr(tag);
    let base = cidr.trim_end_matches(".0.0/16").to_string();
    TestNetworks {
        cluster_cidr: format!("{base}.0.0/17"),
        service_cidr: format!("{base}.128.0/17"),
        cluster_dns: format!("{base}.128.10"),
    }
}

/// A /16 of 10.200–10.249 no route on this machine uses.
pub fn free_cluster_cidr(tag: u32) -> String {
    let routes = String::from_utf8_lossy(
        &Command::new("ip")
            .args(["-4", "route"])
            .output()
            .expect("ip route")
            .stdout,
    )
    .into_owned();
    let start = (std::process::id() + tag * 25) % 50;
    (0..50)
        .map(|i| 200 + (start + i) % 50)
        .find(|n| !routes.contains(&format!("10.{n}.")))
        .map(|n| format!("10.{n}.0.0/16"))
        .expect("a free 10.x range")
}

/// Removes what the test's node left on the machine, even after a failure: runc
/// containers, mounts under the data dir, the bridge, the cgroup parent.
pub struct HostCleanup {
    pub data_dir: PathBuf,
    pub bridge: String,
    pub cgroup_root: String,
    /// The Service CIDR the node routed (to a dummy device, or unreachable).
    pub service_cidr: String,
}

impl HostCleanup {
    /// Container cgroups of this node, in every hierarchy.
    fn container_cgroups(&self) -> Vec<PathBuf> {
        let mut cgroups = Vec::new();
        if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
            for h in hierarchies.flatten() {
                if let Ok(children) = std::fs::read_dir(h.path().join(&self.cgroup_root)) {
                    cgroups.extend(children.flatten().map(|c| c.path()).filter(|p| p.is_dir()));
                }
            }
        }
        cgroups
    }
}

impl Drop for HostCleanup {
    fn drop(&mut self) {
        // Every process in this node's container cgroups is one the test started: killed
        // by pid, whatever state runc still has.
        for cgroup in self.container_cgroups() {
            let procs = std::fs::read_to_string(cgroup.join("cgroup.procs")).unwrap_or_default();
            for pid in procs.split_whitespace() {
                let _ = Command::new("kill")
                    .args(["-KILL", pid])
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let runc_root = self.data_dir.join("agent/runc");
        let ids = Command::new("runc")
            .arg("--root")
            .arg(&runc_root)
            .args(["list", "-q"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        for id in ids.split_whitespace() {
            // runc 1.1's `delete --force` was seen to leave the process running: kill first.
            let _ = Command::new("runc")
                .arg("--root")
                .arg(&runc_root)
                .args(["kill", id, "KILL"])
                .stderr(Stdio::null())
                .status();
            std::thread::sleep(Duration::from_millis(200));
            let _ = Command::new("runc")
                .arg("--root")
                .arg(&runc_root)
                .args(["delete", "--force", id])
                .status();
        }
        for mount in mounts_under(&self.data_dir) {
            let _ = Command::new("umount").args(["-l", &mount]).status();
        }
        // The bridge, and the dummy device the Service CIDR is routed to.
        let dummy = format!("{}svc", self.bridge.chars().take(12).collect::<String>());
        for device in [&self.bridge, &dummy] {
            let _ = Command::new("ip")
                .args(["link", "del", device])
                .stderr(std::process::Stdio::null())
                .status();
        }
        // The node's NAT table (hostPort, egress masquerade).
        let _ = Command::new("nft")
            .args(["delete", "table", "ip", &format!("berth_{}", self.bridge)])
            .stderr(Stdio::null())
            .status();
        let _ = Command::new("ip")
            .args(["route", "del", &self.service_cidr])
            .stderr(std::process::Stdio::null())
            .status();
        if let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") {
            for h in hierarchies.flatten() {
                let dir = h.path().join(&self.cgroup_root);
                if let Ok(children) = std::fs::read_dir(&dir) {
                    for child in children.flatten().filter(|c| c.path().is_dir()) {
                        let _ = std::fs::remove_dir(child.path());
                    }
                }
                let _ = std::fs::remove_dir(&dir);
            }
        }
    }
}

pub fn mounts_under(dir: &Path) -> Vec<String> {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let dir = dir.to_string_lossy().into_owned();
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(&dir))
        .map(str::to_string)
        .collect()
}

/// Builds the demo image (`scripts/make-demo-image`, busybox-static) into `archive`.
pub fn make_demo_image(archive: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-demo-image");
    assert!(
        Command::new("bash")
            .arg(script)
            .arg(archive)
            .status()
            .expect("make-demo-image")
            .success()
    );
}

/// Builds the demo image into `archive` and imports it into the agent store of `data_dir`.
pub fn import_demo_image(data_dir: &Path, archive: &Path) {
    make_demo_image(archive);
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["image", "import", "--data-dir"])
        .arg(data_dir)
        .arg(archive)
        .output()
        .expect("berth image import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
