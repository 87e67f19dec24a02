//! The registry: Kubernetes objects in the store. It owns the key layout
//! (`<storage prefix><namespace>/<name>`), the encoding (JSON without `resourceVersion`, which
//! is the key's `mod_revision`), the server-set metadata, and optimistic concurrency.
//!
//! Invariants:
//! - `metadata.resourceVersion` of every object returned is the store revision of its last write.
//! - `uid` and `creationTimestamp` are set on create and never change.
//! - `generation` starts at 1 and grows only when the object's spec (everything but metadata
//!   and status) changes.
//! - Writes through the main resource keep the stored `status` of resources that have a status
//!   subresource; writes through `/status` change only `status`.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use berth_api::names::{self, NameRule};
use berth_api::selector::{FieldSelector, LabelSelector};
use berth_api::{Object, ResourceType};
use berth_store::{KeyValue, RangeRequest, Revision, Store, StoreError};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::status::ApiError;
use crate::watch_cache::WatchCaches;

mod admission;
mod binding;
mod delete;
pub mod ownership;
mod services;
mod status;
mod written;

use written::Handover;
pub use written::Stored;

pub use admission::{PodAdmission, TAINT_NOT_READY, TAINT_UNREACHABLE};
pub use delete::{DeleteOptions, Deleted};
pub use ownership::FieldManager;
pub use services::{NODE_PORTS, ServiceNetwork};

/// Namespaces that always exist.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(Clone)]
pub struct Registry {
    store: Arc<dyn Store>,
    services: ServiceNetwork,
    caches: Arc<WatchCaches>,
    pod_admission: PodAdmission,
}

/// Options of a list request.
#[derive(Debug, Default, Clone)]
pub struct ListOptions {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    /// `resourceVersionMatch=Exact`: the state at exactly this revision.
    pub exact: Option<Revision>,
}

pub struct ListResult {
    pub items: Vec<Object>,
    pub revision: Revision,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

/// How an update writes.
#[derive(Debug, Clone, Copy)]
pub struct UpdateOptions<'a> {
    pub scope: WriteScope,
    /// Who writes (managedFields); `None` for writes that track ownership themselves.
    pub manager: Option<&'a FieldManager>,
    pub dry_run: bool,
    /// The object the caller read for this update (with its resourceVersion), if it read
    /// one: the first attempt starts from it instead of decoding the cache's copy again.
    /// A stale one only costs a retry (the compare-and-swap fails and the store is read).
    pub current: Option<&'a Object>,
}

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteScope {
    Main,
    Status,
    /// A Namespace's `/finalize`: only `spec.finalizers` changes.
    Finalize,
    /// Spec and status together: server-side writes such as `pods/binding`.
    All,
}

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn random_suffix() -> String {
    // Upstream's alphabet: no vowels, no confusable characters.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The part of an object that `generation` tracks: everything but metadata and status.
/// Whether a status write's `object` is `existing` but for its status (and resourceVersion):
/// then it is the next object as it is, without copying `existing` (a status patch, or a
/// status update built from the current object: the common case).
fn same_outside_status(object: &Object, existing: &Object) -> bool {
    object.api_version == existing.api_version
        && object.kind == existing.kind
        && object
            .metadata
            .same_but_resource_version(&existing.metadata)
        && object.same_body_but_status(existing)
}

/// 422 Invalid unless `object` passes the built-in validation of its kind.
fn validate_object(
    rt: &ResourceType,
    object: &Object,
    old: Option<&Object>,
) -> Result<(), ApiError> {
    let causes = berth_api::validation::validate(rt.group, rt.kind, object, old);
    if causes.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        rt,
        &object.metadata.name,
        causes
            .into_iter()
            .map(|c| (c.field, c.message, c.reason))
            .collect(),
    ))
}

/// A new Pod with scheduling gates starts `PodScheduled=False` (reason `SchedulingGated`), as
/// upstream's pod strategy marks it: `kubectl get` shows it as `SchedulingGated`. Only on
/// create: removing the gates later leaves the condition until the scheduler writes its own.
fn mark_scheduling_gated(pod: &mut Object) {
    let gated = pod
        .body
        .get("spec")
        .and_then(|s| s.get("schedulingGates"))
        .and_then(Value::as_array)
        .is_some_and(|gates| !gates.is_empty());
    if gated {
        pod.body["status"]["conditions"] = json!([{
            "type": "PodScheduled",
            "status": "False",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
            "lastProbeTime": null,
            "lastTransitionTime": now_rfc3339(),
        }]);
    }
}

/// Whether objects of this resource carry `metadata.generation`: workloads and the other kinds
/// whose controllers report `observedGeneration` (upstream leaves it unset on ConfigMaps,
/// Secrets, Services, Namespaces, …).
fn tracks_generation(rt: &ResourceType) -> bool {
    match rt.group {
        "" => matches!(rt.plural, "pods" | "replicationcontrollers"),
        "apps" | "batch" | "autoscaling" | "policy" | "networking.k8s.io" => true,
        _ => false,
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: i64,
    start: String,
    /// Keys after `start` at `rv` (a list without selectors): counted once, on the first
    /// page, so that each page's `remainingItemCount` costs no scan of the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remaining: Option<u64>,
}

impl Registry {
    pub fn new(store: Arc<dyn Store>, services: ServiceNetwork) -> Registry {
        let caches = Arc::new(WatchCaches::new(store.clone()));
        Registry {
            store,
            services,
            caches,
            pod_admission: PodAdmission::default(),
        }
    }

    /// The same registry with other pod admission settings.
    pub fn with_pod_admission(mut self, admission: PodAdmission) -> Registry {
        self.pod_admission = admission;
        self
    }

    /// The in-memory caches lists and watches are served from.
    pub fn caches(&self) -> &WatchCaches {
        &self.caches
    }

    fn is_service(rt: &ResourceType) -> bool {
        rt.group.is_empty() && rt.plural == "services"
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The key prefix of a resource in one namespace, or in all.
    pub fn prefix(rt: &ResourceType, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if rt.namespaced() => format!("{}{ns}/", rt.storage_prefix()),
            _ => rt.storage_prefix(),
        }
    }

    pub fn key(rt: &ResourceType, namespace: Option<&str>, name: &str) -> String {
        format!("{}{name}", Self::prefix(rt, namespace))
    }

    /// Decodes a stored object; its resourceVersion is the key's revision.
    pub fn decode(rt: &ResourceType, kv: &KeyValue) -> Result<Object, ApiError> {
        let mut object = Object::from_json(&kv.value).map_err(|e| {
            ApiError::internal(format!("stored object {} is not valid JSON: {e}", kv.key))
        })?;
        object.metadata.resource_version = kv.mod_revision.to_string();
        if object.api_version.is_empty() {
            object.api_version = rt.group_version().api_version();
        }
        if object.kind.is_empty() {
            object.kind = rt.kind.to_string();
        }
        berth_api::conversion::convert(&mut object, rt);
        Ok(object)
    }

    /// The stored form: the storage version, without resourceVersion. (`object` comes back
    /// as it was; it is borrowed mutably only to leave its resourceVersion out without a copy
    /// of the whole object when it already is in the storage version.)
    fn encode(rt: &ResourceType, object: &mut Object) -> Bytes {
        let storage = berth_api::conversion::storage_version(rt);
        if let Some(storage) = storage
            && object.api_version != storage.group_version().api_version()
        {
            let mut stored = object.clone();
            berth_api::conversion::convert(&mut stored, storage);
            stored.metadata.resource_version.clear();
            return Bytes::from(stored.to_json());
        }
        let resource_version = std::mem::take(&mut object.metadata.resource_version);
        let stored = Bytes::from(object.to_json());
        object.metadata.resource_version = resource_version;
        stored
    }

    pub async fn get(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Object, ApiError> {
        match self.store.get(&Self::key(rt, namespace, name)).await {
            Ok(Some(kv)) => Self::decode(rt, &kv),
            Ok(None) => Err(ApiError::not_found(rt, name)),
            Err(e) => Err(ApiError::from_store(e)),
        }
    }

    /// The object for a read-modify-write: the watch cache's copy when `cached_ok` and there is
    /// one (it may lag; the write's compare-and-swap catches that and the caller retries with
    /// `cached_ok` false), else the store's.
    pub async fn get_for_update(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        cached_ok: bool,
    ) -> Result<Object, ApiError> {
        if cached_ok
            && let Some(cached) = self
                .caches
                .running(rt)
                .and_then(|cache| cache.object(&Self::key(rt, namespace, name)))
        {
            return cached.object().map(std::borrow::Cow::into_owned);
        }
        self.get(rt, namespace, name).await
    }

    /// 404 unless the namespace exists; 403 while it is being deleted. Like upstream's
    /// NamespaceLifecycle admission, this reads the watch cache's copy when it has one (a
    /// namespace marked for deletion a moment ago may still take a create, as upstream);
    /// a namespace the cache has not seen yet is looked up in the store.
    pub async fn require_namespace(&self, namespace: &str) -> Result<(), ApiError> {
        let ns = berth_api::catalogue::lookup("", "v1", "namespaces")
            .ok_or_else(|| ApiError::internal("no namespaces"))?;
        let key = Self::key(ns, None, namespace);
        let terminating = |object: &Object| {
            if object.metadata.deletion_timestamp.is_some() {
                return Err(ApiError::forbidden(format!(
                    "unable to create new content in namespace {namespace} because it is being terminated"
                )));
            }
            Ok(())
        };
        if let Some(cached) = self.caches.running(ns).and_then(|cache| cache.object(&key)) {
            return terminating(&*cached.object()?);
        }
        match self.store.get(&key).await {
            Ok(Some(kv)) => terminating(&Self::decode(ns, &kv)?),
            Ok(None) => Err(ApiError::namespace_not_found(namespace)),
            Err(e) => Err(ApiError::from_store(e)),
        }
    }

    pub async fn list(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        options: &ListOptions,
    ) -> Result<ListResult, ApiError> {
        let prefix = Self::prefix(rt, namespace);
        let unselective = options.labels.is_empty() && options.fields.is_empty();
        let (mut start, mut revision, mut remaining) = match &options.continue_token {
            Some(token) => {
                let bad = || ApiError::bad_request("invalid continue token");
                let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(token)
                    .map_err(|_| bad())?;
                let token: ContinueToken = serde_json::from_slice(&raw).map_err(|_| bad())?;
                if !token.start.starts_with(&prefix) {
                    return Err(bad());
                }
                (
                    Some(token.start),
                    Some(Revision::new(token.rv)),
                    token.remaining,
                )
            }
            None => (None, options.exact, None),
        };
        let mut items = Vec::new();
        loop {
            let want = options.limit.map(|l| l.saturating_sub(items.len()).max(1));
            let mut request = RangeRequest::prefix(prefix.clone());
            request.start_after = start.clone();
            request.limit = want;
            request.revision = revision;
            // The first page of a list without selectors counts the rest, once.
            request.count = unselective && options.continue_token.is_none();
            let page = match self.store.range(request).await {
                Ok(page) => page,
                // As upstream's etcd3 store answers a list at a compacted revision.
                Err(StoreError::Compacted { .. }) if options.continue_token.is_none() => {
                    return Err(ApiError::gone(
                        "The resourceVersion for the provided list is too old.",
                    ));
                }
                Err(StoreError::FutureRevision { requested, current }) => {
                    return Err(ApiError::too_large_resource_version(
                        requested.get(),
                        current.get(),
                    ));
                }
                Err(StoreError::Compacted { .. }) => {
                    return Err(ApiError::gone(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    ));
                }
                Err(e) => return Err(ApiError::from_store(e)),
            };
            revision = Some(page.revision);
            remaining = page
                .count
                .or(remaining)
                .map(|r| r.saturating_sub(page.kvs.len() as u64));
            let last_key = page.kvs.last().map(|kv| kv.key.clone());
            for kv in &page.kvs {
                let object = Self::decode(rt, kv)?;
                if options.labels.matches(&object.metadata.labels)
                    && (options.fields.is_empty()
                        || options.fields.matches_kind(rt.plural, &object.to_value()))
                {
                    items.push(object);
                }
            }
            let full = options.limit.is_some_and(|l| items.len() >= l);
            if !page.more || last_key.is_none() {
                return Ok(ListResult {
                    items,
                    revision: page.revision,
                    continue_token: None,
                    remaining: None,
                });
            }
            start = last_key;
            if full {
                let remaining = remaining.filter(|_| unselective);
                let token = ContinueToken {
                    rv: page.revision.get(),
                    start: start.clone().unwrap_or_default(),
                    remaining,
                };
                let token = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(serde_json::to_vec(&token).unwrap_or_default());
                return Ok(ListResult {
                    items,
                    revision: page.revision,
                    continue_token: Some(token),
                    remaining,
                });
            }
        }
    }

    /// Checks a body's identity against the URL: kind and apiVersion (when given) must be the
    /// resource's, the namespace (when given) the URL's.
    pub fn check_identity(
        rt: &ResourceType,
        namespace: Option<&str>,
        object: &mut Object,
    ) -> Result<(), ApiError> {
        let api_version = rt.group_version().api_version();
        if !object.kind.is_empty() && object.kind != rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the body ({}) does not match the kind of the URL ({})",
                object.kind, rt.kind
            )));
        }
        if !object.api_version.is_empty() && object.api_version != api_version {
            return Err(ApiError::bad_request(format!(
                "the apiVersion in the body ({}) does not match the URL ({api_version})",
                object.api_version
            )));
        }
        object.kind = rt.kind.to_string();
        object.api_version = api_version;
        berth_api::defaults::apply(rt.group, rt.kind, &mut object.body);
        match namespace {
            Some(ns) if rt.namespaced() => {
                if !object.metadata.namespace.is_empty() && object.metadata.namespace != ns {
                    return Err(ApiError::bad_request(format!(
                        "the namespace of the provided object ({}) does not match the namespace sent on the request ({ns})",
                        object.metadata.namespace
                    )));
                }
                object.metadata.namespace = ns.to_string();
            }
            _ => object.metadata.namespace.clear(),
        }
        Ok(())
    }

    /// Creates an object (name or generateName), stamping server-set metadata.
    pub async fn create(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        object: Object,
        manager: Option<&FieldManager>,
        dry_run: bool,
    ) -> Result<Object, ApiError> {
        self.create_written(rt, namespace, object, manager, dry_run)
            .await
            .and_then(Stored::into_object)
    }

    /// [`Registry::create`], answering with the watch cache's copy when it took the write
    /// over (see `written.rs`): what request handlers use.
    pub async fn create_written(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        mut object: Object,
        manager: Option<&FieldManager>,
        dry_run: bool,
    ) -> Result<Stored, ApiError> {
        Self::check_identity(rt, namespace, &mut object)?;
        if let Some(ns) = namespace.filter(|_| rt.namespaced()) {
            self.require_namespace(ns).await?;
        }
        let generated =
            object.metadata.name.is_empty() && !object.metadata.generate_name.is_empty();
        if object.metadata.name.is_empty() && !generated {
            return Err(ApiError::invalid(
                rt,
                "",
                vec![(
                    "metadata.name".into(),
                    "name or generateName is required".into(),
                    "FieldValueRequired",
                )],
            ));
        }
        let rule = NameRule::for_resource(rt.group, rt.plural);
        let meta = &mut object.metadata;
        meta.uid = uuid::Uuid::new_v4().to_string();
        meta.creation_timestamp = now_rfc3339();
        meta.generation = tracks_generation(rt).then_some(1);
        meta.resource_version.clear();
        meta.deletion_timestamp = None;
        meta.deletion_grace_period_seconds = None;
        // Status is the controllers' to write: a new object starts without one, as upstream
        // (a Pod starts Pending) — except a Node, which its kubelet registers with its
        // capacity and conditions already filled in (upstream's node strategy keeps every
        // field on create).
        let is_node = rt.group.is_empty() && rt.plural == "nodes";
        if rt.subresource("status").is_some() && !is_node {
            object.body.remove("status");
            if rt.group.is_empty() && rt.plural == "pods" {
                object
                    .body
                    .insert("status".into(), json!({"phase": "Pending"}));
                mark_scheduling_gated(&mut object);
            }
        }
        if rt.group.is_empty() && rt.plural == "pods" {
            self.admit_pod(&mut object).await?;
        }
        if rt.group == "batch" && rt.plural == "jobs" {
            let (uid, name) = (object.metadata.uid.clone(), object.metadata.name.clone());
            berth_api::defaults::job_selector(&mut object.body, &uid, &name);
        }
        if rt.group.is_empty() && rt.plural == "namespaces" {
            object
                .body
                .insert("spec".into(), json!({"finalizers": ["kubernetes"]}));
            object
                .body
                .insert("status".into(), json!({"phase": "Active"}));
        }
        validate_object(rt, &object, None)?;
        if let Some(manager) = manager {
            ownership::track_update(rt, None, &mut object, manager);
        }
        let allocations = if Self::is_service(rt) && !dry_run {
            let services = self.services;
            self.prepare_service(&services, &mut object, None).await?
        } else {
            Vec::new()
        };
        // A generated name that collides is retried with a new suffix, as upstream.
        for _ in 0..8 {
            if generated {
                object.metadata.name =
                    format!("{}{}", object.metadata.generate_name, random_suffix());
                if rt.group == "batch" && rt.plural == "jobs" {
                    let (uid, name) = (object.metadata.uid.clone(), object.metadata.name.clone());
                    berth_api::defaults::job_selector(&mut object.body, &uid, &name);
                }
            }
            let name = object.metadata.name.clone();
            if let Err(message) = names::validate(&name, rule) {
                self.release(&allocations).await;
                return Err(ApiError::invalid(
                    rt,
                    &name,
                    vec![(
                        "metadata.name".into(),
                        format!("Invalid value: \"{name}\": {message}"),
                        "FieldValueInvalid",
                    )],
                ));
            }
            let key = Self::key(rt, namespace, &name);
            if dry_run {
                return match self.store.get(&key).await {
                    Ok(Some(_)) => Err(ApiError::already_exists(rt, &name)),
                    Ok(None) => Ok(Stored::Owned(object)),
                    Err(e) => Err(ApiError::from_store(e)),
                };
            }
            let value = Self::encode(rt, &mut object);
            let handover = Handover::new(&*self.store, &self.caches, rt, &key, &value, object);
            match self.store.create(&key, value).await {
                Ok(kv) => return handover.written(rt, &kv).await,
                Err(StoreError::AlreadyExists { .. }) if generated => {
                    object = handover.take_back()?;
                    continue;
                }
                Err(StoreError::AlreadyExists { .. }) => {
                    self.release(&allocations).await;
                    return Err(ApiError::already_exists(rt, &name));
                }
                Err(e) => {
                    self.release(&allocations).await;
                    return Err(ApiError::from_store(e));
                }
            }
        }
        self.release(&allocations).await;
        Err(ApiError::internal("could not generate a unique name"))
    }

    /// Replaces an object. A non-empty `metadata.resourceVersion` in the body must be the
    /// current one (409 otherwise); without one the write retries on concurrent changes.
    pub async fn update(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        object: Object,
        options: UpdateOptions<'_>,
    ) -> Result<Object, ApiError> {
        self.update_written(rt, namespace, name, object, options)
            .await
            .and_then(Stored::into_object)
    }

    /// [`Registry::update`], answering with the watch cache's copy when it took the write
    /// over (see `written.rs`): what request handlers use.
    pub async fn update_written(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        mut object: Object,
        options: UpdateOptions<'_>,
    ) -> Result<Stored, ApiError> {
        let UpdateOptions {
            scope,
            manager,
            dry_run,
            current,
        } = options;
        Self::check_identity(rt, namespace, &mut object)?;
        if !object.metadata.name.is_empty() && object.metadata.name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                object.metadata.name
            )));
        }
        object.metadata.name = name.to_string();
        let key = Self::key(rt, namespace, name);
        let precondition = object.metadata.resource_version.clone();
        // The first attempt starts from the caller's copy or the watch cache's (no store
        // read); if that copy is stale the compare-and-swap fails and the retry reads the
        // store.
        let mut first = true;
        let mut request = Some(object);
        loop {
            let fresh = |rv: &str| precondition.is_empty() || precondition == rv;
            let cached: Option<Cow<'_, Object>> = match (first, current) {
                (false, _) => None,
                (true, Some(current)) => {
                    fresh(&current.metadata.resource_version).then_some(Cow::Borrowed(current))
                }
                (true, None) => match self
                    .caches
                    .running(rt)
                    .and_then(|cache| cache.object(&key))
                    .filter(|c| fresh(&c.meta.resource_version))
                {
                    Some(c) => Some(Cow::Owned(c.object()?.into_owned())),
                    None => None,
                },
            };
            first = false;
            let (existing, current_revision) = match cached {
                Some(c) => match c.metadata.resource_version.parse::<i64>() {
                    Ok(rv) => (c, Revision::new(rv)),
                    Err(_) => continue,
                },
                None => {
                    let current = match self.store.get(&key).await {
                        Ok(Some(kv)) => kv,
                        Ok(None) => return Err(ApiError::not_found(rt, name)),
                        Err(e) => return Err(ApiError::from_store(e)),
                    };
                    if !precondition.is_empty() && precondition != current.mod_revision.to_string()
                    {
                        return Err(ApiError::conflict(rt, name));
                    }
                    (
                        Cow::Owned(Self::decode(rt, &current)?),
                        current.mod_revision,
                    )
                }
            };
            let existing = &*existing;
            // With a precondition nothing below retries (a conflict is the answer), so the
            // request's object is moved rather than copied.
            let object = if precondition.is_empty() {
                request.clone()
            } else {
                request.take()
            }
            .ok_or_else(|| ApiError::internal("the update's object was already used"))?;
            let mut next = match scope {
                WriteScope::Main => {
                    let mut next = object;
                    if rt.subresource("status").is_some() {
                        match existing.body.get("status") {
                            Some(status) => next.body.insert("status".into(), status.clone()),
                            None => next.body.remove("status"),
                        };
                    }
                    next
                }
                WriteScope::Status if same_outside_status(&object, existing) => object,
                WriteScope::Status => {
                    let mut object = object;
                    let mut next = existing.clone();
                    match object.body.remove("status") {
                        Some(status) => next.body.insert("status".into(), status),
                        None => next.body.remove("status"),
                    };
                    next
                }
                WriteScope::All => object,
                WriteScope::Finalize => {
                    let mut object = object;
                    let mut next = existing.clone();
                    let finalizers = object
                        .body
                        .get_mut("spec")
                        .and_then(|s| s.get_mut("finalizers"))
                        .map(Value::take)
                        .unwrap_or_else(|| json!([]));
                    let spec = next.body.entry("spec").or_insert_with(|| json!({}));
                    if let Some(spec) = spec.as_object_mut() {
                        spec.insert("finalizers".into(), finalizers);
                    }
                    next
                }
            };
            let meta = &mut next.metadata;
            meta.uid = existing.metadata.uid.clone();
            meta.creation_timestamp = existing.metadata.creation_timestamp.clone();
            meta.deletion_timestamp = existing.metadata.deletion_timestamp.clone();
            meta.deletion_grace_period_seconds = existing.metadata.deletion_grace_period_seconds;
            meta.generate_name = existing.metadata.generate_name.clone();
            if meta.managed_fields.is_empty() {
                // Omitted managedFields means "unchanged", as upstream.
                meta.managed_fields = existing.metadata.managed_fields.clone();
            }
            let spec_changed = !next.same_body_but_status(existing);
            next.metadata.generation = existing
                .metadata
                .generation
                .map(|g| if spec_changed { g + 1 } else { g });
            // A status write changes nothing the built-in validation reads (as upstream's
            // status strategies, which validate metadata and status only).
            if scope != WriteScope::Status {
                validate_object(rt, &next, Some(existing))?;
            }
            if let Some(manager) = manager {
                ownership::track_update(rt, Some(existing), &mut next, manager);
            }
            if dry_run {
                next.metadata.resource_version = current_revision.to_string();
                return Ok(Stored::Owned(next));
            }
            let taken = if Self::is_service(rt) && scope == WriteScope::Main {
                let services = self.services;
                self.prepare_service(&services, &mut next, Some(existing))
                    .await?
            } else {
                Vec::new()
            };
            // Removing the last finalizer of an object being deleted (with no grace period
            // left) completes the deletion, as upstream.
            if next.metadata.deletion_timestamp.is_some()
                && next.metadata.finalizers.is_empty()
                && delete::namespace_finalizers(rt, &next) == 0
                && next.metadata.deletion_grace_period_seconds.unwrap_or(0) == 0
            {
                match self.store.delete(&key, Some(current_revision)).await {
                    Ok(deleted) => {
                        next.metadata.resource_version = deleted.revision.to_string();
                        if Self::is_service(rt) {
                            self.release(&services::allocations_of(existing)).await;
                        }
                        return Ok(Stored::Owned(next));
                    }
                    Err(StoreError::Conflict { .. }) if precondition.is_empty() => continue,
                    Err(e) => return Err(ApiError::from_write(rt, name, e)),
                }
            }
            let kept = Self::is_service(rt).then(|| services::allocations_of(&next));
            let value = Self::encode(rt, &mut next);
            let handover = Handover::new(&*self.store, &self.caches, rt, &key, &value, next);
            match self.store.update(&key, value, current_revision).await {
                Ok(kv) => {
                    if let Some(kept) = kept {
                        let dropped: Vec<String> = services::allocations_of(existing)
                            .into_iter()
                            .filter(|k| !kept.contains(k))
                            .collect();
                        self.release(&dropped).await;
                    }
                    return handover.written(rt, &kv).await;
                }
                Err(err) => {
                    self.release(&taken).await;
                    match err {
                        StoreError::Conflict { .. } if precondition.is_empty() => continue,
                        e => return Err(ApiError::from_write(rt, name, e)),
                    }
                }
            }
        }
    }

    /// This registry with `caches` instead of its own.
    #[cfg(test)]
    pub(crate) fn with_caches(mut self, caches: WatchCaches) -> Registry {
        self.caches = Arc::new(caches);
        self
    }

    /// A registry on a new SQLite store in `dir`, with the system namespaces (for tests).
    #[cfg(test)]
    pub(crate) async fn for_tests(dir: &std::path::Path) -> (Registry, Arc<dyn Store>) {
        let store: Arc<dyn Store> = Arc::new(
            berth_store::sqlite::SqliteStore::open(dir.join("db"))
                .await
                .expect("open"),
        );
        let registry = Registry::new(
            store.clone(),
            ServiceNetwork {
                cidr: "10.43.0.0/16".parse().expect("cidr"),
            },
        );
        registry
            .ensure_system_namespaces()
            .await
            .expect("namespaces");
        (registry, store)
    }

    /// Creates the namespaces that always exist, if missing.
    pub async fn ensure_system_namespaces(&self) -> Result<(), ApiError> {
        let rt = berth_api::catalogue::lookup("", "v1", "namespaces")
            .ok_or_else(|| ApiError::internal("no namespaces"))?;
        for name in SYSTEM_NAMESPACES {
            let mut object = Object::default();
            object.metadata.name = (*name).to_string();
            match self.create(rt, None, object, None, false).await {
                Ok(_) => {}
                Err(e) if e.reason == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    async fn created(kind: &str, plural: &str, namespace: Option<&str>, body: Value) -> Object {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = berth_api::catalogue::lookup("", "v1", plural).expect(plural);
        let object: Object = serde_json::from_value(body).expect(kind);
        registry
            .create(rt, namespace, object, None, false)
            .await
            .expect("create")
    }

    /// As upstream: a Node keeps the status it is created with (its kubelet registers it
    /// that way); other kinds start from none (a Pod from `Pending`).
    #[tokio::test]
    async fn a_node_keeps_its_status_on_create_and_a_pod_does_not() {
        let status = json!({
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True"}],
        });
        let node = created(
            "Node",
            "nodes",
            None,
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "status": status}),
        )
        .await;
        assert_eq!(node.body.get("status"), Some(&status));
        let pod = created(
            "Pod",
            "pods",
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}]},
                   "status": {"phase": "Running", "podIP": "10.0.0.9"}}),
        )
        .await;
        assert_eq!(pod.body["status"]["phase"], "Pending");
        assert!(pod.body["status"].get("podIP").is_none());
        assert!(pod.body["status"].get("conditions").is_none());
        // A gated pod starts PodScheduled=False, reason SchedulingGated.
        let gated = created(
            "Pod",
            "pods",
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "g"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}],
                            "schedulingGates": [{"name": "example.com/quota"}]}}),
        )
        .await;
        let condition = &gated.body["status"]["conditions"][0];
        assert_eq!(condition["type"], "PodScheduled");
        assert_eq!(condition["status"], "False");
        assert_eq!(condition["reason"], "SchedulingGated");
        assert_eq!(
            condition["message"],
            "Scheduling is blocked due to non-empty scheduling gates"
        );
        let service = created(
            "Service",
            "services",
            Some("default"),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                   "spec": {"ports": [{"port": 80}]},
                   "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}),
        )
        .await;
        assert!(service.body.get("status").is_none_or(|s| {
            s.get("loadBalancer")
                .and_then(|l| l.get("ingress"))
                .is_none()
        }));
    }
}
