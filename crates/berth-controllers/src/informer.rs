//! A watched kind kept in a local store, with a wake-up signal on every change: controllers
//! wait on the signal (coalesced: many changes, one wake) and recompute from the stores.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

use futures_util::StreamExt;
use kube::Resource;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

/// Starts watching `api` into a store; every change notifies `wake`.
pub fn informer<K>(api: Api<K>, config: watcher::Config, wake: Arc<Notify>) -> Store<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Default + Eq + Hash + Clone + Send + Sync,
{
    let (reader, writer) = reflector::store();
    let kind = std::any::type_name::<K>();
    tokio::spawn(async move {
        let mut stream = reflector::reflector(writer, watcher::watcher(api, config))
            .default_backoff()
            .boxed();
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => wake.notify_one(),
                Err(e) => tracing::warn!(kind, error = %e, "watch error; retrying"),
            }
        }
    });
    reader
}

/// Waits until every store has its first full list.
pub async fn wait_ready<K>(store: &Store<K>)
where
    K: Resource + Clone + 'static,
    K::DynamicType: Eq + Hash + Clone,
{
    let _ = store.wait_until_ready().await;
}
