//! [`StoreError`]: everything a store operation can fail with.
//!
//! The first group are outcomes of the etcd model that callers act on (the API server maps them
//! to 409 Conflict, 404 Not Found and 410 Gone). The second group are faults; each names the
//! database file or the etcd endpoints so an operator can act on the message alone.

use std::path::PathBuf;

use crate::{KeyValue, Revision};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Create-if-absent found a live key.
    #[error("key {key:?} already exists (mod revision {})", current.mod_revision)]
    AlreadyExists { key: String, current: Box<KeyValue> },

    /// An update or delete named a key that does not exist.
    #[error("key {key:?} not found")]
    NotFound { key: String },

    /// A conditional write saw a different `mod_revision` than the caller expected. `current`
    /// is the key's value now (`None` when it has been deleted), so the caller can retry.
    #[error("key {key:?} was modified concurrently: expected mod revision {expected}, found {}",
        current.as_ref().map_or_else(|| "no key".to_string(), |kv| kv.mod_revision.to_string()))]
    Conflict {
        key: String,
        expected: Revision,
        current: Option<Box<KeyValue>>,
    },

    /// The requested revision is older than the compacted revision: its history is gone.
    #[error("revision {requested} has been compacted{}",
        compacted.map_or_else(String::new, |c| format!(" (oldest available revision is {c})")))]
    Compacted {
        requested: Revision,
        compacted: Option<Revision>,
    },

    /// The requested revision has not happened yet.
    #[error("revision {requested} is in the future (current revision is {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },

    #[error("invalid key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },

    /// The database file is not a Berth datastore or is damaged. Berth never re-initialises it.
    #[error(
        "datastore {path} is corrupt or not a Berth database: {detail}; it was left untouched (restore it from a backup or move it away)"
    )]
    Corrupt { path: PathBuf, detail: String },

    /// The disk holding the database is full; the write was not applied.
    #[error("datastore {path}: the disk is full; the write was not applied")]
    DiskFull { path: PathBuf },

    /// Another process holds the database open for writing.
    #[error("datastore {path} is in use by another process (lock file {lock})")]
    Locked { path: PathBuf, lock: PathBuf },

    #[error("datastore {path}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("datastore {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// etcd could not be reached (after retries, where the operation retries).
    #[error("etcd {endpoints} unavailable")]
    EtcdUnavailable {
        endpoints: String,
        #[source]
        source: etcd_client::Error,
    },

    /// etcd answered with an error that is not part of the model above.
    #[error("etcd {endpoints}")]
    Etcd {
        endpoints: String,
        #[source]
        source: etcd_client::Error,
    },

    /// etcd returned something the store cannot represent (a non-UTF-8 key, a missing header).
    #[error("etcd {endpoints} returned an unexpected response: {detail}")]
    EtcdProtocol { endpoints: String, detail: String },

    /// The store has been shut down.
    #[error("datastore is closed")]
    Closed,
}

impl StoreError {
    /// True for the outcomes of the etcd model (as opposed to faults).
    pub fn is_outcome(&self) -> bool {
        matches!(
            self,
            StoreError::AlreadyExists { .. }
                | StoreError::NotFound { .. }
                | StoreError::Conflict { .. }
                | StoreError::Compacted { .. }
                | StoreError::FutureRevision { .. }
                | StoreError::InvalidKey { .. }
        )
    }
}

/// `err` and its sources as one line, `outer: inner: innermost`, for log fields.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
