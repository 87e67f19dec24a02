//! NodeAffinity: `nodeSelector` and required node affinity must match the node's labels
//! (terms are ORed, requirements within a term ANDed; every operator including Gt/Lt);
//! preferred terms add their weight to the node's score.

use super::Rejection;
use crate::model::{NodeInfo, PodInfo};

/// Whether `node` satisfies the pod's nodeSelector and required node affinity.
pub fn matches(pod: &PodInfo, node: &NodeInfo) -> bool {
    let selector_ok = pod
        .node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v));
    let affinity_ok = pod
        .required_node_terms
        .as_ref()
        .is_none_or(|terms| terms.iter().any(|t| t.matches(node)));
    selector_ok && affinity_ok
}

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if matches(pod, node) {
        Ok(())
    } else {
        Err(Rejection::unresolvable(
            "node(s) didn't match Pod's node affinity/selector",
        ))
    }
}

/// Raw score: the summed weights of the preferred terms the node matches.
pub fn raw_score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    pod.preferred_node_terms
        .iter()
        .filter(|(_, term)| term.matches(node))
        .map(|(weight, _)| i64::from(*weight))
        .sum()
}
