//! The [`Store`] trait and the values it exchanges.
//!
//! Invariants every backend upholds (checked by `tests/conformance.rs`):
//! - a successful write returns a revision greater than every revision returned before it;
//! - `version` counts writes since the key's creation (1 on create), and resets when the key is
//!   deleted and created again; `create_revision` is the revision of that creation;
//! - a failed conditional write changes nothing and consumes no revision;
//! - a watch delivers every change to its prefix from its start revision, in revision order,
//!   each exactly once, with the previous value when it still exists.

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Revision, StoreError, WatchStream};

/// One key's value and bookkeeping, as etcd's `mvccpb.KeyValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// The revision that created the key (0 in a delete event).
    pub create_revision: Revision,
    /// The revision of the last write to the key (the delete's revision in a delete event).
    pub mod_revision: Revision,
    /// Writes since creation: 1 after create (0 in a delete event).
    pub version: i64,
}

/// A read of many keys under one prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeRequest {
    /// Every key starting with this prefix is in the range.
    pub prefix: String,
    /// Continue after this key (exclusive): the last key of the previous page.
    pub start_after: Option<String>,
    /// At most this many keys; `None` means all.
    pub limit: Option<usize>,
    /// Read the state as of this revision; `None` means the current revision.
    pub revision: Option<Revision>,
    /// Also count the keys from the start key on, beyond `limit` (see
    /// [`RangeResponse::count`]): a scan of the rest of the range for some backends.
    pub count: bool,
}

impl RangeRequest {
    /// Every key under `prefix`, now.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        RangeRequest {
            prefix: prefix.into(),
            ..RangeRequest::default()
        }
    }

    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn at_revision(mut self, revision: Revision) -> Self {
        self.revision = Some(revision);
        self
    }

    pub fn after_key(mut self, key: impl Into<String>) -> Self {
        self.start_after = Some(key.into());
        self
    }

    pub fn with_count(mut self) -> Self {
        self.count = true;
        self
    }
}

/// A page of a range read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeResponse {
    /// The keys in order, at most `limit` of them.
    pub kvs: Vec<KeyValue>,
    /// True when keys beyond the last one returned remain in the range.
    pub more: bool,
    /// Keys in the range from the start key on, ignoring `limit` (etcd's `count`): always
    /// given when the page is the whole rest of the range (no `more`) or the request asked
    /// for it; a backend that knows it anyway (etcd) may give it unasked.
    pub count: Option<u64>,
    /// The revision the read observed: the requested one, or the current one.
    pub revision: Revision,
}

/// The result of a successful delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteResponse {
    /// The revision of the delete.
    pub revision: Revision,
    /// The value the key held just before.
    pub prev: KeyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The key came into existence (`version == 1`).
    Created,
    /// An existing key got a new value.
    Updated,
    /// The key was deleted.
    Deleted,
}

/// One change, as delivered by a watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: EventKind,
    /// The key's state after the change. For `Deleted`: the key, the delete's revision as
    /// `mod_revision`, an empty value and zero `create_revision` and `version` (as etcd).
    pub kv: KeyValue,
    /// The key's state before the change: `None` for `Created`, and when the previous value was
    /// already compacted away.
    pub prev: Option<KeyValue>,
}

impl WatchEvent {
    /// The revision at which the change happened.
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// A datastore with etcd semantics. Backends: [`crate::sqlite::SqliteStore`] and
/// [`crate::etcd::EtcdStore`].
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The key's current value, or `None`.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError>;

    /// Keys under a prefix, in key order, optionally paged and at a past revision. A past
    /// revision older than the compacted one fails with [`StoreError::Compacted`].
    async fn range(&self, request: RangeRequest) -> Result<RangeResponse, StoreError>;

    /// Writes `value` under `key` if the key does not exist; [`StoreError::AlreadyExists`]
    /// otherwise.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError>;

    /// Replaces the value of `key` if its `mod_revision` is still `expected`;
    /// [`StoreError::Conflict`] (with the current value) or [`StoreError::NotFound`] otherwise.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError>;

    /// Deletes `key`, if given only when its `mod_revision` is still `expected`.
    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> Result<DeleteResponse, StoreError>;

    /// Every change under `prefix` with a revision of at least `from`, then live changes;
    /// `from` = [`Revision::ZERO`] means only changes after the current revision (as in etcd).
    /// `from` older than the compacted revision fails with [`StoreError::Compacted`] here, or
    /// (when compaction overtakes a slow watcher) as the stream's last item.
    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError>;

    /// Discards the history before `revision`: afterwards the state at `revision` and later can
    /// still be read and watched, older revisions fail with [`StoreError::Compacted`].
    /// Compacting to an already compacted revision does nothing.
    async fn compact(&self, revision: Revision) -> Result<(), StoreError>;

    /// The revision of the latest write.
    async fn current_revision(&self) -> Result<Revision, StoreError>;

    /// What this store is, for logs and messages: `sqlite /var/lib/berth/...` or `etcd http://...`.
    fn describe(&self) -> String;

    /// Whether a watch event of a write made through this store usually carries the very
    /// `Bytes` the writer passed in (the same allocation, not a copy), so that the writer can
    /// recognise its own write in a watch by pointer. An embedded store can; a remote store's
    /// events are always fresh copies.
    fn events_share_written_values(&self) -> bool {
        false
    }
}
