//! The embedded SQLite backend: a kine-like, append-only revision log.
//!
//! Every write appends one row to `kv` whose `id` is the write's revision; a row holds the key,
//! its value, its `create_revision`, `version`, whether it deletes the key, and the revision of
//! the key's previous row (`prev_revision`), which gives watches their previous value without a
//! second lookup. The current value of a key is its row with the highest id.
//!
//! Invariants:
//! - Exactly one writer: a dedicated thread ([`writer`]) owns the only connection that writes.
//!   Concurrent callers' writes are applied in arrival order and committed together (group
//!   commit), each batch in one transaction with `synchronous=FULL`: a write is acknowledged only
//!   after its batch's commit is durable, and a failed batch acknowledges nothing.
//! - Revisions never repeat: the counter is `sqlite_sequence` (AUTOINCREMENT), which survives
//!   compaction of the newest rows and restarts.
//! - A process-wide lock file (`<db>.lock`) keeps a second process from writing the same file.
//! - The file is never re-initialised: a database that is not ours or is damaged is an error
//!   naming the file ([`schema`]).
//! - Watches that keep up read new events from the [`tail`] the writer keeps in memory; the
//!   log is read for history and by watches that fell behind the tail's window.
//! - Compaction ([`writer`]) removes a row only once a newer row of its key exists before the
//!   compacted revision (or it is such a tombstone), so the state at the compacted revision and
//!   every later event stay readable.

mod reader;
mod schema;
mod tail;
mod watcher;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{oneshot, watch};

use crate::key::validate_key;
use crate::{
    DeleteResponse, KeyValue, RangeRequest, RangeResponse, Revision, Store, StoreError, WatchStream,
};
use reader::ReaderPool;
use writer::{WriteOp, WriteOutcome, WriterHandle};

/// The embedded SQLite store. Dropping it finishes pending writes, stops the writer thread and
/// releases the lock file; open watches then end.
pub struct SqliteStore {
    path: PathBuf,
    readers: Arc<ReaderPool>,
    committed: watch::Receiver<Revision>,
    tail: Arc<tail::Tail>,
    writer: WriterHandle,
}

impl SqliteStore {
    /// Opens (creating if absent) the database at `path`. Fails without touching the file when
    /// it is damaged, not a Berth database, or in use by another process.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || schema::open_for_writing(&path))
                .await
                .map_err(|_| StoreError::Closed)??
        };
        let (committed_tx, committed) = watch::channel(opened.revision);
        let readers = Arc::new(ReaderPool::new(path.clone()));
        let tail = Arc::new(tail::Tail::new(opened.revision));
        let writer = WriterHandle::spawn(opened, committed_tx, tail.clone())?;
        Ok(SqliteStore {
            path,
            readers,
            committed,
            tail,
            writer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn write(&self, op: WriteOp) -> Result<WriteOutcome, StoreError> {
        let (reply, outcome) = oneshot::channel();
        self.writer
            .submit(writer::Request::Write { op, reply })
            .await?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        validate_key(key)?;
        let key = key.to_string();
        self.readers
            .run(move |conn, path| reader::get(conn, path, &key))
            .await
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse, StoreError> {
        self.readers
            .run(move |conn, path| reader::range(conn, path, &request))
            .await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let op = WriteOp::Create {
            key: key.to_string(),
            value,
        };
        self.write(op).await?.into_put()
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let op = WriteOp::Update {
            key: key.to_string(),
            value,
            expected,
        };
        self.write(op).await?.into_put()
    }

    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> Result<DeleteResponse, StoreError> {
        validate_key(key)?;
        let op = WriteOp::Delete {
            key: key.to_string(),
            expected,
        };
        self.write(op).await?.into_delete()
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        watcher::start(
            self.readers.clone(),
            self.tail.clone(),
            self.committed.clone(),
            prefix.to_string(),
            from,
        )
        .await
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        // Compaction proceeds in bounded chunks, each its own transaction in the writer thread,
        // so client writes interleave with a large compaction instead of waiting for all of it.
        let mut compacted_any = false;
        loop {
            let (reply, progress) = oneshot::channel();
            self.writer
                .submit(writer::Request::CompactChunk {
                    target: revision,
                    reply,
                })
                .await?;
            match progress.await.map_err(|_| StoreError::Closed)?? {
                writer::CompactProgress::Done => break,
                writer::CompactProgress::Partial => compacted_any = true,
            }
        }
        if compacted_any {
            let (reply, done) = oneshot::channel();
            self.writer
                .submit(writer::Request::Maintain { reply })
                .await?;
            done.await.map_err(|_| StoreError::Closed)??;
        }
        Ok(())
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        Ok(*self.committed.borrow())
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }

    /// Events served from the in-memory tail hold the written `Bytes` themselves.
    fn events_share_written_values(&self) -> bool {
        true
    }
}
