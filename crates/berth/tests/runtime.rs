//! The container runtime with real runc and real shims (the static program `berth-agent` carries): a
//! container from the demo image runs, its output lands in a CRI-format log, its exit code is
//! recorded; SIGTERM reaches a running one; a missing command is a start error with runc's
//! message; removal leaves no runc container, mount or cgroup. Needs root, runc and
//! busybox-static (scripts/install-packages).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use berth_agent::image::ImageStore;
use berth_agent::runtime::{ContainerSpec, Resources, Runtime, RuntimeError, SharedNamespaces};

fn import_demo(data_dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(data_dir).expect("data dir");
    support::import_demo_image(data_dir, &data_dir.join("demo.tar"));
    let store = ImageStore::open(&berth_agent::image::store_root(data_dir)).expect("store");
    let image = store
        .resolve("berth.local/demo/busybox:1")
        .expect("resolve")
        .expect("imported");
    store.unpack(&image).expect("unpack").layers
}

fn spec(id: &str, script: &str) -> ContainerSpec {
    ContainerSpec {
        id: id.to_string(),
        args: vec!["sh".into(), "-c".into(), script.into()],
        env: vec!["PATH=/bin".into(), "GREETING=hello".into()],
        cwd: "/".into(),
        uid: 0,
        gid: 0,
        additional_gids: vec![],
        hostname: "runtime-test".into(),
        privileged: false,
        readonly_rootfs: false,
        add_capabilities: vec![],
        drop_capabilities: vec![],
        mounts: vec![],
        namespaces: SharedNamespaces::default(),
        cgroup_path: format!("/{id}"),
        resources: Resources {
            memory_limit: Some(64 << 20),
            pids_limit: Some(100),
            ..Resources::default()
        },
        no_new_privileges: false,
        stdin: false,
        tty: false,
    }
}

fn runc_ids(data_dir: &Path) -> String {
    let out = Command::new("runc")
        .arg("--root")
        .arg(data_dir.join("agent/runc"))
        .args(["list", "-q"])
        .output()
        .expect("runc list");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn mounts_under(dir: &Path) -> Vec<String> {
    let table = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let dir = dir.to_string_lossy();
    table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|m| m.starts_with(dir.as_ref()))
        .map(str::to_string)
        .collect()
}

/// Removes every container even when an assertion failed.
struct Cleanup {
    runtime: Runtime,
    ids: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let runtime = self.runtime.clone();
        let ids = self.ids.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                for id in ids {
                    let _ = runtime.remove(&id).await;
                }
            });
        })
        .join();
    }
}

#[tokio::test]
async fn containers_run_log_exit_stop_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let layers = import_demo(&data_dir);
    let runtime = Runtime::new(&data_dir).expect("runtime");
    let unique = format!("berth-rt-{}", std::process::id());
    let ids: Vec<String> = ["exit", "term", "missing"]
        .iter()
        .map(|n| format!("{unique}-{n}"))
        .collect();
    let _cleanup = Cleanup {
        runtime: runtime.clone(),
        ids: ids.clone(),
    };
    let logs = dir.path().join("logs");

    // Output to the log, stdout and stderr apart; the exit code recorded.
    let log = logs.join("exit.log");
    let started = runtime
        .start(
            &spec(
                &ids[0],
                "echo $GREETING from $(hostname); echo oops >&2; exit 3",
            ),
            &layers,
            &log,
        )
        .await
        .expect("start");
    assert!(started.pid.is_some(), "{started:?}");
    let ended = runtime.wait(&ids[0]).await.expect("wait");
    assert_eq!(ended.exit_code, Some(3), "{ended:?}");
    assert_eq!(ended.reason.as_deref(), Some("Error"));
    assert!(ended.finished_at >= ended.started_at);
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with(" stdout F hello from runtime-test")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(" stderr F oops")),
        "{text}"
    );
    for line in &lines {
        let time = line.split(' ').next().unwrap_or_default();
        assert!(
            time.parse::<jiff::Timestamp>().is_ok(),
            "bad time in {line}"
        );
    }

    // A running container gets SIGTERM and exits its own way.
    let log = logs.join("term.log");
    runtime
        .start(
            &spec(
                &ids[1],
                "trap 'echo stopping; exit 0' TERM; echo ready; while true; do sleep 0.1; done",
            ),
            &layers,
            &log,
        )
        .await
        .expect("start");
    let state = runtime.state(&ids[1]).expect("state").expect("recorded");
    assert!(state.running(), "{state:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("ready")
    {
        assert!(std::time::Instant::now() < deadline, "no output");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(runc_ids(&data_dir).contains(&ids[1]));
    runtime.kill(&ids[1], "TERM").await.expect("kill");
    let ended = runtime.wait(&ids[1]).await.expect("wait");
    assert_eq!(ended.exit_code, Some(0), "{ended:?}");
    assert!(
        std::fs::read_to_string(&log)
            .expect("log")
            .contains("stdout F stopping"),
        "no shutdown output"
    );

    // A command that does not exist.
    let mut missing = spec(&ids[2], "");
    missing.args = vec!["/no/such/command".into()];
    match runtime
        .start(&missing, &layers, &logs.join("missing.log"))
        .await
    {
        Err(RuntimeError::Start { reason, message }) => {
            assert!(reason.ends_with("Error"), "{reason}");
            assert!(message.contains("/no/such/command"), "{message}");
        }
        other => panic!("a missing command started: {other:?}"),
    }

    // Removal leaves nothing: no runc container, no mount, no bundle, no cgroup.
    for id in &ids {
        runtime.remove(id).await.expect("remove");
        runtime.remove(id).await.expect("remove twice");
    }
    assert_eq!(runc_ids(&data_dir), "");
    assert_eq!(mounts_under(&data_dir), Vec::<String>::new());
    assert!(runtime.list().expect("list").is_empty());
    for id in &ids {
        for controller in ["memory", "pids", "cpu"] {
            let cgroup = Path::new("/sys/fs/cgroup").join(controller).join(id);
            assert!(!cgroup.exists(), "{} left behind", cgroup.display());
        }
    }
}
