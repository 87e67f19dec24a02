//! Node IPAM, as kube-controller-manager's range allocator: every node that runs real pods
//! gets a `/24` of `--cluster-cidr` as `spec.podCIDR` (and `podCIDRs`), the lowest one free.
//! Simulated nodes get none (they run no pod network, and thousands of them would exhaust
//! the range).
//!
//! Invariant: a podCIDR, once set, is never changed (upstream makes it immutable); a
//! deleted node's range is free again once the node is gone from the watch.

use std::collections::HashSet;
use std::sync::Arc;

use berth_api::cidr::Ipv4Cidr;
use berth_client::events::{EventRecorder, EventType};
use k8s_openapi::api::core::v1::{Node, ObjectReference};
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use crate::informer::{self, Informers, Kind};

/// The label simulated nodes carry (`berth agent --simulate`).
const SIMULATED_LABEL: &str = "berth.dev/simulated";

/// Mask of each node's range (k3s's `--cluster-cidr` default is a /16, split in /24s).
pub const NODE_CIDR_MASK: u8 = 24;

pub async fn run(client: kube::Client, informers: Informers, cluster_cidr: Ipv4Cidr) {
    let wake = informers.subscribe(&[Kind::Nodes]);
    informers.ready().await;
    let events = EventRecorder::new(client.clone(), "node-ipam-controller");
    let nodes_api: Api<Node> = Api::all(client);
    // Nodes already told CIDRNotAvailable: told once, not on every node change.
    let mut reported: HashSet<String> = HashSet::new();
    loop {
        let nodes = informers.nodes.state();
        let plan = allocate(&nodes, cluster_cidr);
        let exhausted: HashSet<&str> = plan.exhausted.iter().map(|n| name_of(n)).collect();
        reported.retain(|name| exhausted.contains(name.as_str()));
        for node in &plan.exhausted {
            let name = name_of(node);
            if reported.insert(name.to_string()) {
                events.record(
                    reference(node),
                    EventType::Normal,
                    "CIDRNotAvailable",
                    format!("Node {name} status is now: CIDRNotAvailable"),
                );
            }
        }
        let mut next = None;
        for (node, cidr) in plan.assigned {
            let name = name_of(node);
            let patch = json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
            match nodes_api
                .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    tracing::info!(
                        node = name,
                        pod_cidr = cidr,
                        "allocated the node's pod range"
                    );
                }
                Err(e) => {
                    tracing::debug!(node = name, error = %e, "allocating a pod range; will retry");
                    next = jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::from_secs(1))
                        .ok();
                }
            }
        }
        informer::wait_for_change_or(&wake, next).await;
    }
}

fn name_of(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or_default()
}

/// One pass's decisions.
struct Plan<'a> {
    /// Nodes that need a range, each with the one it gets (lowest free first).
    assigned: Vec<(&'a Node, String)>,
    /// Nodes that need a range when none is left.
    exhausted: Vec<&'a Node>,
}

/// Hands the free ranges of `cluster` to the nodes that need one, in one walk of the
/// candidates (the lowest free range only moves up within a pass).
fn allocate(nodes: &[Arc<Node>], cluster: Ipv4Cidr) -> Plan<'_> {
    let needing: Vec<&Node> = nodes
        .iter()
        .map(|node| &**node)
        .filter(|node| {
            let simulated = node
                .metadata
                .labels
                .as_ref()
                .is_some_and(|l| l.contains_key(SIMULATED_LABEL));
            let has = node
                .spec
                .as_ref()
                .and_then(|s| s.pod_cidr.as_ref())
                .is_some();
            !(simulated || has || node.metadata.deletion_timestamp.is_some())
        })
        .collect();
    let mut plan = Plan {
        assigned: Vec::new(),
        exhausted: Vec::new(),
    };
    if needing.is_empty() {
        return plan;
    }
    // The ranges in use are collected only when some node needs one (nodes change often;
    // ranges are handed out rarely).
    let used: HashSet<&str> = nodes
        .iter()
        .filter_map(|n| n.spec.as_ref()?.pod_cidr.as_deref())
        .collect();
    let mut candidates = (0..)
        .map_while(|i| cluster.subnet(NODE_CIDR_MASK, i))
        .map(|c| c.to_string())
        .filter(|c| !used.contains(c.as_str()));
    for node in needing {
        match candidates.next() {
            Some(cidr) => plan.assigned.push((node, cidr)),
            None => plan.exhausted.push(node),
        }
    }
    plan
}

fn reference(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: node.metadata.name.clone(),
        uid: node.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, cidr: Option<&str>) -> Arc<Node> {
        let mut node = Node::default();
        node.metadata.name = Some(name.into());
        if let Some(cidr) = cidr {
            node.spec = Some(k8s_openapi::api::core::v1::NodeSpec {
                pod_cidr: Some(cidr.into()),
                ..Default::default()
            });
        }
        Arc::new(node)
    }

    #[test]
    fn the_lowest_free_ranges_go_first_and_the_rest_are_exhausted() {
        let cluster: Ipv4Cidr = "10.42.0.0/22".parse().expect("cidr");
        let nodes = vec![
            node("a", Some("10.42.1.0/24")),
            node("b", None),
            node("c", None),
            node("d", None),
            node("e", None),
        ];
        let plan = allocate(&nodes, cluster);
        let assigned: Vec<(&str, &str)> = plan
            .assigned
            .iter()
            .map(|(n, c)| (name_of(n), c.as_str()))
            .collect();
        assert_eq!(
            assigned,
            [
                ("b", "10.42.0.0/24"),
                ("c", "10.42.2.0/24"),
                ("d", "10.42.3.0/24")
            ]
        );
        let exhausted: Vec<&str> = plan.exhausted.iter().map(|n| name_of(n)).collect();
        assert_eq!(exhausted, ["e"]);
    }
}
