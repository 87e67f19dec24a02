//! kube-rs (the Rust client our controllers will use) against `berth server`: typed CRUD,
//! server-side apply, optimistic concurrency, and the `watcher` from `kube::runtime`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use support::Cluster;

async fn client(cluster: &Cluster) -> kube::Client {
    cluster.kube_client().await
}

fn configmap(name: &str, value: &str) -> ConfigMap {
    ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            labels: Some(BTreeMap::from([("app".to_string(), "kube-rs".to_string())])),
            ..Default::default()
        },
        data: Some(BTreeMap::from([("k".to_string(), value.to_string())])),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_crud_apply_and_watcher() {
    let cluster = Cluster::start();
    let client = client(&cluster).await;
    let version = client.apiserver_version().await.expect("version");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );

    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let created = api
        .create(&PostParams::default(), &configmap("a", "1"))
        .await
        .expect("create");
    assert!(created.metadata.uid.is_some());
    let fetched = api.get("a").await.expect("get");
    assert_eq!(
        fetched
            .data
            .as_ref()
            .and_then(|d| d.get("k"))
            .map(String::as_str),
        Some("1")
    );

    // A stale replace is a 409.
    let mut stale = created.clone();
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(serde_json::json!({"data": {"k": "2"}})),
    )
    .await
    .expect("merge patch");
    stale.data = Some(BTreeMap::from([("k".to_string(), "3".to_string())]));
    match api.replace("a", &PostParams::default(), &stale).await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 409),
        other => panic!("expected 409, got {other:?}"),
    }

    // Server-side apply creates and records the manager.
    let applied = api
        .patch(
            "b",
            &PatchParams::apply("kube-rs-test"),
            &Patch::Apply(configmap("b", "applied")),
        )
        .await
        .expect("apply");
    let managers: Vec<String> = applied
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert_eq!(managers, vec!["kube-rs-test"]);

    let listed = api
        .list(&ListParams::default().labels("app=kube-rs"))
        .await
        .expect("list");
    let mut names: Vec<String> = listed
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);

    // Metadata only (`as=PartialObjectMetadata[List]`), as metadata informers ask.
    let partial = api.get_metadata("a").await.expect("get metadata");
    assert_eq!(
        partial.types.as_ref().map(|t| t.kind.as_str()),
        Some("PartialObjectMetadata")
    );
    assert_eq!(partial.metadata.uid, created.metadata.uid);
    let partials = api
        .list_metadata(&ListParams::default().labels("app=kube-rs"))
        .await
        .expect("list metadata");
    let mut names: Vec<String> = partials
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);

    // The runtime watcher: initial list, then live events. The writer starts only once the
    // initial list is done, so both of its changes arrive as live events.
    let stream = watcher(
        api.clone(),
        watcher::Config::default().labels("app=kube-rs"),
    );
    let mut stream = Box::pin(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut initial = Vec::new();
    loop {
        let event = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("initial list in time")
            .expect("stream open")
            .expect("no watch error");
        match event {
            watcher::Event::InitApply(cm) => initial.extend(cm.metadata.name),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    initial.sort();
    assert_eq!(initial, vec!["a", "b"]);
    let writer = {
        let api = api.clone();
        tokio::spawn(async move {
            api.create(&PostParams::default(), &configmap("c", "1"))
                .await
                .expect("create c");
            api.delete("c", &DeleteParams::default())
                .await
                .expect("delete c");
        })
    };
    let (mut added, mut deleted) = (false, false);
    while !(added && deleted) {
        let event = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("watch events in time")
            .expect("stream open")
            .expect("no watch error");
        match event {
            watcher::Event::Apply(cm) if cm.metadata.name.as_deref() == Some("c") => added = true,
            watcher::Event::Delete(cm) if cm.metadata.name.as_deref() == Some("c") => {
                deleted = true
            }
            _ => {}
        }
    }
    writer.await.expect("writer");

    // A streaming list (`sendInitialEvents=true`): the state as ADDED events, then the
    // bookmark that ends them.
    let stream = watcher(
        api.clone(),
        watcher::Config::default()
            .labels("app=kube-rs")
            .streaming_lists(),
    );
    let mut stream = Box::pin(stream);
    let mut streamed = Vec::new();
    loop {
        let event = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("initial events in time")
            .expect("stream open")
            .expect("no watch error");
        match event {
            watcher::Event::InitApply(cm) => streamed.extend(cm.metadata.name),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    streamed.sort();
    assert_eq!(streamed, vec!["a", "b"]);
}
