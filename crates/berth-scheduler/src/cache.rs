//! The scheduler's picture of the cluster: nodes with the pods placed on them (bound, or
//! *assumed* — placed by us with the binding still in flight), claims and volumes.
//!
//! Invariants:
//! - A pod is counted on at most one node; `placements` says which.
//! - A node's `requested` is the sum of its pods' requests.
//! - Pods bound to a node we have not seen yet wait in `orphans` and are counted as soon as
//!   the node appears.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim};

use crate::model::{NodeInfo, NodeTerm, PodInfo};
use crate::plugins::volume_node_affinity;

#[derive(Debug, Clone)]
struct Placement {
    node: String,
    assumed: bool,
}

#[derive(Default)]
pub struct Cache {
    pub nodes: Vec<NodeInfo>,
    index: HashMap<String, usize>,
    placements: HashMap<String, Placement>,
    orphans: HashMap<String, Vec<Arc<PodInfo>>>,
    /// (namespace, name) → bound volume name (None while Pending).
    claims: HashMap<(String, String), Option<String>>,
    /// Volume name → its node affinity terms.
    volumes: HashMap<String, Option<Vec<NodeTerm>>>,
    /// How many placed pods carry required anti-affinity terms.
    anti_affinity_pods: usize,
    /// Pending pods nominated to a node by preemption (node → pods): the room their victims
    /// free is kept for them against pods of lower or equal priority.
    nominated: HashMap<String, Vec<Arc<PodInfo>>>,
}

pub enum ClaimProblem {
    Missing(String),
}

impl Cache {
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, name: &str) -> Option<&NodeInfo> {
        self.index.get(name).map(|i| &self.nodes[*i])
    }

    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn has_anti_affinity_pods(&self) -> bool {
        self.anti_affinity_pods > 0
    }

    /// Adds or updates a node, keeping the pods already placed on it.
    pub fn upsert_node(&mut self, node: &Node) {
        let mut info = NodeInfo::from_node(node);
        match self.index.get(&info.name) {
            Some(&i) => {
                let old = std::mem::take(&mut self.nodes[i]);
                info.pods = old.pods;
                info.requested = old.requested;
                info.non_zero_requested = old.non_zero_requested;
                info.host_ports = old.host_ports;
                self.nodes[i] = info;
            }
            None => {
                let name = info.name.clone();
                for pod in self.orphans.remove(&name).unwrap_or_default() {
                    info.add_pod(pod);
                }
                self.index.insert(name, self.nodes.len());
                self.nodes.push(info);
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        let Some(i) = self.index.remove(name) else {
            return;
        };
        let node = self.nodes.swap_remove(i);
        if i < self.nodes.len() {
            let moved = self.nodes[i].name.clone();
            self.index.insert(moved, i);
        }
        // Its pods stay accounted for, should the node come back.
        self.orphans.insert(node.name.clone(), node.pods);
    }

    /// Names of all nodes, for a re-list to find the ones that went away.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.name.clone()).collect()
    }

    fn place(&mut self, pod: Arc<PodInfo>, node: &str) {
        if !pod.anti_affinity.is_empty() {
            self.anti_affinity_pods += 1;
        }
        match self.index.get(node) {
            Some(&i) => self.nodes[i].add_pod(pod),
            None => self.orphans.entry(node.to_string()).or_default().push(pod),
        }
    }

    /// Removes a pod from wherever it is counted. True if it was counted.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(placement) = self.placements.remove(uid) else {
            return false;
        };
        match self.index.get(&placement.node) {
            Some(&i) => {
                let had_anti = self.nodes[i]
                    .pods
                    .iter()
                    .any(|p| p.uid == uid && !p.anti_affinity.is_empty());
                let removed = self.nodes[i].remove_pod(uid);
                if removed && had_anti {
                    self.anti_affinity_pods = self.anti_affinity_pods.saturating_sub(1);
                }
                removed
            }
            None => {
                let list = self.orphans.entry(placement.node.clone()).or_default();
                let before = list.len();
                list.retain(|p| {
                    let keep = p.uid != uid;
                    if !keep && !p.anti_affinity.is_empty() {
                        self.anti_affinity_pods = self.anti_affinity_pods.saturating_sub(1);
                    }
                    keep
                });
                before != list.len()
            }
        }
    }

    /// A pod the API says is bound to `pod.node_name` (confirms an assumed placement).
    pub fn observe_bound(&mut self, pod: Arc<PodInfo>) {
        let Some(node) = pod.node_name.clone() else {
            return;
        };
        self.remove_pod(&pod.uid);
        self.placements.insert(
            pod.uid.clone(),
            Placement {
                node: node.clone(),
                assumed: false,
            },
        );
        self.place(pod, &node);
    }

    /// Counts `pod` on `node` before its binding is stored.
    pub fn assume(&mut self, pod: Arc<PodInfo>, node: &str) {
        self.remove_pod(&pod.uid);
        self.placements.insert(
            pod.uid.clone(),
            Placement {
                node: node.to_string(),
                assumed: true,
            },
        );
        self.place(pod, node);
    }

    /// Whether the pod is placed by us with its binding still in flight.
    pub fn is_assumed(&self, uid: &str) -> bool {
        self.placements.get(uid).is_some_and(|p| p.assumed)
    }

    pub fn is_placed(&self, uid: &str) -> bool {
        self.placements.contains_key(uid)
    }

    /// The binding failed: the pod is not on that node after all.
    pub fn forget(&mut self, uid: &str) {
        if self.is_assumed(uid) {
            self.remove_pod(uid);
        }
    }

    pub fn placed_uids(&self) -> Vec<String> {
        self.placements.keys().cloned().collect()
    }

    /// Records (or clears) a pending pod's nomination from its `status.nominatedNodeName`.
    pub fn set_nomination(&mut self, pod: &Arc<PodInfo>) {
        self.clear_nomination(&pod.uid);
        if pod.node_name.is_none()
            && let Some(node) = &pod.nominated_node_name
        {
            self.nominated
                .entry(node.clone())
                .or_default()
                .push(pod.clone());
        }
    }

    pub fn clear_nomination(&mut self, uid: &str) {
        if self.nominated.is_empty() {
            return;
        }
        for pods in self.nominated.values_mut() {
            pods.retain(|p| p.uid != uid);
        }
        self.nominated.retain(|_, pods| !pods.is_empty());
    }

    /// Pods nominated to `node` that `pod` must leave room for (higher or equal priority).
    pub fn nominated_before(&self, node: &str, pod: &PodInfo) -> Vec<Arc<PodInfo>> {
        self.nominated
            .get(node)
            .map(|pods| {
                pods.iter()
                    .filter(|p| p.uid != pod.uid && p.priority >= pod.priority)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn has_nominations(&self) -> bool {
        !self.nominated.is_empty()
    }

    pub fn upsert_claim(&mut self, claim: &PersistentVolumeClaim) {
        let key = (
            claim.metadata.namespace.clone().unwrap_or_default(),
            claim.metadata.name.clone().unwrap_or_default(),
        );
        let volume = claim
            .spec
            .as_ref()
            .and_then(|s| s.volume_name.clone())
            .filter(|v| !v.is_empty());
        self.claims.insert(key, volume);
    }

    pub fn remove_claim(&mut self, claim: &PersistentVolumeClaim) {
        self.claims.remove(&(
            claim.metadata.namespace.clone().unwrap_or_default(),
            claim.metadata.name.clone().unwrap_or_default(),
        ));
    }

    pub fn upsert_volume(&mut self, pv: &PersistentVolume) {
        self.volumes.insert(
            pv.metadata.name.clone().unwrap_or_default(),
            volume_node_affinity::volume_terms(pv),
        );
    }

    pub fn remove_volume(&mut self, pv: &PersistentVolume) {
        self.volumes
            .remove(&pv.metadata.name.clone().unwrap_or_default());
    }

    /// The node terms the pod's bound volumes require, or the first claim that is missing.
    pub fn volume_terms(&self, pod: &PodInfo) -> Result<Vec<Vec<NodeTerm>>, ClaimProblem> {
        let mut required = Vec::new();
        for claim in &pod.claims {
            match self.claims.get(&(pod.namespace.clone(), claim.clone())) {
                None => return Err(ClaimProblem::Missing(claim.clone())),
                Some(None) => {}
                Some(Some(volume)) => {
                    if let Some(Some(terms)) = self.volumes.get(volume) {
                        required.push(terms.clone());
                    }
                }
            }
        }
        Ok(required)
    }
}
