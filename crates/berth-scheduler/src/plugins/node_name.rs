//! NodeName: a pod that names a node (`spec.nodeName` set at creation is bound already; this
//! covers nominated placement through the `metadata.name` field affinity too) fits only there.

use super::Rejection;
use crate::model::{NodeInfo, PodInfo};

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    match &pod.node_name {
        Some(name) if *name != node.name => Err(Rejection::unresolvable(
            "node(s) didn't match the requested node name",
        )),
        _ => Ok(()),
    }
}
