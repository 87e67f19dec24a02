//! A watched kind's objects as the controllers hold them: the last state the watch reported
//! of each, shared (`Arc`) with every reader.
//!
//! One task per kind (its informer) owns the [`Writer`] and moves each watch event's object
//! in. kube's reflector stores a clone of every object it is given; for pods that clone (and
//! freeing the original) cost about as much as decoding them.
//!
//! Invariants: before the first complete list readers see an empty store and
//! [`Store::wait_until_ready`] waits; a relist replaces the whole content at once, when it
//! is complete (objects listed are buffered until then), so a reader never sees half a list.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use kube::Resource;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;

/// Namespace (empty for cluster-scoped objects) and name.
type Key = (String, String);

fn key_of<K: Resource>(object: &K) -> Key {
    let meta = object.meta();
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

type Objects<K> = Arc<RwLock<HashMap<Key, Arc<K>>>>;

/// The writer went away before the store's first complete list.
#[derive(Debug, thiserror::Error)]
#[error("the store's writer stopped before its first list")]
pub struct WriterGone;

/// Read access to a kind's objects; cheap to clone.
pub struct Store<K> {
    objects: Objects<K>,
    ready: tokio::sync::watch::Receiver<bool>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Store {
            objects: self.objects.clone(),
            ready: self.ready.clone(),
        }
    }
}

impl<K: Resource> Store<K> {
    /// The object at `key`'s namespace and name.
    pub fn get(&self, key: &ObjectRef<K>) -> Option<Arc<K>> {
        let key = (key.namespace.clone().unwrap_or_default(), key.name.clone());
        self.read().get(&key).cloned()
    }

    /// Every object, in no particular order.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.read().values().cloned().collect()
    }

    /// The objects for which `keep` is true, in no particular order.
    pub fn state_filter(&self, mut keep: impl FnMut(&K) -> bool) -> Vec<Arc<K>> {
        self.read().values().filter(|o| keep(o)).cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// Waits for the first complete list.
    pub async fn wait_until_ready(&self) -> Result<(), WriterGone> {
        let mut ready = self.ready.clone();
        ready
            .wait_for(|r| *r)
            .await
            .map(drop)
            .map_err(|_| WriterGone)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Key, Arc<K>>> {
        self.objects.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// The informer's side: applies watch events.
pub struct Writer<K> {
    objects: Objects<K>,
    /// Objects of a list in progress (between `Init` and `InitDone`).
    listing: HashMap<Key, Arc<K>>,
    ready: tokio::sync::watch::Sender<bool>,
}

impl<K: Resource> Writer<K> {
    pub fn new() -> Writer<K> {
        Writer {
            objects: Arc::default(),
            listing: HashMap::new(),
            ready: tokio::sync::watch::channel(false).0,
        }
    }

    pub fn reader(&self) -> Store<K> {
        Store {
            objects: self.objects.clone(),
            ready: self.ready.subscribe(),
        }
    }

    /// Applies one watch event, as [`Writer::apply`], after `note` has read it beside the
    /// state it replaces (for an `Apply`, the stored object of that namespace and name): one
    /// key and one lookup for both.
    pub fn apply_noting<R>(
        &mut self,
        event: watcher::Event<K>,
        note: impl FnOnce(&watcher::Event<K>, Option<&K>) -> R,
    ) -> R {
        let watcher::Event::Apply(object) = &event else {
            let noted = note(&event, None);
            self.apply(event);
            return noted;
        };
        let key = key_of(object);
        let mut objects = self.write();
        let previous = objects.get(&key).cloned();
        let noted = note(&event, previous.as_deref());
        if let watcher::Event::Apply(object) = event {
            objects.insert(key, Arc::new(object));
        }
        drop(objects);
        // Freed outside the lock.
        drop(previous);
        noted
    }

    /// Applies one watch event, taking its object.
    pub fn apply(&mut self, event: watcher::Event<K>) {
        match event {
            watcher::Event::Apply(object) => {
                let key = key_of(&object);
                let previous = self.write().insert(key, Arc::new(object));
                // Freed outside the lock.
                drop(previous);
            }
            watcher::Event::Delete(object) => {
                let previous = self.write().remove(&key_of(&object));
                drop(previous);
            }
            watcher::Event::Init => self.listing = HashMap::new(),
            watcher::Event::InitApply(object) => {
                self.listing.insert(key_of(&object), Arc::new(object));
            }
            watcher::Event::InitDone => {
                let listed = std::mem::take(&mut self.listing);
                let replaced = std::mem::replace(&mut *self.write(), listed);
                drop(replaced);
                self.ready.send_replace(true);
            }
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Key, Arc<K>>> {
        self.objects.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Resource> Default for Writer<K> {
    fn default() -> Self {
        Writer::new()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;

    use super::*;

    fn map(namespace: &str, name: &str, value: &str) -> ConfigMap {
        let mut map = ConfigMap::default();
        map.metadata.namespace = Some(namespace.into());
        map.metadata.name = Some(name.into());
        map.data = Some([("v".to_string(), value.to_string())].into());
        map
    }

    fn value(store: &Store<ConfigMap>, namespace: &str, name: &str) -> Option<String> {
        let object = store.get(&ObjectRef::new(name).within(namespace))?;
        object.data.as_ref()?.get("v").cloned()
    }

    #[tokio::test]
    async fn lists_replace_at_once_and_changes_apply_in_place() {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let mut writer = Writer::new();
        let store = writer.reader();
        writer.apply(Init);
        writer.apply(InitApply(map("a", "x", "1")));
        // Half a list is not visible.
        assert!(store.state().is_empty());
        writer.apply(InitApply(map("b", "x", "2")));
        writer.apply(InitDone);
        store.wait_until_ready().await.expect("ready");
        assert_eq!(value(&store, "a", "x").as_deref(), Some("1"));
        assert_eq!(value(&store, "b", "x").as_deref(), Some("2"));

        writer.apply(Apply(map("a", "x", "3")));
        assert_eq!(value(&store, "a", "x").as_deref(), Some("3"));
        let seen = writer.apply_noting(Apply(map("a", "x", "4")), |event, previous| {
            let new = match event {
                Apply(object) => object.data.as_ref().and_then(|d| d.get("v").cloned()),
                _ => None,
            };
            let old = previous.and_then(|p| p.data.as_ref()?.get("v").cloned());
            (old, new)
        });
        assert_eq!(seen, (Some("3".into()), Some("4".into())));
        assert_eq!(value(&store, "a", "x").as_deref(), Some("4"));
        writer.apply(Delete(map("b", "x", "2")));
        assert_eq!(value(&store, "b", "x"), None);
        assert_eq!(store.state().len(), 1);

        // A relist drops what it does not list.
        writer.apply(Init);
        writer.apply(InitApply(map("c", "y", "4")));
        assert_eq!(
            store.state().len(),
            1,
            "the old state until the list is done"
        );
        writer.apply(InitDone);
        assert_eq!(value(&store, "a", "x"), None);
        assert_eq!(value(&store, "c", "y").as_deref(), Some("4"));
    }

    #[tokio::test]
    async fn readers_learn_when_the_writer_stops_before_a_list() {
        let writer: Writer<ConfigMap> = Writer::new();
        let store = writer.reader();
        drop(writer);
        assert!(store.wait_until_ready().await.is_err());
    }
}
