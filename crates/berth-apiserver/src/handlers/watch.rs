//! Watch: a chunked stream of `{"type":…,"object":…}` lines.
//!
//! `resourceVersion` unset or `0`: first a synthetic `ADDED` for every current match, then
//! changes; `N`: only changes after `N`. A version that compaction removed gets one `ERROR` event
//! carrying a 410 `Status`, as upstream. Selectors apply to events: an object that starts
//! matching arrives as `ADDED`, one that stops matching as `DELETED`. `timeoutSeconds` ends the
//! stream cleanly.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use berth_api::{Object, ResourceType};
use berth_store::{EventKind, Revision, StoreError, WatchEvent, WatchStream};
use bytes::Bytes;
use serde_json::{Value, json};

use super::Query;
use super::list::options;
use crate::registry::{ListOptions, Registry};
use crate::routes::Target;
use crate::status::ApiError;
use crate::table::{IncludeObject, table};

struct Encoder {
    rt: &'static ResourceType,
    options: ListOptions,
    as_table: Option<IncludeObject>,
}

impl Encoder {
    fn matches(&self, object: &Object) -> bool {
        self.options.labels.matches(&object.metadata.labels)
            && (self.options.fields.is_empty() || self.options.fields.matches(&object.to_value()))
    }

    fn line(&self, kind: &str, object: &Object) -> Bytes {
        let object = match self.as_table {
            Some(include) => table(
                self.rt,
                std::slice::from_ref(object),
                include,
                &object.metadata.resource_version,
                None,
            ),
            None => object.to_value(),
        };
        self.raw(kind, object)
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

    fn event(&self, event: &WatchEvent) -> Result<Option<Bytes>, ApiError> {
        let prev = event
            .prev
            .as_ref()
            .map(|kv| Registry::decode(self.rt, kv))
            .transpose()?;
        let old_matches = prev.as_ref().is_some_and(|o| self.matches(o));
        if event.kind == EventKind::Deleted {
            return Ok(match prev {
                Some(mut object) if old_matches => {
                    object.metadata.resource_version = event.revision().to_string();
                    Some(self.line("DELETED", &object))
                }
                _ => None,
            });
        }
        let object = Registry::decode(self.rt, &event.kv)?;
        let new_matches = self.matches(&object);
        let kind = match (event.kind, old_matches, new_matches) {
            (EventKind::Created, _, true) => "ADDED",
            (_, true, true) => "MODIFIED",
            (_, false, true) => "ADDED",
            (_, true, false) => "DELETED",
            _ => return Ok(None),
        };
        Ok(Some(self.line(kind, &object)))
    }
}

struct State {
    encoder: Encoder,
    pending: VecDeque<Bytes>,
    stream: Option<WatchStream>,
    deadline: Option<tokio::time::Instant>,
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
    let encoder = Encoder {
        rt: target.rt,
        options: list_options.clone(),
        as_table: as_table.then(|| IncludeObject::parse(query.include_object.as_deref())),
    };
    let mut pending = VecDeque::new();
    let from = match query
        .resource_version
        .as_deref()
        .filter(|rv| !rv.is_empty() && *rv != "0")
    {
        Some(rv) => {
            let rv: i64 = rv
                .parse()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {rv:?}")))?;
            Revision::new(rv).next()
        }
        None => {
            let current = registry
                .list(target.rt, target.namespace(), &list_options)
                .await?;
            for object in &current.items {
                pending.push_back(encoder.line("ADDED", object));
            }
            current.revision.next()
        }
    };
    let prefix = Registry::prefix(target.rt, target.namespace());
    let stream = match registry.store().watch(&prefix, from).await {
        Ok(stream) => Some(stream),
        Err(StoreError::Compacted {
            requested,
            compacted,
        }) => {
            let compacted = compacted.map_or_else(String::new, |c| format!(" ({c})"));
            let rv = requested.get() - 1;
            pending.push_back(encoder.error(ApiError::gone(format!(
                "too old resource version: {rv}{compacted}"
            ))));
            None
        }
        Err(e) => return Err(ApiError::from_store(e)),
    };
    let deadline = query
        .timeout_seconds
        .filter(|&s| s > 0)
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let state = State {
        encoder,
        pending,
        stream,
        deadline,
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(line) = s.pending.pop_front() {
                return Some((Ok::<Bytes, Infallible>(line), s));
            }
            let stream = s.stream.as_mut()?;
            let next = match s.deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, stream.next())
                    .await
                    .ok()?,
                None => stream.next().await,
            };
            match next {
                None => return None,
                Some(Ok(event)) => match s.encoder.event(&event) {
                    Ok(Some(line)) => s.pending.push_back(line),
                    Ok(None) => {}
                    Err(err) => {
                        s.pending.push_back(s.encoder.error(err));
                        s.stream = None;
                    }
                },
                Some(Err(err)) => {
                    let err = ApiError::from_store(err);
                    s.pending.push_back(s.encoder.error(err));
                    s.stream = None;
                }
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
