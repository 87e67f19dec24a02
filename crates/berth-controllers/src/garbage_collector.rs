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
//! Watched dependents and owners: Pods, ReplicaSets, ReplicationControllers, Deployments, Jobs, CronJobs,
//! DaemonSets, StatefulSets, ControllerRevisions, PersistentVolumeClaims, Services and
//! EndpointSlices (the kinds with controllers today).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams,
    PropagationPolicy,
};
use serde_json::json;

use crate::informer::{Informers, Interest, Kind};

pub const FOREGROUND: &str = "foregroundDeletion";
pub const ORPHAN: &str = "orphan";
/// An owner confirmed present is not read again for this long.
const CONFIRMED_FOR: Duration = Duration::from_secs(30);

/// What the collector reads of an object: its metadata.
trait Meta: Send + Sync {
    fn meta(&self) -> &ObjectMeta;
}

impl<K: kube::Resource + Send + Sync> Meta for K {
    fn meta(&self) -> &ObjectMeta {
        kube::Resource::meta(self)
    }
}

/// An object as the collector sees it: the informer's own copy, shared (a pass over every
/// object must not clone each one's metadata — managedFields and all — on every wake).
#[derive(Clone)]
struct Item {
    api_version: &'static str,
    kind: &'static str,
    object: std::sync::Arc<dyn Meta>,
}

impl Item {
    fn of<K: kube::Resource + Send + Sync + 'static>(
        api_version: &'static str,
        kind: &'static str,
        object: std::sync::Arc<K>,
    ) -> Item {
        Item {
            api_version,
            kind,
            object,
        }
    }

    fn meta(&self) -> &ObjectMeta {
        self.object.meta()
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
}

/// The dynamic API of `api_version`/`kind` in `namespace`, from the catalogue.
fn api_for(
    client: &kube::Client,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
) -> Option<Api<DynamicObject>> {
    let rt = berth_api::catalogue::by_kind(api_version, kind)?;
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(rt.group, rt.version, rt.kind),
        rt.plural,
    );
    Some(match namespace.filter(|_| rt.namespaced()) {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    })
}

fn items(informers: &Informers) -> Vec<Item> {
    let pods = informers
        .pods
        .state()
        .into_iter()
        .map(|p| Item::of("v1", "Pod", p));
    let sets = informers
        .replicasets
        .state()
        .into_iter()
        .map(|r| Item::of("apps/v1", "ReplicaSet", r));
    let controllers = informers
        .replication_controllers
        .state()
        .into_iter()
        .map(|r| Item::of("v1", "ReplicationController", r));
    let deployments = informers
        .deployments
        .state()
        .into_iter()
        .map(|d| Item::of("apps/v1", "Deployment", d));
    let jobs = informers
        .jobs
        .state()
        .into_iter()
        .map(|j| Item::of("batch/v1", "Job", j));
    let cronjobs = informers
        .cronjobs
        .state()
        .into_iter()
        .map(|j| Item::of("batch/v1", "CronJob", j));
    let daemonsets = informers
        .daemonsets
        .state()
        .into_iter()
        .map(|d| Item::of("apps/v1", "DaemonSet", d));
    let statefulsets = informers
        .statefulsets
        .state()
        .into_iter()
        .map(|d| Item::of("apps/v1", "StatefulSet", d));
    let revisions = informers
        .revisions
        .state()
        .into_iter()
        .map(|r| Item::of("apps/v1", "ControllerRevision", r));
    let claims = informers
        .claims
        .state()
        .into_iter()
        .map(|c| Item::of("v1", "PersistentVolumeClaim", c));
    let services = informers
        .services
        .state()
        .into_iter()
        .map(|r| Item::of("v1", "Service", r));
    let slices = informers
        .endpoint_slices
        .state()
        .into_iter()
        .map(|r| Item::of("discovery.k8s.io/v1", "EndpointSlice", r));
    pods.chain(sets)
        .chain(controllers)
        .chain(claims)
        .chain(services)
        .chain(slices)
        .chain(deployments)
        .chain(daemonsets)
        .chain(statefulsets)
        .chain(revisions)
        .chain(jobs)
        .chain(cronjobs)
        .collect()
}

struct Collector {
    client: kube::Client,
    /// Owner uid → when a live read last found it.
    confirmed: HashMap<String, Instant>,
}

impl Collector {
    /// Whether the owner `reference` (from a dependent in `namespace`) still exists.
    async fn owner_exists(&mut self, reference: &OwnerReference, namespace: Option<&str>) -> bool {
        // Watched kinds are absent from the watch only briefly (just created) or for good:
        // never trust an older confirmation for them.
        let watched = matches!(
            reference.kind.as_str(),
            "Pod"
                | "ReplicaSet"
                | "ReplicationController"
                | "Deployment"
                | "Job"
                | "CronJob"
                | "DaemonSet"
                | "StatefulSet"
                | "ControllerRevision"
                | "Service"
                | "EndpointSlice"
                | "PersistentVolumeClaim"
        );
        if !watched
            && self
                .confirmed
                .get(&reference.uid)
                .is_some_and(|at| at.elapsed() < CONFIRMED_FOR)
        {
            return true;
        }
        let Some(api) = api_for(
            &self.client,
            &reference.api_version,
            &reference.kind,
            namespace,
        ) else {
            // A kind we don't know: never collect on its account.
            return true;
        };
        match api.get(&reference.name).await {
            Ok(owner) if owner.metadata.uid.as_deref() == Some(reference.uid.as_str()) => {
                self.confirmed.insert(reference.uid.clone(), Instant::now());
                true
            }
            Ok(_) => false,
            Err(kube::Error::Api(e)) if e.code == 404 => false,
            // Can't tell: keep the dependent.
            Err(_) => true,
        }
    }

    async fn delete(&self, item: &Item, policy: PropagationPolicy) {
        let Some(api) = api_for(&self.client, item.api_version, item.kind, item.namespace()) else {
            return;
        };
        let params = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(kube::api::Preconditions {
                uid: item.meta().uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match api.delete(item.name(), &params).await {
            Ok(_) => tracing::info!(kind = item.kind, name = item.name(), "garbage-collected"),
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => tracing::warn!(name = item.name(), error = %e, "garbage-collecting"),
        }
    }

    /// Sets `field` of `item`'s metadata to `value`, guarded by its resourceVersion (a
    /// conflict is retried on a later pass, from fresher state).
    async fn set_metadata(&self, item: &Item, field: &str, value: serde_json::Value) {
        let Some(api) = api_for(&self.client, item.api_version, item.kind, item.namespace()) else {
            return;
        };
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

    async fn pass(&mut self, all: &[Item]) -> bool {
        let mut work = false;
        // Indexes only over what the pass can use (a pass runs on every arrival, so it must
        // not hash every object when most have no owners or own nothing): the owners that
        // dependents name, and the dependents of owners being deleted with our finalizers.
        let referenced: HashSet<&str> = all
            .iter()
            .flat_map(|i| i.owners().iter().map(|o| o.uid.as_str()))
            .collect();
        let by_uid: HashMap<&str, &Item> = all
            .iter()
            .filter(|i| referenced.contains(i.uid()))
            .map(|i| (i.uid(), i))
            .collect();
        let finalizing: HashSet<&str> = all
            .iter()
            .filter(|i| i.finalizing(ORPHAN) || i.finalizing(FOREGROUND))
            .map(Item::uid)
            .collect();
        let mut dependents: HashMap<&str, Vec<&Item>> = HashMap::new();
        if !finalizing.is_empty() {
            for item in all {
                for owner in item.owners() {
                    if finalizing.contains(owner.uid.as_str()) {
                        dependents.entry(owner.uid.as_str()).or_default().push(item);
                    }
                }
            }
        }
        // Owners being deleted with a finalizer that is ours.
        for owner in all
            .iter()
            .filter(|i| i.finalizing(ORPHAN) || i.finalizing(FOREGROUND))
        {
            let deps = dependents.get(owner.uid()).cloned().unwrap_or_default();
            if owner.finalizing(ORPHAN) {
                work = true;
                let gone: HashSet<&str> = [owner.uid()].into();
                for dependent in &deps {
                    self.drop_owners(dependent, &gone).await;
                }
                if deps.is_empty() {
                    self.finish(owner, ORPHAN).await;
                }
            } else if owner.finalizing(FOREGROUND) {
                work = true;
                let mut blocking = 0;
                for dependent in &deps {
                    if dependent.meta().deletion_timestamp.is_none() {
                        self.delete(dependent, PropagationPolicy::Foreground).await;
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
        // Dependents whose owners are gone.
        for item in all {
            if item.owners().is_empty() || item.meta().deletion_timestamp.is_some() {
                continue;
            }
            let mut gone: HashSet<&str> = HashSet::new();
            for owner in item.owners() {
                let present = match by_uid.get(owner.uid.as_str()) {
                    Some(_) => true,
                    None => self.owner_exists(owner, item.namespace()).await,
                };
                if !present {
                    gone.insert(owner.uid.as_str());
                }
            }
            if gone.is_empty() {
                continue;
            }
            work = true;
            if gone.len() == item.owners().len() {
                self.delete(item, PropagationPolicy::Background).await;
            } else {
                self.drop_owners(item, &gone).await;
            }
        }
        self.confirmed.retain(|_, at| at.elapsed() < CONFIRMED_FOR);
        work
    }
}

pub async fn run(client: kube::Client, informers: Informers) {
    // Only arrivals, departures and ownership changes can give the collector work.
    let wake = informers.subscribe_to(
        &[
            Kind::Pods,
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
        ],
        Interest::Ownership,
    );
    informers.ready().await;
    let mut collector = Collector {
        client,
        confirmed: HashMap::new(),
    };
    loop {
        let all = items(&informers);
        let work = collector.pass(&all).await;
        // Writes in flight show up as watch events; retry unfinished work soon regardless.
        let wait = if work {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
