//! Retries after failed syncs, rate-limited per object as client-go's default controller
//! rate limiter does: 5 ms after the first failure, doubling with each failure in a row, at
//! most 1,000 s; a success forgets the object's failures.
//!
//! Watch events still wake a controller at once (as they add to client-go's queue
//! immediately): the backoff only spaces the retries no event asked for.

use std::collections::{HashMap, HashSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

const BASE_MILLIS: i64 = 5;
const MAX_SECONDS: i64 = 1000;

#[derive(Debug, Default)]
pub struct Retries {
    failures: HashMap<String, u32>,
}

impl Retries {
    /// Records a failure of `key`; returns when to retry it.
    pub fn failed(&mut self, key: &str) -> Option<jiff::Timestamp> {
        let count = self.failures.entry(key.to_string()).or_insert(0);
        let delay = delay_after(*count);
        *count = count.saturating_add(1);
        jiff::Timestamp::now().checked_add(delay).ok()
    }

    /// Records a success of `key`.
    pub fn succeeded(&mut self, key: &str) {
        self.failures.remove(key);
    }

    /// Forgets keys not in `live`.
    pub fn retain(&mut self, live: &HashSet<String>) {
        self.failures.retain(|k, _| live.contains(k));
    }
}

/// The key an object's retries are counted under: its uid.
pub fn key_of(meta: &ObjectMeta) -> &str {
    meta.uid.as_deref().unwrap_or_default()
}

/// The delay after `previous` failures in a row.
fn delay_after(previous: u32) -> jiff::SignedDuration {
    let millis =
        BASE_MILLIS.saturating_mul(1_i64.checked_shl(previous.min(40)).unwrap_or(i64::MAX));
    jiff::SignedDuration::from_millis(millis.min(MAX_SECONDS * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset_on_success() {
        assert_eq!(delay_after(0).as_millis(), 5);
        assert_eq!(delay_after(1).as_millis(), 10);
        assert_eq!(delay_after(10).as_millis(), 5 * 1024);
        assert_eq!(delay_after(30).as_secs(), MAX_SECONDS);
        assert_eq!(delay_after(u32::MAX).as_secs(), MAX_SECONDS);
        let mut retries = Retries::default();
        for _ in 0..5 {
            retries.failed("a");
        }
        assert_eq!(retries.failures.get("a"), Some(&5));
        retries.succeeded("a");
        assert!(retries.failures.is_empty());
    }
}
