//! Event expiry (kube-apiserver's `--event-ttl`, 1 h by default): Events are deleted once they
//! have not been updated for the TTL, so a busy cluster's events don't grow without bound.
//! Upstream attaches an etcd lease to each write of an Event, so the TTL counts from the last
//! write, whatever timestamps the Event carries. Here the last write is the latest of its
//! creation and its managedFields times (the API server stamps those on every write), and a
//! controller deletes each Event at its expiry (the earliest next expiry is what it sleeps
//! until).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, DeleteParams};

use crate::informer::{Informers, Kind, wait_for_change_or};

/// Deletions in flight at once.
const PARALLEL: usize = 16;

/// When `event` was last written: its creation or the latest managedFields time.
fn last_touched(event: &Event) -> Option<jiff::Timestamp> {
    let created = event.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let written = event
        .metadata
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref().map(|t| t.0))
        .max();
    created.max(written)
}

pub async fn run(client: kube::Client, informers: Informers, ttl: Duration) {
    let wake = informers.subscribe(&[Kind::Events]);
    informers.ready().await;
    let ttl = jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::from_hours(1));
    loop {
        let now = jiff::Timestamp::now();
        let mut next: Option<jiff::Timestamp> = None;
        let mut expired: Vec<(String, String)> = Vec::new();
        for event in informers.events.state() {
            let Some(touched) = last_touched(&event) else {
                continue;
            };
            let expiry = touched + ttl;
            if expiry <= now {
                expired.push((
                    event.metadata.namespace.clone().unwrap_or_default(),
                    event.metadata.name.clone().unwrap_or_default(),
                ));
            } else {
                next = Some(next.map_or(expiry, |n| n.min(expiry)));
            }
        }
        if !expired.is_empty() {
            tracing::debug!(count = expired.len(), "deleting expired events");
            let client = Arc::new(client.clone());
            futures_util::stream::iter(expired)
                .for_each_concurrent(PARALLEL, |(namespace, name)| {
                    let client = client.clone();
                    async move {
                        let api: Api<Event> = Api::namespaced((*client).clone(), &namespace);
                        match api.delete(&name, &DeleteParams::default()).await {
                            Ok(_) => {}
                            Err(kube::Error::Api(e)) if e.code == 404 => {}
                            Err(e) => tracing::debug!(event = name, error = %e, "expiring event"),
                        }
                    }
                })
                .await;
        }
        wait_for_change_or(&wake, next).await;
        // Expiry is not urgent: look at most once a second.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};

    #[test]
    fn the_last_write_counts_not_the_events_own_timestamps() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
        let at = |s: i64| jiff::Timestamp::from_second(s).unwrap_or_default();
        let mut event = Event::default();
        assert_eq!(last_touched(&event), None);
        event.metadata.creation_timestamp = Some(Time(at(10)));
        event.last_timestamp = Some(Time(at(99)));
        event.event_time = Some(MicroTime(at(99)));
        assert_eq!(last_touched(&event), Some(at(10)));
        event.metadata.managed_fields = Some(vec![
            ManagedFieldsEntry {
                time: Some(Time(at(30))),
                ..ManagedFieldsEntry::default()
            },
            ManagedFieldsEntry {
                time: Some(Time(at(20))),
                ..ManagedFieldsEntry::default()
            },
        ]);
        assert_eq!(last_touched(&event), Some(at(30)));
    }
}
