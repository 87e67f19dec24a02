//! Recording Kubernetes Events (`Scheduled`, `FailedScheduling`, `Preempted`, …) as upstream's
//! recorder does: core/v1 Events named `<object>.<hex time>`, repeats of the same reason and
//! message for the same object folded into one Event whose `count` grows.
//!
//! Recording never blocks the caller: records go through a bounded queue to a writer task,
//! and when the queue is full the record is dropped (logged), as upstream's broadcaster does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Patch, PatchParams, PostParams};
use tokio::sync::{Semaphore, mpsc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

struct Record {
    regarding: ObjectReference,
    kind: EventType,
    reason: String,
    message: String,
}

const QUEUE: usize = 4096;
const WRITERS: usize = 16;
/// Folded events remembered, per recorder; the oldest half is forgotten beyond this.
const REMEMBERED: usize = 8192;

#[derive(Clone)]
pub struct EventRecorder {
    tx: mpsc::Sender<Record>,
}

type Folded = Arc<Mutex<HashMap<(String, String, String), (String, i32)>>>;

impl EventRecorder {
    /// A recorder writing as `component` (shown by `kubectl describe` under "From").
    pub fn new(client: kube::Client, component: &str) -> EventRecorder {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_events(client, component.to_string(), rx));
        EventRecorder { tx }
    }

    pub fn record(
        &self,
        regarding: ObjectReference,
        kind: EventType,
        reason: &str,
        message: impl Into<String>,
    ) {
        let record = Record {
            regarding,
            kind,
            reason: reason.to_string(),
            message: message.into(),
        };
        if self.tx.try_send(record).is_err() {
            tracing::debug!(reason, "event queue full; event dropped");
        }
    }
}

async fn write_events(client: kube::Client, component: String, mut rx: mpsc::Receiver<Record>) {
    let folded: Folded = Arc::default();
    let writers = Arc::new(Semaphore::new(WRITERS));
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    while let Some(record) = rx.recv().await {
        let Ok(permit) = writers.clone().acquire_owned().await else {
            return;
        };
        let (client, component, host, folded) = (
            client.clone(),
            component.clone(),
            host.clone(),
            folded.clone(),
        );
        tokio::spawn(async move {
            if let Err(e) = write_one(&client, &component, &host, &folded, record).await {
                tracing::debug!(error = %e, "writing an event");
            }
            drop(permit);
        });
    }
}

async fn write_one(
    client: &kube::Client,
    component: &str,
    host: &str,
    folded: &Folded,
    record: Record,
) -> Result<(), kube::Error> {
    let namespace = record
        .regarding
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    // Written as raw requests: the response is checked for success, never decoded.
    let base = format!("/api/v1/namespaces/{namespace}/events");
    let now = Time(jiff::Timestamp::now());
    let key = (
        record.regarding.uid.clone().unwrap_or_default(),
        record.reason.clone(),
        record.message.clone(),
    );
    let previous = folded
        .lock()
        .map(|mut m| {
            m.get_mut(&key).map(|(name, count)| {
                *count += 1;
                (name.clone(), *count)
            })
        })
        .unwrap_or(None);
    if let Some((name, count)) = previous {
        let patch = serde_json::json!({"count": count, "lastTimestamp": now});
        let request = kube::core::Request::new(&base)
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .map_err(kube::Error::BuildRequest)?;
        match client.request_text(request).await {
            Ok(_) => return Ok(()),
            // Gone (expired or deleted): write a new one.
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let name = format!(
        "{}.{:x}",
        record.regarding.name.clone().unwrap_or_default(),
        jiff::Timestamp::now().as_nanosecond()
    );
    let event = Event {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace),
            ..ObjectMeta::default()
        },
        involved_object: record.regarding,
        reason: Some(record.reason),
        message: Some(record.message),
        type_: Some(record.kind.as_str().into()),
        source: Some(EventSource {
            component: Some(component.to_string()),
            host: None,
        }),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        count: Some(1),
        reporting_component: Some(component.to_string()),
        reporting_instance: Some(host.to_string()),
        ..Event::default()
    };
    let body = serde_json::to_vec(&event).map_err(kube::Error::SerdeError)?;
    let request = kube::core::Request::new(&base)
        .create(&PostParams::default(), body)
        .map_err(kube::Error::BuildRequest)?;
    client.request_text(request).await?;
    if let Ok(mut map) = folded.lock() {
        if map.len() >= REMEMBERED {
            let forget: Vec<_> = map.keys().take(REMEMBERED / 2).cloned().collect();
            for k in forget {
                map.remove(&k);
            }
        }
        map.insert(key, (name, 1));
    }
    Ok(())
}

/// The reference an Event about `pod` carries.
pub fn pod_reference(namespace: &str, name: &str, uid: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: Some(namespace.to_string()),
        name: Some(name.to_string()),
        uid: Some(uid.to_string()),
        ..ObjectReference::default()
    }
}

/// The reference an Event about `node` carries.
pub fn node_reference(name: &str, uid: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: Some(name.to_string()),
        uid: Some(uid.to_string()),
        ..ObjectReference::default()
    }
}
