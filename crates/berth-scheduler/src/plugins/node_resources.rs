//! NodeResourcesFit: the pod's requests must fit in the node's allocatable minus what its
//! pods request (cpu, memory, ephemeral-storage, pod count, extended resources); scoring by
//! LeastAllocated (spread) or MostAllocated (bin-packing), and NodeResourcesBalancedAllocation.

use super::{Rejection, ResourceStrategy};
use crate::model::{NodeInfo, PodInfo};

/// Every resource that does not fit, as upstream lists them.
pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Vec<Rejection>> {
    let mut missing = Vec::new();
    let (want, used, has) = (&pod.requests, &node.requested, &node.allocatable);
    if used.pods + 1 > has.pods {
        missing.push(Rejection::resolvable("Too many pods"));
    }
    if want.milli_cpu > 0 && want.milli_cpu > has.milli_cpu - used.milli_cpu {
        missing.push(Rejection::resolvable("Insufficient cpu"));
    }
    if want.memory > 0 && want.memory > has.memory - used.memory {
        missing.push(Rejection::resolvable("Insufficient memory"));
    }
    if want.ephemeral_storage > 0
        && want.ephemeral_storage > has.ephemeral_storage - used.ephemeral_storage
    {
        missing.push(Rejection::resolvable("Insufficient ephemeral-storage"));
    }
    for (name, amount) in &want.scalar {
        if *amount <= 0 {
            continue;
        }
        let free = has.scalar.get(name).copied().unwrap_or(0)
            - used.scalar.get(name).copied().unwrap_or(0);
        if *amount > free {
            missing.push(Rejection::resolvable(format!("Insufficient {name}")));
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

fn fraction_score(requested: i64, capacity: i64, strategy: ResourceStrategy) -> i64 {
    if capacity <= 0 {
        return 0;
    }
    match strategy {
        ResourceStrategy::LeastAllocated => {
            if requested > capacity {
                0
            } else {
                (capacity - requested) * 100 / capacity
            }
        }
        ResourceStrategy::MostAllocated => requested.min(capacity) * 100 / capacity,
    }
}

/// 0–100: the average over cpu and memory of the strategy's score, with the pod placed.
pub fn score(pod: &PodInfo, node: &NodeInfo, strategy: ResourceStrategy) -> i64 {
    let cpu = fraction_score(
        node.non_zero_requested.milli_cpu + pod.non_zero.milli_cpu,
        node.allocatable.milli_cpu,
        strategy,
    );
    let memory = fraction_score(
        node.non_zero_requested.memory + pod.non_zero.memory,
        node.allocatable.memory,
        strategy,
    );
    (cpu + memory) / 2
}

/// 0–100: how evenly cpu and memory are used with the pod placed (100 = equal fractions).
pub fn balanced_score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let fraction = |requested: i64, capacity: i64| {
        if capacity <= 0 {
            1.0
        } else {
            (requested as f64 / capacity as f64).min(1.0)
        }
    };
    let cpu = fraction(
        node.requested.milli_cpu + pod.requests.milli_cpu,
        node.allocatable.milli_cpu,
    );
    let memory = fraction(
        node.requested.memory + pod.requests.memory,
        node.allocatable.memory,
    );
    let std = (cpu - memory).abs() / 2.0;
    ((1.0 - std) * 100.0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resources;

    fn node(cpu: i64, memory: i64) -> NodeInfo {
        NodeInfo {
            name: "n".into(),
            allocatable: Resources {
                milli_cpu: cpu,
                memory,
                pods: 110,
                ..Resources::default()
            },
            ..NodeInfo::default()
        }
    }

    fn pod(cpu: i64, memory: i64) -> PodInfo {
        let requests = Resources {
            milli_cpu: cpu,
            memory,
            pods: 1,
            ..Resources::default()
        };
        let mut info = crate::model::PodInfo::from_pod(&Default::default());
        info.requests = requests.clone();
        info.non_zero = requests;
        info
    }

    #[test]
    fn fit_lists_every_missing_resource() {
        let n = node(1000, 1 << 30);
        assert!(filter(&pod(500, 1 << 20), &n).is_ok());
        let reasons: Vec<String> = filter(&pod(2000, 2 << 30), &n)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.reason)
            .collect();
        assert_eq!(reasons, vec!["Insufficient cpu", "Insufficient memory"]);
    }

    #[test]
    fn strategies_rank_fuller_nodes_oppositely() {
        let empty = node(4000, 8 << 30);
        let mut busy = node(4000, 8 << 30);
        busy.add_pod(std::sync::Arc::new(pod(2000, 4 << 30)));
        let p = pod(500, 1 << 30);
        let least = |n: &NodeInfo| score(&p, n, ResourceStrategy::LeastAllocated);
        let most = |n: &NodeInfo| score(&p, n, ResourceStrategy::MostAllocated);
        assert!(least(&empty) > least(&busy));
        assert!(most(&empty) < most(&busy));
    }
}
