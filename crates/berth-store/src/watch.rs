//! [`WatchStream`]: the receiving end of a watch, shared by every backend.
//!
//! A backend runs one task per watch that sends batches of events, in revision order, into a
//! bounded channel. When the consumer falls behind, the task waits (backpressure); when the
//! consumer drops the stream, the channel closes and the task ends. An error is always the last
//! item.

use std::collections::VecDeque;

use tokio::sync::{mpsc, watch};

use crate::{Revision, StoreError, WatchEvent};

/// How many batches a watch buffers before its producer waits for the consumer.
pub(crate) const WATCH_CHANNEL_BATCHES: usize = 64;

pub(crate) type WatchSender = mpsc::Sender<Result<Vec<WatchEvent>, StoreError>>;

/// Events of one watch, in revision order.
#[derive(Debug)]
pub struct WatchStream {
    rx: mpsc::Receiver<Result<Vec<WatchEvent>, StoreError>>,
    buffered: VecDeque<WatchEvent>,
    progress: watch::Receiver<Revision>,
}

impl WatchStream {
    pub(crate) fn channel() -> (WatchSender, WatchStream) {
        let (tx, _, stream) = Self::channel_with_progress(Revision::ZERO);
        (tx, stream)
    }

    /// A channel whose producer also reports how far it has read: after sending the events
    /// up to a revision, it publishes that revision on the returned sender.
    pub(crate) fn channel_with_progress(
        start: Revision,
    ) -> (WatchSender, watch::Sender<Revision>, WatchStream) {
        let (tx, rx) = mpsc::channel(WATCH_CHANNEL_BATCHES);
        let (progress_tx, progress) = watch::channel(start);
        (
            tx,
            progress_tx,
            WatchStream {
                rx,
                buffered: VecDeque::new(),
                progress,
            },
        )
    }

    /// How far the store has looked for this watch: once every event received so far is
    /// consumed ([`WatchStream::is_drained`]), the watcher has seen everything under its
    /// prefix up to this revision — even when nothing under the prefix changed. Read it
    /// *before* checking `is_drained`. Backends that cannot tell stay at zero.
    pub fn progress(&self) -> watch::Receiver<Revision> {
        self.progress.clone()
    }

    /// Whether every event sent so far has been consumed.
    pub fn is_drained(&self) -> bool {
        self.buffered.is_empty() && self.rx.is_empty()
    }

    /// The next event; `None` once the store has shut down; `Some(Err(_))` ends the watch (for
    /// example [`StoreError::Compacted`] when compaction overtook this watcher).
    pub async fn next(&mut self) -> Option<Result<WatchEvent, StoreError>> {
        loop {
            if let Some(event) = self.buffered.pop_front() {
                return Some(Ok(event));
            }
            match self.rx.recv().await? {
                Ok(batch) => self.buffered.extend(batch),
                Err(err) => return Some(Err(err)),
            }
        }
    }

    /// All events that are ready now (at least one, waiting for it), in revision order.
    pub async fn next_batch(&mut self) -> Option<Result<Vec<WatchEvent>, StoreError>> {
        if !self.buffered.is_empty() {
            return Some(Ok(self.buffered.drain(..).collect()));
        }
        self.rx.recv().await
    }
}
