//! Faults on the SQLite backend: damaged or foreign files, a second process, a full disk. Each
//! must give an error naming the file, never a panic, never a silent re-initialisation, never a
//! half-applied write.

use std::path::Path;
use std::process::Command;

use berth_store::sqlite::SqliteStore;
use berth_store::{Store, StoreError};
use bytes::Bytes;

fn open_error(result: Result<SqliteStore, StoreError>) -> StoreError {
    match result {
        Ok(_) => panic!("opening must fail"),
        Err(err) => err,
    }
}

fn wal_exists(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_os_string();
    wal.push("-wal");
    Path::new(&wal).exists()
}

#[tokio::test]
async fn garbage_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    // Deterministic noise, 64 KiB.
    let mut x: u32 = 0x1234_5678;
    let garbage: Vec<u8> = (0..65536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&path, &garbage).expect("write garbage");

    let err = open_error(SqliteStore::open(&path).await);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert_eq!(
        std::fs::read(&path).expect("read"),
        garbage,
        "the file was modified"
    );
    assert!(!wal_exists(&path));
}

#[tokio::test]
async fn foreign_sqlite_database_is_not_reinitialised() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    {
        let conn = rusqlite::Connection::open(&path).expect("create");
        conn.execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada');")
            .expect("schema");
    }
    let before = std::fs::read(&path).expect("read");
    let err = open_error(SqliteStore::open(&path).await);
    assert!(err.to_string().contains("another application"), "{err}");
    assert_eq!(std::fs::read(&path).expect("read"), before);
}

#[tokio::test]
async fn damaged_pages_are_detected_at_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    {
        let store = SqliteStore::open(&path).await.expect("open");
        for i in 0..2000 {
            store
                .create(&format!("/registry/k/{i:05}"), Bytes::from(vec![b'v'; 100]))
                .await
                .expect("create");
        }
    }
    // Closing the last connection checkpoints the WAL into the file; now damage the middle.
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() > 64 * 1024, "expected a multi-page database");
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 8192] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("damage");

    let err = open_error(SqliteStore::open(&path).await);
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        bytes,
        "the file was modified"
    );
}

#[tokio::test]
async fn a_second_writer_is_locked_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.db");
    let first = SqliteStore::open(&path).await.expect("open");
    let err = open_error(SqliteStore::open(&path).await);
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("state.db.lock"), "{err}");
    drop(first);
    SqliteStore::open(&path)
        .await
        .expect("open after the first closed");
}

#[tokio::test]
async fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = open_error(SqliteStore::open(dir.path()).await);
    assert!(
        err.to_string().contains(&dir.path().display().to_string()),
        "{err}"
    );
}

/// A tmpfs of a fixed size, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(bytes: u64) -> SmallDisk {
        let dir = tempfile::tempdir().expect("tempdir");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("berth-test-full-disk")
            .arg(dir.path())
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (CI runs as root)"
        );
        SmallDisk { dir }
    }

    fn resize(&self, bytes: u64) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={bytes}")])
            .arg(self.dir.path())
            .status()
            .expect("run mount");
        assert!(status.success(), "remount failed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_rejects_writes_and_keeps_acknowledged_ones() {
    let disk = SmallDisk::mount(1024 * 1024);
    let path = disk.dir.path().join("state.db");
    let store = SqliteStore::open(&path).await.expect("open");
    let value = Bytes::from(vec![b'd'; 4096]);
    let mut acked = Vec::new();
    let failure = loop {
        let key = format!("/registry/full/{:05}", acked.len());
        match store.create(&key, value.clone()).await {
            Ok(kv) => acked.push(kv),
            Err(err) => break (key, err),
        }
        assert!(acked.len() < 10_000, "the disk never filled up");
    };
    let (failed_key, err) = failure;
    assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().contains("disk is full"), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(!acked.is_empty());

    // Reads keep working, and the failed write is not half there.
    assert_eq!(
        store.get(&acked[0].key).await.expect("read"),
        Some(acked[0].clone())
    );
    assert_eq!(store.get(&failed_key).await.expect("read"), None);
    let revision = store.current_revision().await.expect("revision");
    assert_eq!(
        revision,
        acked.last().map(|kv| kv.mod_revision).expect("acked")
    );

    // Once space is freed, the same store writes again, with the next revision.
    disk.resize(8 * 1024 * 1024);
    let next = store
        .create(&failed_key, value.clone())
        .await
        .expect("write after space freed");
    assert_eq!(next.mod_revision, revision.next());
    drop(store);

    let store = SqliteStore::open(&path).await.expect("reopen");
    for kv in &acked {
        assert_eq!(store.get(&kv.key).await.expect("read").as_ref(), Some(kv));
    }
    assert_eq!(store.get(&failed_key).await.expect("read"), Some(next));
}
