//! The scheduling queue: pods waiting for a node, highest priority first (then oldest).
//!
//! A pod that failed is held back: with backoff (1 s doubling to 10 s) after an error, or as
//! *unschedulable* until a cluster event that could make it fit (a node added or changed, a
//! pod removed, a volume bound) moves it back — or after 5 minutes at most, as upstream.
//!
//! Invariant: each pod is in exactly one state (active, backing off, unschedulable); the heaps
//! may hold stale entries, which are skipped by checking the pod's current `seq`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::{PodInfo, PodKey};

pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
pub const MAX_UNSCHEDULABLE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Active,
    Backoff(Instant),
    Unschedulable(Instant),
    /// Popped and being scheduled.
    InFlight,
}

#[derive(Debug)]
struct Entry {
    info: Arc<PodInfo>,
    attempts: u32,
    last_attempt: Option<Instant>,
    state: State,
    seq: u64,
}

#[derive(Default)]
pub struct SchedulingQueue {
    entries: HashMap<PodKey, Entry>,
    /// (priority, oldest first, seq, key)
    active: BinaryHeap<(i32, Reverse<u64>, u64, PodKey)>,
    backoff: BinaryHeap<Reverse<(Instant, u64, PodKey)>>,
    next_seq: u64,
}

fn backoff_for(attempts: u32) -> Duration {
    let shift = attempts.saturating_sub(1).min(8);
    (INITIAL_BACKOFF * (1u32 << shift)).min(MAX_BACKOFF)
}

impl SchedulingQueue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, key: &PodKey) -> bool {
        self.entries.contains_key(key)
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn activate(&mut self, key: &PodKey) {
        let seq = self.seq();
        if let Some(entry) = self.entries.get_mut(key) {
            entry.state = State::Active;
            entry.seq = seq;
            self.active
                .push((entry.info.priority, Reverse(seq), seq, key.clone()));
        }
    }

    /// A new or changed pending pod. A changed unschedulable pod gets another try.
    pub fn add_or_update(&mut self, info: Arc<PodInfo>) {
        let key = info.key();
        match self.entries.get_mut(&key) {
            Some(entry) => {
                let changed = entry.info.resource_version != info.resource_version;
                entry.info = info;
                if changed && matches!(entry.state, State::Unschedulable(_)) {
                    self.activate(&key);
                }
            }
            None => {
                self.entries.insert(
                    key.clone(),
                    Entry {
                        info,
                        attempts: 0,
                        last_attempt: None,
                        state: State::Active,
                        seq: 0,
                    },
                );
                self.activate(&key);
            }
        }
    }

    pub fn remove(&mut self, key: &PodKey) {
        self.entries.remove(key);
    }

    /// The next pod to schedule, if one is ready now.
    pub fn pop(&mut self, now: Instant) -> Option<(Arc<PodInfo>, u32)> {
        while let Some(Reverse((at, seq, _))) = self.backoff.peek() {
            if *at > now {
                break;
            }
            let (seq, key) = (*seq, self.backoff.pop().map(|Reverse((_, _, k))| k)?);
            if self
                .entries
                .get(&key)
                .is_some_and(|e| e.seq == seq && matches!(e.state, State::Backoff(_)))
            {
                self.activate(&key);
            }
        }
        while let Some((_, _, seq, key)) = self.active.pop() {
            if let Some(entry) = self.entries.get_mut(&key)
                && entry.seq == seq
                && entry.state == State::Active
            {
                entry.state = State::InFlight;
                entry.attempts += 1;
                entry.last_attempt = Some(now);
                return Some((entry.info.clone(), entry.attempts));
            }
        }
        None
    }

    /// The pod was placed (or is gone): forget it.
    pub fn done(&mut self, key: &PodKey) {
        self.entries.remove(key);
    }

    /// The attempt failed. `unschedulable`: no node fits, wait for a cluster event; otherwise
    /// (an error) retry after backoff.
    pub fn failed(&mut self, key: &PodKey, unschedulable: bool, now: Instant) {
        let seq = self.seq();
        let Some(entry) = self.entries.get_mut(key) else {
            return;
        };
        entry.seq = seq;
        if unschedulable {
            entry.state = State::Unschedulable(now);
        } else {
            let at = now + backoff_for(entry.attempts);
            entry.state = State::Backoff(at);
            self.backoff.push(Reverse((at, seq, key.clone())));
        }
    }

    /// A cluster event that may let unschedulable pods fit: back to the queue (after what is
    /// left of their backoff).
    pub fn move_all_unschedulable(&mut self, now: Instant) {
        let waiting: Vec<(PodKey, Instant)> = self
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.state, State::Unschedulable(_)))
            .map(|(k, e)| {
                let ready = e.last_attempt.unwrap_or(now) + backoff_for(e.attempts);
                (k.clone(), ready)
            })
            .collect();
        for (key, ready) in waiting {
            if ready <= now {
                self.activate(&key);
            } else {
                let seq = self.seq();
                if let Some(entry) = self.entries.get_mut(&key) {
                    entry.seq = seq;
                    entry.state = State::Backoff(ready);
                    self.backoff.push(Reverse((ready, seq, key)));
                }
            }
        }
    }

    /// Pods unschedulable for longer than [`MAX_UNSCHEDULABLE`] get another try.
    pub fn flush_stale_unschedulable(&mut self, now: Instant) {
        let stale: Vec<PodKey> = self
            .entries
            .iter()
            .filter(|(_, e)| {
                matches!(e.state, State::Unschedulable(since) if now.duration_since(since) >= MAX_UNSCHEDULABLE)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            self.activate(&key);
        }
    }

    /// When the next backing-off pod becomes ready.
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.backoff.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Whether a pod is ready to pop now.
    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, priority: i32) -> Arc<PodInfo> {
        let mut info = PodInfo::from_pod(&Default::default());
        info.namespace = "default".into();
        info.name = name.into();
        info.priority = priority;
        Arc::new(info)
    }

    #[test]
    fn higher_priority_first_then_oldest() {
        let mut q = SchedulingQueue::default();
        let now = Instant::now();
        q.add_or_update(pod("low", 0));
        q.add_or_update(pod("high", 100));
        q.add_or_update(pod("low2", 0));
        let order: Vec<String> =
            std::iter::from_fn(|| q.pop(now).map(|(p, _)| p.name.clone())).collect();
        assert_eq!(order, vec!["high", "low", "low2"]);
    }

    #[test]
    fn unschedulable_pods_wait_for_an_event_then_backoff() {
        let mut q = SchedulingQueue::default();
        let now = Instant::now();
        q.add_or_update(pod("p", 0));
        let (p, attempts) = q.pop(now).expect("pod");
        assert_eq!(attempts, 1);
        q.failed(&p.key(), true, now);
        assert!(
            q.pop(now + Duration::from_secs(60)).is_none(),
            "waits for an event"
        );
        q.move_all_unschedulable(now + Duration::from_millis(100));
        assert!(
            q.pop(now + Duration::from_millis(100)).is_none(),
            "still backing off"
        );
        assert!(q.pop(now + Duration::from_secs(2)).is_some());
    }

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(backoff_for(1), Duration::from_secs(1));
        assert_eq!(backoff_for(2), Duration::from_secs(2));
        assert_eq!(backoff_for(5), Duration::from_secs(10));
        assert_eq!(backoff_for(50), Duration::from_secs(10));
    }
}
