//! Opening the database file: the lock file, pragmas, schema creation and checks, and how
//! SQLite's errors become [`StoreError`]s that name the file.
//!
//! Invariant: nothing is written to a file until it is known to be empty or ours. A file with
//! another `application_id`, foreign tables, a newer schema or failing `quick_check` is reported
//! as [`StoreError::Corrupt`] and left exactly as it was.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::{Revision, StoreError};

/// `PRAGMA application_id` of a Berth datastore: "BRTH".
const APPLICATION_ID: i64 = 0x4252_5448;
const SCHEMA_VERSION: i64 = 1;

/// Once the write-ahead log is reset after a checkpoint, it is truncated to this size, so a
/// burst of writes cannot leave a huge WAL file behind.
const JOURNAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

const SCHEMA: &str = "
CREATE TABLE kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name BLOB NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    version INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX kv_name_id ON kv (name, id);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('schema_version', 1), ('compact_revision', 0);
";

/// The writer's connection and the state it starts from.
pub(super) struct Opened {
    pub conn: Connection,
    pub path: PathBuf,
    /// Held (locked) for as long as the writer runs.
    pub lock: File,
    pub revision: Revision,
    pub compact_revision: Revision,
}

/// Maps an SQLite error to a [`StoreError`] naming the database file.
pub(super) fn sqlite_error(path: &Path, err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::DiskFull {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: err.to_string(),
        },
        _ => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: err,
        },
    }
}

/// A copy of `err` for the second and later callers of a failed batch (rusqlite errors are not
/// `Clone`).
pub(super) fn copy_error(path: &Path, err: &StoreError) -> StoreError {
    match err {
        StoreError::DiskFull { path } => StoreError::DiskFull { path: path.clone() },
        StoreError::Corrupt { path, detail } => StoreError::Corrupt {
            path: path.clone(),
            detail: detail.clone(),
        },
        StoreError::Sqlite {
            source: rusqlite::Error::SqliteFailure(code, message),
            ..
        } => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: rusqlite::Error::SqliteFailure(*code, message.clone()),
        },
        other => StoreError::Sqlite {
            path: path.to_path_buf(),
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(other.to_string()),
            ),
        },
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn take_lock(path: &Path) -> Result<File, StoreError> {
    let lock = lock_path(path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| StoreError::Io {
            path: lock.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked {
            path: path.to_path_buf(),
            lock,
        }),
        Err(TryLockError::Error(source)) => Err(StoreError::Io { path: lock, source }),
    }
}

/// Settings every connection needs.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: in WAL mode the log is synced at every commit, so an acknowledged write survives
    // power loss, not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Opens the file for the single writer: lock, check or create the schema, read the counters.
pub(super) fn open_for_writing(path: &Path) -> Result<Opened, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    if path.is_dir() {
        return Err(StoreError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("is a directory, expected a database file"),
        });
    }
    let lock = take_lock(path)?;
    let err = |e| sqlite_error(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(err)?;

    // Read before writing anything: a file that is not SQLite fails here, untouched.
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(err)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    if app_id == 0 && tables == 0 {
        // A new, empty database. auto_vacuum must be chosen before the first table exists.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        configure(&conn).map_err(err)?;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {SCHEMA} PRAGMA application_id = {APPLICATION_ID}; COMMIT;"
        ))
        .map_err(err)?;
    } else if app_id != APPLICATION_ID {
        return Err(corrupt(format!(
            "it is an SQLite database of another application (application_id {app_id:#x}, {tables} schema objects)"
        )));
    } else {
        let check: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(err)?;
        if check != "ok" {
            return Err(corrupt(format!("integrity check failed: {check}")));
        }
        let version: i64 = conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| corrupt(format!("cannot read the schema version: {e}")))?;
        if version != SCHEMA_VERSION {
            return Err(corrupt(format!(
                "schema version {version} is not the one this Berth understands ({SCHEMA_VERSION})"
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        configure(&conn).map_err(err)?;
    }
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
        .map_err(err)?;

    let revision: i64 = conn
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0)",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let compact_revision: i64 = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'compact_revision'",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    Ok(Opened {
        conn,
        path: path.to_path_buf(),
        lock,
        revision: Revision::new(revision),
        compact_revision: Revision::new(compact_revision),
    })
}

/// Opens a connection for reading. It may not write (`query_only`).
pub(super) fn open_for_reading(path: &Path) -> Result<Connection, StoreError> {
    let err = |e| sqlite_error(path, e);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    configure(&conn).map_err(err)?;
    conn.pragma_update(None, "query_only", true).map_err(err)?;
    Ok(conn)
}
