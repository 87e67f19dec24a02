//! The controllers' local copy of one kind, kept from its watch ([`crate::informer`]): every
//! object once, shared (`Arc`) by every controller that reads it.
//!
//! Unlike kube's reflector store, the copy is filled with the watch's objects themselves
//! (moved in, never cloned: a pod decoded from an event is the pod the store holds), and the
//! one writer reports what each event replaced, which the change feed needs.
//!
//! Invariants: between a relist's start and end the readers keep seeing the previous list
//! (the new one is swapped in whole at its end, as kube's store does); `ready` turns true at
//! the end of the first list and stays true.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};

use kube::Resource;
use kube::runtime::reflector::{Lookup, ObjectRef};
use kube::runtime::watcher;

/// A read handle on one kind's local copy (cheap to clone).
pub struct Store<K: Resource>
where
    K::DynamicType: Eq + Hash,
{
    objects: Arc<RwLock<HashMap<ObjectRef<K>, Arc<K>>>>,
    ready: tokio::sync::watch::Receiver<bool>,
}

impl<K: Resource> Clone for Store<K>
where
    K::DynamicType: Eq + Hash,
{
    fn clone(&self) -> Self {
        Store {
            objects: self.objects.clone(),
            ready: self.ready.clone(),
        }
    }
}

impl<K: Resource> Store<K>
where
    K::DynamicType: Eq + Hash + Clone,
{
    /// Every object.
    pub fn state(&self) -> Vec<Arc<K>> {
        read(&self.objects).values().cloned().collect()
    }

    /// The objects `keep` accepts.
    pub fn state_filter(&self, keep: impl Fn(&K) -> bool) -> Vec<Arc<K>> {
        read(&self.objects)
            .values()
            .filter(|o| keep(o))
            .cloned()
            .collect()
    }

    /// The object at `key`.
    pub fn get(&self, key: &ObjectRef<K>) -> Option<Arc<K>> {
        read(&self.objects).get(key).cloned()
    }

    pub fn is_empty(&self) -> bool {
        read(&self.objects).is_empty()
    }

    /// Waits for the end of the first list.
    pub async fn wait_until_ready(&self) {
        let mut ready = self.ready.clone();
        let _ = ready.wait_for(|r| *r).await;
    }
}

fn read<K: Resource>(
    objects: &RwLock<HashMap<ObjectRef<K>, Arc<K>>>,
) -> std::sync::RwLockReadGuard<'_, HashMap<ObjectRef<K>, Arc<K>>>
where
    K::DynamicType: Eq + Hash,
{
    objects.read().unwrap_or_else(|e| e.into_inner())
}

/// The one writer of a [`Store`].
pub struct Writer<K: Resource>
where
    K::DynamicType: Eq + Hash,
{
    objects: Arc<RwLock<HashMap<ObjectRef<K>, Arc<K>>>>,
    /// A relist in progress.
    relist: Option<HashMap<ObjectRef<K>, Arc<K>>>,
    ready: tokio::sync::watch::Sender<bool>,
}

/// A new, empty store and its writer.
pub fn store<K: Resource>() -> (Store<K>, Writer<K>)
where
    K::DynamicType: Eq + Hash,
{
    let objects = Arc::new(RwLock::new(HashMap::new()));
    let (ready_tx, ready) = tokio::sync::watch::channel(false);
    (
        Store {
            objects: objects.clone(),
            ready,
        },
        Writer {
            objects,
            relist: None,
            ready: ready_tx,
        },
    )
}

impl<K: Resource> Writer<K>
where
    K::DynamicType: Eq + Hash + Clone + Default,
{
    /// Applies `event`; `seen` is first shown the event and the object it replaces (for an
    /// `Apply`; `None` for other events or a new object), before the readers see the change.
    pub fn apply(
        &mut self,
        event: watcher::Event<K>,
        seen: impl FnOnce(&watcher::Event<K>, Option<&K>),
    ) {
        let key = |object: &K| object.to_object_ref(K::DynamicType::default());
        match event {
            watcher::Event::Apply(object) => {
                let key = key(&object);
                let previous = read(&self.objects).get(&key).cloned();
                let event = watcher::Event::Apply(object);
                seen(&event, previous.as_deref());
                let watcher::Event::Apply(object) = event else {
                    return;
                };
                self.objects
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, Arc::new(object));
            }
            watcher::Event::Delete(object) => {
                let key = key(&object);
                let event = watcher::Event::Delete(object);
                seen(&event, None);
                self.objects
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
            }
            watcher::Event::Init => {
                seen(&watcher::Event::Init, None);
                self.relist = Some(HashMap::new());
            }
            watcher::Event::InitApply(object) => {
                let key = key(&object);
                let event = watcher::Event::InitApply(object);
                seen(&event, None);
                let watcher::Event::InitApply(object) = event else {
                    return;
                };
                self.relist
                    .get_or_insert_with(HashMap::new)
                    .insert(key, Arc::new(object));
            }
            watcher::Event::InitDone => {
                let listed = self.relist.take().unwrap_or_default();
                *self.objects.write().unwrap_or_else(|e| e.into_inner()) = listed;
                self.ready.send_replace(true);
                seen(&watcher::Event::InitDone, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;

    use super::*;

    fn config_map(name: &str, value: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.namespace = Some("default".into());
        cm.data = Some([("k".to_string(), value.to_string())].into());
        cm
    }

    fn value(store: &Store<ConfigMap>, name: &str) -> Option<String> {
        store
            .get(&ObjectRef::new(name).within("default"))
            .and_then(|cm| cm.data.as_ref()?.get("k").cloned())
    }

    #[tokio::test]
    async fn events_apply_and_relists_swap_in_whole() {
        use watcher::Event::{Apply, Delete, Init, InitApply, InitDone};
        let (store, mut writer) = store::<ConfigMap>();
        let replaced = std::cell::RefCell::new(Vec::new());
        let note = |event: &watcher::Event<ConfigMap>, previous: Option<&ConfigMap>| {
            if let Apply(_) = event {
                replaced
                    .borrow_mut()
                    .push(previous.and_then(|p| p.data.as_ref()?.get("k").cloned()));
            }
        };
        writer.apply(Init, note);
        writer.apply(InitApply(config_map("a", "1")), note);
        assert!(store.is_empty(), "a list shows only once complete");
        writer.apply(InitDone, note);
        store.wait_until_ready().await;
        assert_eq!(value(&store, "a").as_deref(), Some("1"));

        writer.apply(Apply(config_map("a", "2")), note);
        writer.apply(Apply(config_map("b", "1")), note);
        assert_eq!(
            *replaced.borrow(),
            [Some("1".to_string()), None],
            "what each Apply replaced"
        );
        assert_eq!(value(&store, "a").as_deref(), Some("2"));
        assert_eq!(store.state().len(), 2);
        assert_eq!(
            store
                .state_filter(|cm| cm.metadata.name.as_deref() == Some("b"))
                .len(),
            1
        );

        writer.apply(Delete(config_map("a", "2")), note);
        assert_eq!(value(&store, "a"), None);

        // A relist replaces everything at its end: b is gone, c arrived.
        writer.apply(Init, note);
        writer.apply(InitApply(config_map("c", "1")), note);
        assert_eq!(
            value(&store, "b").as_deref(),
            Some("1"),
            "the old list until the end"
        );
        writer.apply(InitDone, note);
        assert_eq!(value(&store, "b"), None);
        assert_eq!(value(&store, "c").as_deref(), Some("1"));
    }
}
