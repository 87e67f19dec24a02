//! Watches on the SQLite backend.
//!
//! One task per watch follows the log: everything after its position up to the last committed
//! revision, then it waits until the writer publishes a newer revision. Within the writer's
//! in-memory [`Tail`] window it takes the events from there; otherwise (catching up from a past
//! revision, or after falling behind the window) it reads them from the database in pages. Both
//! deliver exactly the revision range `(position, upto]` and then move the position to `upto`,
//! so ordering and exactly-once delivery do not depend on which one served a range.
//!
//! Invariant: a watch reading the log from before the compacted revision would silently miss
//! events, so it ends with [`StoreError::Compacted`] instead; the check uses the same snapshot
//! as the read. (The tail holds complete ranges, so a range served from it misses nothing.)

use std::sync::Arc;

use tokio::sync::watch;

use super::reader::{self, ReaderPool};
use super::tail::Tail;
use crate::watch::WatchSender;
use crate::{Revision, StoreError, WatchStream};

/// Events read per query.
const PAGE: usize = 1000;

pub(super) async fn start(
    readers: Arc<ReaderPool>,
    tail: Arc<Tail>,
    committed: watch::Receiver<Revision>,
    prefix: String,
    from: Revision,
) -> Result<WatchStream, StoreError> {
    // Check compaction up front so that a stale start revision is an error of `watch` itself.
    let upto = *committed.borrow();
    // Position = the last revision already delivered; `from` 0 means "from now on", as in etcd.
    let position = if from == Revision::ZERO {
        upto
    } else {
        Revision::new(from.get() - 1)
    };
    let first = {
        let prefix = prefix.clone();
        readers
            .run(move |conn, path| reader::events(conn, path, &prefix, position, upto, PAGE))
            .await?
    };
    if first.1.get() > position.get() + 1 {
        return Err(StoreError::Compacted {
            requested: from,
            compacted: Some(first.1),
        });
    }
    let (tx, progress, stream) = WatchStream::channel_with_progress(position);
    tokio::spawn(run(
        readers, tail, committed, prefix, position, upto, first.0, tx, progress,
    ));
    Ok(stream)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    readers: Arc<ReaderPool>,
    tail: Arc<Tail>,
    mut committed: watch::Receiver<Revision>,
    prefix: String,
    mut position: Revision,
    first_upto: Revision,
    first: Vec<crate::WatchEvent>,
    tx: WatchSender,
    progress: watch::Sender<Revision>,
) {
    // The first page was read by `start`.
    position = advance(position, first_upto, &first);
    if !first.is_empty() && tx.send(Ok(first)).await.is_err() {
        return;
    }
    // Published only after the events up to it were sent.
    progress.send_replace(position);
    loop {
        let upto = *committed.borrow_and_update();
        while position < upto {
            // Keeping up: the events are in the writer's tail, no query needed.
            if let Some(events) = tail.read(&prefix, position, upto) {
                position = upto;
                if !events.is_empty() && tx.send(Ok(events)).await.is_err() {
                    return;
                }
                progress.send_replace(position);
                continue;
            }
            let page = {
                let prefix = prefix.clone();
                readers
                    .run(move |conn, path| {
                        reader::events(conn, path, &prefix, position, upto, PAGE)
                    })
                    .await
            };
            let (events, compacted) = match page {
                Ok(page) => page,
                Err(err) => {
                    let _ = tx.send(Err(err)).await;
                    return;
                }
            };
            if compacted.get() > position.get() + 1 {
                let _ = tx
                    .send(Err(StoreError::Compacted {
                        requested: position.next(),
                        compacted: Some(compacted),
                    }))
                    .await;
                return;
            }
            position = advance(position, upto, &events);
            if !events.is_empty() && tx.send(Ok(events)).await.is_err() {
                return;
            }
            progress.send_replace(position);
        }
        tokio::select! {
            changed = committed.changed() => {
                if changed.is_err() {
                    // The store shut down: end the stream.
                    return;
                }
            }
            () = tx.closed() => return,
        }
    }
}

/// The new position after reading `events` from a query bounded by `upto`: a short page means
/// everything up to `upto` has been seen.
fn advance(position: Revision, upto: Revision, events: &[crate::WatchEvent]) -> Revision {
    if events.len() < PAGE {
        upto.max(position)
    } else {
        events.last().map_or(position, |e| e.revision())
    }
}
