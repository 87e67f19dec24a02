//! Filter and score plugins, named and worded as upstream's so `kubectl describe` reads the
//! same. A filter answers "can this pod go on this node" ([`Rejection`] says why not and
//! whether evicting lower-priority pods could help); a score ranks the nodes that passed,
//! 0–100 after normalisation, weighted by the profile.
//!
//! Plugins that need the whole cluster (pod affinity, topology spread, volumes) compute a
//! per-pod state once before filtering ([`PodState`]).

pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources;
pub mod node_unschedulable;
pub mod taint_toleration;
pub mod topology_spread;
pub mod volume_node_affinity;

use crate::model::{NodeInfo, PodInfo};

/// Why a node does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Upstream's wording: `Insufficient cpu`, `node(s) were unschedulable`, …
    pub reason: String,
    /// Whether removing pods from the node could change the answer (preemption candidates).
    pub resolvable: bool,
}

impl Rejection {
    pub fn resolvable(reason: impl Into<String>) -> Rejection {
        Rejection {
            reason: reason.into(),
            resolvable: true,
        }
    }

    pub fn unresolvable(reason: impl Into<String>) -> Rejection {
        Rejection {
            reason: reason.into(),
            resolvable: false,
        }
    }
}

/// Cluster-wide facts about one pod, computed before its filters run.
#[derive(Debug, Default)]
pub struct PodState {
    pub affinity: inter_pod_affinity::AffinityState,
    pub spread: topology_spread::SpreadState,
    pub volumes: volume_node_affinity::VolumeState,
}

/// Whether a DaemonSet should run `pod` on `node` (upstream's `nodeShouldRunDaemonPod`):
/// node name, node selector and required affinity, and NoSchedule/NoExecute taints. Resources
/// and ports are the scheduler's to check when it binds the pod.
pub fn daemon_eligible(
    pod: &k8s_openapi::api::core::v1::Pod,
    node: &k8s_openapi::api::core::v1::Node,
) -> bool {
    let pod = PodInfo::from_pod(pod);
    let node = NodeInfo::from_node(node);
    node_name::filter(&pod, &node)
        .and_then(|()| taint_toleration::filter(&pod, &node))
        .and_then(|()| node_affinity::filter(&pod, &node))
        .is_ok()
}

/// Every filter, in upstream's order (cheap and decisive first). The first rejection wins.
pub fn filter(pod: &PodInfo, node: &NodeInfo, state: &PodState) -> Result<(), Vec<Rejection>> {
    node_unschedulable::filter(pod, node)
        .and_then(|()| node_name::filter(pod, node))
        .and_then(|()| taint_toleration::filter(pod, node))
        .and_then(|()| node_affinity::filter(pod, node))
        .and_then(|()| node_ports::filter(pod, node))
        .map_err(|r| vec![r])
        .and_then(|()| node_resources::filter(pod, node))
        .and_then(|()| {
            volume_node_affinity::filter(&state.volumes, node)
                .and_then(|()| topology_spread::filter(pod, node, &state.spread))
                .and_then(|()| inter_pod_affinity::filter(pod, node, &state.affinity))
                .map_err(|r| vec![r])
        })
}

/// Which resource score a profile uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceStrategy {
    /// Prefer the emptiest nodes (spread; upstream's default).
    LeastAllocated,
    /// Prefer the fullest nodes that fit (bin-packing).
    MostAllocated,
}

/// Upstream's default normalisation of non-negative raw scores to 0–100 by the maximum;
/// `reverse` makes fewer better.
pub fn normalize_by_max(raw: &mut [i64], reverse: bool) {
    let max = raw.iter().copied().max().unwrap_or(0);
    for score in raw.iter_mut() {
        let value = if max <= 0 { 0 } else { *score * 100 / max };
        *score = if reverse { 100 - value } else { value };
    }
}

/// Min–max normalisation of raw scores that may be negative (pod affinity).
pub fn normalize_min_max(raw: &mut [i64]) {
    let max = raw.iter().copied().max().unwrap_or(0);
    let min = raw.iter().copied().min().unwrap_or(0);
    for score in raw.iter_mut() {
        *score = if max == min {
            0
        } else {
            (*score - min) * 100 / (max - min)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_matches_upstream() {
        let mut raw = vec![0, 5, 10];
        normalize_by_max(&mut raw, false);
        assert_eq!(raw, vec![0, 50, 100]);
        let mut raw = vec![0, 1, 2];
        normalize_by_max(&mut raw, true);
        assert_eq!(raw, vec![100, 50, 0]);
        let mut raw = vec![0, 0];
        normalize_by_max(&mut raw, true);
        assert_eq!(raw, vec![100, 100]);
        let mut raw = vec![-10, 0, 10];
        normalize_min_max(&mut raw);
        assert_eq!(raw, vec![0, 50, 100]);
    }
}
