//! Node IPAM, as kube-controller-manager's range allocator: every node that runs real pods
//! gets a `/24` of `--cluster-cidr` as `spec.podCIDR` (and `podCIDRs`), the lowest one free.
//! Simulated nodes get none (they run no pod network, and thousands of them would exhaust
//! the range).
//!
//! Invariant: a podCIDR, once set, is never changed (upstream makes it immutable); a
//! deleted node's range is free again once the node is gone from the watch.

use std::collections::HashSet;

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
    loop {
        let nodes = informers.nodes.state();
        let needing: Vec<&std::sync::Arc<Node>> = nodes
            .iter()
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
        // The ranges in use are collected only when some node needs one (nodes change
        // often; ranges are handed out rarely).
        let mut used: HashSet<String> = if needing.is_empty() {
            HashSet::new()
        } else {
            nodes
                .iter()
                .filter_map(|n| n.spec.as_ref()?.pod_cidr.clone())
                .collect()
        };
        let mut next = None;
        for node in needing {
            let name = node.metadata.name.clone().unwrap_or_default();
            let free = (0..)
                .map_while(|i| cluster_cidr.subnet(NODE_CIDR_MASK, i))
                .map(|c| c.to_string())
                .find(|c| !used.contains(c));
            let Some(cidr) = free else {
                events.record(
                    reference(node),
                    EventType::Normal,
                    "CIDRNotAvailable",
                    format!("Node {name} status is now: CIDRNotAvailable"),
                );
                continue;
            };
            let patch = json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
            match nodes_api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => {
                    tracing::info!(
                        node = name,
                        pod_cidr = cidr,
                        "allocated the node's pod range"
                    );
                    used.insert(cidr);
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

fn reference(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: node.metadata.name.clone(),
        uid: node.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}
