//! Automatic compaction: keep a window of history, discard what is older.
//!
//! Every `interval` the compactor samples the store's current revision. The newest sample that
//! is at least `window` old is a revision every reader has had `window` to move past; the store
//! is compacted to it. This bounds history (and, for SQLite, the database and WAL files) by the
//! write rate times `window + interval`, however long the cluster runs.
//!
//! The task holds only a weak reference: it ends when the store is dropped.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::{Revision, Store, StoreError};

/// How much history to keep and how often to compact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionPolicy {
    pub window: Duration,
    pub interval: Duration,
}

impl Default for CompactionPolicy {
    /// Five minutes of history, as kube-apiserver's default `--etcd-compaction-interval`.
    fn default() -> Self {
        CompactionPolicy::with_window(Duration::from_secs(300))
    }
}

impl CompactionPolicy {
    /// `window` of history, compacting every fifth of it (between 10 ms and one minute).
    pub fn with_window(window: Duration) -> Self {
        CompactionPolicy {
            window,
            interval: (window / 5).clamp(Duration::from_millis(10), Duration::from_secs(60)),
        }
    }
}

/// Starts compacting `store` by `policy` in the background.
pub fn spawn(store: &Arc<dyn Store>, policy: CompactionPolicy) -> JoinHandle<()> {
    let store = Arc::downgrade(store);
    tokio::spawn(run(store, policy))
}

async fn run(store: Weak<dyn Store>, policy: CompactionPolicy) {
    let mut samples = Samples::default();
    let mut ticks = tokio::time::interval(policy.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(store) = store.upgrade() else { return };
        let now = Instant::now();
        match store.current_revision().await {
            Ok(revision) => samples.record(now, revision),
            Err(err) => {
                tracing::warn!(store = %store.describe(), error = %crate::error::chain(&err), "compaction: cannot read the current revision");
                continue;
            }
        }
        let Some(target) = samples.due(now, policy.window) else {
            continue;
        };
        match store.compact(target).await {
            Ok(()) | Err(StoreError::Compacted { .. }) => {
                tracing::debug!(store = %store.describe(), revision = %target, "compacted");
            }
            Err(err) => {
                tracing::warn!(store = %store.describe(), revision = %target, error = %crate::error::chain(&err), "compaction failed");
            }
        }
    }
}

/// Revisions seen over time, oldest first.
#[derive(Debug, Default)]
struct Samples {
    seen: VecDeque<(Instant, Revision)>,
    compacted: Revision,
}

impl Samples {
    fn record(&mut self, at: Instant, revision: Revision) {
        self.seen.push_back((at, revision));
    }

    /// The revision to compact to now, if a newer one than last time is at least `window` old.
    /// Samples older than the chosen one are forgotten.
    fn due(&mut self, now: Instant, window: Duration) -> Option<Revision> {
        let mut due = None;
        while let Some(&(at, revision)) = self.seen.front() {
            if now.duration_since(at) < window {
                break;
            }
            due = Some(revision);
            if self.seen.len() == 1 {
                break;
            }
            self.seen.pop_front();
        }
        let due = due.filter(|&r| r > self.compacted)?;
        self.compacted = due;
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacts_to_the_newest_revision_older_than_the_window() {
        let start = Instant::now();
        let s = |secs| start + Duration::from_secs(secs);
        let window = Duration::from_secs(10);
        let mut samples = Samples::default();
        samples.record(s(0), Revision::new(5));
        samples.record(s(4), Revision::new(9));
        samples.record(s(8), Revision::new(20));
        assert_eq!(samples.due(s(8), window), None, "nothing is old enough yet");
        assert_eq!(samples.due(s(14), window), Some(Revision::new(9)));
        assert_eq!(samples.due(s(15), window), None, "nothing newer became due");
        samples.record(s(30), Revision::new(20));
        assert_eq!(samples.due(s(30), window), Some(Revision::new(20)));
        assert_eq!(
            samples.due(s(45), window),
            None,
            "no writes since: nothing to do"
        );
    }

    #[test]
    fn a_zero_window_compacts_to_the_latest_sample() {
        let now = Instant::now();
        let mut samples = Samples::default();
        samples.record(now, Revision::new(3));
        assert_eq!(samples.due(now, Duration::ZERO), Some(Revision::new(3)));
    }

    #[test]
    fn the_interval_follows_the_window() {
        assert_eq!(
            CompactionPolicy::default().interval,
            Duration::from_secs(60)
        );
        assert_eq!(
            CompactionPolicy::with_window(Duration::from_secs(1)).interval,
            Duration::from_millis(200)
        );
    }
}
