//! Expectations, as upstream's controllers keep them: the creates and deletes a controller
//! issued for one owner and has not yet seen in its watch. While any are outstanding the
//! owner is not resized again, so a lagging store never makes a controller create (or
//! delete) twice. An expectation not met within five minutes is dropped.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;

const TIMEOUT: Duration = Duration::from_secs(300);

/// Creates (by pod name) and deletes (by pod uid) one owner is waiting to see.
#[derive(Debug, Default)]
pub struct Expectations {
    adds: HashSet<String>,
    deletes: HashSet<String>,
    since: Option<Instant>,
}

impl Expectations {
    /// A pod named `name` was created.
    pub fn created(&mut self, name: String) {
        self.since.get_or_insert_with(Instant::now);
        self.adds.insert(name);
    }

    /// The pod with uid `uid` was deleted.
    pub fn deleted(&mut self, uid: String) {
        self.since.get_or_insert_with(Instant::now);
        self.deletes.insert(uid);
    }

    /// Whether everything expected shows in `pods` (the owner's pods as watched now).
    pub fn satisfied(&mut self, pods: &[&Pod]) -> bool {
        if self.since.is_some_and(|s| s.elapsed() > TIMEOUT) {
            *self = Expectations::default();
        }
        let names: HashSet<&str> = pods
            .iter()
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        self.adds.retain(|name| !names.contains(name.as_str()));
        self.deletes.retain(|uid| {
            pods.iter().any(|p| {
                p.metadata.uid.as_deref() == Some(uid.as_str())
                    && p.metadata.deletion_timestamp.is_none()
            })
        });
        let done = self.adds.is_empty() && self.deletes.is_empty();
        if done {
            self.since = None;
        }
        done
    }
}
