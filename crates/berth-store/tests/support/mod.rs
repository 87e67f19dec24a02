//! Test support: the backends under test and helpers that wait with deadlines.
//!
//! The etcd backend needs a running etcd: `BERTH_TEST_ETCD_ENDPOINTS` (set by `scripts/test`,
//! which starts one on a loopback port). Each test gets its own key namespace, and etcd tests
//! run one at a time (a lock here, a nextest test group in `.config/nextest.toml`) because
//! compaction and the revision counter are global to an etcd cluster.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::sqlite::SqliteStore;
use berth_store::{Revision, Store, StoreError, WatchEvent, WatchStream};

/// How long any single wait in a test may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub const ETCD_ENV: &str = "BERTH_TEST_ETCD_ENDPOINTS";

/// A backend that can be opened, dropped and opened again on the same data.
pub enum Backend {
    Sqlite {
        dir: tempfile::TempDir,
    },
    Etcd {
        endpoints: Vec<String>,
        namespace: String,
        _serial: tokio::sync::MutexGuard<'static, ()>,
    },
}

static ETCD_SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn etcd_endpoints() -> Vec<String> {
    let endpoints = std::env::var(ETCD_ENV).unwrap_or_else(|_| {
        panic!(
            "{ETCD_ENV} is not set: the etcd tests need a running etcd. Run them through \
             `scripts/test`, which starts one, or set {ETCD_ENV}=http://127.0.0.1:PORT"
        )
    });
    endpoints.split(',').map(str::to_string).collect()
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{}-{}-{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Backend {
    pub async fn sqlite() -> Backend {
        Backend::Sqlite {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub async fn etcd() -> Backend {
        let serial = ETCD_SERIAL.lock().await;
        Backend::Etcd {
            endpoints: etcd_endpoints(),
            namespace: format!("/berth-test-{}", unique_name()),
            _serial: serial,
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        match self {
            Backend::Sqlite { dir } => dir.path().join("state.db"),
            Backend::Etcd { .. } => unreachable!("not an sqlite backend"),
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite { .. } => Arc::new(
                SqliteStore::open(self.sqlite_path())
                    .await
                    .expect("open the sqlite store"),
            ),
            Backend::Etcd {
                endpoints,
                namespace,
                ..
            } => {
                let mut config = EtcdConfig::new(endpoints.clone());
                config.namespace = namespace.clone();
                config.startup_timeout = Duration::from_secs(10);
                Arc::new(EtcdStore::open(config).await.expect("open the etcd store"))
            }
        }
    }
}

/// The next event, failing the test if none arrives before the deadline.
pub async fn next_event(stream: &mut WatchStream) -> WatchEvent {
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(err))) => panic!("watch failed: {err}"),
        Ok(None) => panic!("watch ended"),
        Err(_) => panic!("no watch event within {DEADLINE:?}"),
    }
}

/// Events until one at `last` or later has been seen.
pub async fn events_through(stream: &mut WatchStream, last: Revision) -> Vec<WatchEvent> {
    let mut events = Vec::new();
    while events
        .last()
        .is_none_or(|e: &WatchEvent| e.revision() < last)
    {
        events.push(next_event(stream).await);
    }
    events
}

/// The error a watch from a compacted revision reports: from `watch` itself, or as the first
/// item of the stream when compaction raced with its start.
pub async fn watch_error(store: &dyn Store, prefix: &str, from: Revision) -> StoreError {
    match store.watch(prefix, from).await {
        Err(err) => err,
        Ok(mut stream) => match tokio::time::timeout(DEADLINE, stream.next()).await {
            Ok(Some(Err(err))) => err,
            Ok(Some(Ok(event))) => panic!("expected an error, got {event:?}"),
            Ok(None) => panic!("expected an error, the watch ended"),
            Err(_) => panic!("expected an error within {DEADLINE:?}"),
        },
    }
}

/// A free loopback TCP port (bound once, then released for the caller to use).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free loopback port")
}

/// An etcd of this test's own, on loopback ports, killed and removed on drop.
pub struct PrivateEtcd {
    pub client_url: String,
    peer_url: String,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

impl PrivateEtcd {
    pub fn start() -> PrivateEtcd {
        let mut etcd = PrivateEtcd {
            client_url: format!("http://127.0.0.1:{}", free_port()),
            peer_url: format!("http://127.0.0.1:{}", free_port()),
            dir: tempfile::tempdir().expect("tempdir"),
            child: None,
        };
        etcd.spawn();
        etcd
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("etcd.log")).expect("log file");
        let child = std::process::Command::new("etcd")
            .arg("--name=berth-test")
            .arg(format!(
                "--data-dir={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("--listen-client-urls={}", self.client_url))
            .arg(format!("--advertise-client-urls={}", self.client_url))
            .arg(format!("--listen-peer-urls={}", self.peer_url))
            .arg(format!("--initial-advertise-peer-urls={}", self.peer_url))
            .arg(format!("--initial-cluster=berth-test={}", self.peer_url))
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start etcd (Debian package etcd-server)");
        self.child = Some(child);
    }

    /// SIGKILL, then start again on the same data and ports.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateEtcd {
    fn drop(&mut self) {
        self.kill();
    }
}
