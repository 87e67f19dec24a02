//! Crash safety of the SQLite backend: a writer process is killed with SIGKILL in the middle of a
//! stream of writes; every write it had acknowledged must be there after reopening.
//!
//! The writer is this test binary itself, re-run with only the ignored `crash_child_writer` test
//! selected and the database path in the environment. It prints one `ACK` line per write the
//! store acknowledged (after the commit, so after the fsync).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use berth_store::Store;
use berth_store::sqlite::SqliteStore;
use bytes::Bytes;

const CHILD_ENV: &str = "BERTH_TEST_CRASH_CHILD_DB";
const WRITERS: usize = 8;
/// Acknowledged writes to wait for before the kill.
const KILL_AFTER: usize = 3000;

#[test]
#[ignore = "the child process of sigkill_loses_no_acknowledged_write; run by it, not alone"]
fn crash_child_writer() {
    let path = std::env::var(CHILD_ENV).expect("run by sigkill_loses_no_acknowledged_write");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).await.expect("open"));
        let stdout = Arc::new(std::sync::Mutex::new(std::io::stdout()));
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = store.clone();
            let stdout = stdout.clone();
            tasks.push(tokio::spawn(async move {
                // Each writer creates fresh keys and keeps updating one counter of its own.
                let counter = format!("/crash/counter-{w}");
                let mut rev = store
                    .create(&counter, Bytes::from("0"))
                    .await
                    .expect("create counter")
                    .mod_revision;
                for i in 1u64.. {
                    let key = format!("/crash/{w}/{i}");
                    let kv = store
                        .create(&key, Bytes::from(format!("value-{i}")))
                        .await
                        .expect("create");
                    let ack = format!("ACK {key} value-{i} {}\n", kv.mod_revision);
                    let updated = store
                        .update(&counter, Bytes::from(i.to_string()), rev)
                        .await
                        .expect("update counter");
                    rev = updated.mod_revision;
                    let ack2 = format!("ACK {counter} {i} {rev}\n");
                    let mut out = stdout.lock().expect("stdout");
                    out.write_all(ack.as_bytes()).expect("write");
                    out.write_all(ack2.as_bytes()).expect("write");
                    out.flush().expect("flush");
                }
            }));
        }
        for task in tasks {
            task.await.expect("writer");
        }
    });
}

#[test]
fn sigkill_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "crash_child_writer", "--ignored", "--nocapture"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();

    // key -> (value, revision) of its latest acknowledged write.
    let mut acked: HashMap<String, (String, i64)> = HashMap::new();
    let mut count = 0;
    let record = |line: &str, acked: &mut HashMap<String, (String, i64)>| {
        let mut parts = line.split(' ');
        if parts.next() != Some("ACK") {
            return false;
        }
        let (Some(key), Some(value), Some(rev)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("malformed line {line:?}")
        };
        acked.insert(key.into(), (value.into(), rev.parse().expect("revision")));
        true
    };
    for line in lines.by_ref() {
        let line = line.expect("read the writer's output");
        if record(&line, &mut acked) {
            count += 1;
            if count >= KILL_AFTER {
                break;
            }
        }
    }
    assert!(
        count >= KILL_AFTER,
        "the writer stopped early after {count} acks"
    );
    // SIGKILL mid-stream; lines already written are acknowledged writes too.
    child.kill().expect("kill the writer");
    for line in lines {
        let Ok(line) = line else { break };
        if record(&line, &mut acked) {
            count += 1;
        }
    }
    let status = child.wait().expect("reap the writer");
    assert!(!status.success(), "the writer must have been killed");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let store = SqliteStore::open(&path)
            .await
            .expect("reopen after the crash");
        let mut max_rev = 0;
        for (key, (value, rev)) in &acked {
            let kv = store
                .get(key)
                .await
                .expect("get")
                .unwrap_or_else(|| panic!("acknowledged key {key} is missing"));
            max_rev = max_rev.max(*rev);
            if key.contains("counter") {
                // A later write may have committed without its ack being printed.
                let stored: u64 = std::str::from_utf8(&kv.value)
                    .expect("utf-8")
                    .parse()
                    .expect("n");
                let acked: u64 = value.parse().expect("n");
                assert!(
                    stored >= acked,
                    "{key}: stored {stored} < acknowledged {acked}"
                );
                assert!(kv.mod_revision.get() >= *rev);
            } else {
                assert_eq!(kv.value, Bytes::from(value.clone()), "{key}");
                assert_eq!(kv.mod_revision.get(), *rev, "{key}");
            }
        }
        let next = store
            .create("/after-crash", Bytes::from("x"))
            .await
            .expect("write");
        assert!(next.mod_revision.get() > max_rev, "a revision was reused");
        println!("{count} acknowledged writes all present after SIGKILL");
    });
}
