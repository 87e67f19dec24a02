//! API server benchmark: prints figures, decides nothing.
//!
//! `cargo bench -p berth --bench apiserver` starts the release `berth server` (embedded SQLite)
//! in a temporary data dir on a free loopback port — the API server and controllers alone:
//! `--disable-agent --disable-scheduler`, so the 10,000 pods stay Pending instead of a real
//! node agent trying to start them all on this machine — and measures, over HTTPS with the admin
//! token: idle RSS; create latency at a steady 500 creates/s; bulk create throughput up to
//! 10,000 pods; get latency; list of 10,000 pods (served from the watch cache); 1,000
//! concurrent watchers (delivery latency of a change to all of them, and RSS with them open).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

struct Server {
    child: Child,
    port: u16,
    token: String,
    tls: TlsConnector,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn start() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("server")
        .args(["--disable-agent", "--disable-scheduler"])
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &port.to_string(),
        ])
        .arg("--write-kubeconfig")
        .arg(dir.path().join("kubeconfig"))
        .env("BERTH_LOG", "warn,berth::cli=info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start berth server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        if line.expect("log").contains("API server ready") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let token = std::fs::read_to_string(dir.path().join("server/token"))
        .expect("token")
        .trim()
        .to_string();
    let ca = std::fs::read(dir.path().join("server/tls/server-ca.crt")).expect("ca");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.expect("ca pem")).expect("add ca");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("tls versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Server {
        child,
        port,
        token,
        tls: TlsConnector::from(Arc::new(config)),
        _dir: dir,
    }
}

impl Server {
    async fn connect(&self) -> SendRequest<Full<Bytes>> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let name = ServerName::try_from("127.0.0.1").expect("name");
        let tls = self.tls.connect(name, tcp).await.expect("tls");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        sender
    }

    fn request(&self, method: Method, path: &str, body: Bytes) -> Request<Full<Bytes>> {
        Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(Full::new(body))
            .expect("request")
    }
}

async fn call(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> (u16, Bytes) {
    sender.ready().await.expect("ready");
    let response = sender.send_request(request).await.expect("send");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, body)
}

fn pod(name: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","labels":{{"app":"bench"}}}},"spec":{{"containers":[{{"name":"c","image":"busybox:1.36","command":["sleep","3600"],"resources":{{"requests":{{"cpu":"10m","memory":"16Mi"}}}}}}]}}}}"#
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

const PODS: &str = "/api/v1/namespaces/default/pods";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = Arc::new(start());
        let pid = server.child.id();
        std::thread::sleep(Duration::from_millis(500));
        println!(
            "berth API server benchmark ({} CPUs, embedded SQLite)",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        println!("  idle RSS: {} KiB", rss_kib(pid));

        // Steady 500 creates/s for 5 s, from 8 connections.
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..8 {
            let server = server.clone();
            tasks.push(tokio::spawn(async move {
                let mut sender = server.connect().await;
                let mut latencies = Vec::new();
                for i in 0..313 {
                    // Each connection sends every 16 ms: 8 × 62.5/s = 500/s.
                    let due = started + Duration::from_micros((i * 16_000 + c * 2_000) as u64);
                    tokio::time::sleep_until(due.into()).await;
                    let t = Instant::now();
                    let (status, _) = call(
                        &mut sender,
                        server.request(Method::POST, PODS, pod(&format!("steady-{c}-{i}"))),
                    )
                    .await;
                    assert_eq!(status, 201);
                    latencies.push(t.elapsed());
                }
                latencies
            }));
        }
        let mut latencies = Vec::new();
        for t in tasks {
            latencies.extend(t.await.expect("task"));
        }
        latencies.sort();
        println!(
            "  create at 500/s ({} pods): p50 {}, p99 {}, max {}",
            latencies.len(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().expect("latencies"))
        );

        // Bulk: fill up to 10,000 pods as fast as 16 connections go.
        let remaining = 10_000 - latencies.len();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..16 {
            let server = server.clone();
            tasks.push(tokio::spawn(async move {
                let mut sender = server.connect().await;
                for i in (c..remaining).step_by(16) {
                    let (status, _) = call(
                        &mut sender,
                        server.request(Method::POST, PODS, pod(&format!("bulk-{i}"))),
                    )
                    .await;
                    assert_eq!(status, 201);
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let elapsed = started.elapsed();
        println!(
            "  bulk create: {remaining} pods in {:.2} s ({:.0}/s)",
            elapsed.as_secs_f64(),
            remaining as f64 / elapsed.as_secs_f64()
        );
        println!("  RSS with 10,000 pods: {} KiB", rss_kib(pid));

        let mut sender = server.connect().await;
        let mut gets = Vec::new();
        for i in 0..1000 {
            let t = Instant::now();
            let (status, _) = call(
                &mut sender,
                server.request(Method::GET, &format!("{PODS}/bulk-{i}"), Bytes::new()),
            )
            .await;
            assert_eq!(status, 200);
            gets.push(t.elapsed());
        }
        gets.sort();
        println!(
            "  get: p50 {}, p99 {}",
            ms(percentile(&gets, 0.5)),
            ms(percentile(&gets, 0.99))
        );

        let mut lists = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let (status, body) =
                call(&mut sender, server.request(Method::GET, PODS, Bytes::new())).await;
            assert_eq!(status, 200);
            lists.push(t.elapsed());
            size = body.len();
        }
        lists.sort();
        println!(
            "  list of 10,000 pods ({:.1} MB): median {}, best {}",
            size as f64 / 1e6,
            ms(lists[2]),
            ms(lists[0])
        );

        // 1,000 watchers, each on its own connection, then one change.
        let (status, body) = call(
            &mut sender,
            server.request(Method::GET, &format!("{PODS}?limit=1"), Bytes::new()),
        )
        .await;
        assert_eq!(status, 200);
        let list: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let rv = list["metadata"]["resourceVersion"]
            .as_str()
            .expect("rv")
            .to_string();
        let barrier = Arc::new(tokio::sync::Barrier::new(1001));
        let mut watchers = Vec::new();
        for _ in 0..1000 {
            let (server, barrier, rv) = (server.clone(), barrier.clone(), rv.clone());
            watchers.push(tokio::spawn(async move {
                let mut sender = server.connect().await;
                sender.ready().await.expect("ready");
                let response = sender
                    .send_request(server.request(
                        Method::GET,
                        &format!("{PODS}?watch=true&resourceVersion={rv}"),
                        Bytes::new(),
                    ))
                    .await
                    .expect("watch");
                let mut body = response.into_body();
                barrier.wait().await;
                loop {
                    let frame = body.frame().await.expect("frame").expect("frame ok");
                    if let Ok(data) = frame.into_data()
                        && data
                            .windows(7)
                            .any(|w| w == b"ADDED\"," || w == b"\"ADDED\"")
                    {
                        return Instant::now();
                    }
                }
            }));
        }
        barrier.wait().await;
        println!("  RSS with 1,000 watchers open: {} KiB", rss_kib(pid));
        let t = Instant::now();
        let (status, _) = call(
            &mut sender,
            server.request(Method::POST, PODS, pod("watched")),
        )
        .await;
        assert_eq!(status, 201);
        let mut delays = Vec::new();
        for w in watchers {
            delays.push(w.await.expect("watcher").duration_since(t));
        }
        delays.sort();
        println!(
            "  one change to 1,000 watchers: p50 {}, p99 {}, all within {}",
            ms(percentile(&delays, 0.5)),
            ms(percentile(&delays, 0.99)),
            ms(*delays.last().expect("delays"))
        );
    });
}
