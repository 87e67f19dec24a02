//! Reads: a small pool of read-only connections, used from blocking tasks.
//!
//! Every read runs in one transaction, so the revision it reports, the compacted revision it
//! checks against and the rows it returns come from one snapshot. WAL mode lets reads proceed
//! while the writer commits.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};

use super::schema::{open_for_reading, sqlite_error};
use crate::key::prefix_end;
use crate::{EventKind, KeyValue, RangeRequest, RangeResponse, Revision, StoreError, WatchEvent};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;

pub(super) struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    pub fn new(path: PathBuf) -> Self {
        ReaderPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a pooled connection in a blocking task.
    pub async fn run<T, F>(self: &std::sync::Arc<Self>, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &Path) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let idle = pool.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut conn = match idle {
                Some(conn) => conn,
                None => open_for_reading(&pool.path)?,
            };
            let result = read(&mut conn, &pool.path);
            if let Ok(mut idle) = pool.idle.lock()
                && idle.len() < MAX_IDLE
            {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }
}

/// The revision of the last committed write and the compacted revision, in the caller's
/// transaction.
fn revisions(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'kv'), 0), \
                (SELECT value FROM meta WHERE name = 'compact_revision')",
    )?
    .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

fn key_from(path: &Path, name: Vec<u8>) -> Result<String, StoreError> {
    String::from_utf8(name).map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail: "a stored key is not valid UTF-8".into(),
    })
}

pub(super) fn get(
    conn: &mut Connection,
    path: &Path,
    key: &str,
) -> Result<Option<KeyValue>, StoreError> {
    let row = conn
        .prepare_cached(super::writer::LATEST_SQL)
        .and_then(|mut stmt| {
            stmt.query_row(params![key.as_bytes()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .optional()
        })
        .map_err(|e| sqlite_error(path, e))?;
    Ok(row.and_then(|(id, deleted, create, version, value)| {
        (!deleted).then(|| KeyValue {
            key: key.to_string(),
            value: Bytes::from(value),
            create_revision: Revision::new(create),
            mod_revision: Revision::new(id),
            version,
        })
    }))
}

/// The live keys of `[lo, hi)` after `after`, as of `at`: each key's newest row at or before
/// `at`, unless that row is a tombstone. Walking the `(name, id)` index in key order and checking
/// each row against its key's newest lets `LIMIT` stop early (no materialised group-by, no sort).
pub(super) const RANGE_SQL: &str = "
    SELECT kv.name, kv.value, kv.create_revision, kv.id, kv.version FROM kv
    WHERE kv.name >= ?1 AND kv.name < ?2 AND kv.name > ?3 AND kv.id <= ?4
      AND kv.id = (SELECT max(newer.id) FROM kv newer WHERE newer.name = kv.name AND newer.id <= ?4)
      AND kv.deleted = 0
    ORDER BY kv.name
    LIMIT CAST(?5 AS INTEGER)";

const COUNT_SQL: &str = "
    SELECT count(*) FROM kv
    WHERE kv.name >= ?1 AND kv.name < ?2 AND kv.name > ?3 AND kv.id <= ?4
      AND kv.id = (SELECT max(newer.id) FROM kv newer WHERE newer.name = kv.name AND newer.id <= ?4)
      AND kv.deleted = 0";

/// Bounds of a prefix as SQL parameters: an absent upper bound becomes a blob greater than any
/// valid UTF-8 key (0xff never occurs in UTF-8).
fn bounds(prefix: &str) -> (Vec<u8>, Vec<u8>) {
    let lo = prefix.as_bytes().to_vec();
    let hi = prefix_end(&lo).unwrap_or_else(|| vec![0xff; 8]);
    (lo, hi)
}

pub(super) fn range(
    conn: &mut Connection,
    path: &Path,
    request: &RangeRequest,
) -> Result<RangeResponse, StoreError> {
    let err = |e| sqlite_error(path, e);
    let tx = conn.transaction().map_err(err)?;
    let (current, compacted) = revisions(&tx).map_err(err)?;
    let at = match request.revision {
        None => current,
        Some(r) if r.get() <= 0 => current,
        Some(r) if r.get() > current => {
            return Err(StoreError::FutureRevision {
                requested: r,
                current: Revision::new(current),
            });
        }
        Some(r) if r.get() < compacted => {
            return Err(StoreError::Compacted {
                requested: r,
                compacted: Some(Revision::new(compacted)),
            });
        }
        Some(r) => r.get(),
    };
    let (lo, hi) = bounds(&request.prefix);
    let after = request
        .start_after
        .as_deref()
        .map(|k| k.as_bytes().to_vec())
        .unwrap_or_default();
    // One row more than asked tells whether more remain.
    let fetch = request.limit.map_or(-1, |l| {
        i64::try_from(l).unwrap_or(i64::MAX - 1).saturating_add(1)
    });
    let mut kvs = Vec::new();
    {
        let mut stmt = tx.prepare_cached(RANGE_SQL).map_err(err)?;
        let mut rows = stmt.query(params![lo, hi, after, at, fetch]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let name: Vec<u8> = row.get(0).map_err(err)?;
            let value: Vec<u8> = row.get(1).map_err(err)?;
            kvs.push(KeyValue {
                key: key_from(path, name)?,
                value: Bytes::from(value),
                create_revision: Revision::new(row.get(2).map_err(err)?),
                mod_revision: Revision::new(row.get(3).map_err(err)?),
                version: row.get(4).map_err(err)?,
            });
        }
    }
    let more = request.limit.is_some_and(|l| kvs.len() > l);
    if more {
        kvs.pop();
    }
    // Counting the rest of the range walks all of it: only when asked (a list's first page).
    let count = if !more {
        Some(kvs.len() as u64)
    } else if request.count {
        let counted: i64 = tx
            .prepare_cached(COUNT_SQL)
            .and_then(|mut s| s.query_row(params![lo, hi, after, at], |r| r.get(0)))
            .map_err(err)?;
        Some(counted.try_into().unwrap_or(0))
    } else {
        None
    };
    Ok(RangeResponse {
        kvs,
        more,
        count,
        revision: Revision::new(at),
    })
}

/// A prefix's changes in a revision window, each with its previous value. (`CAST` on the
/// `LIMIT`: a bare parameter there makes SQLite re-plan the statement at every step.)
pub(super) const EVENTS_SQL: &str = "SELECT kv.id, kv.name, kv.deleted, kv.create_revision, kv.version, kv.value, \
            p.id, p.create_revision, p.version, p.value \
     FROM kv LEFT JOIN kv p ON p.id = kv.prev_revision \
     WHERE kv.id > ?1 AND kv.id <= ?2 AND kv.name >= ?3 AND kv.name < ?4 \
     ORDER BY kv.id LIMIT CAST(?5 AS INTEGER)";

/// Events under `[lo, hi)` with revision in `(after, upto]`, at most `limit`, and the compacted
/// revision of the same snapshot.
pub(super) fn events(
    conn: &mut Connection,
    path: &Path,
    prefix: &str,
    after: Revision,
    upto: Revision,
    limit: usize,
) -> Result<(Vec<WatchEvent>, Revision), StoreError> {
    let err = |e| sqlite_error(path, e);
    let tx = conn.transaction().map_err(err)?;
    let (_, compacted) = revisions(&tx).map_err(err)?;
    let (lo, hi) = bounds(prefix);
    let mut events = Vec::new();
    {
        let mut stmt = tx.prepare_cached(EVENTS_SQL).map_err(err)?;
        let mut rows = stmt
            .query(params![
                after.get(),
                upto.get(),
                lo,
                hi,
                i64::try_from(limit).unwrap_or(i64::MAX)
            ])
            .map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let id: i64 = row.get(0).map_err(err)?;
            let key = key_from(path, row.get(1).map_err(err)?)?;
            let deleted: bool = row.get(2).map_err(err)?;
            let version: i64 = row.get(4).map_err(err)?;
            let prev = match row.get::<_, Option<i64>>(6).map_err(err)? {
                Some(prev_id) => Some(KeyValue {
                    key: key.clone(),
                    value: Bytes::from(row.get::<_, Vec<u8>>(9).map_err(err)?),
                    create_revision: Revision::new(row.get(7).map_err(err)?),
                    mod_revision: Revision::new(prev_id),
                    version: row.get(8).map_err(err)?,
                }),
                None => None,
            };
            let (kind, kv) = if deleted {
                let kv = KeyValue {
                    key,
                    value: Bytes::new(),
                    create_revision: Revision::ZERO,
                    mod_revision: Revision::new(id),
                    version: 0,
                };
                (EventKind::Deleted, kv)
            } else {
                let kind = if version == 1 {
                    EventKind::Created
                } else {
                    EventKind::Updated
                };
                let kv = KeyValue {
                    key,
                    value: Bytes::from(row.get::<_, Vec<u8>>(5).map_err(err)?),
                    create_revision: Revision::new(row.get(3).map_err(err)?),
                    mod_revision: Revision::new(id),
                    version,
                };
                (kind, kv)
            };
            events.push(WatchEvent { kind, kv, prev });
        }
    }
    Ok((events, Revision::new(compacted)))
}
