//! Faults on the etcd backend: an unreachable etcd is a clear error naming the endpoint after
//! retries; a watch survives etcd being killed and restarted, without a gap or a duplicate.

mod support;

use std::time::Duration;

use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::{Revision, Store, StoreError};
use bytes::Bytes;
use support::{PrivateEtcd, events_through, free_port};

#[tokio::test]
async fn unreachable_etcd_is_an_error_naming_the_endpoint() {
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let mut config = EtcdConfig::new(vec![endpoint.clone()]);
    config.startup_timeout = Duration::from_millis(500);
    config.request_timeout = Duration::from_millis(500);
    let err = match EtcdStore::open(config).await {
        Ok(_) => panic!("nothing listens on {endpoint}"),
        Err(err) => err,
    };
    assert!(matches!(err, StoreError::EtcdUnavailable { .. }), "{err:?}");
    assert!(err.to_string().contains(&endpoint), "{err}");
}

async fn open(etcd: &PrivateEtcd) -> EtcdStore {
    let mut config = EtcdConfig::new(vec![etcd.client_url.clone()]);
    config.startup_timeout = Duration::from_secs(20);
    config.request_timeout = Duration::from_secs(2);
    EtcdStore::open(config).await.expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_after_etcd_restarts() {
    let mut etcd = PrivateEtcd::start();
    let store = open(&etcd).await;
    let first = store
        .create("/registry/restart/a", Bytes::from("1"))
        .await
        .expect("create");
    let mut stream = store
        .watch("/registry/restart/", first.mod_revision)
        .await
        .expect("watch");
    events_through(&mut stream, first.mod_revision).await;

    etcd.kill_and_restart();
    // Writes fail while etcd is down; retry (with a deadline) until it is back.
    let deadline = tokio::time::Instant::now() + support::DEADLINE;
    let second = loop {
        match store
            .update("/registry/restart/a", Bytes::from("2"), first.mod_revision)
            .await
        {
            Ok(kv) => break kv,
            Err(err @ (StoreError::EtcdUnavailable { .. } | StoreError::Etcd { .. })) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "etcd did not come back: {err}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!("unexpected error: {err}"),
        }
    };
    let events = events_through(&mut stream, second.mod_revision).await;
    assert_eq!(events.len(), 1, "no duplicates, no gaps: {events:?}");
    assert_eq!(events[0].kv, second);
    assert_eq!(events[0].prev.as_ref(), Some(&first));
    assert!(store.current_revision().await.expect("rev") >= Revision::new(2));
}
