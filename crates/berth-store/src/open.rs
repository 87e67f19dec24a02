//! [`open`]: the one way the server turns a [`DatastoreConfig`] into a running store.

use std::sync::Arc;

use crate::config::Backend;
use crate::etcd::EtcdStore;
use crate::sqlite::SqliteStore;
use crate::{DatastoreConfig, Store, StoreError, compactor};

/// Opens the configured backend and starts its automatic compaction. Needs a Tokio runtime.
pub async fn open(config: &DatastoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match &config.backend {
        Backend::Sqlite { path } => Arc::new(SqliteStore::open(path).await?),
        Backend::Etcd(etcd) => Arc::new(EtcdStore::open(etcd.clone()).await?),
    };
    if let Some(policy) = config.compaction {
        compactor::spawn(&store, policy);
    }
    tracing::info!(store = %store.describe(), "datastore open");
    Ok(store)
}
