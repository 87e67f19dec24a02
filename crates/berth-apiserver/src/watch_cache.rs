//! The watch cache: per resource, the current objects and a window of recent events, kept in
//! memory from one store watch, so that thousands of watchers and frequent lists cost a few
//! map lookups instead of store reads.
//!
//! Each [`Cache`] starts with a range of the resource's prefix at revision R and then follows a
//! store watch from R+1; one feeder task applies each event to the object map, appends it to the
//! history window and broadcasts it. Objects are serialised once, here, and shared (`Arc`)
//! by every reader; the cache keeps their JSON and the metadata filtering needs, not the
//! decoded tree (except for a few small kinds the API server reads on every write, see
//! [`Cached`]), so that a cached pod costs about its JSON's size.
//!
//! Invariants:
//! - `State::revision` is the revision of the last event applied; the object map is the
//!   resource's state at exactly that revision.
//! - A watcher subscribes under the same lock the feeder applies events with, so its replay
//!   (history or snapshot) and the live broadcast meet with no gap and no duplicate.
//! - The history window keeps at least [`HISTORY`] events, and more while they are recent
//!   ([`HISTORY_FRESH`], up to [`HISTORY_MAX`]: upstream's watch cache sizes its window the
//!   same way), so a watcher that falls behind the live broadcast in a burst resumes from it.
//! - A watcher asking for a revision older than the history window, or one that falls behind
//!   it, gets "too old resource version" (410) rather than a silent gap.
//! - If the store watch fails, the cache retires itself: live watchers end, and the next
//!   request builds a fresh cache.
//! - A write of this server may hand its decoded object over ([`Cache::offer`]): the feed
//!   takes it for the event whose value is the very allocation the write stored (so it is
//!   that write, not another) instead of decoding the value again, and the writer answers
//!   with the cache's copy and JSON. A write whose event the feed applies without taking
//!   the offer (the event was read back from the log, or the cache retired) gets its own
//!   object back: the offer is an optimisation, never a condition for progress.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use berth_api::{Object, ResourceType};
use berth_store::{EventKind, RangeRequest, Revision, Store};
use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{broadcast, oneshot, watch};

use crate::registry::Registry;
use crate::status::ApiError;

/// Events kept per resource for watchers resuming from a past revision, at least.
const HISTORY: usize = 10_000;
/// Events younger than this are kept beyond [`HISTORY`] (upstream: `eventFreshDuration`).
const HISTORY_FRESH: Duration = Duration::from_secs(75);
/// Events kept per resource, at most (upstream's largest watch cache window).
const HISTORY_MAX: usize = 100 * 1024;
/// Events a watcher may fall behind the live broadcast before it must resume from the history.
const BROADCAST: usize = 10_000;
/// How long a consistent read waits for the cache to catch up before reading the store.
const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// An object as the cache keeps it: serialised once, with the metadata that list and watch
/// filtering read. The decoded tree is kept only for the kinds the API server itself reads
/// on every write ([`KEPT_DECODED`]); for everything else (pods, events, nodes, …) it would
/// be ~8× the JSON's size, so those are decoded again on the rare read that needs them.
#[derive(Debug)]
pub struct Cached {
    pub json: Bytes,
    pub meta: CachedMeta,
    decoded: Option<Object>,
}

/// What filtering needs without decoding.
#[derive(Debug, Clone)]
pub struct CachedMeta {
    pub resource_version: String,
    pub labels: BTreeMap<String, String>,
    /// `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// The kind (its plural), for selectors on fields not indexed.
    pub plural: &'static str,
    /// The kind's indexed field paths ([`berth_api::selector::indexed_fields`]) …
    pub indexed: &'static [&'static str],
    /// … and those of them that are set, with their values.
    fields: Box<[(&'static str, Box<str>)]>,
}

impl CachedMeta {
    /// An indexed field's value ("" when unset).
    pub fn field(&self, path: &str) -> &str {
        self.fields
            .iter()
            .find(|(p, _)| *p == path)
            .map_or("", |(_, v)| v)
    }

    /// This metadata for the object rewritten with the indexed field `path` set to `value`
    /// (every other indexed field, the labels and the deletion mark unchanged); its
    /// resourceVersion is the cache's to set.
    pub fn with_field(&self, path: &str, value: &str) -> CachedMeta {
        let mut fields = self.fields_but(|p| p == path);
        if let Some(indexed) = self.indexed.iter().find(|p| **p == path)
            && !value.is_empty()
        {
            fields.push((indexed, value.into()));
        }
        self.with_fields(fields)
    }

    /// The indexed fields but those whose path `rewritten` picks.
    fn fields_but(&self, rewritten: impl Fn(&str) -> bool) -> Vec<(&'static str, Box<str>)> {
        self.fields
            .iter()
            .filter(|(p, _)| !rewritten(p))
            .cloned()
            .collect()
    }

    /// This metadata with `fields` as its indexed fields; its resourceVersion is the
    /// cache's to set.
    fn with_fields(&self, fields: Vec<(&'static str, Box<str>)>) -> CachedMeta {
        CachedMeta {
            resource_version: String::new(),
            labels: self.labels.clone(),
            deleting: self.deleting,
            plural: self.plural,
            indexed: self.indexed,
            fields: fields.into_boxed_slice(),
        }
    }

    /// This metadata for the object rewritten with `status` as its status (`None`: removed):
    /// the indexed `status.*` fields follow it; everything else is unchanged. Its
    /// resourceVersion is the cache's to set.
    pub fn with_status(&self, status: Option<&Value>) -> CachedMeta {
        let mut fields = self.fields_but(|p| p.starts_with("status."));
        for path in self.indexed.iter().filter(|p| p.starts_with("status.")) {
            let rest = &path["status.".len()..];
            let value = status
                .map(|s| berth_api::selector::field_string(s, rest))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| berth_api::selector::unset_field(self.plural, path).into());
            if !value.is_empty() {
                fields.push((path, value.into_boxed_str()));
            }
        }
        self.with_fields(fields)
    }
}

/// What a writer offers the cache along with its stored bytes.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // moved once per write; a Box would allocate
pub enum Offered {
    /// The written object (its resourceVersion is the cache's to set).
    Object(Object),
    /// A server-side rewrite of the stored JSON (no object decoded): the entry's filtering
    /// metadata, derived from the entry it rewrote ([`CachedMeta::with_field`]), and where
    /// in the stored JSON the resourceVersion goes, if the writer knows
    /// ([`berth_api::object::insert_resource_version`]).
    Meta {
        meta: CachedMeta,
        resource_version_at: Option<usize>,
    },
}

/// The value a field selector compares for `path` in `object` of kind `plural`.
fn field_of(plural: &str, object: &Object, path: &str) -> String {
    let value = match path {
        "metadata.name" => object.metadata.name.clone(),
        "metadata.namespace" => object.metadata.namespace.clone(),
        _ => {
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            match object.body.get(head) {
                None => String::new(),
                Some(value) if rest.is_empty() => berth_api::selector::value_string(value),
                Some(value) => berth_api::selector::field_string(value, rest),
            }
        }
    };
    if value.is_empty() {
        berth_api::selector::unset_field(plural, path).to_string()
    } else {
        value
    }
}

/// Kinds whose decoded objects the cache keeps: read by admission on each write
/// (service accounts, priority classes, namespaces, limit ranges, resource quotas) or by
/// every eviction (disruption budgets). All few and small.
const KEPT_DECODED: &[&str] = &[
    "serviceaccounts",
    "priorityclasses",
    "namespaces",
    "limitranges",
    "resourcequotas",
    "poddisruptionbudgets",
];

/// Whether the cache keeps decoded objects of `plural` (see [`KEPT_DECODED`]): rewrites of
/// those are offered as objects, not as metadata.
pub fn keeps_decoded(plural: &str) -> bool {
    KEPT_DECODED.contains(&plural)
}

impl Cached {
    /// The entry for `object`; `stored` is its stored form (its JSON without a
    /// resourceVersion) when the caller has it, which saves serialising it again.
    fn new(rt: &ResourceType, object: Object, stored: Option<&[u8]>) -> Arc<Cached> {
        let json = stored
            .and_then(|stored| object.to_json_from_stored(stored))
            .unwrap_or_else(|| object.to_json());
        // Exactly sized: kept for as long as the object is current or in the history.
        let json = Bytes::from(json.into_boxed_slice());
        let indexed = berth_api::selector::indexed_fields(rt.plural);
        let fields = indexed
            .iter()
            .filter_map(|path| {
                let value = field_of(rt.plural, &object, path);
                (!value.is_empty()).then(|| (*path, value.into_boxed_str()))
            })
            .collect();
        let meta = CachedMeta {
            resource_version: object.metadata.resource_version.clone(),
            labels: object.metadata.labels.clone(),
            deleting: object.metadata.deletion_timestamp.is_some(),
            plural: rt.plural,
            indexed,
            fields,
        };
        let decoded = KEPT_DECODED.contains(&rt.plural).then_some(object);
        Arc::new(Cached {
            json,
            meta,
            decoded,
        })
    }

    /// The entry for a rewrite offered as [`Offered::Meta`]: `stored` with its new
    /// resourceVersion, and `meta`. `None` if `stored` is not an object's JSON.
    fn rewritten(
        rt: &ResourceType,
        stored: &[u8],
        mut meta: CachedMeta,
        resource_version_at: Option<usize>,
        revision: Revision,
    ) -> Option<Arc<Cached>> {
        if KEPT_DECODED.contains(&rt.plural) {
            return None;
        }
        meta.resource_version = revision.to_string();
        let rv = &meta.resource_version;
        let json = match resource_version_at {
            Some(at) => berth_api::object::insert_resource_version(stored, at, rv)?,
            None => berth_api::object::with_resource_version(stored, rv).ok()?,
        };
        Some(Arc::new(Cached {
            json: Bytes::from(json.into_boxed_slice()),
            meta,
            decoded: None,
        }))
    }

    /// The object: the kept one, or decoded from the JSON.
    pub fn object(&self) -> Result<Cow<'_, Object>, ApiError> {
        match &self.decoded {
            Some(object) => Ok(Cow::Borrowed(object)),
            None => Object::from_json(&self.json)
                .map(Cow::Owned)
                .map_err(|e| ApiError::internal(format!("a cached object is not valid JSON: {e}"))),
        }
    }
}

/// One change as the cache delivers it.
#[derive(Debug)]
pub struct CacheEvent {
    pub kind: EventKind,
    pub key: String,
    pub revision: Revision,
    /// The object after the change (for a delete: its last state, with the delete's revision).
    pub object: Arc<Cached>,
    pub prev: Option<Arc<Cached>>,
}

struct State {
    objects: BTreeMap<String, Arc<Cached>>,
    /// Recent events, with when the cache applied them.
    history: VecDeque<(Instant, Arc<CacheEvent>)>,
    revision: Revision,
    /// Events after this revision are all in `history`.
    oldest: Revision,
    /// `None` once retired: dropping the sender ends every live watcher.
    events: Option<broadcast::Sender<Arc<CacheEvent>>>,
}

/// The cache of one resource (all namespaces).
pub struct Cache {
    rt: &'static ResourceType,
    history: Window,
    state: RwLock<State>,
    revision: watch::Sender<Revision>,
    alive: AtomicBool,
    /// Whether the store reports this watch's progress: without it the cache moves only on
    /// its own events, and waiting for a revision written elsewhere would be in vain.
    follows_progress: AtomicBool,
    /// Writes in flight whose objects wait for their events, by key (the latest per key).
    offers: Mutex<HashMap<String, Arc<Offer>>>,
}

/// A write's object waiting for the write's event (see [`Cache::offer`]).
struct Offer {
    /// The stored bytes of the write. The store hands the feed this same allocation, so
    /// pointer identity names the write exactly; holding it keeps the address from being
    /// reused for another value while the offer lives.
    value: Bytes,
    offered: Mutex<Option<Offered>>,
    /// Dropped (without a send) when the cache retires, which wakes the writer.
    taken: Mutex<Option<oneshot::Sender<Arc<Cached>>>>,
}

/// The writer's side of an [`Offer`].
pub struct Ticket {
    cache: Arc<Cache>,
    key: String,
    offer: Arc<Offer>,
    taken: oneshot::Receiver<Arc<Cached>>,
}

impl Ticket {
    /// After a failed write (no event can carry it): what was offered, back.
    pub fn withdraw(self) -> Option<Offered> {
        self.forget();
        lock(&self.offer.offered).take()
    }

    /// After the write committed at `revision`: the cache's copy once the feed has taken the
    /// offer, or the object back (`Err`) when the feed applied `revision` without taking it
    /// or the cache retired. `Err(None)` only if the object was lost with a retiring cache.
    pub async fn redeem(mut self, revision: Revision) -> Result<Arc<Cached>, Option<Offered>> {
        let mut revisions = self.cache.revision.subscribe();
        // The feed sends before it publishes the revision, so once the cache is at
        // `revision` the answer is in the channel or will never come.
        let taken = tokio::select! {
            biased;
            taken = &mut self.taken => taken.ok(),
            _ = revisions.wait_for(|r| *r >= revision) => self.taken.try_recv().ok(),
        };
        taken.ok_or_else(|| self.withdraw())
    }

    fn forget(&self) {
        let mut offers = lock(&self.cache.offers);
        if offers
            .get(&self.key)
            .is_some_and(|o| Arc::ptr_eq(o, &self.offer))
        {
            offers.remove(&self.key);
        }
    }
}

impl Drop for Ticket {
    /// A writer that goes away (its request was cancelled) leaves nothing behind.
    fn drop(&mut self) {
        self.forget();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a new watcher starts from.
pub struct Subscription {
    pub replay: VecDeque<Arc<CacheEvent>>,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
    /// The cache's revision when subscribed: `live` starts after it.
    pub revision: Revision,
}

#[derive(Debug)]
pub enum CacheError {
    TooOld {
        requested: Revision,
        oldest: Revision,
    },
    Retired,
}

impl Cache {
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    pub fn revision(&self) -> Revision {
        *self.revision.borrow()
    }

    /// Follows the cache's revision (for bookmarks).
    pub fn revisions(&self) -> watch::Receiver<Revision> {
        self.revision.subscribe()
    }

    /// Waits until the cache has applied `revision` (true), or gives up after a short wait.
    pub async fn wait_for(&self, revision: Revision) -> bool {
        if self.revision() < revision && !self.follows_progress.load(Ordering::Acquire) {
            // Nothing will move it there unless this resource changes: read the store.
            return false;
        }
        let mut rx = self.revision.subscribe();
        let reached = tokio::time::timeout(FRESHNESS_WAIT, rx.wait_for(|r| *r >= revision)).await;
        matches!(reached, Ok(Ok(_))) && self.alive()
    }

    /// The cached object at `key`, if any (it may lag the store slightly).
    pub fn object(&self, key: &str) -> Option<Arc<Cached>> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        state.objects.get(key).cloned()
    }

    /// Hands the object of a write about to store `value` under `key` to the feed, which
    /// takes it for that write's event instead of decoding `value` (see the module
    /// invariants). `object` must be in this cache's version, with its stored content.
    pub fn offer(self: &Arc<Self>, key: &str, value: Bytes, offered: Offered) -> Ticket {
        let (tx, rx) = oneshot::channel();
        let offer = Arc::new(Offer {
            value,
            offered: Mutex::new(Some(offered)),
            taken: Mutex::new(Some(tx)),
        });
        let mut offers = lock(&self.offers);
        if self.alive() {
            offers.insert(key.to_string(), offer.clone());
        } else {
            lock(&offer.taken).take();
        }
        drop(offers);
        Ticket {
            cache: self.clone(),
            key: key.to_string(),
            offer,
            taken: rx,
        }
    }

    /// Offers not yet taken, withdrawn or abandoned.
    #[cfg(test)]
    pub fn pending_offers(&self) -> usize {
        lock(&self.offers).len()
    }

    /// The offered object of the write whose stored value is `value`, if it was offered.
    fn take_offer(
        &self,
        key: &str,
        value: &Bytes,
    ) -> Option<(Offered, oneshot::Sender<Arc<Cached>>)> {
        let mut offers = lock(&self.offers);
        let offer = offers.get(key)?;
        if offer.value.as_ptr() != value.as_ptr() || offer.value.len() != value.len() {
            return None;
        }
        let offer = offers.remove(key)?;
        drop(offers);
        let offered = lock(&offer.offered).take()?;
        match lock(&offer.taken).take() {
            Some(tx) => Some((offered, tx)),
            None => {
                // Retiring: leave the object to the writer.
                *lock(&offer.offered) = Some(offered);
                None
            }
        }
    }

    /// The objects under `prefix` and the revision they are current at.
    pub fn snapshot(&self, prefix: &str) -> (Vec<Arc<Cached>>, Revision) {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let objects = state
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect();
        (objects, state.revision)
    }

    /// Starts a watcher: `from` None replays the current objects as ADDED; `Some(n)` replays
    /// the history after `n`.
    pub fn subscribe(
        &self,
        prefix: &str,
        from: Option<Revision>,
    ) -> Result<Subscription, CacheError> {
        if !self.alive() {
            return Err(CacheError::Retired);
        }
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let live = state
            .events
            .as_ref()
            .ok_or(CacheError::Retired)?
            .subscribe();
        let replay = match from {
            None => state
                .objects
                .range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| {
                    Arc::new(CacheEvent {
                        kind: EventKind::Created,
                        key: k.clone(),
                        revision: state.revision,
                        object: v.clone(),
                        prev: None,
                    })
                })
                .collect(),
            Some(n) if n < state.oldest => {
                return Err(CacheError::TooOld {
                    requested: n,
                    oldest: state.oldest,
                });
            }
            Some(n) => state
                .history
                .iter()
                .map(|(_, e)| e)
                .filter(|e| e.revision > n && e.key.starts_with(prefix))
                .cloned()
                .collect(),
        };
        Ok(Subscription {
            replay,
            live,
            revision: state.revision,
        })
    }

    /// The store has looked past `revision` and found nothing more under this prefix: the
    /// cache is current at `revision`.
    fn advance_to(&self, revision: Revision) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if revision <= state.revision {
            return;
        }
        state.revision = revision;
        // A resource quiet after a burst still lets its history age out.
        if let Some(oldest) = self.history.trim(&mut state.history, Instant::now()) {
            state.oldest = oldest;
        }
        drop(state);
        self.revision.send_replace(revision);
    }

    fn apply(&self, event: berth_store::WatchEvent) -> Result<(), ApiError> {
        let revision = event.revision();
        let key = event.kv.key.clone();
        // The new entry is built (serialised) before the lock: readers wait only for the swap.
        let written = match event.kind {
            EventKind::Deleted => None,
            _ => Some(match self.take_offer(&key, &event.kv.value) {
                Some((Offered::Object(mut object), taken)) => {
                    object.metadata.resource_version = revision.to_string();
                    let object = Cached::new(self.rt, object, Some(&event.kv.value));
                    (object, Some(taken))
                }
                Some((
                    Offered::Meta {
                        meta,
                        resource_version_at,
                    },
                    taken,
                )) => {
                    match Cached::rewritten(
                        self.rt,
                        &event.kv.value,
                        meta,
                        resource_version_at,
                        revision,
                    ) {
                        Some(object) => (object, Some(taken)),
                        None => (
                            Cached::new(
                                self.rt,
                                Registry::decode(self.rt, &event.kv)?,
                                Some(&event.kv.value),
                            ),
                            Some(taken),
                        ),
                    }
                }
                None => (
                    Cached::new(
                        self.rt,
                        Registry::decode(self.rt, &event.kv)?,
                        Some(&event.kv.value),
                    ),
                    None,
                ),
            }),
        };
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let prev = state.objects.get(&key).cloned();
        let (kind, object) = match written {
            None => {
                let Some(last) = prev.clone() else {
                    // A delete of something the cache never saw (created and deleted before
                    // it started): nothing to deliver.
                    state.revision = revision;
                    drop(state);
                    self.revision.send_replace(revision);
                    return Ok(());
                };
                state.objects.remove(&key);
                let mut gone = last.object()?.into_owned();
                gone.metadata.resource_version = revision.to_string();
                (EventKind::Deleted, Cached::new(self.rt, gone, None))
            }
            Some((object, taken)) => {
                state.objects.insert(key.clone(), object.clone());
                // Once the cache holds it (the writer may read it back at once), and before
                // the revision is published (see `Ticket::redeem`).
                if let Some(taken) = taken {
                    let _ = taken.send(object.clone());
                }
                (event.kind, object)
            }
        };
        let event = Arc::new(CacheEvent {
            kind,
            key,
            revision,
            object,
            prev,
        });
        let now = Instant::now();
        state.history.push_back((now, event.clone()));
        if let Some(oldest) = self.history.trim(&mut state.history, now) {
            state.oldest = oldest;
        }
        state.revision = revision;
        // Sent under the lock: a subscriber sees either this event in its replay or live.
        if let Some(events) = &state.events {
            let _ = events.send(event);
        }
        drop(state);
        self.revision.send_replace(revision);
        Ok(())
    }
}

/// How many events a cache's history keeps: at least `min`, and beyond it those younger than
/// [`HISTORY_FRESH`], up to `max`; and how far its live broadcast runs ahead of the slowest
/// watcher before that watcher must resume from the history.
#[derive(Debug, Clone, Copy)]
struct Window {
    min: usize,
    max: usize,
    broadcast: usize,
}

impl Window {
    /// Drops what `history` need not keep at `now`; the revision of the last event dropped.
    fn trim(
        &self,
        history: &mut VecDeque<(Instant, Arc<CacheEvent>)>,
        now: Instant,
    ) -> Option<Revision> {
        let mut dropped = None;
        while let Some((at, oldest)) = history.front() {
            let len = history.len();
            let stale = len > self.min && now.duration_since(*at) > HISTORY_FRESH;
            if len <= self.max && !stale {
                break;
            }
            dropped = Some(oldest.revision);
            history.pop_front();
        }
        dropped
    }
}

/// All caches, created on first use.
pub struct WatchCaches {
    store: Arc<dyn Store>,
    history: Window,
    caches: Mutex<HashMap<String, Arc<Cache>>>,
    /// Serialises cache creation so one resource never gets two feeders.
    starting: tokio::sync::Mutex<()>,
    /// Where feeds (and their store watches) run: a thread of the caches' own, never a
    /// caller's runtime. In-process components call from runtimes of their own that are
    /// dropped with a leadership term (a feed dropped with one would leave its cache silently
    /// stale), and on the request workers a feed would queue behind every watcher it wakes.
    runtime: FeedRuntime,
}

/// The one-thread runtime the feeds run on, shut down with the caches.
struct FeedRuntime(Option<tokio::runtime::Runtime>);

impl FeedRuntime {
    fn start() -> FeedRuntime {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("berth-watch-cache")
            .enable_all()
            .build();
        match runtime {
            Ok(runtime) => FeedRuntime(Some(runtime)),
            Err(err) => {
                tracing::warn!(error = %err, "no thread for the watch caches; feeds run on their callers' runtimes");
                FeedRuntime(None)
            }
        }
    }

    fn handle(&self) -> Option<&tokio::runtime::Handle> {
        self.0.as_ref().map(tokio::runtime::Runtime::handle)
    }
}

impl Drop for FeedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            // Dropping may happen on an async worker, where a blocking shutdown panics.
            runtime.shutdown_background();
        }
    }
}

impl WatchCaches {
    pub fn new(store: Arc<dyn Store>) -> WatchCaches {
        Self::with_window(
            store,
            Window {
                min: HISTORY,
                max: HISTORY_MAX,
                broadcast: BROADCAST,
            },
        )
    }

    /// Caches that keep exactly the last `history` events per resource.
    pub fn with_history(store: Arc<dyn Store>, history: usize) -> WatchCaches {
        Self::with_window(
            store,
            Window {
                min: history,
                max: history,
                broadcast: BROADCAST,
            },
        )
    }

    /// Caches that keep the last `history` events per resource and broadcast to watchers at
    /// most `broadcast` events ahead (for tests of slow watchers).
    #[cfg(test)]
    pub fn with_history_and_broadcast(
        store: Arc<dyn Store>,
        history: usize,
        broadcast: usize,
    ) -> WatchCaches {
        Self::with_window(
            store,
            Window {
                min: history,
                max: history,
                broadcast,
            },
        )
    }

    fn with_window(store: Arc<dyn Store>, history: Window) -> WatchCaches {
        WatchCaches {
            store,
            history,
            caches: Mutex::new(HashMap::new()),
            starting: tokio::sync::Mutex::new(()),
            runtime: FeedRuntime::start(),
        }
    }

    /// The cache of `rt` if it is running (never starts one).
    pub fn running(&self, rt: &ResourceType) -> Option<Arc<Cache>> {
        self.existing(&format!(
            "{}/{}",
            rt.group_version().api_version(),
            rt.plural
        ))
    }

    fn existing(&self, prefix: &str) -> Option<Arc<Cache>> {
        let caches = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        caches.get(prefix).filter(|c| c.alive()).cloned()
    }

    /// The cache of `rt`, starting it (initial list, then the feeder) if needed.
    pub async fn get(&self, rt: &'static ResourceType) -> Result<Arc<Cache>, ApiError> {
        let prefix = rt.storage_prefix();
        // One cache per served version: objects are converted once, on the way in.
        let id = format!("{}/{}", rt.group_version().api_version(), rt.plural);
        if let Some(cache) = self.existing(&id) {
            return Ok(cache);
        }
        let _starting = self.starting.lock().await;
        if let Some(cache) = self.existing(&id) {
            return Ok(cache);
        }
        let listed = self
            .store
            .range(RangeRequest::prefix(prefix.clone()))
            .await
            .map_err(ApiError::from_store)?;
        let mut objects = BTreeMap::new();
        for kv in &listed.kvs {
            objects.insert(
                kv.key.clone(),
                Cached::new(rt, Registry::decode(rt, kv)?, Some(&kv.value)),
            );
        }
        let from = listed.revision.next();
        let stream = match self.runtime.handle() {
            Some(runtime) => {
                let (store, prefix) = (self.store.clone(), prefix.clone());
                runtime
                    .spawn(async move { store.watch(&prefix, from).await })
                    .await
                    .map_err(|e| ApiError::internal(format!("starting a store watch: {e}")))?
            }
            None => self.store.watch(&prefix, from).await,
        }
        .map_err(ApiError::from_store)?;
        let (events, _) = broadcast::channel(self.history.broadcast);
        let (revision, _) = watch::channel(listed.revision);
        let cache = Arc::new(Cache {
            rt,
            history: self.history,
            state: RwLock::new(State {
                objects,
                history: VecDeque::new(),
                revision: listed.revision,
                oldest: listed.revision,
                events: Some(events),
            }),
            revision,
            alive: AtomicBool::new(true),
            follows_progress: AtomicBool::new(true),
            offers: Mutex::new(HashMap::new()),
        });
        let feeding = feed(Arc::downgrade(&cache), stream);
        match self.runtime.handle() {
            Some(runtime) => runtime.spawn(feeding),
            None => tokio::spawn(feeding),
        };
        self.caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, cache.clone());
        Ok(cache)
    }
}

async fn feed(cache: std::sync::Weak<Cache>, mut stream: berth_store::WatchStream) {
    let mut progress = stream.progress();
    // Backends that report no progress drop its sender: then events alone move the cache.
    let mut reports_progress = true;
    loop {
        let failure = tokio::select! {
            next = stream.next_batch() => {
                let Some(cache) = cache.upgrade() else { return };
                match next {
                    Some(Ok(batch)) => {
                        let mut failed = None;
                        for event in batch {
                            if let Err(err) = cache.apply(event) {
                                failed = Some(err.message);
                                break;
                            }
                        }
                        failed
                    }
                    Some(Err(err)) => Some(crate::status::chain(&err)),
                    None => Some("the store closed the watch".into()),
                }
            }
            changed = progress.changed(), if reports_progress => {
                reports_progress = changed.is_ok();
                if !reports_progress && let Some(cache) = cache.upgrade() {
                    cache.follows_progress.store(false, Ordering::Release);
                }
                None
            }
        };
        let Some(cache) = cache.upgrade() else { return };
        if let Some(failure) = failure {
            tracing::warn!(resource = %cache.rt.qualified_plural(), error = %failure, "watch cache retired; the next request rebuilds it");
            cache.alive.store(false, Ordering::Release);
            cache
                .state
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .events = None;
            // Wake every writer waiting on an offer; each keeps its object.
            for (_, offer) in lock(&cache.offers).drain() {
                lock(&offer.taken).take();
            }
            return;
        }
        // Progress first, then drained: every event up to it has been applied.
        let seen = *progress.borrow_and_update();
        if stream.is_drained() {
            cache.advance_to(seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_store::sqlite::SqliteStore;

    fn configmaps() -> &'static ResourceType {
        berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps")
    }

    async fn put(store: &Arc<dyn Store>, name: &str) -> Revision {
        let key = format!("/registry/configmaps/default/{name}");
        let value = format!(r#"{{"metadata":{{"name":"{name}","namespace":"default"}}}}"#);
        store
            .create(&key, Bytes::from(value))
            .await
            .expect("create")
            .mod_revision
    }

    async fn next(live: &mut broadcast::Receiver<Arc<CacheEvent>>) -> Arc<CacheEvent> {
        tokio::time::timeout(Duration::from_secs(10), live.recv())
            .await
            .expect("an event in time")
            .expect("a live event")
    }

    #[test]
    fn the_history_keeps_recent_events_beyond_its_minimum() {
        let window = Window {
            min: 2,
            max: 4,
            broadcast: 1,
        };
        let start = Instant::now();
        let event = |n: i64| {
            Arc::new(CacheEvent {
                kind: EventKind::Created,
                key: format!("/registry/configmaps/default/{n}"),
                revision: Revision::new(n),
                object: Cached::new(configmaps(), Object::default(), None),
                prev: None,
            })
        };
        let revisions = |h: &VecDeque<(Instant, Arc<CacheEvent>)>| -> Vec<i64> {
            h.iter().map(|(_, e)| e.revision.get()).collect()
        };
        let mut history = VecDeque::new();
        // Recent events are kept up to the maximum.
        for n in 1..=5 {
            history.push_back((start, event(n)));
            window.trim(&mut history, start);
        }
        assert_eq!(revisions(&history), [2, 3, 4, 5]);
        // Once old, only the minimum stays.
        let later = start + HISTORY_FRESH + Duration::from_secs(1);
        history.push_back((later, event(6)));
        assert_eq!(window.trim(&mut history, later), Some(Revision::new(4)));
        assert_eq!(revisions(&history), [5, 6]);
    }

    #[test]
    fn most_kinds_are_kept_as_json_and_decode_to_the_same_object() {
        let lookup = |plural| berth_api::catalogue::lookup("", "v1", plural).expect("kind");
        let object: Object = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "resourceVersion": "7",
                         "labels": {"app": "web"}, "deletionTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        }))
        .expect("object");
        let pod = Cached::new(lookup("pods"), object.clone(), None);
        assert!(pod.decoded.is_none(), "a pod is kept as JSON only");
        assert_eq!(pod.json.len(), object.to_json().len());
        let mut stored = object.clone();
        stored.metadata.resource_version.clear();
        let spliced = Cached::new(lookup("pods"), object.clone(), Some(&stored.to_json()));
        assert_eq!(
            spliced.json, pod.json,
            "the stored form gets the resourceVersion"
        );
        assert_eq!(pod.meta.resource_version, "7");
        assert_eq!(pod.meta.labels.get("app").map(String::as_str), Some("web"));
        assert!(pod.meta.deleting);
        assert_eq!(pod.meta.field("metadata.name"), "p");
        assert_eq!(pod.meta.field("spec.nodeName"), "", "unset reads as empty");
        let node: Object =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "n"}})).expect("node");
        let node = Cached::new(lookup("nodes"), node, None);
        assert_eq!(
            node.meta.field("spec.unschedulable"),
            "false",
            "as upstream"
        );
        let decoded = pod.object().expect("decodes");
        assert!(matches!(decoded, Cow::Owned(_)));
        assert_eq!(*decoded, object);

        let account = Cached::new(lookup("serviceaccounts"), object.clone(), None);
        let kept = account.object().expect("kept");
        assert!(
            matches!(kept, Cow::Borrowed(_)),
            "admission reads it on every pod create"
        );
        assert_eq!(*kept, object);
    }

    #[test]
    fn a_cache_outlives_the_runtime_that_asked_for_it_first() {
        let main = tokio::runtime::Runtime::new().expect("runtime");
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, caches) = main.block_on(async {
            let store: Arc<dyn Store> = Arc::new(
                SqliteStore::open(dir.path().join("db"))
                    .await
                    .expect("open"),
            );
            (store.clone(), WatchCaches::new(store))
        });
        // A component's runtime asks first, then goes away, as a leadership term's does.
        let component = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let cache = component.block_on(caches.get(configmaps())).expect("cache");
        drop(component);
        let b = main.block_on(put(&store, "b"));
        assert!(
            main.block_on(cache.wait_for(b)),
            "the cache still follows the store"
        );
        assert!(cache.object("/registry/configmaps/default/b").is_some());
    }

    #[tokio::test]
    async fn snapshot_replay_and_live_events_meet_without_gaps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(dir.path().join("db"))
                .await
                .expect("open"),
        );
        let a = put(&store, "a").await;
        let caches = WatchCaches::with_history(store.clone(), 3);
        let cache = caches.get(configmaps()).await.expect("cache");
        assert_eq!(cache.revision(), a);

        let mut from_now = cache
            .subscribe("/registry/configmaps/", None)
            .expect("subscribe");
        assert_eq!(from_now.replay.len(), 1, "the snapshot replays a");
        let b = put(&store, "b").await;
        assert!(cache.wait_for(b).await);
        let event = next(&mut from_now.live).await;
        assert_eq!((event.kind, event.revision), (EventKind::Created, b));
        assert_eq!(event.object.meta.resource_version, b.to_string());

        // Resuming from a, the history holds b.
        let resumed = cache
            .subscribe("/registry/configmaps/", Some(a))
            .expect("resume");
        assert_eq!(
            resumed
                .replay
                .iter()
                .map(|e| e.revision)
                .collect::<Vec<_>>(),
            vec![b]
        );

        // Past the history window: too old.
        for name in ["c", "d", "e", "f"] {
            put(&store, name).await;
        }
        let last = store.current_revision().await.expect("revision");
        assert!(cache.wait_for(last).await);
        assert!(matches!(
            cache.subscribe("/registry/configmaps/", Some(a)),
            Err(CacheError::TooOld { .. })
        ));
        let (objects, at) = cache.snapshot("/registry/configmaps/default/");
        assert_eq!(objects.len(), 6);
        assert_eq!(at, last);
    }

    #[tokio::test]
    async fn deletes_carry_the_last_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(dir.path().join("db"))
                .await
                .expect("open"),
        );
        put(&store, "gone").await;
        let caches = WatchCaches::new(store.clone());
        let cache = caches.get(configmaps()).await.expect("cache");
        let mut sub = cache
            .subscribe("/registry/configmaps/", None)
            .expect("subscribe");
        let deleted = store
            .delete("/registry/configmaps/default/gone", None)
            .await
            .expect("delete");
        let event = next(&mut sub.live).await;
        assert_eq!(event.kind, EventKind::Deleted);
        let gone = event.object.object().expect("decodes");
        assert_eq!(gone.metadata.name, "gone");
        assert_eq!(gone.metadata.resource_version, deleted.revision.to_string());
        assert!(cache.snapshot("/registry/configmaps/").0.is_empty());
    }
}
