//! Bounded growth of the SQLite backend: 200,000 updates to 100 keys with a short compaction
//! window must leave the database file and its write-ahead log small, however long the history.
//! (Without compaction the history alone would be about 60 MB.)

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use berth_store::DatastoreConfig;
use berth_store::compactor::CompactionPolicy;
use berth_store::config::Backend;
use bytes::Bytes;

const KEYS: usize = 100;
const UPDATES: usize = 200_000;
const WRITERS: usize = 50;
const VALUE_BYTES: usize = 200;
/// The stated bound for each of the database file and the WAL, at any point of the run.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn wal(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    name.into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_keeps_database_and_wal_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    let config = DatastoreConfig {
        backend: Backend::Sqlite { path: path.clone() },
        compaction: Some(CompactionPolicy {
            window: Duration::from_millis(200),
            interval: Duration::from_millis(50),
        }),
    };
    let store = berth_store::open(&config).await.expect("open");
    let value = Bytes::from(vec![b'x'; VALUE_BYTES]);
    let done = Arc::new(AtomicU64::new(0));
    let max_db = Arc::new(AtomicU64::new(0));
    let max_wal = Arc::new(AtomicU64::new(0));

    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (store, value, done) = (store.clone(), value.clone(), done.clone());
        let (max_db, max_wal, path) = (max_db.clone(), max_wal.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            // Each writer owns KEYS / WRITERS keys, so its updates never conflict.
            let keys: Vec<String> = (0..KEYS / WRITERS)
                .map(|k| format!("/registry/grow/{w}-{k}"))
                .collect();
            let mut revisions = Vec::new();
            for key in &keys {
                revisions.push(
                    store
                        .create(key, value.clone())
                        .await
                        .expect("create")
                        .mod_revision,
                );
            }
            for i in 0..UPDATES / WRITERS {
                let k = i % keys.len();
                let kv = store
                    .update(&keys[k], value.clone(), revisions[k])
                    .await
                    .expect("update");
                revisions[k] = kv.mod_revision;
                // Sample the file sizes every 5,000 writes across all writers.
                if done.fetch_add(1, Ordering::Relaxed) % 5000 == 0 {
                    max_db.fetch_max(size(&path), Ordering::Relaxed);
                    max_wal.fetch_max(size(&wal(&path)), Ordering::Relaxed);
                }
            }
        }));
    }
    let started = std::time::Instant::now();
    for task in tasks {
        task.await.expect("writer");
    }
    let elapsed = started.elapsed();

    // Every key still holds its latest value after all that compaction.
    let all = store
        .range(berth_store::RangeRequest::prefix("/registry/grow/"))
        .await
        .expect("range");
    assert_eq!(all.kvs.len(), KEYS);
    for kv in &all.kvs {
        assert_eq!(kv.version as usize, 1 + UPDATES / KEYS, "{}", kv.key);
    }
    let (db, wal_now) = (size(&path), size(&wal(&path)));
    max_db.fetch_max(db, Ordering::Relaxed);
    max_wal.fetch_max(wal_now, Ordering::Relaxed);
    let (max_db, max_wal) = (
        max_db.load(Ordering::Relaxed),
        max_wal.load(Ordering::Relaxed),
    );
    println!(
        "{UPDATES} updates in {elapsed:.1?} ({:.0}/s); database {db} B (max {max_db}), WAL {wal_now} B (max {max_wal})",
        UPDATES as f64 / elapsed.as_secs_f64()
    );
    assert!(max_db < MAX_FILE_BYTES, "database grew to {max_db} bytes");
    assert!(max_wal < MAX_FILE_BYTES, "WAL grew to {max_wal} bytes");
}
