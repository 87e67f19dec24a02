//! Volume node affinity (upstream's VolumeBinding filter for bound claims): a pod whose
//! PersistentVolumeClaims are bound to PersistentVolumes with `nodeAffinity` fits only nodes
//! every such volume allows. A claim that does not exist makes the pod unschedulable.

use super::Rejection;
use crate::model::{NodeInfo, NodeTerm};

#[derive(Debug, Default)]
pub struct VolumeState {
    /// Per bound volume with node affinity: its terms (any one must match).
    pub required: Vec<Vec<NodeTerm>>,
}

pub fn filter(state: &VolumeState, node: &NodeInfo) -> Result<(), Rejection> {
    if state
        .required
        .iter()
        .all(|terms| terms.iter().any(|t| t.matches(node)))
    {
        Ok(())
    } else {
        Err(Rejection::unresolvable(
            "node(s) had volume node affinity conflict",
        ))
    }
}

/// The node terms of a PersistentVolume's required node affinity.
pub fn volume_terms(pv: &k8s_openapi::api::core::v1::PersistentVolume) -> Option<Vec<NodeTerm>> {
    let required = pv
        .spec
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required
        .as_ref()?;
    Some(
        required
            .node_selector_terms
            .iter()
            .map(NodeTerm::from_api)
            .collect(),
    )
}
