//! The writer thread: the only code that writes the database.
//!
//! Callers send [`Request`]s over a bounded channel. The thread takes the first waiting request
//! and every other one already queued (up to [`MAX_BATCH`]), applies the writes in arrival order
//! inside one `BEGIN IMMEDIATE` transaction, commits once (one fsync for the whole batch), then
//! answers every caller and publishes the new revision to watchers. While it commits, new
//! requests queue up and form the next batch: throughput grows with concurrency instead of
//! collapsing to one fsync per write.
//!
//! Invariants:
//! - `self.revision` is the revision of the last committed write; a batch that fails is rolled
//!   back entirely, every caller in it gets the error, and the counter is restored.
//! - A conditional write that fails (conflict, exists, not found) is an answer, not a failure:
//!   it writes nothing and does not disturb the rest of its batch.
//! - Compaction runs here too, in chunks of at most [`COMPACT_CHUNK`] revisions, so writes
//!   interleave with it.

use std::fs::File;
use std::path::PathBuf;
use std::thread::JoinHandle;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot, watch};

use super::schema::{Opened, copy_error, sqlite_error};
use super::tail::Tail;
use crate::{DeleteResponse, EventKind, KeyValue, Revision, StoreError, WatchEvent};

/// The most writes committed in one transaction.
const MAX_BATCH: usize = 1024;
/// Requests that may wait for the writer before callers wait to enqueue.
const QUEUE_DEPTH: usize = 4096;
/// Revisions examined per compaction transaction.
const COMPACT_CHUNK: i64 = 5000;

pub(super) enum WriteOp {
    Create {
        key: String,
        value: Bytes,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
    },
}

pub(super) enum WriteOutcome {
    Put(KeyValue),
    Deleted(DeleteResponse),
}

impl WriteOutcome {
    pub fn into_put(self) -> Result<KeyValue, StoreError> {
        match self {
            WriteOutcome::Put(kv) => Ok(kv),
            WriteOutcome::Deleted(_) => Err(StoreError::Closed),
        }
    }

    pub fn into_delete(self) -> Result<DeleteResponse, StoreError> {
        match self {
            WriteOutcome::Deleted(d) => Ok(d),
            WriteOutcome::Put(_) => Err(StoreError::Closed),
        }
    }
}

pub(super) enum CompactProgress {
    /// The compacted revision reached the target (or already had).
    Done,
    /// One chunk was compacted; ask again.
    Partial,
}

pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

pub(super) enum Request {
    Write {
        op: WriteOp,
        reply: Reply<WriteOutcome>,
    },
    CompactChunk {
        target: Revision,
        reply: Reply<CompactProgress>,
    },
    /// Checkpoint and truncate the WAL, and give free pages back to the file system.
    Maintain { reply: Reply<()> },
}

/// The callers' side: a channel to the thread, and the thread joined on drop.
pub(super) struct WriterHandle {
    tx: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
}

impl WriterHandle {
    pub fn spawn(
        opened: Opened,
        committed: watch::Sender<Revision>,
        tail: std::sync::Arc<Tail>,
    ) -> Result<WriterHandle, StoreError> {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let path = opened.path.clone();
        let writer = Writer {
            conn: opened.conn,
            path: opened.path,
            _lock: opened.lock,
            revision: opened.revision,
            compact_revision: opened.compact_revision,
            committed,
            tail,
        };
        let thread = std::thread::Builder::new()
            .name("berth-sqlite-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|source| StoreError::Io { path, source })?;
        Ok(WriterHandle {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub async fn submit(&self, request: Request) -> Result<(), StoreError> {
        match &self.tx {
            Some(tx) => tx.send(request).await.map_err(|_| StoreError::Closed),
            None => Err(StoreError::Closed),
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        // Closing the channel lets the thread finish the queued writes and exit; joining makes
        // sure the connection and the lock file are released before a reopen.
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sqlite writer thread panicked");
        }
    }
}

struct Writer {
    conn: Connection,
    path: PathBuf,
    _lock: File,
    revision: Revision,
    compact_revision: Revision,
    committed: watch::Sender<Revision>,
    tail: std::sync::Arc<Tail>,
}

/// The newest row of a key.
struct Latest {
    id: i64,
    deleted: bool,
    create_revision: i64,
    version: i64,
    value: Vec<u8>,
}

impl Latest {
    fn into_kv(self, key: &str) -> KeyValue {
        KeyValue {
            key: key.to_string(),
            value: Bytes::from(self.value),
            create_revision: Revision::new(self.create_revision),
            mod_revision: Revision::new(self.id),
            version: self.version,
        }
    }
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut writes = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.blocking_recv() {
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Write { op, reply } => writes.push((op, reply)),
                    Request::CompactChunk { target, reply } => {
                        self.commit_batch(&mut writes);
                        let _ = reply.send(self.compact_chunk(target));
                    }
                    Request::Maintain { reply } => {
                        self.commit_batch(&mut writes);
                        let _ = reply.send(self.maintain());
                    }
                }
                if writes.len() < MAX_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            self.commit_batch(&mut writes);
        }
    }

    fn commit_batch(&mut self, writes: &mut Vec<(WriteOp, Reply<WriteOutcome>)>) {
        if writes.is_empty() {
            return;
        }
        let before = self.revision;
        let (ops, replies): (Vec<_>, Vec<_>) = writes.drain(..).unzip();
        match self.apply_batch(ops) {
            Ok((outcomes, events)) => {
                // The tail first: a watch woken by the new revision finds its events there.
                self.tail.push(events, self.revision);
                self.committed.send_replace(self.revision);
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(err) => {
                self.revision = before;
                let err = sqlite_error(&self.path, err);
                tracing::error!(error = %crate::error::chain(&err), writes = replies.len(), "sqlite write batch failed");
                for reply in replies {
                    let _ = reply.send(Err(copy_error(&self.path, &err)));
                }
            }
        }
    }

    /// Applies the batch in one transaction, returning each write's answer and the events of
    /// the writes that happened. The outer error aborts the batch; inner errors are per-write
    /// answers.
    #[allow(clippy::type_complexity)]
    fn apply_batch(
        &mut self,
        ops: Vec<WriteOp>,
    ) -> rusqlite::Result<(Vec<Result<WriteOutcome, StoreError>>, Vec<WatchEvent>)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut revision = self.revision;
        let mut outcomes = Vec::with_capacity(ops.len());
        let mut events = Vec::with_capacity(ops.len());
        for op in ops {
            outcomes.push(apply(&tx, &mut revision, op, &mut events)?);
        }
        tx.commit()?;
        self.revision = revision;
        Ok((outcomes, events))
    }

    fn compact_chunk(&mut self, target: Revision) -> Result<CompactProgress, StoreError> {
        if target > self.revision {
            return Err(StoreError::FutureRevision {
                requested: target,
                current: self.revision,
            });
        }
        if target <= self.compact_revision {
            return Ok(CompactProgress::Done);
        }
        let lo = self.compact_revision.get();
        let hi = target.get().min(lo + COMPACT_CHUNK);
        let result = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Rows written in [lo, hi) supersede their key's previous row: that row is history
            // before `hi`. Tombstones in [lo, hi) are history too (their key is gone at `hi`).
            tx.execute(
                "DELETE FROM kv WHERE id IN \
                 (SELECT prev_revision FROM kv WHERE id >= ?1 AND id < ?2 AND prev_revision > 0)",
                params![lo, hi],
            )?;
            tx.execute(
                "DELETE FROM kv WHERE id >= ?1 AND id < ?2 AND deleted = 1",
                params![lo, hi],
            )?;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE name = 'compact_revision'",
                params![hi],
            )?;
            tx.commit()
        })();
        result.map_err(|e| sqlite_error(&self.path, e))?;
        self.compact_revision = Revision::new(hi);
        Ok(if hi >= target.get() {
            CompactProgress::Done
        } else {
            CompactProgress::Partial
        })
    }

    fn maintain(&mut self) -> Result<(), StoreError> {
        let result = (|| {
            let free: i64 = self
                .conn
                .pragma_query_value(None, "freelist_count", |r| r.get(0))?;
            let pages: i64 = self
                .conn
                .pragma_query_value(None, "page_count", |r| r.get(0))?;
            // Give space back only when a real share of the file is free: free pages are
            // reused by later writes anyway, and vacuuming rewrites pages.
            if free > 256 && free * 4 > pages {
                self.conn
                    .execute_batch(&format!("PRAGMA incremental_vacuum({free})"))?;
            }
            // TRUNCATE: copy the log into the database and cut the log file to zero bytes.
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        })();
        result.map_err(|e| sqlite_error(&self.path, e))
    }
}

/// A key's newest row. `CAST(?1 AS BLOB)`, not a bare `?1`: with `name = ?1` SQLite treats
/// `name` as a constant bound to the parameter when planning the `ORDER BY`, and so re-plans
/// the statement at every step with a new key — a quarter of the server's CPU under load.
pub(super) const LATEST_SQL: &str = "SELECT id, deleted, create_revision, version, value FROM kv \
     WHERE name = CAST(?1 AS BLOB) ORDER BY id DESC LIMIT 1";

fn latest(conn: &Connection, key: &str) -> rusqlite::Result<Option<Latest>> {
    conn.prepare_cached(LATEST_SQL)?
        .query_row(params![key.as_bytes()], |r| {
            Ok(Latest {
                id: r.get(0)?,
                deleted: r.get(1)?,
                create_revision: r.get(2)?,
                version: r.get(3)?,
                value: r.get(4)?,
            })
        })
        .optional()
}

struct Row<'a> {
    key: &'a str,
    deleted: bool,
    create_revision: i64,
    prev_revision: i64,
    version: i64,
    value: &'a [u8],
}

fn insert(conn: &Connection, revision: &mut Revision, row: Row<'_>) -> rusqlite::Result<Revision> {
    let id = revision.next();
    conn.prepare_cached(
        "INSERT INTO kv (id, name, deleted, create_revision, prev_revision, version, value) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        id.get(),
        row.key.as_bytes(),
        row.deleted,
        if row.create_revision == 0 {
            id.get()
        } else {
            row.create_revision
        },
        row.prev_revision,
        row.version,
        row.value,
    ])?;
    *revision = id;
    Ok(id)
}

/// Applies one write; a write that happens also appends its event (as the log query would
/// read it back) to `events`.
fn apply(
    conn: &Connection,
    revision: &mut Revision,
    op: WriteOp,
    events: &mut Vec<WatchEvent>,
) -> rusqlite::Result<Result<WriteOutcome, StoreError>> {
    match op {
        WriteOp::Create { key, value } => {
            if let Some(current) = latest(conn, &key)?.filter(|l| !l.deleted) {
                let current = Box::new(current.into_kv(&key));
                return Ok(Err(StoreError::AlreadyExists { key, current }));
            }
            let id = insert(
                conn,
                revision,
                Row {
                    key: &key,
                    deleted: false,
                    create_revision: 0,
                    prev_revision: 0,
                    version: 1,
                    value: &value,
                },
            )?;
            let kv = KeyValue {
                key,
                value,
                create_revision: id,
                mod_revision: id,
                version: 1,
            };
            events.push(WatchEvent {
                kind: EventKind::Created,
                kv: kv.clone(),
                prev: None,
            });
            Ok(Ok(WriteOutcome::Put(kv)))
        }
        WriteOp::Update {
            key,
            value,
            expected,
        } => {
            let Some(current) = latest(conn, &key)?.filter(|l| !l.deleted) else {
                return Ok(Err(StoreError::NotFound { key }));
            };
            if current.id != expected.get() {
                let current = Some(Box::new(current.into_kv(&key)));
                return Ok(Err(StoreError::Conflict {
                    key,
                    expected,
                    current,
                }));
            }
            let id = insert(
                conn,
                revision,
                Row {
                    key: &key,
                    deleted: false,
                    create_revision: current.create_revision,
                    prev_revision: current.id,
                    version: current.version + 1,
                    value: &value,
                },
            )?;
            let kv = KeyValue {
                key,
                value,
                create_revision: Revision::new(current.create_revision),
                mod_revision: id,
                version: current.version + 1,
            };
            events.push(WatchEvent {
                kind: EventKind::Updated,
                prev: Some(current.into_kv(&kv.key)),
                kv: kv.clone(),
            });
            Ok(Ok(WriteOutcome::Put(kv)))
        }
        WriteOp::Delete { key, expected } => {
            let Some(current) = latest(conn, &key)?.filter(|l| !l.deleted) else {
                return Ok(Err(StoreError::NotFound { key }));
            };
            if let Some(expected) = expected
                && current.id != expected.get()
            {
                let current = Some(Box::new(current.into_kv(&key)));
                return Ok(Err(StoreError::Conflict {
                    key,
                    expected,
                    current,
                }));
            }
            let id = insert(
                conn,
                revision,
                Row {
                    key: &key,
                    deleted: true,
                    create_revision: current.create_revision,
                    prev_revision: current.id,
                    version: 0,
                    value: &[],
                },
            )?;
            let prev = current.into_kv(&key);
            events.push(WatchEvent {
                kind: EventKind::Deleted,
                kv: KeyValue {
                    key,
                    value: Bytes::new(),
                    create_revision: Revision::ZERO,
                    mod_revision: id,
                    version: 0,
                },
                prev: Some(prev.clone()),
            });
            Ok(Ok(WriteOutcome::Deleted(DeleteResponse {
                revision: id,
                prev,
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{StatementStatus, params};

    /// The hot statements are planned once: binding new values must not make SQLite re-plan
    /// them (it does for some shapes of query, silently).
    #[test]
    fn hot_statements_are_not_replanned_per_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opened =
            super::super::schema::open_for_writing(&dir.path().join("state.db")).expect("open");
        let conn = opened.conn;
        for i in 0..50i64 {
            conn.execute(
                "INSERT INTO kv (id, name, deleted, create_revision, prev_revision, version, value) \
                 VALUES (?1, ?2, 0, ?1, 0, 1, x'00')",
                params![i + 1, format!("/registry/pods/default/p{i}").as_bytes()],
            )
            .expect("insert");
        }
        let key = |i: i64| format!("/registry/pods/default/p{i}").into_bytes();
        for i in 0..20 {
            let mut latest = conn.prepare_cached(super::LATEST_SQL).expect("latest");
            let _ = latest.query_row(params![key(i)], |_| Ok(()));
            let mut range = conn
                .prepare_cached(super::super::reader::RANGE_SQL)
                .expect("range");
            let _ = range
                .query(params![key(i), key(i + 5), b"".to_vec(), 40 + i, 3])
                .and_then(|mut rows| rows.next().map(|_| ()));
            let mut events = conn
                .prepare_cached(super::super::reader::EVENTS_SQL)
                .expect("events");
            let _ = events
                .query(params![i, i + 10, key(0), key(9), 5])
                .and_then(|mut rows| rows.next().map(|_| ()));
        }
        for sql in [
            super::LATEST_SQL,
            super::super::reader::RANGE_SQL,
            super::super::reader::EVENTS_SQL,
        ] {
            let stmt = conn.prepare_cached(sql).expect("cached");
            assert_eq!(stmt.get_status(StatementStatus::Run), 20, "{sql}");
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
