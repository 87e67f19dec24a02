//! Watches on the etcd backend.
//!
//! One task per watch holds an etcd watch stream (with `prev_kv` and progress notifications) and
//! forwards each response's events as one batch. When the stream breaks (etcd restarted, a
//! member lost), the task re-creates it from the revision after the last one delivered, with
//! backoff, so the consumer sees neither a gap nor a duplicate. After [`GIVE_UP_AFTER`] of
//! failures in a row it ends the stream with [`StoreError::EtcdUnavailable`].

use std::time::Duration;

use etcd_client::{EventType, WatchClient, WatchOptions};

use super::backoff;
use super::wire::Wire;
use crate::key::prefix_end;
use crate::watch::WatchSender;
use crate::{EventKind, Revision, StoreError, WatchEvent, WatchStream};

const GIVE_UP_AFTER: Duration = Duration::from_secs(30);

pub(super) fn start(
    client: WatchClient,
    wire: Wire,
    wire_prefix: Vec<u8>,
    from: Revision,
) -> WatchStream {
    let (tx, stream) = WatchStream::channel();
    let watch = Watch {
        client,
        wire,
        wire_prefix,
        tx,
    };
    tokio::spawn(async move {
        let closed = watch.tx.clone();
        tokio::select! {
            () = watch.run(from) => {}
            () = closed.closed() => {}
        }
    });
    stream
}

struct Watch {
    client: WatchClient,
    wire: Wire,
    wire_prefix: Vec<u8>,
    tx: WatchSender,
}

impl Watch {
    async fn run(self, mut next: Revision) {
        let end = prefix_end(&self.wire_prefix).unwrap_or_else(|| vec![0]);
        let mut failing_since: Option<tokio::time::Instant> = None;
        let mut attempt = 0;
        loop {
            let options = WatchOptions::new()
                .with_range(end.clone())
                .with_start_revision(next.get())
                .with_prev_key()
                .with_progress_notify();
            let failure = match self
                .client
                .clone()
                .watch(self.wire_prefix.clone(), Some(options))
                .await
            {
                Ok(mut stream) => loop {
                    match stream.message().await {
                        Ok(Some(response)) => {
                            failing_since = None;
                            attempt = 0;
                            if response.canceled() {
                                let err = if response.compact_revision() > 0 {
                                    StoreError::Compacted {
                                        requested: next,
                                        compacted: Some(Revision::new(response.compact_revision())),
                                    }
                                } else {
                                    StoreError::EtcdProtocol {
                                        endpoints: self.wire.endpoints.clone(),
                                        detail: format!(
                                            "watch canceled: {}",
                                            response.cancel_reason()
                                        ),
                                    }
                                };
                                let _ = self.tx.send(Err(err)).await;
                                return;
                            }
                            let events = match self.convert(response.events()) {
                                Ok(events) => events,
                                Err(err) => {
                                    let _ = self.tx.send(Err(err)).await;
                                    return;
                                }
                            };
                            if let Some(last) = events.last() {
                                next = last.revision().next();
                                if self.tx.send(Ok(events)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Ok(None) => {
                            break etcd_client::Error::WatchError("stream ended".into());
                        }
                        Err(err) => break err,
                    }
                },
                Err(err) => err,
            };
            let since = *failing_since.get_or_insert_with(tokio::time::Instant::now);
            if since.elapsed() >= GIVE_UP_AFTER {
                let _ = self
                    .tx
                    .send(Err(StoreError::EtcdUnavailable {
                        endpoints: self.wire.endpoints.clone(),
                        source: failure,
                    }))
                    .await;
                return;
            }
            tracing::warn!(endpoints = %self.wire.endpoints, error = %failure, "etcd watch broke; re-watching from revision {next}");
            tokio::time::sleep(backoff(attempt)).await;
            attempt += 1;
        }
    }

    fn convert(&self, events: &[etcd_client::Event]) -> Result<Vec<WatchEvent>, StoreError> {
        events
            .iter()
            .map(|event| {
                let kv = event
                    .kv()
                    .ok_or_else(|| self.wire.protocol("an event without a key"))?;
                let kv = self.wire.kv(kv)?;
                let prev = event.prev_kv().map(|p| self.wire.kv(p)).transpose()?;
                let kind = match event.event_type() {
                    EventType::Delete => EventKind::Deleted,
                    EventType::Put if kv.version == 1 => EventKind::Created,
                    EventType::Put => EventKind::Updated,
                };
                Ok(WatchEvent { kind, kv, prev })
            })
            .collect()
    }
}
