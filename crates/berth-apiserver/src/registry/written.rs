//! What a write returns, and how its object reaches the watch cache without being decoded
//! again.
//!
//! A write encodes its object, stores it, and answers with it. The resource's watch cache
//! then sees the write's event and would decode the stored bytes back into the same object
//! and serialise it once more for watchers. When the store's events carry the written
//! bytes themselves (embedded SQLite) and the cache is running, the registry offers the
//! object to the cache instead ([`crate::watch_cache::Cache::offer`]); the feed takes it for
//! exactly that write, and the writer answers with the cache's copy and its JSON. Otherwise
//! (etcd, no cache yet, the event read back from the log) the writer keeps its object, as
//! before.

use std::sync::Arc;

use berth_api::{Object, ResourceType};
use berth_store::{KeyValue, Revision, Store};
use bytes::Bytes;

use super::Registry;
use crate::status::ApiError;
use crate::watch_cache::{Cached, CachedMeta, Offered, Ticket, WatchCaches};

/// A written object as the registry hands it out: the watch cache's shared entry, or the
/// writer's own object.
#[allow(clippy::large_enum_variant)] // moved a few times per request; a Box would allocate
pub enum Stored {
    Shared(Arc<Cached>),
    Owned(Object),
}

impl Stored {
    /// The object (decoded from the cache's JSON unless the cache keeps it decoded).
    pub fn into_object(self) -> Result<Object, ApiError> {
        match self {
            Stored::Shared(cached) => cached.object().map(std::borrow::Cow::into_owned),
            Stored::Owned(object) => Ok(object),
        }
    }

    /// The object's JSON (the cache's serialisation, shared, when the cache took it over).
    pub fn json(&self) -> Bytes {
        match self {
            Stored::Shared(cached) => cached.json.clone(),
            Stored::Owned(object) => Bytes::from(object.to_json()),
        }
    }
}

/// A write's object between encoding and the store's answer.
#[allow(clippy::large_enum_variant)] // as `Stored`
pub(super) enum Handover {
    Offered(Ticket),
    Kept(Object),
    /// A rewrite whose metadata could not be offered: the answer is decoded from the store.
    Nothing,
}

impl Handover {
    /// Offers `object` (already encoded as `value` for `key`) to the running cache of `rt`
    /// when the store's events will carry `value` itself.
    pub fn new(
        store: &dyn Store,
        caches: &WatchCaches,
        rt: &ResourceType,
        key: &str,
        value: &Bytes,
        object: Object,
    ) -> Handover {
        if !store.events_share_written_values() {
            return Handover::Kept(object);
        }
        match caches.running(rt) {
            Some(cache) => {
                Handover::Offered(cache.offer(key, value.clone(), Offered::Object(object)))
            }
            None => Handover::Kept(object),
        }
    }

    /// Offers a rewrite of a cached entry (stored as `value` for `key`, no object decoded)
    /// with `meta`, the entry's filtering metadata after the rewrite, and where in `value`
    /// its resourceVersion goes (if known).
    pub fn rewritten(
        store: &dyn Store,
        caches: &WatchCaches,
        rt: &ResourceType,
        key: &str,
        value: &Bytes,
        meta: CachedMeta,
        resource_version_at: Option<usize>,
    ) -> Handover {
        match caches.running(rt) {
            Some(cache) if store.events_share_written_values() => {
                let offered = Offered::Meta {
                    meta,
                    resource_version_at,
                };
                Handover::Offered(cache.offer(key, value.clone(), offered))
            }
            _ => Handover::Nothing,
        }
    }

    /// The object back after the write failed.
    pub fn take_back(self) -> Result<Object, ApiError> {
        match self {
            Handover::Kept(object) => Ok(object),
            Handover::Offered(ticket) => match ticket.withdraw() {
                Some(Offered::Object(object)) => Ok(object),
                _ => Err(ApiError::internal("a failed write's object was lost")),
            },
            Handover::Nothing => Err(ApiError::internal("a rewrite has no object to take back")),
        }
    }

    /// The written object once the write is stored as `kv`.
    pub async fn written(self, rt: &ResourceType, kv: &KeyValue) -> Result<Stored, ApiError> {
        let mut object = match self {
            Handover::Kept(object) => object,
            Handover::Offered(ticket) => match ticket.redeem(kv.mod_revision).await {
                Ok(cached) => return Ok(Stored::Shared(cached)),
                Err(Some(Offered::Object(object))) => object,
                Err(_) => return Registry::decode(rt, kv).map(Stored::Owned),
            },
            Handover::Nothing => return Registry::decode(rt, kv).map(Stored::Owned),
        };
        object.metadata.resource_version = kv.mod_revision.to_string();
        Ok(Stored::Owned(object))
    }
}

/// An object's current JSON, for a rewrite of it (`pods/binding`, status merge patches).
pub(super) struct Current {
    /// The watch cache's entry it came from, if it did.
    pub cached: Option<Arc<Cached>>,
    pub json: Bytes,
    pub revision: Revision,
}

impl Registry {
    /// The current JSON at `key`: the watch cache's entry when `from_cache` and the cache
    /// has one (it may lag: the rewrite's compare-and-swap catches that, and the retry reads
    /// the store), else the store's.
    pub(super) async fn current_json(
        &self,
        rt: &ResourceType,
        key: &str,
        name: &str,
        from_cache: bool,
    ) -> Result<Current, ApiError> {
        if from_cache
            && let Some(cached) = self.caches.running(rt).and_then(|cache| cache.object(key))
            && let Ok(revision) = cached.meta.resource_version.parse::<i64>()
        {
            return Ok(Current {
                json: cached.json.clone(),
                revision: Revision::new(revision),
                cached: Some(cached),
            });
        }
        match self.store.get(key).await {
            Ok(Some(kv)) => Ok(Current {
                cached: None,
                json: kv.value,
                revision: kv.mod_revision,
            }),
            Ok(None) => Err(ApiError::not_found(rt, name)),
            Err(e) => Err(ApiError::from_store(e)),
        }
    }

    /// Stores the rewrite `value` of `current` (the object at `key`) if the object is still
    /// at `current`'s revision; `Ok(None)` when it is not (read it again). When `current`
    /// came from the watch cache, `rewritten` derives the new entry's filtering metadata
    /// from the old entry's (see [`Handover::rewritten`]); otherwise the cache decodes the
    /// write itself.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn store_rewrite(
        &self,
        rt: &ResourceType,
        key: &str,
        name: &str,
        current: &Current,
        value: Bytes,
        resource_version_at: Option<usize>,
        rewritten: impl FnOnce(&CachedMeta) -> CachedMeta,
    ) -> Result<Option<Stored>, ApiError> {
        let handover = match &current.cached {
            Some(cached) => Handover::rewritten(
                &*self.store,
                &self.caches,
                rt,
                key,
                &value,
                rewritten(&cached.meta),
                resource_version_at,
            ),
            None => Handover::Nothing,
        };
        match self.store.update(key, value, current.revision).await {
            Ok(kv) => handover.written(rt, &kv).await.map(Some),
            Err(e) => match ApiError::from_write(rt, name, e) {
                e if e.code == 409 && e.reason == "Conflict" => Ok(None),
                e => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::registry::{UpdateOptions, WriteScope};

    fn configmaps() -> &'static ResourceType {
        berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps")
    }

    fn configmap(name: &str, value: &str) -> Object {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"app": "x"}},
            "data": {"k": value, "n": "1.50"},
        }))
        .expect("object")
    }

    /// What a watch cache would have made of the stored value without the handover.
    async fn decoded(store: &Arc<dyn Store>, name: &str) -> Object {
        let kv = store
            .get(&format!("/registry/configmaps/default/{name}"))
            .await
            .expect("get")
            .expect("stored");
        Registry::decode(configmaps(), &kv).expect("decode")
    }

    #[tokio::test]
    async fn a_write_hands_its_object_to_the_running_cache() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, store) = Registry::for_tests(dir.path()).await;
        let rt = configmaps();
        let cache = registry.caches().get(rt).await.expect("cache");

        let created = registry
            .create_written(rt, Some("default"), configmap("a", "1"), None, false)
            .await
            .expect("create");
        let Stored::Shared(shared) = &created else {
            panic!("the cache took the create over")
        };
        let key = "/registry/configmaps/default/a";
        let in_cache = cache.object(key).expect("cached");
        assert!(Arc::ptr_eq(shared, &in_cache), "one copy, shared");
        let from_store = decoded(&store, "a").await;
        assert_eq!(created.json(), Bytes::from(from_store.to_json()));
        let mut next = created.into_object().expect("object");
        assert_eq!(next, from_store);

        next.body.insert("data".into(), json!({"k": "2"}));
        let updated = registry
            .update_written(
                rt,
                Some("default"),
                "a",
                next,
                UpdateOptions {
                    scope: WriteScope::Main,
                    manager: None,
                    dry_run: false,
                    current: None,
                },
            )
            .await
            .expect("update");
        assert!(matches!(updated, Stored::Shared(_)));
        let updated = updated.into_object().expect("object");
        assert_eq!(updated, decoded(&store, "a").await);
        assert_eq!(updated.body["data"]["k"], "2");
        assert!(cache.pending_offers() == 0, "nothing left behind");
    }

    #[tokio::test]
    async fn without_a_running_cache_the_writer_keeps_its_object() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, store) = Registry::for_tests(dir.path()).await;
        let written = registry
            .create_written(
                configmaps(),
                Some("default"),
                configmap("b", "1"),
                None,
                false,
            )
            .await
            .expect("create");
        assert!(matches!(written, Stored::Owned(_)));
        assert_eq!(
            written.into_object().expect("object"),
            decoded(&store, "b").await
        );
    }

    #[tokio::test]
    async fn an_offer_the_feed_cannot_match_returns_the_object() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, store) = Registry::for_tests(dir.path()).await;
        let rt = configmaps();
        let cache = registry.caches().get(rt).await.expect("cache");
        let key = "/registry/configmaps/default/c";
        let mut object = configmap("c", "1");
        object.metadata.namespace = "default".into();
        let value = Bytes::from(object.to_json());
        // The offer names a copy of the bytes, as if the event had been read back from the
        // log: the feed must decode, and the writer must get its object back.
        let ticket = cache.offer(
            key,
            Bytes::copy_from_slice(&value),
            Offered::Object(object.clone()),
        );
        let kv = store.create(key, value).await.expect("create");
        let redeemed =
            tokio::time::timeout(Duration::from_secs(10), ticket.redeem(kv.mod_revision))
                .await
                .expect("redeemed in time");
        match redeemed {
            Err(Some(Offered::Object(back))) => assert_eq!(back, object),
            other => panic!("expected the object back, got {other:?}"),
        }
        assert!(cache.object(key).is_some(), "decoded by the feed");
        assert!(cache.pending_offers() == 0);

        // A withdrawn or abandoned offer leaves nothing behind.
        let ticket = cache.offer(
            key,
            Bytes::from_static(b"{}"),
            Offered::Object(configmap("c", "2")),
        );
        assert_eq!(cache.pending_offers(), 1);
        assert!(ticket.withdraw().is_some());
        assert!(cache.pending_offers() == 0);
        drop(cache.offer(
            key,
            Bytes::from_static(b"{}"),
            Offered::Object(configmap("c", "3")),
        ));
        assert!(cache.pending_offers() == 0);
    }
}
