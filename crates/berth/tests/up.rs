//! End-to-end: `berth up` — imports the demo image, starts server and agent, applies the
//! example app and prints where it answers (fetched from the host); Ctrl-C (SIGINT) stops it
//! cleanly; running it again resumes the same cluster with the same containers.
//! Needs root, runc, containernetworking-plugins, busybox-static.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{HostCleanup, free_networks, free_port};

/// A running `berth up`: its stdout lines; SIGKILLed on drop if still running.
struct Up {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
}

impl Up {
    fn start(args: &[String]) -> Up {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("up")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("berth up");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Up {
            child: Some(child),
            lines,
        }
    }

    /// The addresses it says the example answers on.
    fn urls(&self) -> Vec<String> {
        let mut urls = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(120))
                .expect("berth up said where the example answers");
            if let Some(url) = line.trim().strip_prefix("curl ") {
                urls.push(url.to_string());
            }
            if line.starts_with("Ctrl-C") {
                return urls;
            }
        }
    }

    /// SIGINT, as Ctrl-C; returns whether it exited successfully.
    fn interrupt(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        child.wait().is_ok_and(|s| s.success())
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn fetch(url: &str) -> Option<String> {
    let address = url.strip_prefix("http://")?.trim_end_matches('/');
    let mut stream =
        std::net::TcpStream::connect_timeout(&address.parse().ok()?, Duration::from_secs(2))
            .ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET / HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

/// The page at `url` once it answers with the example's greeting (its container may be
/// Running a moment before the server in it listens), or the last answer at the deadline.
fn greeting(url: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = fetch(url).unwrap_or_default();
        if page.contains("Hello from Berth") || std::time::Instant::now() > deadline {
            return page;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn berth_up_serves_the_example_stops_on_ctrl_c_and_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unique = (std::process::id() % 10_000) * 10 + 7;
    let data_dir = dir.path().join("data");
    let networks = free_networks(7);
    let _cleanup = HostCleanup {
        data_dir: data_dir.clone(),
        bridge: format!("bt{unique}"),
        cgroup_root: format!("berth-test-{unique}"),
        service_cidr: networks.service_cidr.clone(),
    };
    let demo = dir.path().join("demo.tar");
    support::make_demo_image(&demo);
    let kubeconfig = dir.path().join("kubeconfig");
    let args: Vec<String> = [
        "--data-dir",
        data_dir.to_str().expect("utf-8"),
        "--bind-address",
        "127.0.0.1",
        "--https-listen-port",
        &free_port().to_string(),
        "--write-kubeconfig",
        kubeconfig.to_str().expect("utf-8"),
        "--cluster-cidr",
        &networks.cluster_cidr,
        "--service-cidr",
        &networks.service_cidr,
        "--cluster-dns",
        &networks.cluster_dns,
        "--cni-bridge",
        &format!("bt{unique}"),
        "--cgroup-root",
        &format!("berth-test-{unique}"),
        "--node-name",
        &format!("up-{unique}"),
        "--node-ip",
        "127.0.0.1",
        "--kubelet-port",
        &free_port().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut first_args = args.clone();
    first_args.extend(["--import".to_string(), demo.to_string_lossy().into_owned()]);

    let mut up = Up::start(&first_args);
    let urls = up.urls();
    assert_eq!(urls.len(), 2, "{urls:?}");
    for url in &urls {
        let page = greeting(url);
        assert!(page.contains("Hello from Berth"), "{url}: {page}");
    }
    assert!(up.interrupt(), "berth up did not stop cleanly on SIGINT");

    // Again: the same cluster, the same containers, still answering.
    let mut again = Up::start(&args);
    let mut resumed = again.urls();
    let mut before = urls.clone();
    resumed.sort();
    before.sort();
    assert_eq!(resumed, before);
    for url in &resumed {
        assert!(greeting(url).contains("Hello from Berth"), "{url}");
    }
    // Remove the example and wait for its containers to go before stopping.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let kubectl = |args: &[&str]| {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .env("HOME", &home)
            .output()
            .expect("kubectl")
    };
    let restarts = kubectl(&[
        "get",
        "pods",
        "-o",
        "jsonpath={.items[*].status.containerStatuses[0].restartCount}",
    ]);
    assert_eq!(String::from_utf8_lossy(&restarts.stdout).trim(), "0 0");
    assert!(kubectl(&["delete", "deployment", "hello"]).status.success());
    assert!(
        kubectl(&[
            "delete",
            "pods",
            "-l",
            "app=hello",
            "--grace-period=1",
            "--timeout=60s"
        ])
        .status
        .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(data_dir.join("agent/containers"))
        .map(|d| d.count())
        .unwrap_or(0)
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "containers not removed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(again.interrupt());
}
