//! [`WatchStream`]: the receiving end of a watch, shared by every backend.
//!
//! A backend runs one task per watch that sends batches of events, in revision order, into a
//! bounded channel. When the consumer falls behind, the task waits (backpressure); when the
//! consumer drops the stream, the channel closes and the task ends. An error is always the last
//! item.

use std::collections::VecDeque;

use tokio::sync::mpsc;

use crate::{StoreError, WatchEvent};

/// How many batches a watch buffers before its producer waits for the consumer.
pub(crate) const WATCH_CHANNEL_BATCHES: usize = 64;

pub(crate) type WatchSender = mpsc::Sender<Result<Vec<WatchEvent>, StoreError>>;

/// Events of one watch, in revision order.
#[derive(Debug)]
pub struct WatchStream {
    rx: mpsc::Receiver<Result<Vec<WatchEvent>, StoreError>>,
    buffered: VecDeque<WatchEvent>,
}

impl WatchStream {
    pub(crate) fn channel() -> (WatchSender, WatchStream) {
        let (tx, rx) = mpsc::channel(WATCH_CHANNEL_BATCHES);
        (
            tx,
            WatchStream {
                rx,
                buffered: VecDeque::new(),
            },
        )
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
