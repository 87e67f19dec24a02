//! DefaultPreemption: when no node fits a pod, find a node where evicting pods of lower
//! priority makes it fit, evicting as few and as unimportant pods as possible.
//!
//! For each candidate node (one whose every rejection could be resolved by removing pods):
//! remove all lower-priority pods; if the pod then fits, give back ("reprieve") victims from
//! the most important down while it still fits. Among candidates, prefer the lowest
//! highest-victim priority, then the smallest priority sum, then the fewest victims.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::algorithm::{FitError, histogram};
use crate::cache::Cache;
use crate::model::{NodeInfo, PodInfo};
use crate::plugins::{self, PodState};

/// At most this many candidate nodes are evaluated (upstream: 10% of nodes, at least 100).
const MAX_CANDIDATES: usize = 100;

#[derive(Debug)]
pub struct Preemption {
    pub node: String,
    pub victims: Vec<Arc<PodInfo>>,
}

fn victims_on(pod: &PodInfo, node: &NodeInfo, state: &PodState) -> Option<Vec<Arc<PodInfo>>> {
    let mut reduced = node.clone();
    let mut potential: Vec<Arc<PodInfo>> = node
        .pods
        .iter()
        .filter(|p| p.priority < pod.priority && !p.deleting)
        .cloned()
        .collect();
    if potential.is_empty() {
        return None;
    }
    for victim in &potential {
        reduced.remove_pod(&victim.uid);
    }
    if plugins::filter(pod, &reduced, state).is_err() {
        return None;
    }
    // Most important first: they are the ones to keep if possible.
    potential.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.creation.cmp(&b.creation))
    });
    let mut victims = Vec::new();
    for candidate in potential {
        reduced.add_pod(candidate.clone());
        if plugins::filter(pod, &reduced, state).is_err() {
            reduced.remove_pod(&candidate.uid);
            victims.push(candidate);
        }
    }
    (!victims.is_empty()).then_some(victims)
}

/// The best preemption for `pod`, or upstream's message explaining why there is none.
pub fn find(
    cache: &Cache,
    pod: &PodInfo,
    state: &PodState,
    fit: &FitError,
) -> Result<Preemption, String> {
    if pod.preempt_never {
        return Err("not eligible due to preemptionPolicy=Never.".into());
    }
    let mut best: Option<((i32, i64, usize), Preemption)> = None;
    let mut outcome: BTreeMap<String, usize> = BTreeMap::new();
    for &i in fit.resolvable.iter().take(MAX_CANDIDATES) {
        let node = &cache.nodes[i];
        match victims_on(pod, node, state) {
            Some(victims) => {
                let rank = (
                    victims.iter().map(|v| v.priority).max().unwrap_or(i32::MIN),
                    victims.iter().map(|v| i64::from(v.priority)).sum::<i64>(),
                    victims.len(),
                );
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((
                        rank,
                        Preemption {
                            node: node.name.clone(),
                            victims,
                        },
                    ));
                }
            }
            None => {
                *outcome
                    .entry("No preemption victims found for incoming pod".into())
                    .or_default() += 1;
            }
        }
    }
    if let Some((_, preemption)) = best {
        return Ok(preemption);
    }
    let unhelpful = fit
        .nodes
        .saturating_sub(fit.resolvable.len().min(MAX_CANDIDATES));
    if unhelpful > 0 {
        *outcome
            .entry("Preemption is not helpful for scheduling".into())
            .or_default() += unhelpful;
    }
    Err(format!(
        "0/{} nodes are available: {}.",
        fit.nodes,
        histogram(&outcome)
    ))
}
