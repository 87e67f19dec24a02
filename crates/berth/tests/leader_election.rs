//! End-to-end: two `berth server`s on one etcd (a private one this test starts on loopback)
//! elect one leader for the controllers and one for the scheduler through Leases in
//! kube-system, as kube-controller-manager and kube-scheduler do; when the leader is killed
//! the other takes over and keeps the cluster converging.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Cluster, free_port};

/// A private etcd on loopback ports, killed (by pid) on drop with its data dir.
struct Etcd {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Etcd {
    fn start() -> Etcd {
        let dir = tempfile::tempdir().expect("tempdir");
        let client = free_port();
        let peer = free_port();
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new("etcd")
            .arg("--name")
            .arg("berth-leader-test")
            .arg("--data-dir")
            .arg(dir.path().join("etcd"))
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args([
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
            ])
            .arg("--initial-cluster")
            .arg(format!("berth-leader-test={peer_url}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start etcd (package etcd-server)");
        let etcd = Etcd {
            child,
            url,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = Command::new("etcdctl")
                .env("ETCDCTL_API", "3")
                .args(["--endpoints", &etcd.url, "--command-timeout=2s"])
                .args(["endpoint", "health"])
                .output()
                .expect("run etcdctl");
            if health.status.success() {
                return etcd;
            }
            assert!(Instant::now() < deadline, "etcd did not become healthy");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The identities in the "became leader" log lines for `leases` (in any order), each
/// `(lease, identity)` in the order asked.
fn leader_identities(cluster: &Cluster, leases: &[&str]) -> Vec<String> {
    let mut found: Vec<Option<String>> = vec![None; leases.len()];
    while found.iter().any(Option::is_none) {
        let line = cluster.wait_for_log("became leader");
        for (lease, slot) in leases.iter().zip(found.iter_mut()) {
            if line.contains(&format!("lease={lease} ")) {
                *slot = line
                    .split_whitespace()
                    .find_map(|f| f.strip_prefix("identity="))
                    .map(|s| s.trim_matches('"').to_string());
                assert!(slot.is_some(), "no identity in {line}");
            }
        }
    }
    found.into_iter().flatten().collect()
}

fn holder(cluster: &Cluster, lease: &str) -> String {
    cluster.jsonpath(
        &["lease", "-n", "kube-system", lease],
        "{.spec.holderIdentity}",
    )
}

fn available(cluster: &Cluster, replicas: usize) {
    cluster.wait_until_within(
        Duration::from_secs(90),
        &format!("{replicas} available replicas"),
        || {
            (cluster.jsonpath(&["deployment", "web"], "{.status.availableReplicas}")
                == replicas.to_string())
            .then_some(())
        },
    );
}

#[test]
fn one_server_leads_and_another_takes_over_when_it_dies() {
    let etcd = Etcd::start();
    let flags = ["--disable-agent", "--datastore-endpoint", etcd.url.as_str()];
    let mut first = Cluster::start_with(&flags);
    let [first_controllers, first_scheduler] = <[String; 2]>::try_from(leader_identities(
        &first,
        &["kube-controller-manager", "kube-scheduler"],
    ))
    .expect("two identities");
    let second = Cluster::start_with(&flags);
    second.wait_for_log("another instance leads");
    assert_eq!(
        holder(&second, "kube-controller-manager"),
        first_controllers
    );
    assert_eq!(holder(&second, "kube-scheduler"), first_scheduler);

    // Work submitted through the follower is done by the leader.
    let _nodes = second.simulate("lead", 2, "", "");
    second
        .kubectl(&[
            "create",
            "deployment",
            "web",
            "--image=registry.invalid/web:1",
            "--replicas=2",
        ])
        .ok();
    available(&second, 2);

    // The leader dies: the follower takes both Leases once they expire, and converges.
    first.kill();
    let [second_controllers, second_scheduler] = <[String; 2]>::try_from(leader_identities(
        &second,
        &["kube-controller-manager", "kube-scheduler"],
    ))
    .expect("two identities");
    assert_ne!(second_controllers, first_controllers);
    assert_eq!(
        holder(&second, "kube-controller-manager"),
        second_controllers
    );
    let transitions = second.jsonpath(
        &["lease", "-n", "kube-system", "kube-controller-manager"],
        "{.spec.leaseTransitions}",
    );
    assert_eq!(transitions, "1");
    assert_eq!(holder(&second, "kube-scheduler"), second_scheduler);
    second
        .kubectl(&["scale", "deployment", "web", "--replicas=3"])
        .ok();
    available(&second, 3);
}
