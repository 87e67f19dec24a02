//! The scheduler as a running component: watches pods, nodes, claims and volumes; owns the
//! [`Cache`] and [`SchedulingQueue`]; binds through `pods/binding`; reports failures as
//! `FailedScheduling` events and the `PodScheduled=False` condition; preempts.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_client::events::{EventRecorder, EventType, pod_reference};
use berth_client::lean::{Lean, unlean};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{
    Binding, Node, ObjectReference, PersistentVolume, PersistentVolumeClaim, Pod,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Status};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

use crate::algorithm::Algorithm;
use crate::cache::Cache;
use crate::model::{PodInfo, PodKey};
use crate::preemption;
use crate::profile::{self, Profile};
use crate::queue::SchedulingQueue;

/// Bindings in flight at once.
const BINDERS: usize = 256;
/// Pods scheduled between looks at new events.
const BATCH: usize = 128;

enum Input {
    Pod(Box<Event<Pod>>),
    Node(Box<Event<Node>>),
    Claim(Box<Event<PersistentVolumeClaim>>),
    Volume(Box<Event<PersistentVolume>>),
    Bound {
        info: Arc<PodInfo>,
        node: String,
        result: Result<(), kube::Error>,
    },
}

fn spawn_watch<K, F>(api: Api<K>, tx: mpsc::Sender<Input>, wrap: F)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    F: Fn(Event<K>) -> Input + Send + 'static,
{
    tokio::spawn(async move {
        let mut stream = watcher::watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    if tx.send(wrap(event)).await.is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduler watch error; retrying"),
            }
        }
    });
}

/// Relist bookkeeping for one watched kind.
#[derive(Default)]
struct Relist {
    seen: Option<HashSet<String>>,
    synced: bool,
}

struct Scheduler {
    client: kube::Client,
    cache: Cache,
    queue: SchedulingQueue,
    algorithm: Algorithm,
    profiles: HashMap<String, Profile>,
    events: EventRecorder,
    binders: Arc<Semaphore>,
    tx: mpsc::Sender<Input>,
    pods: Relist,
    nodes: Relist,
    /// Last PodScheduled=False message written per pod (only changes are written).
    reported: HashMap<PodKey, String>,
}

/// Runs the scheduler until the process ends.
pub async fn run(client: kube::Client) {
    let (tx, mut rx) = mpsc::channel(16_384);
    spawn_watch(Api::<Lean<Pod>>::all(client.clone()), tx.clone(), |e| {
        Input::Pod(Box::new(unlean(e)))
    });
    spawn_watch(Api::<Lean<Node>>::all(client.clone()), tx.clone(), |e| {
        Input::Node(Box::new(unlean(e)))
    });
    spawn_watch(
        Api::<PersistentVolumeClaim>::all(client.clone()),
        tx.clone(),
        |e| Input::Claim(Box::new(e)),
    );
    spawn_watch(
        Api::<PersistentVolume>::all(client.clone()),
        tx.clone(),
        |e| Input::Volume(Box::new(e)),
    );
    let mut scheduler = Scheduler {
        events: EventRecorder::new(client.clone(), profile::DEFAULT),
        client,
        cache: Cache::default(),
        queue: SchedulingQueue::default(),
        algorithm: Algorithm::default(),
        profiles: profile::builtin()
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect(),
        binders: Arc::new(Semaphore::new(BINDERS)),
        tx,
        pods: Relist::default(),
        nodes: Relist::default(),
        reported: HashMap::new(),
    };
    let mut last_flush = Instant::now();
    loop {
        loop {
            match rx.try_recv() {
                Ok(input) => scheduler.handle(input),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => return,
            }
        }
        let now = Instant::now();
        if now.duration_since(last_flush) > Duration::from_secs(30) {
            scheduler.queue.flush_stale_unschedulable(now);
            last_flush = now;
        }
        if scheduler.pods.synced && scheduler.nodes.synced {
            let mut scheduled = 0;
            while scheduled < BATCH {
                let Some((info, _attempts)) = scheduler.queue.pop(now) else {
                    break;
                };
                scheduler.schedule_one(info).await;
                scheduled += 1;
            }
            if scheduled == BATCH {
                tokio::task::yield_now().await;
                continue;
            }
        }
        let wake = scheduler
            .queue
            .next_wakeup()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
        tokio::select! {
            input = rx.recv() => match input {
                Some(input) => scheduler.handle(input),
                None => return,
            },
            () = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

fn uid_of(meta: &ObjectMeta) -> String {
    meta.uid.clone().unwrap_or_default()
}

impl Scheduler {
    fn handle(&mut self, input: Input) {
        let now = Instant::now();
        match input {
            Input::Pod(event) => match *event {
                Event::Init => self.pods.seen = Some(HashSet::new()),
                Event::InitApply(pod) => {
                    if let Some(seen) = &mut self.pods.seen {
                        seen.insert(uid_of(&pod.metadata));
                    }
                    self.pod_changed(&pod, now);
                }
                Event::InitDone => {
                    if let Some(seen) = self.pods.seen.take() {
                        for uid in self.cache.placed_uids() {
                            if !seen.contains(&uid) && !self.cache.is_assumed(&uid) {
                                self.cache.remove_pod(&uid);
                            }
                        }
                    }
                    self.pods.synced = true;
                    self.queue.move_all_unschedulable(now);
                }
                Event::Apply(pod) => self.pod_changed(&pod, now),
                Event::Delete(pod) => {
                    let info = PodInfo::from_pod(&pod);
                    self.cache.clear_nomination(&info.uid);
                    self.queue.remove(&info.key());
                    self.reported.remove(&info.key());
                    if self.cache.remove_pod(&info.uid) {
                        self.queue.move_all_unschedulable(now);
                    }
                }
            },
            Input::Node(event) => match *event {
                Event::Init => self.nodes.seen = Some(HashSet::new()),
                Event::InitApply(node) => {
                    if let Some(seen) = &mut self.nodes.seen {
                        seen.insert(node.metadata.name.clone().unwrap_or_default());
                    }
                    self.cache.upsert_node(&node);
                }
                Event::InitDone => {
                    if let Some(seen) = self.nodes.seen.take() {
                        for name in self.cache.node_names() {
                            if !seen.contains(&name) {
                                self.cache.remove_node(&name);
                            }
                        }
                    }
                    self.nodes.synced = true;
                    self.queue.move_all_unschedulable(now);
                }
                Event::Apply(node) => {
                    self.cache.upsert_node(&node);
                    self.queue.move_all_unschedulable(now);
                }
                Event::Delete(node) => {
                    self.cache
                        .remove_node(node.metadata.name.as_deref().unwrap_or_default());
                }
            },
            Input::Claim(event) => {
                match *event {
                    Event::Apply(c) | Event::InitApply(c) => self.cache.upsert_claim(&c),
                    Event::Delete(c) => self.cache.remove_claim(&c),
                    Event::Init | Event::InitDone => {}
                }
                self.queue.move_all_unschedulable(now);
            }
            Input::Volume(event) => {
                match *event {
                    Event::Apply(v) | Event::InitApply(v) => self.cache.upsert_volume(&v),
                    Event::Delete(v) => self.cache.remove_volume(&v),
                    Event::Init | Event::InitDone => {}
                }
                self.queue.move_all_unschedulable(now);
            }
            Input::Bound { info, node, result } => self.bound(info, node, result, now),
        }
    }

    fn pod_changed(&mut self, pod: &Pod, now: Instant) {
        let info = Arc::new(PodInfo::from_pod(pod));
        let key = info.key();
        if info.nominated_node_name.is_some() && !info.terminal && !info.deleting {
            self.cache.set_nomination(&info);
        } else {
            self.cache.clear_nomination(&info.uid);
        }
        if info.terminal {
            self.queue.remove(&key);
            if self.cache.remove_pod(&info.uid) {
                self.queue.move_all_unschedulable(now);
            }
            return;
        }
        if info.node_name.is_some() {
            self.queue.remove(&key);
            self.reported.remove(&key);
            self.cache.observe_bound(info);
            return;
        }
        // Gated pods wait outside the queue; the update that removes the last gate adds them.
        if info.deleting || info.gated || !self.profiles.contains_key(&info.scheduler_name) {
            self.queue.remove(&key);
            return;
        }
        // Our own binding is in flight: the pod is placed already.
        if self.cache.is_assumed(&info.uid) {
            return;
        }
        self.queue.add_or_update(info);
    }

    async fn schedule_one(&mut self, info: Arc<PodInfo>) {
        let key = info.key();
        let Some(profile) = self.profiles.get(&info.scheduler_name).cloned() else {
            self.queue.done(&key);
            return;
        };
        match self.algorithm.schedule(&self.cache, &info, &profile) {
            Ok(node) => {
                self.queue.done(&key);
                self.cache.assume(info.clone(), &node);
                self.bind(info, node).await;
            }
            Err(unschedulable) => {
                let crate::algorithm::Unschedulable { fit, state } = *unschedulable;
                let mut preemption_message = None;
                if let Some(state) = state.as_ref().filter(|_| fit.prefilter.is_none()) {
                    if self.waiting_for_victims(&info) {
                        // Its earlier preemption is still evicting: don't evict more.
                    } else {
                        match preemption::find(&self.cache, &info, state, &fit) {
                            Ok(preemption) => self.preempt(&info, preemption),
                            Err(message) => preemption_message = Some(message),
                        }
                    }
                }
                let message = fit.message(preemption_message.as_deref());
                self.report_unschedulable(&info, message);
                self.queue.failed(&key, true, Instant::now());
            }
        }
    }

    /// Whether pods this pod preempted are still terminating on its nominated node.
    fn waiting_for_victims(&self, pod: &PodInfo) -> bool {
        pod.nominated_node_name
            .as_deref()
            .and_then(|n| self.cache.node(n))
            .is_some_and(|node| {
                node.pods
                    .iter()
                    .any(|p| p.deleting && p.priority < pod.priority)
            })
    }

    async fn bind(&mut self, info: Arc<PodInfo>, node: String) {
        let Ok(permit) = self.binders.clone().acquire_owned().await else {
            return;
        };
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &info.namespace);
        let tx = self.tx.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let binding = Binding {
                metadata: ObjectMeta {
                    name: Some(info.name.clone()),
                    namespace: Some(info.namespace.clone()),
                    uid: Some(info.uid.clone()),
                    ..ObjectMeta::default()
                },
                target: ObjectReference {
                    api_version: Some("v1".into()),
                    kind: Some("Node".into()),
                    name: Some(node.clone()),
                    ..ObjectReference::default()
                },
            };
            let result = api
                .create_subresource::<_, Status>(
                    "binding",
                    &info.name,
                    &PostParams::default(),
                    &binding,
                )
                .await
                .map(|_| ());
            drop(permit);
            if result.is_ok() {
                events.record(
                    pod_reference(&info.namespace, &info.name, &info.uid),
                    EventType::Normal,
                    "Scheduled",
                    format!(
                        "Successfully assigned {}/{} to {node}",
                        info.namespace, info.name
                    ),
                );
            }
            let _ = tx.send(Input::Bound { info, node, result }).await;
        });
    }

    fn bound(
        &mut self,
        info: Arc<PodInfo>,
        node: String,
        result: Result<(), kube::Error>,
        now: Instant,
    ) {
        let Err(error) = result else {
            return;
        };
        self.cache.forget(&info.uid);
        match &error {
            // Bound elsewhere, being deleted, or gone: the watch tells the rest.
            kube::Error::Api(status) if status.code == 409 || status.code == 404 => {
                tracing::debug!(pod = %info.key(), node, error = %error, "binding refused");
            }
            _ => {
                tracing::warn!(pod = %info.key(), node, error = %error, "binding failed; retrying");
                let key = info.key();
                self.queue.add_or_update(info);
                // Count the attempt and back off.
                if self.queue.pop(now).is_some_and(|(p, _)| p.key() == key) {
                    self.queue.failed(&key, false, now);
                }
            }
        }
        self.queue.move_all_unschedulable(now);
    }

    fn report_unschedulable(&mut self, info: &PodInfo, message: String) {
        let key = info.key();
        self.events.record(
            pod_reference(&info.namespace, &info.name, &info.uid),
            EventType::Warning,
            "FailedScheduling",
            message.clone(),
        );
        if self.reported.get(&key) == Some(&message) {
            return;
        }
        self.reported.insert(key, message.clone());
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &info.namespace);
        let name = info.name.clone();
        tokio::spawn(async move {
            let patch = json!({"status": {"conditions": [{
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": message,
                "lastProbeTime": null,
                "lastTransitionTime": jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now()).to_string(),
            }]}});
            if let Err(e) = api
                .patch_status(&name, &PatchParams::default(), &Patch::Strategic(&patch))
                .await
            {
                tracing::debug!(pod = name, error = %e, "writing PodScheduled=False");
            }
        });
    }

    fn preempt(&mut self, preemptor: &PodInfo, preemption: preemption::Preemption) {
        let client = self.client.clone();
        let events = self.events.clone();
        let node = preemption.node.clone();
        let (ns, name, uid) = (
            preemptor.namespace.clone(),
            preemptor.name.clone(),
            preemptor.uid.clone(),
        );
        tracing::info!(pod = %preemptor.key(), node, victims = preemption.victims.len(), "preempting");
        tokio::spawn(async move {
            let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
            let patch = json!({"status": {"nominatedNodeName": node}});
            if let Err(e) = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                tracing::warn!(pod = name, error = %e, "writing nominatedNodeName");
            }
            for victim in preemption.victims {
                let api: Api<Pod> = Api::namespaced(client.clone(), &victim.namespace);
                let condition = json!({"status": {"conditions": [{
                    "type": "DisruptionTarget",
                    "status": "True",
                    "reason": "PreemptionByScheduler",
                    "message": format!("{}: preempting to accommodate a higher priority pod", profile::DEFAULT),
                    "lastTransitionTime": jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now()).to_string(),
                }]}});
                let _ = api
                    .patch_status(
                        &victim.name,
                        &PatchParams::default(),
                        &Patch::Strategic(&condition),
                    )
                    .await;
                events.record(
                    pod_reference(&victim.namespace, &victim.name, &victim.uid),
                    EventType::Normal,
                    "Preempted",
                    format!("Preempted by pod {uid} on node {node}"),
                );
                if let Err(e) = api.delete(&victim.name, &DeleteParams::default()).await {
                    tracing::warn!(pod = victim.name, error = %e, "deleting a preemption victim");
                }
            }
        });
    }
}
