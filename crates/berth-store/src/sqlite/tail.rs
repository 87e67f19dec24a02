//! The tail: the most recently committed events, kept in memory by the writer so that watches
//! that keep up read them from here instead of querying the log.
//!
//! Every commit wakes every watch (one per watched prefix: the API server's watch caches,
//! one per resource). Before the tail, each of them then ran a query in a blocking task —
//! a reader connection, a transaction, the revisions lookup, the events query — mostly to
//! learn that nothing under its prefix had changed. Now a watch that is within the tail's
//! window takes a lock, scans the batch's keys and goes back to sleep.
//!
//! Invariants:
//! - The tail holds exactly the events with revision in `(complete_after, last]`, in
//!   revision order, each as the log query would return it (kind, value, previous value).
//! - The writer pushes a batch's events after its commit succeeds and before it publishes
//!   the batch's revision, so a watch woken by a revision always finds it here or (when the
//!   window moved past it) is told to read the log.
//! - The window is bounded in events and in value bytes; evicting an event moves
//!   `complete_after` up to its revision.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::{Revision, WatchEvent};

/// Events kept at most.
const MAX_EVENTS: usize = 4096;
/// Value bytes (values and previous values) kept at most.
const MAX_BYTES: usize = 16 << 20;

pub(super) struct Tail {
    inner: Mutex<Window>,
}

struct Window {
    events: VecDeque<WatchEvent>,
    complete_after: Revision,
    last: Revision,
    bytes: usize,
}

fn size(event: &WatchEvent) -> usize {
    event.kv.key.len() + event.kv.value.len() + event.prev.as_ref().map_or(0, |p| p.value.len())
}

impl Tail {
    /// An empty tail for a log whose last committed revision is `at`.
    pub fn new(at: Revision) -> Tail {
        Tail {
            inner: Mutex::new(Window {
                events: VecDeque::new(),
                complete_after: at,
                last: at,
                bytes: 0,
            }),
        }
    }

    /// Appends the events of a committed batch that ends at revision `last`.
    pub fn push(&self, batch: Vec<WatchEvent>, last: Revision) {
        let Ok(mut window) = self.inner.lock() else {
            return;
        };
        for event in batch {
            window.bytes += size(&event);
            window.events.push_back(event);
        }
        window.last = last;
        // The newest event stays whatever its size: a watch that keeps up still finds it.
        while window.events.len() > 1
            && (window.events.len() > MAX_EVENTS || window.bytes > MAX_BYTES)
        {
            let Some(old) = window.events.pop_front() else {
                break;
            };
            window.bytes -= size(&old);
            window.complete_after = old.revision();
        }
    }

    /// The events under `prefix` with revision in `(after, upto]`, or `None` when the window
    /// does not hold all of that range (the caller reads the log instead).
    pub fn read(&self, prefix: &str, after: Revision, upto: Revision) -> Option<Vec<WatchEvent>> {
        let window = self.inner.lock().ok()?;
        if after < window.complete_after || upto > window.last {
            return None;
        }
        let start = window.events.partition_point(|e| e.revision() <= after);
        Some(
            window
                .events
                .range(start..)
                .take_while(|e| e.revision() <= upto)
                .filter(|e| e.kv.key.starts_with(prefix))
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::{EventKind, KeyValue};

    fn event(revision: i64, key: &str, bytes: usize) -> WatchEvent {
        WatchEvent {
            kind: EventKind::Created,
            kv: KeyValue {
                key: key.into(),
                value: Bytes::from(vec![b'x'; bytes]),
                create_revision: Revision::new(revision),
                mod_revision: Revision::new(revision),
                version: 1,
            },
            prev: None,
        }
    }

    #[test]
    fn reads_within_the_window_filter_by_prefix() {
        let tail = Tail::new(Revision::new(10));
        tail.push(
            vec![
                event(11, "/registry/pods/a", 1),
                event(12, "/registry/nodes/n", 1),
                event(13, "/registry/pods/b", 1),
            ],
            Revision::new(13),
        );
        let keys = |events: Vec<WatchEvent>| -> Vec<String> {
            events.into_iter().map(|e| e.kv.key).collect()
        };
        let all = tail.read("/registry/pods/", Revision::new(10), Revision::new(13));
        assert_eq!(
            all.map(keys),
            Some(vec!["/registry/pods/a".into(), "/registry/pods/b".into()])
        );
        let later = tail.read("/registry/pods/", Revision::new(11), Revision::new(12));
        assert_eq!(later.map(keys), Some(vec![]));
        // Before the window, or beyond what was pushed: read the log.
        assert!(
            tail.read("/registry/pods/", Revision::new(9), Revision::new(13))
                .is_none()
        );
        assert!(
            tail.read("/registry/pods/", Revision::new(13), Revision::new(14))
                .is_none()
        );
    }

    #[test]
    fn the_window_is_bounded_and_says_where_it_starts() {
        let tail = Tail::new(Revision::ZERO);
        let batch: Vec<WatchEvent> = (1..=(MAX_EVENTS as i64 + 10))
            .map(|r| event(r, "/k", 1))
            .collect();
        tail.push(batch, Revision::new(MAX_EVENTS as i64 + 10));
        assert!(
            tail.read("/", Revision::new(9), Revision::new(20))
                .is_none()
        );
        let kept = tail.read(
            "/",
            Revision::new(10),
            Revision::new(MAX_EVENTS as i64 + 10),
        );
        assert_eq!(kept.map(|e| e.len()), Some(MAX_EVENTS));
        // Large values evict by bytes.
        tail.push(
            vec![event(MAX_EVENTS as i64 + 11, "/big", MAX_BYTES)],
            Revision::new(MAX_EVENTS as i64 + 11),
        );
        let big = tail.read(
            "/",
            Revision::new(MAX_EVENTS as i64 + 10),
            Revision::new(MAX_EVENTS as i64 + 11),
        );
        assert_eq!(big.map(|e| e.len()), Some(1));
        assert!(
            tail.read(
                "/",
                Revision::new(MAX_EVENTS as i64 + 9),
                Revision::new(MAX_EVENTS as i64 + 11)
            )
            .is_none()
        );
    }
}
