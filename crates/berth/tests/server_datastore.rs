//! End-to-end: the real `berth server` binary opens its datastore, serves the API, writes its
//! kubeconfig (mode 0600), stops cleanly on SIGTERM, and refuses a damaged datastore with a
//! message naming the file.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `berth server` with everything it writes inside `data_dir` and a free loopback port,
/// without its node agent (these tests are about the datastore; an agent would route the
/// default Service CIDR on this machine).
fn berth(data_dir: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .arg("server")
        .arg("--disable-agent")
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &free_port().to_string(),
        ])
        .arg("--write-kubeconfig")
        .arg(data_dir.join("kubeconfig"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start berth")
}

/// Stderr lines as they come, through a channel (so waits can have a deadline).
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    let deadline = std::time::Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line containing {needle:?} within {DEADLINE:?}; saw {seen:#?}"),
        }
    }
}

fn all_output(lines: mpsc::Receiver<String>) -> String {
    lines.into_iter().collect::<Vec<_>>().join("\n")
}

#[test]
fn server_opens_the_datastore_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = berth(dir.path(), &[]);
    let lines = stderr_lines(&mut child);
    let ready = wait_for_line(&lines, "datastore ready");
    assert!(ready.contains("sqlite"), "{ready}");
    assert!(dir.path().join("server/db/state.db").exists());
    wait_for_line(&lines, "API server ready");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(dir.path().join("kubeconfig"))
            .expect("kubeconfig")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let exit = child.wait().expect("wait for berth");
    assert!(exit.success(), "berth exited with {exit}");
    wait_for_line(&lines, "shutting down");

    // Started again, it resumes the same datastore (and its lock was released).
    let mut again = berth(dir.path(), &[]);
    let lines = stderr_lines(&mut again);
    wait_for_line(&lines, "API server ready");
    again.kill().expect("stop berth");
    again.wait().expect("reap berth");
}

#[test]
fn a_corrupt_datastore_is_refused_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("server/db/state.db");
    std::fs::create_dir_all(db.parent().expect("parent")).expect("mkdir");
    std::fs::write(&db, vec![0x5a; 8192]).expect("write garbage");
    let mut child = berth(dir.path(), &[]);
    let lines = stderr_lines(&mut child);
    let exit = child.wait().expect("wait for berth");
    assert!(!exit.success());
    let output = all_output(lines);
    assert!(
        output.contains("berth: error: opening the datastore"),
        "{output}"
    );
    assert!(output.contains(&db.display().to_string()), "{output}");
    assert!(output.contains("corrupt"), "{output}");
    assert_eq!(std::fs::read(&db).expect("read"), vec![0x5a; 8192]);
}

#[test]
fn a_bad_datastore_endpoint_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = berth(dir.path(), &["--datastore-endpoint", "mysql://db:3306"]);
    let lines = stderr_lines(&mut child);
    let exit = child.wait().expect("wait for berth");
    assert!(!exit.success());
    let output = all_output(lines);
    assert!(output.contains("mysql://db:3306"), "{output}");
}
