//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take only pods that tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule`.

use super::Rejection;
use crate::model::{NodeInfo, PodInfo};

pub const TAINT: &str = "node.kubernetes.io/unschedulable";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
    if !node.unschedulable {
        return Ok(());
    }
    let tolerated = pod.tolerations.iter().any(|t| {
        let key_ok = t.key.as_deref() == Some(TAINT)
            || (t.key.as_deref().unwrap_or("").is_empty()
                && t.operator.as_deref() == Some("Exists"));
        let effect_ok = matches!(t.effect.as_deref(), None | Some("") | Some("NoSchedule"));
        key_ok && effect_ok
    });
    if tolerated {
        Ok(())
    } else {
        Err(Rejection::unresolvable("node(s) were unschedulable"))
    }
}
