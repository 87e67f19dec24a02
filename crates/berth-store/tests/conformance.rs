//! One conformance suite, run unchanged against every backend: the etcd semantics the API
//! server relies on. Each case is a function of the backend; the macro at the bottom instantiates
//! every case for SQLite and for etcd.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_store::{EventKind, RangeRequest, Revision, Store, StoreError};
use bytes::Bytes;
use support::{Backend, events_through, next_event, watch_error};

fn val(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Revisions only grow, each write takes exactly one, failed writes take none, and
/// `version`/`create_revision` follow etcd's rules across delete and re-create.
async fn revisions_grow_and_are_unique(backend: Backend) {
    let store = backend.open().await;
    let start = store.current_revision().await.expect("current revision");

    let a1 = store.create("/t/a", val("1")).await.expect("create a");
    assert!(a1.mod_revision > start);
    assert_eq!(a1.create_revision, a1.mod_revision);
    assert_eq!(a1.version, 1);
    assert_eq!(
        store.current_revision().await.expect("rev"),
        a1.mod_revision
    );

    let a2 = store
        .update("/t/a", val("2"), a1.mod_revision)
        .await
        .expect("update a");
    assert!(a2.mod_revision > a1.mod_revision);
    assert_eq!((a2.create_revision, a2.version), (a1.create_revision, 2));

    // Failed conditional writes consume no revision.
    let before = store.current_revision().await.expect("rev");
    assert!(store.create("/t/a", val("x")).await.is_err());
    assert!(
        store
            .update("/t/a", val("x"), a1.mod_revision)
            .await
            .is_err()
    );
    assert!(store.delete("/t/missing", None).await.is_err());
    assert_eq!(store.current_revision().await.expect("rev"), before);

    let deleted = store
        .delete("/t/a", Some(a2.mod_revision))
        .await
        .expect("delete a");
    assert!(deleted.revision > a2.mod_revision);
    assert_eq!(deleted.prev, a2);
    assert_eq!(store.get("/t/a").await.expect("get"), None);

    // Re-creating starts a new life: version 1, a new create_revision.
    let a3 = store.create("/t/a", val("3")).await.expect("re-create a");
    assert!(a3.mod_revision > deleted.revision);
    assert_eq!((a3.create_revision, a3.version), (a3.mod_revision, 1));
    assert_eq!(store.get("/t/a").await.expect("get"), Some(a3.clone()));

    // Many writes: strictly increasing, never repeated.
    let mut last = a3.mod_revision;
    let mut seen = std::collections::HashSet::new();
    for i in 0..50 {
        let kv = store
            .create(&format!("/t/many/{i}"), val("v"))
            .await
            .expect("create");
        assert!(kv.mod_revision > last, "revision went backwards");
        assert!(seen.insert(kv.mod_revision), "revision repeated");
        last = kv.mod_revision;
    }
}

/// Compare-and-swap: every conditional write that lost tells the caller the current state.
async fn compare_and_swap_conflicts(backend: Backend) {
    let store = backend.open().await;
    let v1 = store.create("/cas/k", val("1")).await.expect("create");

    match store.create("/cas/k", val("again")).await {
        Err(StoreError::AlreadyExists { key, current }) => {
            assert_eq!(key, "/cas/k");
            assert_eq!(*current, v1);
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }

    let v2 = store
        .update("/cas/k", val("2"), v1.mod_revision)
        .await
        .expect("update with the right revision");
    match store.update("/cas/k", val("stale"), v1.mod_revision).await {
        Err(StoreError::Conflict {
            key,
            expected,
            current,
        }) => {
            assert_eq!(key, "/cas/k");
            assert_eq!(expected, v1.mod_revision);
            assert_eq!(current.as_deref(), Some(&v2));
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(store.get("/cas/k").await.expect("get"), Some(v2.clone()));

    match store.update("/cas/nope", val("x"), v1.mod_revision).await {
        Err(StoreError::NotFound { key }) => assert_eq!(key, "/cas/nope"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    match store.delete("/cas/k", Some(v1.mod_revision)).await {
        Err(StoreError::Conflict { current, .. }) => assert_eq!(current.as_deref(), Some(&v2)),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(matches!(
        store.delete("/cas/nope", None).await,
        Err(StoreError::NotFound { .. })
    ));
    store
        .delete("/cas/k", Some(v2.mod_revision))
        .await
        .expect("guarded delete with the right revision");
    assert!(matches!(
        store.update("/cas/k", val("x"), v2.mod_revision).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.create("", val("x")).await,
        Err(StoreError::InvalidKey { .. })
    ));
}

/// A watch from any past revision replays every change under its prefix, in order, with the
/// previous values, then follows live changes.
async fn watch_replays_history_with_previous_values(backend: Backend) {
    let store = backend.open().await;
    let a1 = store.create("/w/a", val("a1")).await.expect("create");
    store
        .create("/other/x", val("x"))
        .await
        .expect("create outside");
    let b1 = store.create("/w/b", val("b1")).await.expect("create");
    let a2 = store
        .update("/w/a", val("a2"), a1.mod_revision)
        .await
        .expect("update");
    let del = store.delete("/w/b", None).await.expect("delete");
    let a3 = store
        .update("/w/a", val("a3"), a2.mod_revision)
        .await
        .expect("update");

    let mut stream = store.watch("/w/", a1.mod_revision).await.expect("watch");
    let events = events_through(&mut stream, a3.mod_revision).await;
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.kv.key.as_str(),
                e.revision(),
                e.kv.value.clone(),
                e.prev.as_ref().map(|p| p.value.clone()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (EventKind::Created, "/w/a", a1.mod_revision, val("a1"), None),
            (EventKind::Created, "/w/b", b1.mod_revision, val("b1"), None),
            (
                EventKind::Updated,
                "/w/a",
                a2.mod_revision,
                val("a2"),
                Some(val("a1"))
            ),
            (
                EventKind::Deleted,
                "/w/b",
                del.revision,
                Bytes::new(),
                Some(val("b1"))
            ),
            (
                EventKind::Updated,
                "/w/a",
                a3.mod_revision,
                val("a3"),
                Some(val("a2"))
            ),
        ]
    );
    // Full key-values, as etcd reports them.
    assert_eq!(events[2].kv, a2);
    assert_eq!(events[2].prev.as_ref(), Some(&a1));
    assert_eq!(events[3].prev.as_ref(), Some(&b1));
    assert_eq!(
        (events[3].kv.version, events[3].kv.create_revision),
        (0, Revision::ZERO)
    );

    // Live changes follow, and nothing outside the prefix arrives.
    store
        .create("/other/y", val("y"))
        .await
        .expect("create outside");
    let c1 = store.create("/w/c", val("c1")).await.expect("create");
    let live = next_event(&mut stream).await;
    assert_eq!((live.kind, live.kv.clone()), (EventKind::Created, c1));

    // A watch from the middle of history starts exactly there.
    let mut mid = store.watch("/w/", a2.mod_revision).await.expect("watch");
    let first = next_event(&mut mid).await;
    assert_eq!(first.revision(), a2.mod_revision);

    // Revision ZERO: only what happens from now on.
    let mut now = store.watch("/w/", Revision::ZERO).await.expect("watch now");
    let c2 = store.create("/w/d", val("d1")).await.expect("create");
    assert_eq!(next_event(&mut now).await.kv, c2);
}

/// Deleting delivers a delete event carrying the last value, to watchers of the key's prefix.
async fn watch_delivers_delete_events(backend: Backend) {
    let store = backend.open().await;
    let mut stream = store.watch("/del/", Revision::ZERO).await.expect("watch");
    let kv = store.create("/del/k", val("last")).await.expect("create");
    let deleted = store
        .delete("/del/k", Some(kv.mod_revision))
        .await
        .expect("delete");
    let created = next_event(&mut stream).await;
    assert_eq!(created.kind, EventKind::Created);
    let event = next_event(&mut stream).await;
    assert_eq!(event.kind, EventKind::Deleted);
    assert_eq!(event.kv.key, "/del/k");
    assert_eq!(event.revision(), deleted.revision);
    assert_eq!(event.prev, Some(kv));
}

/// After compaction, the state at the compacted revision and everything later stays readable
/// and watchable; anything older is the distinct Compacted error.
async fn compaction_then_compacted_error(backend: Backend) {
    let store = backend.open().await;
    let k1 = store.create("/c/k", val("1")).await.expect("create");
    let gone = store.create("/c/gone", val("g")).await.expect("create");
    let k2 = store
        .update("/c/k", val("2"), k1.mod_revision)
        .await
        .expect("update");
    store.delete("/c/gone", None).await.expect("delete");
    let k3 = store
        .update("/c/k", val("3"), k2.mod_revision)
        .await
        .expect("update");
    let after = store
        .update("/c/k", val("4"), k3.mod_revision)
        .await
        .expect("update");

    store.compact(k3.mod_revision).await.expect("compact");

    // Reads before the compacted revision fail with Compacted.
    match store
        .range(RangeRequest::prefix("/c/").at_revision(k2.mod_revision))
        .await
    {
        Err(StoreError::Compacted { requested, .. }) => assert_eq!(requested, k2.mod_revision),
        other => panic!("expected Compacted, got {other:?}"),
    }
    // The state at the compacted revision is intact.
    let at = store
        .range(RangeRequest::prefix("/c/").at_revision(k3.mod_revision))
        .await
        .expect("range at the compacted revision");
    assert_eq!(at.kvs, vec![k3.clone()]);
    assert_eq!(at.revision, k3.mod_revision);

    // Watches: older is Compacted, the compacted revision itself replays from there.
    assert!(matches!(
        watch_error(store.as_ref(), "/c/", gone.mod_revision).await,
        StoreError::Compacted { .. }
    ));
    let mut stream = store
        .watch("/c/", k3.mod_revision)
        .await
        .expect("watch from the compacted revision");
    let events = events_through(&mut stream, after.mod_revision).await;
    assert_eq!(
        events.iter().map(|e| e.revision()).collect::<Vec<_>>(),
        vec![k3.mod_revision, after.mod_revision]
    );
    assert_eq!(events[1].prev.as_ref(), Some(&k3));

    // Compacting again to an older revision is a no-op; the future is an error.
    store.compact(k2.mod_revision).await.expect("compact older");
    let future = store.current_revision().await.expect("rev").get() + 1000;
    assert!(matches!(
        store.compact(Revision::new(future)).await,
        Err(StoreError::FutureRevision { .. })
    ));
    assert_eq!(store.get("/c/k").await.expect("get"), Some(after));
}

/// Paging with a fixed revision sees one consistent snapshot while writes continue.
async fn range_pagination_is_consistent_while_writing(backend: Backend) {
    let store = backend.open().await;
    let mut expected = BTreeMap::new();
    for i in 0..100 {
        let key = format!("/p/item-{i:03}");
        store
            .create(&key, val(&format!("v{i}")))
            .await
            .expect("create");
        expected.insert(key, format!("v{i}"));
    }
    store
        .create("/p0", val("just past the prefix"))
        .await
        .expect("create");

    let first = store
        .range(RangeRequest::prefix("/p/").with_limit(7).with_count())
        .await
        .expect("first page");
    assert_eq!(first.kvs.len(), 7);
    assert!(first.more);
    assert_eq!(first.count, Some(100));
    let at = first.revision;

    // A writer rewrites, deletes and adds keys in the range while we page.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..100 {
                let key = format!("/p/item-{i:03}");
                if let Ok(Some(kv)) = store.get(&key).await {
                    let _ = if i % 3 == 0 {
                        store.delete(&key, None).await.map(|_| ())
                    } else {
                        store
                            .update(&key, val("changed"), kv.mod_revision)
                            .await
                            .map(|_| ())
                    };
                }
                let _ = store.create(&format!("/p/new-{i:03}"), val("new")).await;
            }
        })
    };

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut page = first;
    loop {
        assert_eq!(page.revision, at);
        seen.extend(page.kvs.iter().map(|kv| {
            (
                kv.key.clone(),
                String::from_utf8_lossy(&kv.value).into_owned(),
            )
        }));
        if !page.more {
            break;
        }
        let last = page
            .kvs
            .last()
            .expect("a page with more has keys")
            .key
            .clone();
        page = store
            .range(
                RangeRequest::prefix("/p/")
                    .with_limit(7)
                    .at_revision(at)
                    .after_key(last),
            )
            .await
            .expect("next page");
    }
    writer.await.expect("writer task");
    assert_eq!(seen, expected.into_iter().collect::<Vec<_>>());

    // The current state reflects the writer; an unlimited range has no `more`.
    let now = store
        .range(RangeRequest::prefix("/p/"))
        .await
        .expect("range");
    assert!(!now.more);
    assert_eq!(now.count, Some(now.kvs.len() as u64));
    assert_eq!(now.kvs.len(), 100 - 34 + 100);
    assert!(now.revision > at);
}

/// Reading the past: deleted keys reappear, updated keys show their old values.
async fn range_at_past_revision(backend: Backend) {
    let store = backend.open().await;
    let a = store.create("/r/a", val("old")).await.expect("create");
    let b = store.create("/r/b", val("b")).await.expect("create");
    store
        .update("/r/a", val("new"), a.mod_revision)
        .await
        .expect("update");
    store.delete("/r/b", None).await.expect("delete");

    let past = store
        .range(RangeRequest::prefix("/r/").at_revision(b.mod_revision))
        .await
        .expect("range in the past");
    assert_eq!(past.kvs, vec![a, b]);
    let now = store
        .range(RangeRequest::prefix("/r/"))
        .await
        .expect("range");
    assert_eq!(now.kvs.len(), 1);
    assert_eq!(now.kvs[0].value, val("new"));

    let future = Revision::new(now.revision.get() + 1000);
    assert!(matches!(
        store
            .range(RangeRequest::prefix("/r/").at_revision(future))
            .await,
        Err(StoreError::FutureRevision { .. })
    ));
}

/// 32 tasks × 500 read-modify-write increments of the same 8 keys: every conflict is retried,
/// and no increment is lost.
async fn concurrent_updates_lose_nothing(backend: Backend) {
    const TASKS: usize = 32;
    const UPDATES: usize = 500;
    const KEYS: usize = 8;
    let store = backend.open().await;
    for k in 0..KEYS {
        store
            .create(&format!("/counter/{k}"), val("0"))
            .await
            .expect("create counter");
    }
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store: Arc<dyn Store> = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut conflicts = 0u64;
            for u in 0..UPDATES {
                let key = format!("/counter/{}", (t + u) % KEYS);
                let mut current = store.get(&key).await.expect("get").expect("counter exists");
                loop {
                    let n: u64 = std::str::from_utf8(&current.value)
                        .expect("utf-8")
                        .parse()
                        .expect("a number");
                    match store
                        .update(&key, val(&(n + 1).to_string()), current.mod_revision)
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::Conflict {
                            current: Some(now), ..
                        }) => {
                            conflicts += 1;
                            current = *now;
                        }
                        Err(err) => panic!("update failed: {err}"),
                    }
                }
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("task");
    }
    let mut total = 0;
    for k in 0..KEYS {
        let kv = store
            .get(&format!("/counter/{k}"))
            .await
            .expect("get")
            .expect("counter");
        let n: usize = std::str::from_utf8(&kv.value)
            .expect("utf-8")
            .parse()
            .expect("a number");
        assert_eq!(kv.version as usize, n + 1, "one version per increment");
        total += n;
    }
    assert_eq!(
        total,
        TASKS * UPDATES,
        "lost updates ({conflicts} conflicts retried)"
    );
    assert!(conflicts > 0, "the test must actually race");
}

/// Data, the revision counter and the compacted revision survive closing and reopening, even
/// when compaction removed the newest rows (a deleted key).
async fn data_and_revision_survive_restart(backend: Backend) {
    let (kept, last) = {
        let store = backend.open().await;
        let kept = store.create("/s/kept", val("v")).await.expect("create");
        store.create("/s/gone", val("g")).await.expect("create");
        let deleted = store.delete("/s/gone", None).await.expect("delete");
        let marker = store.create("/s/marker", val("m")).await.expect("create");
        store.compact(marker.mod_revision).await.expect("compact");
        assert!(deleted.revision < marker.mod_revision);
        (kept, marker.mod_revision)
    };
    let store = backend.open().await;
    assert_eq!(store.current_revision().await.expect("rev"), last);
    assert_eq!(store.get("/s/kept").await.expect("get"), Some(kept));
    assert_eq!(store.get("/s/gone").await.expect("get"), None);
    let next = store.create("/s/next", val("n")).await.expect("create");
    assert!(next.mod_revision > last, "the revision counter went back");
    assert!(matches!(
        watch_error(store.as_ref(), "/s/", Revision::new(last.get() - 2)).await,
        StoreError::Compacted { .. }
    ));
}

/// A range larger than gRPC's default 4 MiB message limit comes back whole (kube-apiserver
/// lists thousands of objects in one range at start-up).
async fn large_range_is_returned_whole(backend: Backend) {
    let store = backend.open().await;
    let value = Bytes::from(vec![b'L'; 8 * 1024]);
    let before = store.current_revision().await.expect("revision");
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (store, value) = (store.clone(), value.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..80 {
                store
                    .create(&format!("/large/{t}-{i:03}"), value.clone())
                    .await
                    .expect("create");
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    let all = store
        .range(RangeRequest::prefix("/large/"))
        .await
        .expect("range");
    assert_eq!(all.kvs.len(), 640);
    assert!(all.kvs.iter().map(|kv| kv.value.len()).sum::<usize>() > 4 * 1024 * 1024);
    let mut stream = store.watch("/large/", before.next()).await.expect("watch");
    let events = events_through(&mut stream, all.revision).await;
    assert_eq!(events.len(), 640);
}

macro_rules! conformance {
    ($backend:ident => $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(super::Backend::$backend().await).await;
                }
            )*
        }
    };
}

macro_rules! all_cases {
    ($backend:ident) => {
        conformance!($backend =>
            revisions_grow_and_are_unique,
            compare_and_swap_conflicts,
            watch_replays_history_with_previous_values,
            watch_delivers_delete_events,
            compaction_then_compacted_error,
            range_pagination_is_consistent_while_writing,
            range_at_past_revision,
            concurrent_updates_lose_nothing,
            data_and_revision_survive_restart,
            large_range_is_returned_whole,
        );
    };
}

all_cases!(sqlite);
all_cases!(etcd);
