//! Garbage collection by `ownerReferences`, as upstream's garbage collector:
//! - **Background**: a dependent whose owners are all gone is deleted; one that lost only some
//!   owners has those references removed. "Gone" is confirmed with a live read of the owner
//!   (absent, or another object with that name), never taken from a possibly lagging watch.
//! - **Foreground**: an owner being deleted with the `foregroundDeletion` finalizer has its
//!   dependents deleted (foreground too); once no dependent with `blockOwnerDeletion` is left,
//!   the finalizer is removed and the owner goes.
//! - **Orphan**: an owner being deleted with the `orphan` finalizer has its references removed
//!   from every dependent, then the finalizer is removed.
//!
//! Watched dependents and owners: every kind that can be listed, watched and deleted but
//! Events (as upstream). Those the controllers hold typed are read from those stores, the
//! others from the informers' metadata-only stores. The collector follows their changes (the
//! informers' change feed) and keeps an owner → dependents graph, so a pass looks only at
//! what changed, the dependents of owners that went, and the owners it is finalising. An
//! owner of a kind not followed (an Event) is read live; one of a kind Berth does not serve
//! is taken as present (its dependents are never collected on its account).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::Store;
use berth_api::ResourceType;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PropagationPolicy};
use kube::runtime::reflector::ObjectRef;
use serde_json::json;

use crate::informer::{
    Change, Informers, Kind, MetaKind, ObjectKey, Partial, TYPED_WHOLE, api_resource,
};

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";
/// An owner of a kind not followed that a live read found is not read again for this long.
const CONFIRMED_FOR: Duration = Duration::from_secs(30);

/// The typed kinds the collector follows, as owners and as dependents: those the typed
/// stores hold whole but Events (the others are the informers' metadata kinds).
fn typed() -> impl Iterator<Item = Kind> {
    TYPED_WHOLE.into_iter().filter(|kind| *kind != Kind::Events)
}

/// Every kind the collector follows.
fn followed(informers: &Informers) -> Vec<Kind> {
    typed()
        .chain(
            informers
                .metadata
                .iter()
                .map(|(kind, _)| Kind::Metadata(*kind)),
        )
        .collect()
}

/// The group of an `apiVersion` ("" for the core group).
fn group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The kind of `followed` an owner reference names (any version of its group), if any.
fn followed_kind(followed: &[Kind], reference: &OwnerReference) -> Option<Kind> {
    followed.iter().copied().find(|kind| {
        kind.resource().is_some_and(|rt| {
            rt.kind == reference.kind && rt.group == group(&reference.api_version)
        })
    })
}

/// What the collector reads of an object: its metadata.
trait Meta: Send + Sync {
    fn meta(&self) -> &ObjectMeta;
}

impl<K: kube::Resource + Send + Sync> Meta for K {
    fn meta(&self) -> &ObjectMeta {
        kube::Resource::meta(self)
    }
}

/// An object as the collector sees it: the informer's own copy, shared (never a copy of
/// its metadata).
#[derive(Clone)]
struct Item {
    kind: Kind,
    object: Arc<dyn Meta>,
}

impl Item {
    fn meta(&self) -> &ObjectMeta {
        self.object.meta()
    }

    fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind,
            namespace: self.meta().namespace.clone(),
            name: self.name().to_string(),
        }
    }

    fn uid(&self) -> &str {
        self.meta().uid.as_deref().unwrap_or_default()
    }

    fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    fn namespace(&self) -> Option<&str> {
        self.meta().namespace.as_deref()
    }

    fn owners(&self) -> &[OwnerReference] {
        self.meta().owner_references.as_deref().unwrap_or_default()
    }

    fn finalizing(&self, finalizer: &str) -> bool {
        self.meta().deletion_timestamp.is_some()
            && self
                .meta()
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == finalizer)
    }

    /// Being deleted with one of the finalizers the collector carries out.
    fn ours_to_finalize(&self) -> bool {
        self.finalizing(ORPHAN) || self.finalizing(FOREGROUND)
    }
}

/// Where the owner `reference` of a followed `kind`, named by a dependent in `namespace`,
/// is stored (a cluster-scoped owner has no namespace).
fn owner_key(kind: Kind, reference: &OwnerReference, namespace: Option<&str>) -> Option<ObjectKey> {
    let rt = kind.resource()?;
    Some(ObjectKey {
        kind,
        namespace: namespace.filter(|_| rt.namespaced()).map(str::to_string),
        name: reference.name.clone(),
    })
}

/// The dynamic API of `rt` in `namespace` (ignored for cluster-scoped kinds).
fn api_for(
    client: &kube::Client,
    rt: &'static ResourceType,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    let resource = api_resource(rt);
    match namespace.filter(|_| rt.namespaced()) {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

/// The store of the metadata kind `kind`.
fn metadata_store(informers: &Informers, kind: MetaKind) -> Option<&Store<Partial>> {
    informers
        .metadata
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, store)| store)
}

/// The stored object at `key`.
fn lookup(informers: &Informers, key: &ObjectKey) -> Option<Item> {
    fn get<K>(store: &Store<K>, key: &ObjectKey, dyntype: K::DynamicType) -> Option<Arc<dyn Meta>>
    where
        K: kube::Resource + Clone + Send + Sync + 'static,
        K::DynamicType: Eq + std::hash::Hash + Clone,
    {
        let mut reference = ObjectRef::new_with(&key.name, dyntype);
        if let Some(namespace) = &key.namespace {
            reference = reference.within(namespace);
        }
        store.get(&reference).map(|o| o as Arc<dyn Meta>)
    }
    let object = match key.kind {
        Kind::Pods => get(&informers.pods, key, ()),
        Kind::Nodes => get(&informers.nodes, key, ()),
        Kind::Budgets => get(&informers.budgets, key, ()),
        Kind::ReplicaSets => get(&informers.replicasets, key, ()),
        Kind::ReplicationControllers => get(&informers.replication_controllers, key, ()),
        Kind::Deployments => get(&informers.deployments, key, ()),
        Kind::Jobs => get(&informers.jobs, key, ()),
        Kind::CronJobs => get(&informers.cronjobs, key, ()),
        Kind::DaemonSets => get(&informers.daemonsets, key, ()),
        Kind::StatefulSets => get(&informers.statefulsets, key, ()),
        Kind::Revisions => get(&informers.revisions, key, ()),
        Kind::Claims => get(&informers.claims, key, ()),
        Kind::Services => get(&informers.services, key, ()),
        Kind::EndpointSlices => get(&informers.endpoint_slices, key, ()),
        Kind::Endpoints => get(&informers.endpoints, key, ()),
        Kind::Namespaces => get(&informers.namespaces, key, ()),
        Kind::Metadata(kind) => get(metadata_store(informers, kind)?, key, kind.api_resource()),
        Kind::Leases | Kind::Events => None,
    }?;
    Some(Item {
        kind: key.kind,
        object,
    })
}

/// Every stored object of the followed kinds.
fn items(informers: &Informers) -> Vec<Item> {
    fn of<K>(kind: Kind, store: &Store<K>) -> impl Iterator<Item = Item> + '_
    where
        K: kube::Resource + Clone + Send + Sync + 'static,
        K::DynamicType: Eq + std::hash::Hash + Clone,
    {
        store.state().into_iter().map(move |object| Item {
            kind,
            object: object as Arc<dyn Meta>,
        })
    }
    let typed = of(Kind::Pods, &informers.pods)
        .chain(of(Kind::Nodes, &informers.nodes))
        .chain(of(Kind::Budgets, &informers.budgets))
        .chain(of(Kind::ReplicaSets, &informers.replicasets))
        .chain(of(
            Kind::ReplicationControllers,
            &informers.replication_controllers,
        ))
        .chain(of(Kind::Deployments, &informers.deployments))
        .chain(of(Kind::Jobs, &informers.jobs))
        .chain(of(Kind::CronJobs, &informers.cronjobs))
        .chain(of(Kind::DaemonSets, &informers.daemonsets))
        .chain(of(Kind::StatefulSets, &informers.statefulsets))
        .chain(of(Kind::Revisions, &informers.revisions))
        .chain(of(Kind::Claims, &informers.claims))
        .chain(of(Kind::Services, &informers.services))
        .chain(of(Kind::EndpointSlices, &informers.endpoint_slices))
        .chain(of(Kind::Endpoints, &informers.endpoints))
        .chain(of(Kind::Namespaces, &informers.namespaces));
    let partial = informers
        .metadata
        .iter()
        .flat_map(|(kind, store)| of(Kind::Metadata(*kind), store));
    typed.chain(partial).collect()
}

/// Whether an owner still exists, as far as the collector can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Present,
    Gone,
    /// The read failed: decide later.
    Unknown,
}

/// Who owns whom, kept from the change feed: the owner uids each dependent names, and the
/// dependents of each owner uid (what must be looked at when that owner goes).
#[derive(Default)]
struct Graph {
    owners: HashMap<ObjectKey, Vec<String>>,
    dependents: HashMap<String, HashSet<ObjectKey>>,
}

impl Graph {
    /// Records `key`'s current owners (none when it is gone).
    fn set(&mut self, key: &ObjectKey, item: Option<&Item>) {
        if let Some(old) = self.owners.remove(key) {
            for uid in old {
                if let Some(set) = self.dependents.get_mut(&uid) {
                    set.remove(key);
                    if set.is_empty() {
                        self.dependents.remove(&uid);
                    }
                }
            }
        }
        let Some(item) = item.filter(|i| !i.owners().is_empty()) else {
            return;
        };
        let uids: Vec<String> = item.owners().iter().map(|o| o.uid.clone()).collect();
        for uid in &uids {
            self.dependents
                .entry(uid.clone())
                .or_default()
                .insert(key.clone());
        }
        self.owners.insert(key.clone(), uids);
    }

    fn dependents_of(&self, uid: &str) -> impl Iterator<Item = &ObjectKey> {
        self.dependents.get(uid).into_iter().flatten()
    }
}

struct Collector {
    client: kube::Client,
    informers: Informers,
    /// The kinds followed ([`followed`]).
    followed: Vec<Kind>,
    /// Owner uid → when a live read last found it (kinds not followed only).
    confirmed: HashMap<String, Instant>,
    graph: Graph,
    /// Owners being deleted with our orphan or foreground finalizer.
    finalizing: HashSet<ObjectKey>,
    /// Dependents to look at on the next pass.
    check: HashSet<ObjectKey>,
}

impl Collector {
    /// Rebuilds the graph from the stores and marks every dependent to be looked at.
    fn rebuild(&mut self) {
        self.graph = Graph::default();
        self.finalizing.clear();
        for item in items(&self.informers) {
            self.note(&item.key(), Some(&item));
        }
    }

    /// Takes in `key`'s current state (`None`: gone).
    fn note(&mut self, key: &ObjectKey, item: Option<&Item>) {
        self.graph.set(key, item);
        match item {
            Some(item) if item.ours_to_finalize() => {
                self.finalizing.insert(key.clone());
            }
            _ => {
                self.finalizing.remove(key);
            }
        }
        let dependent =
            item.filter(|i| !i.owners().is_empty() && i.meta().deletion_timestamp.is_none());
        if dependent.is_some() {
            self.check.insert(key.clone());
        }
    }

    /// Takes in a batch of the feed's changes.
    fn apply(&mut self, changes: Vec<Change>) {
        if changes.iter().any(|c| matches!(c, Change::Relisted(_))) {
            self.rebuild();
            return;
        }
        for change in changes {
            let Change::Object { key, uid, gone } = change else {
                continue;
            };
            // The store has moved on since the change (maybe past a deletion and a new
            // object under the same name): what counts is what it holds now.
            let item = lookup(&self.informers, &key);
            self.note(&key, item.as_ref());
            let departed = gone || item.as_ref().is_some_and(|i| i.uid() != uid);
            if departed {
                let dependents: Vec<ObjectKey> = self.graph.dependents_of(&uid).cloned().collect();
                self.check.extend(dependents);
            }
        }
    }

    /// Whether the owner `reference` (from a dependent in `namespace`) still exists.
    async fn owner_presence(
        &mut self,
        reference: &OwnerReference,
        namespace: Option<&str>,
    ) -> Presence {
        let followed = followed_kind(&self.followed, reference);
        let rt = match followed {
            Some(kind) => kind.resource(),
            None => berth_api::catalogue::by_kind(&reference.api_version, &reference.kind),
        };
        let Some(rt) = rt else {
            // A kind we don't know: never collect on its account.
            return Presence::Present;
        };
        if rt.namespaced() && namespace.is_none() {
            // A cluster-scoped dependent cannot have a namespaced owner: upstream takes the
            // reference as unresolvable and never collects on its account.
            return Presence::Present;
        }
        if let Some(key) = followed.and_then(|kind| owner_key(kind, reference, namespace)) {
            if lookup(&self.informers, &key).is_some_and(|o| o.uid() == reference.uid) {
                return Presence::Present;
            }
            // Absent from the watch: just created (the watch lags) or gone for good. A
            // live read decides; an older confirmation is never trusted for these kinds.
        } else if self
            .confirmed
            .get(&reference.uid)
            .is_some_and(|at| at.elapsed() < CONFIRMED_FOR)
        {
            return Presence::Present;
        }
        let api = api_for(&self.client, rt, namespace);
        match api.get(&reference.name).await {
            Ok(owner) if owner.metadata.uid.as_deref() == Some(reference.uid.as_str()) => {
                if followed.is_none() {
                    self.confirmed.insert(reference.uid.clone(), Instant::now());
                }
                Presence::Present
            }
            Ok(_) => Presence::Gone,
            Err(kube::Error::Api(e)) if e.code == 404 => Presence::Gone,
            Err(_) => Presence::Unknown,
        }
    }

    async fn delete(&self, item: &Item, policy: PropagationPolicy) {
        let Some(rt) = item.kind.resource() else {
            return;
        };
        let api = api_for(&self.client, rt, item.namespace());
        let params = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(kube::api::Preconditions {
                uid: item.meta().uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(item.name(), &params).await {
            Ok(_) => tracing::info!(kind = rt.kind, name = item.name(), "garbage-collected"),
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => tracing::warn!(name = item.name(), error = %e, "garbage-collecting"),
        }
    }

    /// Sets `field` of `item`'s metadata to `value`, guarded by its resourceVersion (a
    /// conflict is retried on a later pass, from fresher state).
    async fn set_metadata(&self, item: &Item, field: &str, value: serde_json::Value) {
        let Some(rt) = item.kind.resource() else {
            return;
        };
        let api = api_for(&self.client, rt, item.namespace());
        let patch = json!({"metadata": {
            field: value,
            "resourceVersion": item.meta().resource_version,
        }});
        if let Err(e) = api
            .patch(item.name(), &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            tracing::debug!(name = item.name(), field, error = %e, "updating metadata; will retry");
        }
    }

    /// Removes the references to `gone` owner uids from `item`.
    async fn drop_owners(&self, item: &Item, gone: &HashSet<&str>) {
        let kept: Vec<&OwnerReference> = item
            .owners()
            .iter()
            .filter(|o| !gone.contains(o.uid.as_str()))
            .collect();
        self.set_metadata(item, "ownerReferences", json!(kept))
            .await;
    }

    /// Removes `finalizer` from `item`.
    async fn finish(&self, item: &Item, finalizer: &str) {
        let rest: Vec<&String> = item
            .meta()
            .finalizers
            .iter()
            .flatten()
            .filter(|f| *f != finalizer)
            .collect();
        self.set_metadata(item, "finalizers", json!(rest)).await;
    }

    /// Carries out the orphan or foreground finalizer of `owner`.
    async fn finalize(&mut self, owner: &Item) {
        let dependents: Vec<Item> = self
            .graph
            .dependents_of(owner.uid())
            .filter_map(|key| lookup(&self.informers, key))
            .filter(|d| d.owners().iter().any(|o| o.uid == owner.uid()))
            .collect();
        if owner.finalizing(ORPHAN) {
            let gone: HashSet<&str> = [owner.uid()].into();
            for dependent in &dependents {
                self.drop_owners(dependent, &gone).await;
            }
            if dependents.is_empty() {
                self.finish(owner, ORPHAN).await;
            }
        } else if owner.finalizing(FOREGROUND) {
            let mut blocking = 0;
            for dependent in &dependents {
                if dependent.meta().deletion_timestamp.is_none() {
                    if self.has_solid_owner(dependent, owner.uid()).await {
                        // Another owner keeps it: only the reference goes (as upstream).
                        let going: HashSet<&str> = [owner.uid()].into();
                        self.drop_owners(dependent, &going).await;
                    } else {
                        self.delete(dependent, PropagationPolicy::Foreground).await;
                    }
                }
                let blocks = dependent
                    .owners()
                    .iter()
                    .any(|o| o.uid == owner.uid() && o.block_owner_deletion == Some(true));
                if blocks {
                    blocking += 1;
                }
            }
            if blocking == 0 {
                self.finish(owner, FOREGROUND).await;
            }
        }
    }

    /// Whether `dependent` has an owner besides `except` that exists and is not itself
    /// waiting for its dependents to go (upstream's "solid" owners). An owner that cannot be
    /// read counts as solid: nothing is deleted on a guess.
    async fn has_solid_owner(&mut self, dependent: &Item, except: &str) -> bool {
        for reference in dependent.owners().iter().filter(|o| o.uid != except) {
            match self.owner_presence(reference, dependent.namespace()).await {
                Presence::Gone => {}
                Presence::Unknown => return true,
                Presence::Present => {
                    let waiting = followed_kind(&self.followed, reference)
                        .and_then(|kind| owner_key(kind, reference, dependent.namespace()))
                        .and_then(|key| lookup(&self.informers, &key))
                        .is_some_and(|o| o.uid() == reference.uid && o.finalizing(FOREGROUND));
                    if !waiting {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Looks at the finalizing owners and the dependents marked since the last pass;
    /// whether anything was written (or could not be decided), to be looked at again.
    async fn pass(&mut self) -> bool {
        let mut work = false;
        let mut again: HashSet<ObjectKey> = HashSet::new();
        // Owners being deleted with a finalizer that is ours.
        let finalizing: Vec<ObjectKey> = self.finalizing.iter().cloned().collect();
        for key in finalizing {
            match lookup(&self.informers, &key).filter(Item::ours_to_finalize) {
                Some(owner) => {
                    work = true;
                    self.finalize(&owner).await;
                }
                None => {
                    self.finalizing.remove(&key);
                }
            }
        }
        // Dependents whose owners may be gone.
        let check = std::mem::take(&mut self.check);
        for key in check {
            let Some(item) = lookup(&self.informers, &key) else {
                continue;
            };
            if item.owners().is_empty() || item.meta().deletion_timestamp.is_some() {
                continue;
            }
            let mut gone: HashSet<&str> = HashSet::new();
            let mut unknown = false;
            for owner in item.owners() {
                match self.owner_presence(owner, item.namespace()).await {
                    Presence::Present => {}
                    Presence::Gone => {
                        gone.insert(owner.uid.as_str());
                    }
                    Presence::Unknown => unknown = true,
                }
            }
            if unknown {
                work = true;
                again.insert(key.clone());
            }
            if gone.is_empty() {
                continue;
            }
            // Written: look again once the write shows (or failed).
            work = true;
            again.insert(key.clone());
            if gone.len() == item.owners().len() {
                self.delete(&item, PropagationPolicy::Background).await;
            } else {
                self.drop_owners(&item, &gone).await;
            }
        }
        self.check.extend(again);
        self.confirmed.retain(|_, at| at.elapsed() < CONFIRMED_FOR);
        work
    }
}

pub async fn run(client: kube::Client, informers: Informers) {
    // Only arrivals with owners, departures and ownership changes can give the collector
    // work, and only for the objects concerned (and a departed owner's dependents).
    let kinds = followed(&informers);
    let changes = informers.changes(&kinds);
    // Every followed kind listed first (as upstream's collector waits for its monitors): a
    // dependent not yet seen could otherwise be missed by an orphan or foreground deletion.
    informers.ready().await;
    informers.metadata_ready().await;
    let mut collector = Collector {
        client,
        informers,
        followed: kinds,
        confirmed: HashMap::new(),
        graph: Graph::default(),
        finalizing: HashSet::new(),
        check: HashSet::new(),
    };
    // Whatever the feed reported before the stores were ready is in them.
    changes.take();
    collector.rebuild();
    loop {
        let work = collector.pass().await;
        // Writes in flight show up as watch events; retry unfinished work soon regardless.
        let wait = if work {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            () = changes.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        collector.apply(changes.take());
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::Pod;

    use super::*;

    fn owned(name: &str, owners: &[&str]) -> (ObjectKey, Item) {
        let mut pod = Pod::default();
        pod.metadata.name = Some(name.into());
        pod.metadata.namespace = Some("default".into());
        pod.metadata.owner_references = Some(
            owners
                .iter()
                .map(|uid| OwnerReference {
                    uid: uid.to_string(),
                    ..Default::default()
                })
                .collect(),
        );
        let item = Item {
            kind: Kind::Pods,
            object: Arc::new(pod),
        };
        (item.key(), item)
    }

    fn dependents(graph: &Graph, uid: &str) -> Vec<String> {
        let mut names: Vec<String> = graph.dependents_of(uid).map(|k| k.name.clone()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_graph_follows_owner_changes_and_departures() {
        let mut graph = Graph::default();
        let (a, a_item) = owned("a", &["rs1"]);
        let (b, b_item) = owned("b", &["rs1", "rs2"]);
        graph.set(&a, Some(&a_item));
        graph.set(&b, Some(&b_item));
        assert_eq!(dependents(&graph, "rs1"), ["a", "b"]);
        assert_eq!(dependents(&graph, "rs2"), ["b"]);

        // b released by rs1, a gone: the index forgets them.
        let (_, b_released) = owned("b", &["rs2"]);
        graph.set(&b, Some(&b_released));
        graph.set(&a, None);
        assert!(dependents(&graph, "rs1").is_empty());
        assert!(
            !graph.dependents.contains_key("rs1"),
            "empty sets are dropped"
        );
        assert_eq!(dependents(&graph, "rs2"), ["b"]);

        // Orphaned entirely: nothing left.
        let (_, b_orphan) = owned("b", &[]);
        graph.set(&b, Some(&b_orphan));
        assert!(graph.dependents.is_empty() && graph.owners.is_empty());
    }

    #[test]
    fn owner_references_name_followed_kinds_by_group() {
        let reference = |api_version: &str, kind: &str| OwnerReference {
            api_version: api_version.into(),
            kind: kind.into(),
            ..Default::default()
        };
        let followed: Vec<Kind> = typed()
            .chain(MetaKind::all().into_iter().map(Kind::Metadata))
            .collect();
        let kind = |api_version: &str, kind: &str| {
            followed_kind(&followed, &reference(api_version, kind))
                .and_then(Kind::resource)
                .map(|rt| (rt.group, rt.plural))
        };
        assert_eq!(kind("apps/v1", "ReplicaSet"), Some(("apps", "replicasets")));
        assert_eq!(kind("v1", "Pod"), Some(("", "pods")));
        assert_eq!(kind("v1", "Node"), Some(("", "nodes")));
        assert_eq!(
            kind("discovery.k8s.io/v1", "EndpointSlice"),
            Some(("discovery.k8s.io", "endpointslices"))
        );
        // Kinds no controller holds, by their metadata; any version of the group.
        assert_eq!(kind("v1", "ConfigMap"), Some(("", "configmaps")));
        assert_eq!(kind("v1", "Secret"), Some(("", "secrets")));
        assert_eq!(
            kind("coordination.k8s.io/v1", "Lease"),
            Some(("coordination.k8s.io", "leases"))
        );
        assert_eq!(
            kind("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
            Some(("autoscaling", "horizontalpodautoscalers"))
        );
        assert_eq!(
            kind("rbac.authorization.k8s.io/v1", "ClusterRole"),
            Some(("rbac.authorization.k8s.io", "clusterroles"))
        );
        // Another group's kind of the same name, and Events, are not followed.
        assert_eq!(kind("example.com/v1", "ReplicaSet"), None);
        assert_eq!(kind("v1", "Event"), None);
        assert_eq!(kind("events.k8s.io/v1", "Event"), None);
    }

    #[test]
    fn every_kind_is_followed_once() {
        let metadata = MetaKind::all();
        for kind in typed() {
            let rt = kind.resource().expect("typed kinds are in the catalogue");
            assert!(
                !metadata
                    .iter()
                    .any(|m| (m.0.group, m.0.plural) == (rt.group, rt.plural)),
                "{kind:?} is followed twice"
            );
        }
        let mut seen = HashSet::new();
        for m in &metadata {
            assert!(seen.insert((m.0.group, m.0.plural)), "{m:?} twice");
            assert!(m.0.verbs.contains(&"watch") && m.0.verbs.contains(&"delete"));
        }
    }
}
