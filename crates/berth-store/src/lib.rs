//! Berth's datastore: every object the cluster knows is persisted through one [`Store`].
//!
//! The model is etcd's, because the API server's `resourceVersion`, optimistic concurrency and
//! watch semantics are etcd's:
//!
//! - one global [`Revision`] that only grows; every successful write takes the next one;
//! - each key carries `create_revision`, `mod_revision` and `version` ([`KeyValue`]);
//! - writes are conditional: create-if-absent, update-if-`mod_revision`-matches, guarded delete;
//! - a watch replays every change from a past revision in revision order, with the previous
//!   value, then follows live changes;
//! - history older than the compacted revision is gone, and asking for it is the distinct
//!   [`StoreError::Compacted`] error (the API server's 410 Gone).
//!
//! Two backends implement it: [`sqlite`] (embedded, the default; a kine-like revision log) and
//! [`etcd`] (several servers). One conformance suite (`tests/conformance.rs`) runs unchanged
//! against both. [`open`] turns a [`DatastoreConfig`] into a running store with automatic
//! compaction ([`compactor`]).

pub mod compactor;
pub mod config;
pub(crate) mod error;
pub mod etcd;
mod key;
mod open;
mod revision;
pub mod sqlite;
mod store;
mod watch;

pub use config::{DatastoreConfig, DatastoreConfigError};
pub use error::StoreError;
pub use key::{prefix_end, validate_key};
pub use open::open;
pub use revision::Revision;
pub use store::{
    DeleteResponse, EventKind, KeyValue, RangeRequest, RangeResponse, Store, WatchEvent,
};
pub use watch::WatchStream;
