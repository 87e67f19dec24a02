//! What every node agent reports, simulated or real: its Lease in `kube-node-lease`
//! (renewed every 10 s; the node lifecycle controller marks a node NotReady when it stops),
//! the node conditions of a healthy kubelet, and each pod's QoS class.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
pub const LEASE_DURATION_SECONDS: i32 = 40;
pub const RENEW_INTERVAL: Duration = Duration::from_secs(10);

pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// Whether the node is short of memory, disk or process IDs (the kubelet's default hard
/// eviction thresholds: memory.available < 100Mi, nodefs.available < 10%, and fewer than
/// 10% of pid_max left).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pressure {
    pub memory: bool,
    pub disk: bool,
    pub pids: bool,
}

/// Keeps each condition's `lastTransitionTime` from `previous` when its status did not
/// change, as the kubelet does: the time says when the status last changed, not when it
/// was last reported.
pub fn carry_transition_times(conditions: &mut Value, previous: &[Value]) {
    for condition in conditions.as_array_mut().into_iter().flatten() {
        let same = previous.iter().find(|p| {
            p.get("type") == condition.get("type") && p.get("status") == condition.get("status")
        });
        if let Some(since) = same
            .and_then(|p| p.get("lastTransitionTime"))
            .filter(|t| !t.is_null())
        {
            condition["lastTransitionTime"] = since.clone();
        }
    }
}

/// The conditions of a node whose kubelet is healthy.
pub fn ready_conditions(now: &str) -> Value {
    conditions(now, Pressure::default())
}

/// The node conditions for `pressure`; the node stays Ready (pressure only taints it).
pub fn conditions(now: &str, pressure: Pressure) -> Value {
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    let memory = if pressure.memory {
        condition(
            "MemoryPressure",
            "True",
            "KubeletHasInsufficientMemory",
            "kubelet has insufficient memory available",
        )
    } else {
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        )
    };
    let disk = if pressure.disk {
        condition(
            "DiskPressure",
            "True",
            "KubeletHasDiskPressure",
            "kubelet has disk pressure",
        )
    } else {
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        )
    };
    let pids = if pressure.pids {
        condition(
            "PIDPressure",
            "True",
            "KubeletHasInsufficientPID",
            "kubelet has insufficient PID available",
        )
    } else {
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        )
    };
    json!([
        memory,
        disk,
        pids,
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// Creates or renews the node's Lease.
pub async fn renew_lease(client: &kube::Client, name: &str) -> Result<(), kube::Error> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let now = MicroTime(jiff::Timestamp::now());
    let patch = json!({"spec": {
        "holderIdentity": name,
        "leaseDurationSeconds": LEASE_DURATION_SECONDS,
        "renewTime": now,
    }});
    match leases
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    namespace: Some(LEASE_NAMESPACE.into()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(name.to_string()),
                    lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                    renew_time: Some(now),
                    ..LeaseSpec::default()
                }),
            };
            leases
                .create(&PostParams::default(), &lease)
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// The pod's QoS class: Guaranteed, Burstable or BestEffort.
pub fn qos_class(pod: &Pod) -> &'static str {
    let containers = pod.spec.as_ref().map_or(&[][..], |s| &s.containers[..]);
    let mut any = false;
    let mut guaranteed = true;
    for c in containers {
        let resources = c.resources.as_ref();
        let requests = resources.and_then(|r| r.requests.as_ref());
        let limits = resources.and_then(|r| r.limits.as_ref());
        any |= requests.is_some_and(|r| !r.is_empty()) || limits.is_some_and(|l| !l.is_empty());
        for resource in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(resource));
            let request = requests.and_then(|r| r.get(resource)).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes_as_upstream() {
        let pod = |resources: serde_json::Value| -> Pod {
            serde_json::from_value(json!({"spec": {"containers": [
                {"name": "a", "resources": resources},
                {"name": "b", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
            ]}}))
            .expect("pod")
        };
        assert_eq!(
            qos_class(&pod(json!({"limits": {"cpu": "2", "memory": "2Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&pod(json!({"requests": {"cpu": "2", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "2Gi"}}))),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&pod(json!({"requests": {"cpu": "1"}}))),
            "Burstable"
        );
        let best_effort: Pod =
            serde_json::from_value(json!({"spec": {"containers": [{"name": "a"}]}})).expect("pod");
        assert_eq!(qos_class(&best_effort), "BestEffort");
        assert_eq!(qos_class(&Pod::default()), "BestEffort");
    }

    #[test]
    fn transition_times_move_only_when_a_status_changes() {
        let before = conditions("2026-01-01T00:00:00Z", Pressure::default());
        let previous = before.as_array().cloned().unwrap_or_default();
        let mut now = conditions(
            "2026-01-01T00:10:00Z",
            Pressure {
                disk: true,
                ..Pressure::default()
            },
        );
        carry_transition_times(&mut now, &previous);
        let time = |kind: &str, key: &str| {
            now.as_array()
                .and_then(|a| a.iter().find(|c| c["type"] == kind))
                .map(|c| c[key].clone())
        };
        assert_eq!(
            time("MemoryPressure", "lastTransitionTime"),
            Some(json!("2026-01-01T00:00:00Z"))
        );
        assert_eq!(
            time("MemoryPressure", "lastHeartbeatTime"),
            Some(json!("2026-01-01T00:10:00Z"))
        );
        assert_eq!(
            time("DiskPressure", "lastTransitionTime"),
            Some(json!("2026-01-01T00:10:00Z"))
        );
    }

    #[test]
    fn pressure_turns_its_condition_true_and_keeps_the_node_ready() {
        let conditions = conditions(
            "2026-11-27T00:00:00Z",
            Pressure {
                memory: false,
                disk: true,
                pids: false,
            },
        );
        let status = |kind: &str| {
            conditions
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == kind))
                .map(|c| {
                    (
                        c["status"].as_str().unwrap_or("").to_string(),
                        c["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .unwrap_or_default()
        };
        assert_eq!(
            status("DiskPressure"),
            ("True".into(), "KubeletHasDiskPressure".into())
        );
        assert_eq!(status("MemoryPressure").0, "False");
        assert_eq!(status("Ready").0, "True");
    }
}
