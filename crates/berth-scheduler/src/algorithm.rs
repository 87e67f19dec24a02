//! One scheduling decision: filter nodes (a sample of them in large clusters, as upstream's
//! `percentageOfNodesToScore`), score the feasible ones, pick the best (ties at random).
//! Pure over the [`Cache`]: no I/O, so it is tested directly.

use std::collections::BTreeMap;

use crate::cache::{Cache, ClaimProblem};
use crate::model::{NodeInfo, PodInfo};
use crate::plugins::{
    self, PodState, inter_pod_affinity, node_affinity, node_resources, normalize_by_max,
    normalize_min_max, taint_toleration, topology_spread,
};
use crate::profile::Profile;

/// Why no node fits: a histogram of reasons, as `kubectl describe` shows it.
#[derive(Debug, Clone, Default)]
pub struct FitError {
    pub nodes: usize,
    pub reasons: BTreeMap<String, usize>,
    /// Nodes where evicting lower-priority pods might help (all their reasons resolvable).
    pub resolvable: Vec<usize>,
    /// A reason that applies before any node is looked at (a missing claim).
    pub prefilter: Option<String>,
}

/// No node fits: why, and the pod's cluster-wide state for preemption (absent when the pod
/// failed before any node was looked at).
#[derive(Debug)]
pub struct Unschedulable {
    pub fit: FitError,
    pub state: Option<PodState>,
}

/// `3 Insufficient cpu, 1 node(s) were unschedulable` — counts first, sorted as strings.
pub fn histogram(reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    parts.join(", ")
}

impl FitError {
    /// Upstream's message: `0/3 nodes are available: 3 Insufficient cpu.` plus the
    /// preemption outcome when preemption was tried and failed.
    pub fn message(&self, preemption: Option<&str>) -> String {
        let mut text = match &self.prefilter {
            Some(why) => format!("0/{} nodes are available: {why}.", self.nodes),
            None if self.nodes == 0 => "no nodes available to schedule pods".to_string(),
            None => format!(
                "0/{} nodes are available: {}.",
                self.nodes,
                histogram(&self.reasons)
            ),
        };
        if let Some(p) = preemption {
            text.push_str(" preemption: ");
            text.push_str(p);
        }
        text
    }
}

/// How many feasible nodes to find before scoring (upstream's adaptive percentage).
pub fn nodes_to_find(total: usize) -> usize {
    const MIN: usize = 100;
    if total < MIN {
        return total;
    }
    let percentage = 50usize.saturating_sub(total / 125).max(5);
    (total * percentage / 100).max(MIN)
}

/// Decision state kept between pods: where the next search starts, the tie-break RNG.
pub struct Algorithm {
    next_start: usize,
    rng: u64,
}

impl Default for Algorithm {
    fn default() -> Self {
        Algorithm {
            next_start: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

/// Cluster-wide state for `pod`, or the reason no node can take it.
pub fn pod_state(cache: &Cache, pod: &PodInfo) -> Result<PodState, String> {
    let mut state = PodState::default();
    match cache.volume_terms(pod) {
        Ok(required) => state.volumes.required = required,
        Err(ClaimProblem::Missing(claim)) => {
            return Err(format!("persistentvolumeclaim \"{claim}\" not found"));
        }
    }
    if inter_pod_affinity::relevant(pod, cache.has_anti_affinity_pods()) {
        state.affinity = inter_pod_affinity::prefilter(pod, cache.nodes.iter());
    }
    if !pod.spread.is_empty() {
        state.spread = topology_spread::prefilter(pod, cache.nodes.iter());
    }
    Ok(state)
}

/// Filters `node` as if the pods nominated to it (of higher or equal priority) were already
/// there, as upstream does, so preemption's freed room goes to the pod it was made for.
fn filter_with_nominated(
    cache: &Cache,
    pod: &PodInfo,
    node: &NodeInfo,
    state: &PodState,
) -> Result<(), Vec<plugins::Rejection>> {
    let nominated = cache.nominated_before(&node.name, pod);
    if nominated.is_empty() {
        return plugins::filter(pod, node, state);
    }
    let mut with = node.clone();
    for other in nominated {
        with.add_pod(other);
    }
    plugins::filter(pod, &with, state)
}

impl Algorithm {
    fn next_random(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The node for `pod`, or why there is none.
    pub fn schedule(
        &mut self,
        cache: &Cache,
        pod: &PodInfo,
        profile: &Profile,
    ) -> Result<String, Box<Unschedulable>> {
        let total = cache.node_count();
        let state = match pod_state(cache, pod) {
            Ok(state) => state,
            Err(why) => {
                return Err(Box::new(Unschedulable {
                    fit: FitError {
                        nodes: total,
                        prefilter: Some(why),
                        ..FitError::default()
                    },
                    state: None,
                }));
            }
        };
        // A nominated node (from preemption) is tried first.
        if let Some(nominated) = pod.nominated_node_name.as_deref()
            && let Some(node) = cache.node(nominated)
            && plugins::filter(pod, node, &state).is_ok()
        {
            return Ok(nominated.to_string());
        }
        let want = nodes_to_find(total);
        let mut feasible: Vec<usize> = Vec::with_capacity(want.min(total));
        let mut error = FitError {
            nodes: total,
            ..FitError::default()
        };
        let mut processed = 0;
        let nominations = cache.has_nominations();
        for offset in 0..total {
            let i = (self.next_start + offset) % total;
            processed += 1;
            let verdict = if nominations {
                filter_with_nominated(cache, pod, &cache.nodes[i], &state)
            } else {
                plugins::filter(pod, &cache.nodes[i], &state)
            };
            match verdict {
                Ok(()) => {
                    feasible.push(i);
                    if feasible.len() >= want {
                        break;
                    }
                }
                Err(rejections) => {
                    if rejections.iter().all(|r| r.resolvable) {
                        error.resolvable.push(i);
                    }
                    for r in rejections {
                        *error.reasons.entry(r.reason).or_default() += 1;
                    }
                }
            }
        }
        if total > 0 {
            self.next_start = (self.next_start + processed) % total;
        }
        match feasible.len() {
            0 => Err(Box::new(Unschedulable {
                fit: error,
                state: Some(state),
            })),
            1 => Ok(cache.nodes[feasible[0]].name.clone()),
            _ => {
                let nodes: Vec<&NodeInfo> = feasible.iter().map(|i| &cache.nodes[*i]).collect();
                let scores = score(pod, &nodes, &state, profile);
                let best = scores.iter().copied().max().unwrap_or(0);
                // Reservoir choice among the best, so equal nodes share the load.
                let mut chosen = 0;
                let mut seen = 0u64;
                for (i, s) in scores.iter().enumerate() {
                    if *s == best {
                        seen += 1;
                        if self.next_random().is_multiple_of(seen) {
                            chosen = i;
                        }
                    }
                }
                Ok(nodes[chosen].name.clone())
            }
        }
    }
}

/// Weighted total per node, with upstream's default weights.
pub fn score(pod: &PodInfo, nodes: &[&NodeInfo], state: &PodState, profile: &Profile) -> Vec<i64> {
    let mut total: Vec<i64> = nodes
        .iter()
        .map(|n| {
            node_resources::score(pod, n, profile.strategy) + node_resources::balanced_score(pod, n)
        })
        .collect();
    let mut add = |raw: Vec<i64>, weight: i64| {
        for (t, r) in total.iter_mut().zip(raw) {
            *t += r * weight;
        }
    };
    if !pod.preferred_node_terms.is_empty() {
        let mut raw: Vec<i64> = nodes
            .iter()
            .map(|n| node_affinity::raw_score(pod, n))
            .collect();
        normalize_by_max(&mut raw, false);
        add(raw, 2);
    }
    if nodes
        .iter()
        .any(|n| n.taints.iter().any(|t| t.effect == "PreferNoSchedule"))
    {
        let mut raw: Vec<i64> = nodes
            .iter()
            .map(|n| taint_toleration::raw_score(pod, n))
            .collect();
        normalize_by_max(&mut raw, true);
        add(raw, 3);
    }
    if !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty() {
        let mut raw: Vec<i64> = nodes
            .iter()
            .map(|n| inter_pod_affinity::raw_score(n, &state.affinity))
            .collect();
        normalize_min_max(&mut raw);
        add(raw, 2);
    }
    if pod
        .spread
        .iter()
        .any(|c| c.when == crate::model::WhenUnsatisfiable::ScheduleAnyway)
    {
        let mut raw: Vec<i64> = nodes
            .iter()
            .map(|n| topology_spread::raw_score(pod, n, &state.spread))
            .collect();
        normalize_by_max(&mut raw, true);
        add(raw, 2);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_follows_upstream() {
        assert_eq!(nodes_to_find(3), 3);
        assert_eq!(nodes_to_find(100), 100);
        assert_eq!(nodes_to_find(1000), 420);
        assert_eq!(nodes_to_find(5000), 500);
        assert_eq!(nodes_to_find(100_000), 5000);
    }

    fn node(name: &str, cpu: &str) -> k8s_openapi::api::core::v1::Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]},
        }))
        .unwrap_or_default()
    }

    fn pod(
        name: &str,
        cpu: &str,
        priority: i32,
        nominated: Option<&str>,
    ) -> std::sync::Arc<PodInfo> {
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "uid": name},
            "spec": {"priority": priority, "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
            "status": {"nominatedNodeName": nominated},
        }))
        .unwrap_or_default();
        std::sync::Arc::new(PodInfo::from_pod(&pod))
    }

    #[test]
    fn room_freed_by_preemption_is_kept_for_the_nominated_pod() {
        let mut cache = Cache::default();
        cache.upsert_node(&node("n", "2"));
        let profile = crate::profile::builtin().remove(0);
        let mut algorithm = Algorithm::default();
        cache.set_nomination(&pod("high", "1500m", 100, Some("n")));
        // A lower-priority pod may not take the nominated pod's room…
        let low = pod("low", "1", 0, None);
        assert!(algorithm.schedule(&cache, &low, &profile).is_err());
        // …a small one still fits beside it, and the nominated pod itself fits.
        assert!(
            algorithm
                .schedule(&cache, &pod("small", "500m", 0, None), &profile)
                .is_ok()
        );
        assert!(
            algorithm
                .schedule(&cache, &pod("high", "1500m", 100, Some("n")), &profile)
                .is_ok()
        );
        cache.clear_nomination("high");
        assert!(algorithm.schedule(&cache, &low, &profile).is_ok());
    }

    #[test]
    fn messages_read_like_upstream() {
        let mut e = FitError {
            nodes: 3,
            ..FitError::default()
        };
        e.reasons.insert("Insufficient cpu".into(), 2);
        e.reasons.insert("node(s) were unschedulable".into(), 1);
        assert_eq!(
            e.message(None),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu."
        );
    }
}
