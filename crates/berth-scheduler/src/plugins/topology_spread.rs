//! PodTopologySpread: for each constraint, matching pods per topology domain may differ from
//! the emptiest eligible domain by at most `maxSkew` (DoNotSchedule filters, ScheduleAnyway
//! scores). Eligible nodes carry every constraint's topology key and, with
//! `nodeAffinityPolicy: Honor`, match the pod's node selector and affinity.

use std::collections::HashMap;

use super::{Rejection, node_affinity, taint_toleration};
use crate::model::{HOSTNAME, NodeInfo, PodInfo, SpreadConstraint, WhenUnsatisfiable};

#[derive(Debug, Default)]
pub struct SpreadState {
    /// Per constraint (in the pod's order): matching pods per domain value.
    counts: Vec<HashMap<String, i64>>,
    /// Per constraint: the smallest count over eligible domains (0 below minDomains).
    minimum: Vec<i64>,
}

fn eligible(pod: &PodInfo, node: &NodeInfo, constraint: &SpreadConstraint) -> bool {
    pod.spread
        .iter()
        .all(|c| node.labels.contains_key(&c.topology_key))
        && (!constraint.honor_node_affinity || node_affinity::matches(pod, node))
        && (!constraint.honor_taints
            || node.taints.iter().all(|t| {
                !matches!(t.effect.as_str(), "NoSchedule" | "NoExecute")
                    || taint_toleration::tolerated(&pod.tolerations, t)
            }))
}

/// Pods on `node` that `constraint` counts.
fn matching_on(pod: &PodInfo, node: &NodeInfo, constraint: &SpreadConstraint) -> i64 {
    node.pods
        .iter()
        .filter(|p| {
            p.namespace == pod.namespace
                && p.uid != pod.uid
                && !p.deleting
                && constraint.selector.matches(&p.labels)
        })
        .count() as i64
}

/// Per-node (hostname) scoring constraints are counted at scoring time, on the scored nodes
/// only: no cluster-wide scan for them.
fn scored_per_node(constraint: &SpreadConstraint) -> bool {
    constraint.when == WhenUnsatisfiable::ScheduleAnyway && constraint.topology_key == HOSTNAME
}

pub fn prefilter<'a>(pod: &PodInfo, nodes: impl Iterator<Item = &'a NodeInfo>) -> SpreadState {
    let mut counts: Vec<HashMap<String, i64>> = vec![HashMap::new(); pod.spread.len()];
    if pod.spread.iter().all(scored_per_node) {
        return SpreadState {
            minimum: vec![0; pod.spread.len()],
            counts,
        };
    }
    for node in nodes {
        for (i, constraint) in pod.spread.iter().enumerate() {
            if scored_per_node(constraint) || !eligible(pod, node, constraint) {
                continue;
            }
            let Some(domain) = node.labels.get(&constraint.topology_key) else {
                continue;
            };
            let matching = matching_on(pod, node, constraint);
            *counts[i].entry(domain.clone()).or_default() += matching;
        }
    }
    let minimum = pod
        .spread
        .iter()
        .zip(&counts)
        .map(|(c, domains)| {
            let below_min_domains = c.min_domains.is_some_and(|m| (domains.len() as i64) < m);
            if below_min_domains {
                0
            } else {
                domains.values().copied().min().unwrap_or(0)
            }
        })
        .collect();
    SpreadState { counts, minimum }
}

pub fn filter(pod: &PodInfo, node: &NodeInfo, state: &SpreadState) -> Result<(), Rejection> {
    for (i, constraint) in pod.spread.iter().enumerate() {
        if constraint.when != WhenUnsatisfiable::DoNotSchedule {
            continue;
        }
        let Some(domain) = node.labels.get(&constraint.topology_key) else {
            return Err(Rejection::unresolvable(
                "node(s) didn't match pod topology spread constraints (missing required label)",
            ));
        };
        let own = i64::from(constraint.selector.matches(&pod.labels));
        let here = state
            .counts
            .get(i)
            .and_then(|c| c.get(domain))
            .copied()
            .unwrap_or(0);
        let minimum = state.minimum.get(i).copied().unwrap_or(0);
        if here + own - minimum > constraint.max_skew {
            return Err(Rejection::resolvable(
                "node(s) didn't match pod topology spread constraints",
            ));
        }
    }
    Ok(())
}

/// Raw score for ScheduleAnyway constraints: matching pods in the node's domains (fewer is
/// better; normalised in reverse).
pub fn raw_score(pod: &PodInfo, node: &NodeInfo, state: &SpreadState) -> i64 {
    pod.spread
        .iter()
        .enumerate()
        .filter(|(_, c)| c.when == WhenUnsatisfiable::ScheduleAnyway)
        .map(|(i, c)| {
            if scored_per_node(c) {
                return matching_on(pod, node, c);
            }
            node.labels
                .get(&c.topology_key)
                .and_then(|d| state.counts.get(i).and_then(|m| m.get(d)))
                .copied()
                .unwrap_or(0)
        })
        .sum()
}
