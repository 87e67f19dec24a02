//! NodePorts: a pod's `hostPort`s must be free on the node (same protocol and port on an
//! overlapping address).

use super::Rejection;
use crate::model::{NodeInfo, PodInfo};

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    let taken = pod
        .host_ports
        .iter()
        .any(|want| node.host_ports.iter().any(|used| used.conflicts(want)));
    if taken {
        Err(Rejection::resolvable(
            "node(s) didn't have free ports for the requested pod ports",
        ))
    } else {
        Ok(())
    }
}
