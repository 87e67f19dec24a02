//! Watch: a chunked stream of `{"type":…,"object":…}` lines, served from the watch cache.
//!
//! `resourceVersion` unset or `0`: first a synthetic `ADDED` for every current match, then
//! changes (unset also waits for the cache to reflect the latest write); `N`: only changes
//! after `N`. A version older than the cache's history, or a watcher that falls too far behind,
//! gets one `ERROR` event carrying a 410 `Status`, as upstream; clients then re-list. Selectors
//! apply to events: an object that starts matching arrives as `ADDED`, one that stops matching
//! as `DELETED`. `timeoutSeconds` ends the stream cleanly. With `allowWatchBookmarks=true`
//! a `BOOKMARK` carrying the cache's current resourceVersion is sent every
//! [`BOOKMARK_INTERVAL`] without other events, so clients can resume from a recent version.

use std::collections::VecDeque;
use std::convert::Infallible;
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

use super::Query;
use super::list::{matches_cached, options, wanted_revision};
use crate::registry::{ListOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};
use crate::watch_cache::{CacheError, CacheEvent, Cached};

struct Encoder {
    rt: &'static ResourceType,
    options: ListOptions,
    as_table: Option<IncludeObject>,
    /// Events at or before this revision were already seen by the client.
    after: Option<Revision>,
}

impl Encoder {
    fn line(&self, kind: &str, object: &Cached) -> Bytes {
        match self.as_table {
            Some(include) => match object.object() {
                Ok(decoded) => self.raw(
                    kind,
                    table(
                        self.rt,
                        std::slice::from_ref(&*decoded),
                        include,
                        &object.meta.resource_version,
                        None,
                    ),
                ),
                Err(err) => self.error(err),
            },
            None => {
                // The object is already serialised: splice it in.
                let mut line = BytesMut::with_capacity(object.json.len() + 32);
                line.put_slice(b"{\"type\":\"");
                line.put_slice(kind.as_bytes());
                line.put_slice(b"\",\"object\":");
                line.put_slice(&object.json);
                line.put_slice(b"}\n");
                line.freeze()
            }
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

    fn event(&self, event: &CacheEvent) -> Option<Bytes> {
        if self.after.is_some_and(|after| event.revision <= after) {
            return None;
        }
        if !self.filtered() {
            let kind = match event.kind {
                EventKind::Created => "ADDED",
                EventKind::Updated => "MODIFIED",
                EventKind::Deleted => "DELETED",
            };
            return Some(self.line(kind, &event.object));
        }
        let old_matches = event
            .prev
            .as_ref()
            .is_some_and(|p| matches_cached(&self.options, p));
        if event.kind == EventKind::Deleted {
            return old_matches.then(|| self.line("DELETED", &event.object));
        }
        let new_matches = matches_cached(&self.options, &event.object);
        let kind = match (event.kind, old_matches, new_matches) {
            (EventKind::Created, _, true) => "ADDED",
            (_, true, true) => "MODIFIED",
            (_, false, true) => "ADDED",
            (_, true, false) => "DELETED",
            _ => return None,
        };
        Some(self.line(kind, &event.object))
    }
}

/// How often a quiet watch that allows bookmarks gets one (upstream: about a minute).
pub const BOOKMARK_INTERVAL: Duration = Duration::from_secs(60);

struct State {
    encoder: Encoder,
    prefix: String,
    pending: VecDeque<Bytes>,
    live: Option<broadcast::Receiver<Arc<CacheEvent>>>,
    deadline: Option<tokio::time::Instant>,
    /// The cache's revision, for bookmarks (`None` when not requested).
    bookmarks: Option<tokio::sync::watch::Receiver<Revision>>,
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
}

fn too_old(requested: Revision, oldest: Revision) -> ApiError {
    ApiError::gone(format!("too old resource version: {requested} ({oldest})"))
}

pub async fn watch(
    registry: &Registry,
    target: &Target,
    query: &Query,
    as_table: bool,
) -> Result<Response, ApiError> {
    let mut list_options = options(query)?;
    list_options.limit = None;
    list_options.continue_token = None;
    let from = match query
        .resource_version
        .as_deref()
        .filter(|rv| !rv.is_empty() && *rv != "0")
    {
        Some(rv) => Some(Revision::new(rv.parse().map_err(|_| {
            ApiError::bad_request(format!("invalid resourceVersion {rv:?}"))
        })?)),
        None => None,
    };
    let encoder = Encoder {
        rt: target.rt,
        options: list_options,
        as_table: as_table.then(|| IncludeObject::parse(query.include_object.as_deref())),
        after: from,
    };
    let prefix = Registry::prefix(target.rt, target.namespace());
    let mut pending = VecDeque::new();
    let mut live = None;
    let mut bookmarks = None;
    for attempt in 0..2 {
        let cache = registry.caches().get(target.rt).await?;
        if from.is_none()
            && query.resource_version.as_deref() != Some("0")
            && let Some(revision) = wanted_revision(registry, None).await?
        {
            cache.wait_for(revision).await;
        }
        match cache.subscribe(&prefix, from) {
            Ok(subscription) => {
                for event in &subscription.replay {
                    if let Some(line) = encoder.event(event) {
                        pending.push_back(line);
                    }
                }
                // Subscribing under the cache's lock means live events start right after
                // the replay: nothing to skip when replaying a snapshot.
                live = Some(subscription.live);
                if query.allow_watch_bookmarks == Some(true) {
                    bookmarks = Some(cache.revisions());
                }
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
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let state = State {
        encoder,
        prefix,
        pending,
        live,
        deadline,
        bookmarks,
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(line) = s.pending.pop_front() {
                return Some((Ok::<Bytes, Infallible>(line), s));
            }
            let live = s.live.as_mut()?;
            let deadline = s.deadline.unwrap_or_else(|| {
                tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600)
            });
            let bookmark_at = tokio::time::Instant::now() + BOOKMARK_INTERVAL;
            let next = tokio::select! {
                next = live.recv() => next,
                () = tokio::time::sleep_until(deadline) => return None,
                () = tokio::time::sleep_until(bookmark_at), if s.bookmarks.is_some() => {
                    if let Some(revisions) = &s.bookmarks {
                        let revision = *revisions.borrow();
                        s.pending.push_back(s.encoder.bookmark(revision));
                    }
                    continue;
                }
            };
            match next {
                Ok(event) => {
                    if event.key.starts_with(&s.prefix)
                        && let Some(line) = s.encoder.event(&event)
                    {
                        s.pending.push_back(line);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    let err = ApiError::gone(format!(
                        "too old resource version: the watcher fell {missed} events behind"
                    ));
                    s.pending.push_back(s.encoder.error(err));
                    s.live = None;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
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

    #[tokio::test]
    async fn quiet_watches_get_bookmarks_when_they_ask() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (registry, _store) = Registry::for_tests(dir.path()).await;
        let target = crate::routes::parse("/api/v1/namespaces/default/configmaps")
            .expect("a resource path")
            .expect("configmaps");
        let query = Query {
            resource_version: Some("0".into()),
            allow_watch_bookmarks: Some(true),
            ..Query::default()
        };
        // Only now pause the clock: the store's blocking reads above ran on real time.
        tokio::time::pause();
        let response = watch(&registry, &target, &query, false)
            .await
            .expect("watch");
        let mut body = response.into_body();
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
}
