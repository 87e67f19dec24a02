//! Watch: a chunked stream of `{"type":…,"object":…}` lines, served from the watch cache.
//!
//! `resourceVersion` unset or `0`: first a synthetic `ADDED` for every current match, then
//! changes (unset also waits for the cache to reflect the latest write); `N`: only changes
//! after `N`. A watcher that falls behind the live broadcast (a burst, a slow reader) carries
//! on from the cache's history; a version older than the history, or a watcher that falls
//! behind it too, gets one `ERROR` event carrying a 410 `Status`, as upstream; clients then
//! re-list. Selectors
//! apply to events: an object that starts matching arrives as `ADDED`, one that stops matching
//! as `DELETED`. `timeoutSeconds` ends the stream cleanly. With `allowWatchBookmarks=true`
//! a `BOOKMARK` carrying the cache's current resourceVersion is sent every
//! [`BOOKMARK_INTERVAL`] without other events, so clients can resume from a recent version.
//!
//! Lines are sent in chunks: every event ready when the stream is polled goes into one chunk
//! (up to [`CHUNK`] bytes), not one chunk per event. Each chunk costs a body frame, an HTTP
//! chunk header, a TLS record and a socket write, and clients split lines, not chunks.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use berth_api::ResourceType;
use berth_store::{EventKind, Revision};
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::{Instant, Sleep};

use super::Query;
use super::list::{matches_cached, options, wanted_revision};
use super::shape::{Shape, metadata_of};
use crate::registry::{ListOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};
use crate::watch_cache::{Cache, CacheError, CacheEvent, Cached};

struct Encoder {
    rt: &'static ResourceType,
    options: ListOptions,
    as_table: Option<IncludeObject>,
    /// Each event's object as its `PartialObjectMetadata`.
    metadata_only: bool,
    /// Events at or before this revision were already seen by the client.
    after: Option<Revision>,
}

/// Appends the line of a `kind` event of the serialised `object` to `out`.
fn splice(out: &mut BytesMut, kind: &str, object: &[u8]) {
    out.reserve(object.len() + 32);
    out.put_slice(b"{\"type\":\"");
    out.put_slice(kind.as_bytes());
    out.put_slice(b"\",\"object\":");
    out.put_slice(object);
    out.put_slice(b"}\n");
}

impl Encoder {
    /// Appends the line for `object` as a `kind` event to `out`.
    fn put_line(&self, out: &mut BytesMut, kind: &str, object: &Cached) {
        match self.as_table {
            Some(include) => match object.object() {
                Ok(decoded) => out.put_slice(&self.raw(
                    kind,
                    table(
                        self.rt,
                        std::slice::from_ref(&*decoded),
                        include,
                        &object.meta.resource_version,
                        None,
                    ),
                )),
                Err(err) => out.put_slice(&self.error(err)),
            },
            None if self.metadata_only => splice(out, kind, &metadata_of(&object.json)),
            // The object is already serialised: splice it in.
            None => splice(out, kind, &object.json),
        }
    }

    fn raw(&self, kind: &str, object: Value) -> Bytes {
        let mut line =
            serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    }

    fn error(&self, err: ApiError) -> Bytes {
        self.raw("ERROR", err.to_status())
    }

    fn filtered(&self) -> bool {
        !(self.options.labels.is_empty() && self.options.fields.is_empty())
    }

    /// Appends `event`'s line to `out`, if this watch sees it.
    fn put_event(&self, out: &mut BytesMut, event: &CacheEvent) {
        if self.after.is_some_and(|after| event.revision <= after) {
            return;
        }
        if !self.filtered() {
            let kind = match event.kind {
                EventKind::Created => "ADDED",
                EventKind::Updated => "MODIFIED",
                EventKind::Deleted => "DELETED",
            };
            return self.put_line(out, kind, &event.object);
        }
        let old_matches = event
            .prev
            .as_ref()
            .is_some_and(|p| matches_cached(&self.options, p));
        if event.kind == EventKind::Deleted {
            if old_matches {
                self.put_line(out, "DELETED", &event.object);
            }
            return;
        }
        let new_matches = matches_cached(&self.options, &event.object);
        let kind = match (event.kind, old_matches, new_matches) {
            (EventKind::Created, _, true) => "ADDED",
            (_, true, true) => "MODIFIED",
            (_, false, true) => "ADDED",
            (_, true, false) => "DELETED",
            _ => return,
        };
        self.put_line(out, kind, &event.object);
    }
}

/// The size beyond which a chunk of lines is sent rather than grown.
pub const CHUNK: usize = 64 * 1024;

/// How often a quiet watch that allows bookmarks gets one (upstream: about a minute).
pub const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

/// Where a watch takes its events from.
struct Followed {
    cache: Arc<Cache>,
    /// Events to send before any live one.
    replay: VecDeque<Arc<CacheEvent>>,
    live: broadcast::Receiver<Arc<CacheEvent>>,
    /// The revision of the last event taken from the cache (or of the subscription).
    last: Revision,
}

struct State {
    encoder: Encoder,
    prefix: String,
    pending: VecDeque<Bytes>,
    /// `None` once the stream has nothing more to follow.
    followed: Option<Followed>,
    /// The end of `timeoutSeconds` (`None`: no timeout).
    deadline: Option<Pin<Box<Sleep>>>,
    /// Bookmarks, when requested.
    bookmarks: Option<Bookmarks>,
    /// For a watch-list: the revision of the initial events, to be marked by a bookmark
    /// once they are sent.
    initial_events_end: Option<Revision>,
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy)]
enum Start {
    /// With the current state, as ADDED events.
    State,
    /// After this revision, from the cache's history.
    After(Revision),
    /// With the changes from now on only.
    Now,
}

/// When the next bookmark is due. One timer for the stream's life: an event only notes the
/// time it came (no timer is touched per event); when the timer fires early because events
/// came meanwhile, it is moved to [`BOOKMARK_INTERVAL`] after the last one.
struct Bookmarks {
    /// The cache's revision.
    revisions: tokio::sync::watch::Receiver<Revision>,
    timer: Pin<Box<Sleep>>,
    last_event: Instant,
}

impl Bookmarks {
    fn new(revisions: tokio::sync::watch::Receiver<Revision>) -> Bookmarks {
        let now = Instant::now();
        Bookmarks {
            revisions,
            timer: Box::pin(tokio::time::sleep_until(now + BOOKMARK_INTERVAL)),
            last_event: now,
        }
    }

    /// Waits until a bookmark is due: [`BOOKMARK_INTERVAL`] without events.
    async fn due(&mut self) -> Revision {
        loop {
            self.timer.as_mut().await;
            let due = self.last_event + BOOKMARK_INTERVAL;
            if Instant::now() >= due {
                self.last_event = Instant::now();
                self.timer
                    .as_mut()
                    .reset(self.last_event + BOOKMARK_INTERVAL);
                return *self.revisions.borrow();
            }
            self.timer.as_mut().reset(due);
        }
    }
}

/// Waits for `deadline`, or forever without one.
async fn until(deadline: &mut Option<Pin<Box<Sleep>>>) {
    match deadline {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Waits for the next bookmark, or forever when none were asked for.
async fn next_bookmark(bookmarks: &mut Option<Bookmarks>) -> Revision {
    match bookmarks {
        Some(bookmarks) => bookmarks.due().await,
        None => std::future::pending().await,
    }
}

impl Encoder {
    fn bookmark(&self, revision: Revision) -> Bytes {
        self.raw(
            "BOOKMARK",
            json!({
                "kind": self.rt.kind,
                "apiVersion": self.rt.group_version().api_version(),
                "metadata": {"resourceVersion": revision.to_string()},
            }),
        )
    }

    /// The bookmark that ends a watch-list's initial events (`k8s.io/initial-events-end`).
    fn initial_events_end(&self, revision: Revision) -> Bytes {
        self.raw(
            "BOOKMARK",
            json!({
                "kind": self.rt.kind,
                "apiVersion": self.rt.group_version().api_version(),
                "metadata": {
                    "resourceVersion": revision.to_string(),
                    "annotations": {"k8s.io/initial-events-end": "true"},
                },
            }),
        )
    }
}

fn too_old(requested: Revision, oldest: Revision) -> ApiError {
    ApiError::gone(format!("too old resource version: {requested} ({oldest})"))
}

pub async fn watch(
    registry: &Registry,
    target: &Target,
    query: &Query,
    shape: Shape,
) -> Result<Response, ApiError> {
    let mut list_options = options(query)?;
    list_options.limit = None;
    list_options.continue_token = None;
    let requested = match query
        .resource_version
        .as_deref()
        .filter(|rv| !rv.is_empty() && *rv != "0")
    {
        Some(rv) => Some(Revision::new(rv.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))
        })?)),
        None => None,
    };
    let any_state = query.resource_version.as_deref() == Some("0");
    let start = match query.send_initial_events {
        // Legacy: a resourceVersion continues from there, none starts with the state.
        None => requested.map_or(Start::State, Start::After),
        // Watch-list: the state at least as fresh as the resourceVersion, then a bookmark
        // marking the end of the initial events.
        Some(true) => Start::State,
        Some(false) => requested.map_or(Start::Now, Start::After),
    };
    // The revision the state must reflect: the store's current one for a consistent read
    // (no resourceVersion), the one asked for by a watch-list.
    let fresh_as = match (start, requested) {
        (Start::After(_), _) => None,
        (_, Some(revision)) => Some(revision),
        (_, None) if any_state => None,
        (_, None) => wanted_revision(registry, None).await?,
    };
    let mut encoder = Encoder {
        rt: target.rt,
        options: list_options,
        as_table: (shape == Shape::Table)
            .then(|| IncludeObject::parse(query.include_object.as_deref())),
        metadata_only: shape == Shape::Metadata,
        after: None,
    };
    let prefix = Registry::prefix(target.rt, target.namespace());
    let mut pending = VecDeque::new();
    let mut followed = None;
    let mut bookmarks = None;
    let mut initial_events_end = None;
    for attempt in 0..2 {
        let cache = registry.caches().get(target.rt).await?;
        if let Some(revision) = fresh_as
            && !cache.wait_for(revision).await
            && let Some(asked) = requested
        {
            // A watch-list asking for a state the store has not reached: upstream's 504.
            let current = registry
                .store()
                .current_revision()
                .await
                .map_err(ApiError::from_store)?;
            if current < asked {
                return Err(ApiError::too_large_resource_version(
                    asked.get(),
                    current.get(),
                ));
            }
        }
        let from = match start {
            Start::State => None,
            Start::After(revision) => Some(revision),
            Start::Now => Some(fresh_as.unwrap_or_else(|| cache.revision())),
        };
        encoder.after = from;
        match cache.subscribe(&prefix, from) {
            Ok(subscription) => {
                let allow_bookmarks = query.allow_watch_bookmarks == Some(true);
                if allow_bookmarks {
                    bookmarks = Some(cache.revisions());
                }
                if allow_bookmarks && query.send_initial_events == Some(true) {
                    initial_events_end = Some(subscription.revision);
                }
                followed = Some(Followed {
                    cache,
                    replay: subscription.replay,
                    live: subscription.live,
                    last: subscription.revision,
                });
                break;
            }
            Err(CacheError::TooOld { requested, oldest }) => {
                pending.push_back(encoder.error(too_old(requested, oldest)));
                break;
            }
            Err(CacheError::Retired) if attempt == 0 => continue,
            Err(CacheError::Retired) => {
                return Err(ApiError::internal("the watch cache is restarting; retry"));
            }
        }
    }
    let deadline = query
        .timeout_seconds
        .filter(|&s| s > 0)
        .map(|s| Box::pin(tokio::time::sleep(Duration::from_secs(s))));
    let state = State {
        encoder,
        prefix,
        pending,
        followed,
        deadline,
        bookmarks: bookmarks.map(Bookmarks::new),
        initial_events_end,
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(line) = s.pending.pop_front() {
                return Some((Ok::<Bytes, Infallible>(line), s));
            }
            let followed = s.followed.as_mut()?;
            // What the cache had for us when we (re)subscribed, a chunk at a time, before
            // anything live: encoded as the client takes it, not all at once.
            if !followed.replay.is_empty() {
                let mut chunk = BytesMut::new();
                while chunk.len() < CHUNK {
                    let Some(event) = followed.replay.pop_front() else {
                        break;
                    };
                    s.encoder.put_event(&mut chunk, &event);
                }
                if !chunk.is_empty() {
                    s.pending.push_back(chunk.freeze());
                }
                if followed.replay.is_empty()
                    && let Some(revision) = s.initial_events_end.take()
                {
                    s.pending.push_back(s.encoder.initial_events_end(revision));
                }
                continue;
            }
            if let Some(revision) = s.initial_events_end.take() {
                // No initial events at all.
                s.pending.push_back(s.encoder.initial_events_end(revision));
                continue;
            }
            let next = tokio::select! {
                biased;
                next = followed.live.recv() => next,
                () = until(&mut s.deadline) => return None,
                revision = next_bookmark(&mut s.bookmarks) => {
                    s.pending.push_back(s.encoder.bookmark(revision));
                    continue;
                }
            };
            if let Some(bookmarks) = &mut s.bookmarks {
                bookmarks.last_event = Instant::now();
            }
            let mut chunk = BytesMut::new();
            let mut next = next.map_err(|e| match e {
                broadcast::error::RecvError::Closed => TryRecvError::Closed,
                broadcast::error::RecvError::Lagged(missed) => TryRecvError::Lagged(missed),
            });
            // This event and every one ready behind it, in one chunk.
            loop {
                match next {
                    Ok(event) => {
                        followed.last = event.revision;
                        if event.key.starts_with(&s.prefix) {
                            s.encoder.put_event(&mut chunk, &event);
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Lagged(_)) => {
                        // Fallen behind the broadcast (a burst, a slow reader): carry on
                        // from the history after the last event taken, if it still has it.
                        match followed.cache.subscribe(&s.prefix, Some(followed.last)) {
                            Ok(subscription) => {
                                followed.replay = subscription.replay;
                                followed.live = subscription.live;
                                followed.last = subscription.revision;
                            }
                            Err(CacheError::TooOld { requested, oldest }) => {
                                chunk.put_slice(&s.encoder.error(too_old(requested, oldest)));
                                s.followed = None;
                            }
                            Err(CacheError::Retired) => s.followed = None,
                        }
                        break;
                    }
                    Err(TryRecvError::Closed) => {
                        s.followed = None;
                        break;
                    }
                }
                if chunk.len() >= CHUNK {
                    break;
                }
                next = followed.live.try_recv();
            }
            if !chunk.is_empty() {
                s.pending.push_back(chunk.freeze());
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    /// What a test watch needs kept alive: the registry (its caches feed the stream), the
    /// store and its directory.
    type Keep = (Registry, Arc<dyn berth_store::Store>, tempfile::TempDir);

    /// A watch of configmaps from `resourceVersion=0` with `query`'s other options, on a
    /// paused clock (paused only once the store has opened: its blocking reads run on real
    /// time), and when it started.
    async fn paused_configmap_watch(query: Query) -> (Body, Instant, Keep) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, store) = Registry::for_tests(dir.path()).await;
        let target = crate::routes::parse("/api/v1/namespaces/default/configmaps")
            .expect("a resource path")
            .expect("configmaps");
        let query = Query {
            resource_version: Some("0".into()),
            ..query
        };
        tokio::time::pause();
        let start = Instant::now();
        let response = watch(&registry, &target, &query, Shape::Objects)
            .await
            .expect("watch");
        (response.into_body(), start, (registry, store, dir))
    }

    #[tokio::test]
    async fn quiet_watches_get_bookmarks_when_they_ask() {
        let (mut body, _, _keep) = paused_configmap_watch(Query {
            allow_watch_bookmarks: Some(true),
            ..Query::default()
        })
        .await;
        let frame = tokio::time::timeout(BOOKMARK_INTERVAL * 2, body.frame())
            .await
            .expect("a frame before the timeout")
            .expect("body open")
            .expect("frame ok");
        let line = frame.into_data().expect("data");
        let event: Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(event["type"], "BOOKMARK");
        assert_eq!(event["object"]["kind"], "ConfigMap");
        assert!(
            event["object"]["metadata"]["resourceVersion"]
                .as_str()
                .is_some_and(|rv| !rv.is_empty())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_event_postpones_the_next_bookmark() {
        let start = Instant::now();
        let (_tx, revisions) = tokio::sync::watch::channel(Revision::new(7));
        let mut bookmarks = Bookmarks::new(revisions);
        tokio::time::advance(Duration::from_secs(30)).await;
        bookmarks.last_event = Instant::now();
        // Due an interval after that event, not after the start.
        assert!(
            tokio::time::timeout(Duration::from_secs(59), bookmarks.due())
                .await
                .is_err()
        );
        assert_eq!(bookmarks.due().await, Revision::new(7));
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(30) + BOOKMARK_INTERVAL
        );
        // And the next one an interval after that.
        bookmarks.due().await;
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(30) + BOOKMARK_INTERVAL * 2
        );
    }

    /// A watch of `default`'s configmaps from `resourceVersion=0`, in `shape`.
    async fn configmaps_from_zero(registry: &Registry, shape: Shape) -> Body {
        let target = crate::routes::parse("/api/v1/namespaces/default/configmaps")
            .expect("a resource path")
            .expect("configmaps");
        let query = Query {
            resource_version: Some("0".into()),
            ..Query::default()
        };
        watch(registry, &target, &query, shape)
            .await
            .expect("watch")
            .into_body()
    }

    /// The lines of one body frame, each as JSON.
    async fn next_lines(body: &mut Body) -> Vec<Value> {
        let frame = body.frame().await.expect("body open").expect("frame ok");
        let data = frame.into_data().expect("data");
        data.split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).expect("json line"))
            .collect()
    }

    /// The lines of one body frame: (type, name) of each.
    async fn next_chunk(body: &mut Body) -> Vec<(String, String)> {
        next_lines(body)
            .await
            .iter()
            .map(|event| {
                (
                    event["type"].as_str().unwrap_or_default().to_string(),
                    event["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    /// Creates the configmap `name` in `default`; its resourceVersion.
    async fn create_configmap(registry: &Registry, name: &str) -> String {
        let rt = berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps");
        let object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default"},
        }))
        .expect("configmap");
        registry
            .create(rt, Some("default"), object, None, false)
            .await
            .expect("create")
            .metadata
            .resource_version
    }

    #[tokio::test]
    async fn events_ready_together_arrive_in_one_chunk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps");
        let create = async |name: &str| {
            create_configmap(&registry, name)
                .await
                .parse::<i64>()
                .expect("rv")
        };
        create("a").await;
        create("b").await;
        let mut body = configmaps_from_zero(&registry, Shape::Objects).await;
        let added = |names: &[&str]| -> Vec<(String, String)> {
            names
                .iter()
                .map(|n| ("ADDED".to_string(), n.to_string()))
                .collect()
        };
        assert_eq!(
            next_chunk(&mut body).await,
            added(&["a", "b"]),
            "the replay"
        );
        // Three changes while the stream is not read: one chunk.
        create("c").await;
        create("d").await;
        let last = create("e").await;
        let cache = registry.caches().get(rt).await.expect("cache");
        cache.wait_for(Revision::new(last)).await;
        assert_eq!(next_chunk(&mut body).await, added(&["c", "d", "e"]));
    }

    #[tokio::test]
    async fn a_watch_list_marks_the_end_of_its_initial_events() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let create = async |name: &str| create_configmap(&registry, name).await;
        create("a").await;
        let at = create("b").await;
        let target = crate::routes::parse("/api/v1/namespaces/default/configmaps")
            .expect("a resource path")
            .expect("configmaps");
        let watch_list = |send: bool| Query {
            watch: Some("true".into()),
            send_initial_events: Some(send),
            resource_version_match: Some("NotOlderThan".into()),
            allow_watch_bookmarks: Some(true),
            ..Query::default()
        };
        // The state (a consistent read: no resourceVersion), then the marking bookmark.
        let mut body = watch(&registry, &target, &watch_list(true), Shape::Objects)
            .await
            .expect("watch")
            .into_body();
        let mut lines = next_lines(&mut body).await;
        while lines.len() < 3 {
            lines.extend(next_lines(&mut body).await);
        }
        let kinds: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| {
                (
                    l["type"].as_str().unwrap_or_default(),
                    l["object"]["metadata"]["name"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(kinds, [("ADDED", "a"), ("ADDED", "b"), ("BOOKMARK", "")]);
        let end = &lines[2]["object"]["metadata"];
        assert_eq!(end["annotations"]["k8s.io/initial-events-end"], "true");
        assert_eq!(end["resourceVersion"], json!(at));
        // Without initial events: only what happens from now on.
        let mut quiet = watch(&registry, &target, &watch_list(false), Shape::Objects)
            .await
            .expect("watch")
            .into_body();
        create("c").await;
        let later = next_lines(&mut quiet).await;
        assert_eq!(later.len(), 1, "{later:?}");
        assert_eq!(later[0]["object"]["metadata"]["name"], "c");
        let rest = next_lines(&mut body).await;
        assert_eq!(rest[0]["object"]["metadata"]["name"], "c");
    }

    #[tokio::test]
    async fn a_metadata_watch_sends_partial_object_metadata() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let rt = berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps");
        let object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "default", "finalizers": ["example.com/f"]},
            "data": {"secret": "value"},
        }))
        .expect("configmap");
        registry
            .create(rt, Some("default"), object, None, false)
            .await
            .expect("create");
        let mut body = configmaps_from_zero(&registry, Shape::Metadata).await;
        let frame = body.frame().await.expect("body open").expect("frame ok");
        let data = frame.into_data().expect("data");
        let event: Value = serde_json::from_slice(&data).expect("one json line");
        assert_eq!(event["type"], "ADDED");
        let object = &event["object"];
        assert_eq!(object["kind"], "PartialObjectMetadata");
        assert_eq!(object["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(object["metadata"]["name"], "a");
        assert_eq!(object["metadata"]["finalizers"], json!(["example.com/f"]));
        assert!(object["metadata"]["uid"].is_string());
        assert!(object.get("data").is_none(), "metadata only: {object}");
    }

    /// A watch from `resourceVersion=0` on caches keeping `history` events and broadcasting
    /// at most `broadcast` ahead; `count` configmaps are created while it is not read, then
    /// it is read until it has `count` lines or ends.
    async fn slow_watch(history: usize, broadcast: usize, count: usize) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, store) = Registry::for_tests(dir.path()).await;
        let registry = registry.with_caches(
            crate::watch_cache::WatchCaches::with_history_and_broadcast(store, history, broadcast),
        );
        let rt = berth_api::catalogue::lookup("", "v1", "configmaps").expect("configmaps");
        let mut body = configmaps_from_zero(&registry, Shape::Objects).await;
        let mut last = String::new();
        for i in 0..count {
            let object = serde_json::from_value(json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cm-{i}"), "namespace": "default"},
            }))
            .expect("configmap");
            let created = registry
                .create(rt, Some("default"), object, None, false)
                .await
                .expect("create");
            last = created.metadata.resource_version;
        }
        let cache = registry.caches().get(rt).await.expect("cache");
        cache
            .wait_for(Revision::new(last.parse().expect("rv")))
            .await;
        let mut lines = Vec::new();
        while lines.len() < count {
            let Some(frame) = body.frame().await else {
                break;
            };
            let data = frame.expect("frame ok").into_data().expect("data");
            for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let event: Value = serde_json::from_slice(line).expect("json line");
                let name = match event["type"].as_str() {
                    Some("ERROR") => event["object"]["code"].to_string(),
                    _ => event["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                };
                lines.push((event["type"].as_str().unwrap_or_default().to_string(), name));
            }
        }
        lines
    }

    #[tokio::test]
    async fn a_watcher_behind_the_broadcast_resumes_from_the_history() {
        let lines = slow_watch(50, 2, 12).await;
        let expected: Vec<(String, String)> = (0..12)
            .map(|i| ("ADDED".to_string(), format!("cm-{i}")))
            .collect();
        assert_eq!(lines, expected, "every event once, in order, no error");
    }

    #[tokio::test]
    async fn a_watcher_behind_the_history_too_gets_410() {
        let lines = slow_watch(3, 2, 12).await;
        assert_eq!(
            lines.last(),
            Some(&("ERROR".to_string(), "410".to_string())),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn a_timeout_ends_the_stream() {
        let (mut body, start, _keep) = paused_configmap_watch(Query {
            timeout_seconds: Some(5),
            ..Query::default()
        })
        .await;
        assert!(body.frame().await.is_none(), "the stream ends");
        assert!(Instant::now() - start >= Duration::from_secs(5));
    }
}
