//! InterPodAffinity: required pod affinity (the node's topology domain must hold a matching
//! pod; the first pod of a group may place itself), required anti-affinity (no matching pod in
//! the domain), the symmetric rule (existing pods' anti-affinity keeps the new pod out), and
//! preferred terms as a score.

use std::collections::{HashMap, HashSet};

use super::Rejection;
use crate::model::{NodeInfo, PodInfo};

type Pair = (String, String);

#[derive(Debug, Default)]
pub struct AffinityState {
    /// Domains where an existing pod's required anti-affinity matches the incoming pod.
    existing_anti: HashSet<Pair>,
    /// Per required affinity term of the incoming pod: domains holding a matching pod.
    affinity: Vec<HashSet<Pair>>,
    /// Domains holding a pod matched by one of the incoming pod's anti-affinity terms.
    anti: HashSet<Pair>,
    /// Preferred (anti-)affinity weights per domain.
    preferred: HashMap<Pair, i64>,
}

fn pair(node: &NodeInfo, key: &str) -> Option<Pair> {
    node.labels.get(key).map(|v| (key.to_string(), v.clone()))
}

/// Whether the pod has anything for this plugin to do (when false, skip the cluster scan).
pub fn relevant(pod: &PodInfo, cluster_has_anti_affinity: bool) -> bool {
    cluster_has_anti_affinity
        || !pod.affinity.is_empty()
        || !pod.anti_affinity.is_empty()
        || !pod.preferred_affinity.is_empty()
        || !pod.preferred_anti_affinity.is_empty()
}

pub fn prefilter<'a>(pod: &PodInfo, nodes: impl Iterator<Item = &'a NodeInfo>) -> AffinityState {
    let mut state = AffinityState {
        affinity: vec![HashSet::new(); pod.affinity.len()],
        ..AffinityState::default()
    };
    for node in nodes {
        for existing in &node.pods {
            if existing.uid == pod.uid {
                continue;
            }
            for term in &existing.anti_affinity {
                if term.matches(pod)
                    && let Some(p) = pair(node, &term.topology_key)
                {
                    state.existing_anti.insert(p);
                }
            }
            for (i, term) in pod.affinity.iter().enumerate() {
                if term.matches(existing)
                    && let Some(p) = pair(node, &term.topology_key)
                {
                    state.affinity[i].insert(p);
                }
            }
            for term in &pod.anti_affinity {
                if term.matches(existing)
                    && let Some(p) = pair(node, &term.topology_key)
                {
                    state.anti.insert(p);
                }
            }
            for (terms, sign) in [
                (&pod.preferred_affinity, 1),
                (&pod.preferred_anti_affinity, -1),
            ] {
                for term in terms {
                    if term.matches(existing)
                        && let Some(p) = pair(node, &term.topology_key)
                    {
                        *state.preferred.entry(p).or_default() += sign * i64::from(term.weight);
                    }
                }
            }
        }
    }
    state
}

pub fn filter(pod: &PodInfo, node: &NodeInfo, state: &AffinityState) -> Result<(), Rejection> {
    if state
        .existing_anti
        .iter()
        .any(|(k, v)| node.labels.get(k) == Some(v))
    {
        return Err(Rejection::resolvable(
            "node(s) didn't satisfy existing pods anti-affinity rules",
        ));
    }
    if !pod.affinity.is_empty() {
        let nobody_matches = state.affinity.iter().all(HashSet::is_empty);
        let matches_itself = pod.affinity.iter().all(|t| t.matches(pod));
        let ok =
            pod.affinity
                .iter()
                .enumerate()
                .all(|(i, term)| match pair(node, &term.topology_key) {
                    None => false,
                    Some(p) => state.affinity[i].contains(&p) || (nobody_matches && matches_itself),
                });
        if !ok {
            return Err(Rejection::unresolvable(
                "node(s) didn't match pod affinity rules",
            ));
        }
    }
    for term in &pod.anti_affinity {
        if let Some(p) = pair(node, &term.topology_key)
            && state.anti.contains(&p)
        {
            return Err(Rejection::resolvable(
                "node(s) didn't match pod anti-affinity rules",
            ));
        }
    }
    Ok(())
}

/// Raw score: summed preferred weights of the node's domains (may be negative).
pub fn raw_score(node: &NodeInfo, state: &AffinityState) -> i64 {
    state
        .preferred
        .iter()
        .filter(|((k, v), _)| node.labels.get(k) == Some(v))
        .map(|(_, w)| *w)
        .sum()
}
