//! The watched state the controllers share: one watch per kind, kept in a local store, for
//! every controller in the process (each kind is decoded once, held once). A controller
//! subscribes to the kinds it reacts to and gets a wake-up (coalesced: many changes, one
//! wake) whenever one of them changes; it then recomputes from the stores. A controller
//! whose work follows single objects (the garbage collector) takes a [`Changes`] feed
//! instead: which objects came, went, or changed their owners, finalizers or deletion, so
//! it need not look at every object on every wake.
//!
//! Every other kind that can be listed, watched and deleted (but Events) is followed by its
//! metadata only (`PartialObjectMetadata`): the garbage collector must see owners and
//! dependents of any kind, as upstream's does with its metadata informers.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use berth_api::ResourceType;
use berth_client::lean::{Lean, LeanKind, unlean};
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{
    Endpoints, Event, Namespace, Node, PersistentVolumeClaim, Pod, ReplicationController, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

pub use crate::store::Store;
use crate::store::Writer;

/// The kinds the controllers watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pods,
    Nodes,
    Leases,
    Budgets,
    ReplicaSets,
    ReplicationControllers,
    Deployments,
    Jobs,
    CronJobs,
    DaemonSets,
    StatefulSets,
    Revisions,
    Claims,
    Services,
    EndpointSlices,
    Endpoints,
    Events,
    Namespaces,
    /// A kind followed by its metadata only.
    Metadata(MetaKind),
}

impl Kind {
    /// The API resource of the kind's objects.
    pub fn resource(self) -> Option<&'static ResourceType> {
        let (api_version, kind) = match self {
            Kind::Pods => ("v1", "Pod"),
            Kind::Nodes => ("v1", "Node"),
            Kind::Leases => ("coordination.k8s.io/v1", "Lease"),
            Kind::Budgets => ("policy/v1", "PodDisruptionBudget"),
            Kind::ReplicaSets => ("apps/v1", "ReplicaSet"),
            Kind::ReplicationControllers => ("v1", "ReplicationController"),
            Kind::Deployments => ("apps/v1", "Deployment"),
            Kind::Jobs => ("batch/v1", "Job"),
            Kind::CronJobs => ("batch/v1", "CronJob"),
            Kind::DaemonSets => ("apps/v1", "DaemonSet"),
            Kind::StatefulSets => ("apps/v1", "StatefulSet"),
            Kind::Revisions => ("apps/v1", "ControllerRevision"),
            Kind::Claims => ("v1", "PersistentVolumeClaim"),
            Kind::Services => ("v1", "Service"),
            Kind::EndpointSlices => ("discovery.k8s.io/v1", "EndpointSlice"),
            Kind::Endpoints => ("v1", "Endpoints"),
            Kind::Events => ("v1", "Event"),
            Kind::Namespaces => ("v1", "Namespace"),
            Kind::Metadata(kind) => return Some(kind.0),
        };
        berth_api::catalogue::by_kind(api_version, kind)
    }
}

/// The kinds whose objects the typed stores hold whole (every namespace): each is followed
/// once, typed, never again by its metadata.
pub const TYPED_WHOLE: [Kind; 17] = [
    Kind::Pods,
    Kind::Nodes,
    Kind::Budgets,
    Kind::ReplicaSets,
    Kind::ReplicationControllers,
    Kind::Deployments,
    Kind::Jobs,
    Kind::CronJobs,
    Kind::DaemonSets,
    Kind::StatefulSets,
    Kind::Revisions,
    Kind::Claims,
    Kind::Services,
    Kind::EndpointSlices,
    Kind::Endpoints,
    Kind::Events,
    Kind::Namespaces,
];

/// A kind followed by its metadata only: one of the catalogue's resources.
#[derive(Clone, Copy)]
pub struct MetaKind(pub &'static ResourceType);

impl MetaKind {
    /// The catalogue's kinds followed by metadata: those that can be listed, watched and
    /// deleted, in their preferred version, but Events (as upstream's collector ignores
    /// them: many, short-lived, never owners) and the kinds held typed.
    pub fn all() -> Vec<MetaKind> {
        let typed: Vec<(&str, &str)> = TYPED_WHOLE
            .iter()
            .filter_map(|k| k.resource())
            .map(|rt| (rt.group, rt.plural))
            .collect();
        berth_api::catalogue::CATALOGUE
            .iter()
            .filter(|rt| {
                ["list", "watch", "delete"]
                    .iter()
                    .all(|v| rt.verbs.contains(v))
            })
            .filter(|rt| {
                berth_api::catalogue::preferred(rt.group, rt.plural)
                    .is_some_and(|p| std::ptr::eq(p, *rt))
            })
            .filter(|rt| rt.plural != "events")
            .filter(|rt| !typed.contains(&(rt.group, rt.plural)))
            .map(MetaKind)
            .collect()
    }

    /// The dynamic type of its objects.
    pub fn api_resource(self) -> ApiResource {
        api_resource(self.0)
    }
}

/// The dynamic type of `rt`'s objects, for kube's dynamic APIs.
pub fn api_resource(rt: &ResourceType) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(rt.group, rt.version, rt.kind),
        rt.plural,
    )
}

impl PartialEq for MetaKind {
    fn eq(&self, other: &Self) -> bool {
        (self.0.group, self.0.plural) == (other.0.group, other.0.plural)
    }
}

impl Eq for MetaKind {}

impl Hash for MetaKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.0.group, self.0.plural).hash(state);
    }
}

impl Debug for MetaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.qualified_plural())
    }
}

/// An object of a kind followed by its metadata.
pub type Partial = PartialObjectMeta<DynamicObject>;

/// Where a watched object is: its kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

/// What a [`Changes`] feed reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An object arrived with owners, finalizers or a deletion timestamp; or changed its
    /// ownerReferences, finalizers or deletionTimestamp; or went (`gone`, with the uid it
    /// had; also when another object took its name without its deletion being seen). An arrival with none of those is not reported: it can neither lose an owner nor
    /// be waiting for one. The store already holds the object's new state when this is read.
    Object {
        key: ObjectKey,
        uid: String,
        gone: bool,
    },
    /// The kind was listed afresh (its first list, or a watch restarted after an error):
    /// objects may have gone without a report, so whatever was derived from the feed must be
    /// rebuilt from the store.
    Relisted(Kind),
}

/// A subscription to the [`Change`]s of some kinds: `wake` fires when `take` has more.
pub struct Changes {
    pub wake: Arc<Notify>,
    log: Arc<Mutex<Vec<Change>>>,
}

impl Changes {
    /// The changes reported since the last call, oldest first.
    pub fn take(&self) -> Vec<Change> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Subscriber {
    kinds: Vec<Kind>,
    wake: Arc<Notify>,
    /// Set for a [`Changes`] feed: woken only when something is logged.
    log: Option<Arc<Mutex<Vec<Change>>>>,
}

type Subscribers = Arc<Mutex<Vec<Subscriber>>>;

/// What a [`Changes`] feed reports of a watch event, given the stored previous state.
fn change_of<K: Resource>(
    kind: Kind,
    event: &watcher::Event<K>,
    previous: Option<&K>,
) -> Option<Change> {
    let object = |object: &K, gone: bool| {
        let meta = object.meta();
        Change::Object {
            key: ObjectKey {
                kind,
                namespace: meta.namespace.clone(),
                name: meta.name.clone().unwrap_or_default(),
            },
            uid: meta.uid.clone().unwrap_or_default(),
            gone,
        }
    };
    match event {
        watcher::Event::Apply(new) => {
            let new_meta = new.meta();
            if let Some(old) = previous.filter(|old| old.meta().uid != new_meta.uid) {
                // Another object under the same name, its predecessor's departure unseen:
                // report that departure (whoever reads the feed looks the name up afresh).
                return Some(object(old, true));
            }
            let interesting = match previous.map(Resource::meta) {
                Some(old) => {
                    old.owner_references != new_meta.owner_references
                        || old.finalizers != new_meta.finalizers
                        || old.deletion_timestamp != new_meta.deletion_timestamp
                }
                None => {
                    new_meta
                        .owner_references
                        .as_ref()
                        .is_some_and(|o| !o.is_empty())
                        || new_meta.finalizers.as_ref().is_some_and(|f| !f.is_empty())
                        || new_meta.deletion_timestamp.is_some()
                }
            };
            interesting.then(|| object(new, false))
        }
        watcher::Event::Delete(old) => Some(object(old, true)),
        watcher::Event::InitDone => Some(Change::Relisted(kind)),
        watcher::Event::Init | watcher::Event::InitApply(_) => None,
    }
}

#[derive(Clone)]
pub struct Informers {
    pub pods: Store<Pod>,
    pub nodes: Store<Node>,
    /// Node Leases (`kube-node-lease`).
    pub leases: Store<Lease>,
    pub budgets: Store<PodDisruptionBudget>,
    pub replicasets: Store<ReplicaSet>,
    pub replication_controllers: Store<ReplicationController>,
    pub deployments: Store<Deployment>,
    pub jobs: Store<Job>,
    pub cronjobs: Store<CronJob>,
    pub daemonsets: Store<DaemonSet>,
    pub statefulsets: Store<StatefulSet>,
    pub revisions: Store<ControllerRevision>,
    pub claims: Store<PersistentVolumeClaim>,
    pub services: Store<Service>,
    pub endpoint_slices: Store<EndpointSlice>,
    pub endpoints: Store<Endpoints>,
    /// Core v1 Events (for their expiry).
    pub events: Store<Event>,
    pub namespaces: Store<Namespace>,
    /// The kinds followed by their metadata, each with its store.
    pub metadata: Arc<[(MetaKind, Store<Partial>)]>,
    subscribers: Subscribers,
    /// True once every store has its first full list. (kube's `Store::wait_until_ready`
    /// wakes only one of several concurrent waiters, so it is awaited once, here.)
    ready: tokio::sync::watch::Receiver<bool>,
}

/// Drops an object's managedFields before it is stored: no controller reads them, they are
/// a third of a pod's decoded size, and an update a controller builds from its stored copy
/// then carries none, which the API server reads as "unchanged" (as upstream).
fn drop_managed_fields<K: Resource>(object: &mut K) {
    object.meta_mut().managed_fields = None;
}

/// For Events: only the field sets go. Event expiry reads the entries' times, and Events are
/// only ever deleted from the stored copies, never written back.
fn drop_field_sets<K: Resource>(object: &mut K) {
    use kube::ResourceExt;
    for entry in object.managed_fields_mut() {
        entry.fields_v1 = None;
    }
}

fn start<K>(api: Api<K>, kind: Kind, subscribers: Subscribers) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    start_trimmed(api, kind, subscribers, drop_managed_fields)
}

fn start_trimmed<K>(api: Api<K>, kind: Kind, subscribers: Subscribers, trim: fn(&mut K)) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    follow(
        watcher::watcher(api, watcher::Config::default()).modify(trim),
        kind,
        subscribers,
    )
}

/// Pods and nodes, the kinds with the most events: decoded without managedFields at all.
fn start_lean<K>(client: &kube::Client, kind: Kind, subscribers: Subscribers) -> Store<K>
where
    K: LeanKind + Resource<DynamicType = ()> + Clone + Debug + Send + Sync + 'static,
    Lean<K>: Resource<DynamicType = ()>,
{
    let api: Api<Lean<K>> = Api::all(client.clone());
    follow(
        watcher::watcher(api, watcher::Config::default()).map_ok(unlean),
        kind,
        subscribers,
    )
}

/// A kind followed by its metadata (managedFields dropped).
fn start_metadata(
    client: &kube::Client,
    kind: MetaKind,
    subscribers: Subscribers,
) -> Store<Partial> {
    let resource = kind.api_resource();
    // `Api<PartialObjectMeta<_>>` asks for metadata only (`as=PartialObjectMetadata`).
    let api: Api<Partial> = Api::all_with(client.clone(), &resource);
    follow(
        watcher::watcher(api, watcher::Config::default()).modify(drop_managed_fields),
        Kind::Metadata(kind),
        subscribers,
    )
}

/// Keeps a store of `watch`'s objects and wakes the kind's subscribers on every change they
/// are interested in.
fn follow<K, S>(watch: S, kind: Kind, subscribers: Subscribers) -> Store<K>
where
    K: Resource + Send + Sync + 'static,
    S: futures_util::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
{
    let mut writer = Writer::new();
    let reader = writer.reader();
    tokio::spawn(async move {
        let mut stream = watch.default_backoff().boxed();
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    // Read against the stored previous state, published once the store has
                    // the new one.
                    let change = writer
                        .apply_noting(event, |event, previous| change_of(kind, event, previous));
                    let subscribers = subscribers.lock().unwrap_or_else(|e| e.into_inner());
                    for subscriber in subscribers.iter() {
                        if !subscriber.kinds.contains(&kind) {
                            continue;
                        }
                        match (&subscriber.log, &change) {
                            (None, _) => subscriber.wake.notify_one(),
                            (Some(log), Some(change)) => {
                                log.lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push(change.clone());
                                subscriber.wake.notify_one();
                            }
                            (Some(_), None) => {}
                        }
                    }
                }
                Err(e) => tracing::warn!(?kind, error = %e, "watch error; retrying"),
            }
        }
    });
    reader
}

impl Informers {
    /// Starts one watch per kind.
    pub fn start(client: &kube::Client) -> Informers {
        let subscribers: Subscribers = Arc::default();
        let (ready_tx, ready) = tokio::sync::watch::channel(false);
        let informers = Informers {
            pods: start_lean(client, Kind::Pods, subscribers.clone()),
            nodes: start_lean(client, Kind::Nodes, subscribers.clone()),
            leases: start(
                Api::namespaced(client.clone(), "kube-node-lease"),
                Kind::Leases,
                subscribers.clone(),
            ),
            budgets: start(Api::all(client.clone()), Kind::Budgets, subscribers.clone()),
            replicasets: start(
                Api::all(client.clone()),
                Kind::ReplicaSets,
                subscribers.clone(),
            ),
            replication_controllers: start(
                Api::all(client.clone()),
                Kind::ReplicationControllers,
                subscribers.clone(),
            ),
            deployments: start(
                Api::all(client.clone()),
                Kind::Deployments,
                subscribers.clone(),
            ),
            jobs: start(Api::all(client.clone()), Kind::Jobs, subscribers.clone()),
            cronjobs: start(
                Api::all(client.clone()),
                Kind::CronJobs,
                subscribers.clone(),
            ),
            daemonsets: start(
                Api::all(client.clone()),
                Kind::DaemonSets,
                subscribers.clone(),
            ),
            statefulsets: start(
                Api::all(client.clone()),
                Kind::StatefulSets,
                subscribers.clone(),
            ),
            revisions: start(
                Api::all(client.clone()),
                Kind::Revisions,
                subscribers.clone(),
            ),
            claims: start(Api::all(client.clone()), Kind::Claims, subscribers.clone()),
            services: start(
                Api::all(client.clone()),
                Kind::Services,
                subscribers.clone(),
            ),
            endpoint_slices: start(
                Api::all(client.clone()),
                Kind::EndpointSlices,
                subscribers.clone(),
            ),
            endpoints: start(
                Api::all(client.clone()),
                Kind::Endpoints,
                subscribers.clone(),
            ),
            events: start_trimmed(
                Api::all(client.clone()),
                Kind::Events,
                subscribers.clone(),
                drop_field_sets,
            ),
            namespaces: start(
                Api::all(client.clone()),
                Kind::Namespaces,
                subscribers.clone(),
            ),
            metadata: MetaKind::all()
                .into_iter()
                .map(|kind| (kind, start_metadata(client, kind, subscribers.clone())))
                .collect(),
            subscribers,
            ready,
        };
        let stores = informers.clone();
        tokio::spawn(async move {
            let _ = stores.pods.wait_until_ready().await;
            let _ = stores.nodes.wait_until_ready().await;
            let _ = stores.leases.wait_until_ready().await;
            let _ = stores.budgets.wait_until_ready().await;
            let _ = stores.replicasets.wait_until_ready().await;
            let _ = stores.replication_controllers.wait_until_ready().await;
            let _ = stores.deployments.wait_until_ready().await;
            let _ = stores.jobs.wait_until_ready().await;
            let _ = stores.cronjobs.wait_until_ready().await;
            let _ = stores.daemonsets.wait_until_ready().await;
            let _ = stores.statefulsets.wait_until_ready().await;
            let _ = stores.revisions.wait_until_ready().await;
            let _ = stores.claims.wait_until_ready().await;
            let _ = stores.services.wait_until_ready().await;
            let _ = stores.endpoint_slices.wait_until_ready().await;
            let _ = stores.endpoints.wait_until_ready().await;
            let _ = stores.events.wait_until_ready().await;
            let _ = stores.namespaces.wait_until_ready().await;
            let _ = ready_tx.send(true);
        });
        informers
    }

    /// A wake-up for changes to any of `kinds`.
    pub fn subscribe(&self, kinds: &[Kind]) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Subscriber {
                kinds: kinds.to_vec(),
                wake: wake.clone(),
                log: None,
            });
        wake
    }

    /// A [`Changes`] feed of `kinds`, from now on: what it derives from the stores before
    /// its first change (the first lists may be done already) it reads from the stores.
    pub fn changes(&self, kinds: &[Kind]) -> Changes {
        let changes = Changes {
            wake: Arc::new(Notify::new()),
            log: Arc::default(),
        };
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Subscriber {
                kinds: kinds.to_vec(),
                wake: changes.wake.clone(),
                log: Some(changes.log.clone()),
            });
        changes
    }

    /// Waits until every metadata store has its first full list (their readiness is not part
    /// of [`Informers::ready`]: only the garbage collector reads them).
    pub async fn metadata_ready(&self) {
        for (kind, store) in self.metadata.iter() {
            if store.wait_until_ready().await.is_err() {
                tracing::warn!(?kind, "metadata store closed before its first list");
            }
        }
    }

    /// Waits until every typed store has its first full list.
    pub async fn ready(&self) {
        let mut ready = self.ready.clone();
        let _ = ready.wait_for(|r| *r).await;
    }
}

/// Waits for a change (`wake`) or until the wall-clock deadline `next` (the next time-based
/// action: a toleration running out, an expiry), whichever comes first; an hour at most.
pub async fn wait_for_change_or(wake: &Notify, next: Option<jiff::Timestamp>) {
    let wait = next
        .map(|at| at.duration_since(jiff::Timestamp::now()))
        .and_then(|d| std::time::Duration::try_from(d).ok())
        .unwrap_or(std::time::Duration::from_secs(3600));
    tokio::select! {
        () = wake.notified() => {}
        () = tokio::time::sleep(wait) => {}
    }
}

/// The earlier of two optional deadlines.
pub fn earliest(a: Option<jiff::Timestamp>, b: Option<jiff::Timestamp>) -> Option<jiff::Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry, Time};

    use super::*;

    fn entry() -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            operation: Some("Update".into()),
            time: Some(Time(jiff::Timestamp::UNIX_EPOCH)),
            fields_v1: Some(FieldsV1(serde_json::json!({"f:spec": {"f:replicas": {}}}))),
            ..Default::default()
        }
    }

    fn pod(uid: &str, owner: Option<&str>) -> Pod {
        let mut pod = Pod::default();
        pod.metadata.name = Some("web-1".into());
        pod.metadata.namespace = Some("default".into());
        pod.metadata.uid = Some(uid.into());
        pod.metadata.owner_references = owner.map(|o| {
            vec![
                k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                    uid: o.into(),
                    ..Default::default()
                },
            ]
        });
        pod
    }

    fn reported(uid: &str, gone: bool) -> Option<Change> {
        Some(Change::Object {
            key: ObjectKey {
                kind: Kind::Pods,
                namespace: Some("default".into()),
                name: "web-1".into(),
            },
            uid: uid.into(),
            gone,
        })
    }

    #[test]
    fn the_feed_reports_what_ownership_depends_on() {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let change = |event: &watcher::Event<Pod>, previous: Option<&Pod>| {
            change_of(Kind::Pods, event, previous)
        };
        // Arrivals: only with owners, finalizers or a deletion under way.
        assert_eq!(change(&Apply(pod("a", None)), None), None);
        assert_eq!(
            change(&Apply(pod("a", Some("rs"))), None),
            reported("a", false)
        );
        let mut finalized = pod("a", None);
        finalized.metadata.finalizers = Some(vec!["example.com/keep".into()]);
        assert_eq!(
            change(&Apply(finalized.clone()), None),
            reported("a", false)
        );

        // Updates: status and spec are not reported; owners, finalizers, deletion and a new
        // uid under the same name are.
        let plain = pod("a", None);
        let mut running = plain.clone();
        running.status = Some(Default::default());
        assert_eq!(change(&Apply(running), Some(&plain)), None);
        assert_eq!(
            change(&Apply(pod("a", Some("rs"))), Some(&plain)),
            reported("a", false)
        );
        assert_eq!(
            change(&Apply(finalized), Some(&plain)),
            reported("a", false)
        );
        let mut deleting = plain.clone();
        deleting.metadata.deletion_timestamp = Some(Time(jiff::Timestamp::UNIX_EPOCH));
        assert_eq!(change(&Apply(deleting), Some(&plain)), reported("a", false));
        // A new object under the name: the old one's departure, by its uid.
        assert_eq!(
            change(&Apply(pod("b", None)), Some(&plain)),
            reported("a", true)
        );

        // Departures, owned or not; a finished list is a relist.
        assert_eq!(change(&Delete(plain.clone()), None), reported("a", true));
        assert_eq!(change(&InitDone, None), Some(Change::Relisted(Kind::Pods)));
        assert_eq!(change(&Init, None), None);
        assert_eq!(change(&InitApply(pod("a", Some("rs"))), None), None);
    }

    #[test]
    fn stored_copies_carry_no_field_sets() {
        let mut pod = Pod::default();
        pod.metadata.managed_fields = Some(vec![entry()]);
        drop_managed_fields(&mut pod);
        // An update built from this copy leaves the server's managedFields as they are.
        assert_eq!(pod.metadata.managed_fields, None);

        let mut event = Event::default();
        event.metadata.managed_fields = Some(vec![entry()]);
        drop_field_sets(&mut event);
        let kept = event.metadata.managed_fields.expect("entries kept");
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].fields_v1, None);
        assert!(kept[0].time.is_some(), "event expiry reads the times");
    }
}
