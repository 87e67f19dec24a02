//! PodDisruptionBudget status, which the eviction API reads: how many matching pods are
//! healthy (`currentHealthy`), how many must stay (`desiredHealthy`, from minAvailable or
//! maxUnavailable, percentages rounded up against the pods' controllers' replicas), and so how
//! many may be evicted now (`disruptionsAllowed`). Pods recently evicted (`disruptedPods`)
//! don't count as healthy until they are seen going, or for two minutes at most.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use berth_api::selector::LabelSelector;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::{Value, json};

use crate::informer::{Informers, Kind};
use crate::pod_state::is_ready;

/// How long an evicted pod is kept out of `currentHealthy` if its deletion is not seen.
const DISRUPTION_TIMEOUT: jiff::SignedDuration = jiff::SignedDuration::from_secs(120);

/// `value` of `total`, percentages rounded up (as upstream's disruption controller).
fn scaled(value: &IntOrString, total: i64) -> i64 {
    let total = i32::try_from(total).unwrap_or(i32::MAX);
    i64::from(crate::int_or_percent::resolve(value, total, true))
}

/// The replicas the controllers of `pods` want, if every pod has a scalable controller.
async fn controllers_scale(client: &kube::Client, namespace: &str, pods: &[&Pod]) -> Option<i64> {
    let mut seen = HashSet::new();
    let mut total = 0;
    for pod in pods {
        let owner = pod
            .metadata
            .owner_references
            .as_ref()?
            .iter()
            .find(|o| o.controller == Some(true))?;
        if !seen.insert(owner.uid.clone()) {
            continue;
        }
        let (group, version) = owner
            .api_version
            .split_once('/')
            .unwrap_or(("", owner.api_version.as_str()));
        let plural = match owner.kind.as_str() {
            "ReplicaSet" => "replicasets",
            "StatefulSet" => "statefulsets",
            "ReplicationController" => "replicationcontrollers",
            _ => return None,
        };
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(group, version, &owner.kind),
            plural,
        );
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        let object = api.get(&owner.name).await.ok()?;
        total += object
            .data
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
    }
    Some(total)
}

/// The status `pdb` should have, given the pods of its namespace.
async fn desired_status(
    client: &kube::Client,
    pdb: &PodDisruptionBudget,
    pods: &[Arc<Pod>],
) -> Value {
    let namespace = pdb.metadata.namespace.clone().unwrap_or_default();
    let spec = pdb.spec.clone().unwrap_or_default();
    let selector = spec
        .selector
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .and_then(|v| LabelSelector::from_json(&v).ok());
    let matching: Vec<&Pod> = match &selector {
        Some(selector) => pods
            .iter()
            .map(AsRef::as_ref)
            .filter(|p| p.metadata.namespace.as_deref() == Some(namespace.as_str()))
            .filter(|p| selector.matches(&p.metadata.labels.clone().unwrap_or_default()))
            .filter(|p| {
                !matches!(
                    p.status.as_ref().and_then(|s| s.phase.as_deref()),
                    Some("Succeeded" | "Failed")
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let now = jiff::Timestamp::now();
    let previous: BTreeMap<String, String> = pdb
        .status
        .as_ref()
        .map(|s| {
            s.disrupted_pods
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let disrupted: BTreeMap<String, String> = previous
        .into_iter()
        .filter(|(name, at)| {
            let fresh = at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t + DISRUPTION_TIMEOUT > now);
            let still_there = matching.iter().any(|p| {
                p.metadata.name.as_deref() == Some(name.as_str())
                    && p.metadata.deletion_timestamp.is_none()
            });
            fresh && still_there
        })
        .collect();
    let healthy = matching
        .iter()
        .filter(|p| {
            is_ready(p)
                && p.metadata.deletion_timestamp.is_none()
                && !disrupted.contains_key(p.metadata.name.as_deref().unwrap_or_default())
        })
        .count() as i64;
    let needs_scale = spec.max_unavailable.is_some()
        || matches!(spec.min_available, Some(IntOrString::String(_)));
    let expected = if needs_scale {
        controllers_scale(client, &namespace, &matching)
            .await
            .unwrap_or(matching.len() as i64)
    } else {
        matching.len() as i64
    };
    let desired = match (&spec.min_available, &spec.max_unavailable) {
        (Some(min), _) => scaled(min, expected),
        (None, Some(max)) => (expected - scaled(max, expected)).max(0),
        (None, None) => 0,
    };
    let allowed = (healthy - desired).max(0);
    let (condition_status, reason) = if allowed > 0 {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    let transition = pdb
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "DisruptionAllowed"))
        .filter(|c| c.status == condition_status)
        .map(|c| c.last_transition_time.0.to_string())
        .unwrap_or_else(|| now.round(jiff::Unit::Second).unwrap_or(now).to_string());
    json!({
        "observedGeneration": pdb.metadata.generation.unwrap_or(1),
        "disruptedPods": disrupted,
        "disruptionsAllowed": allowed,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "conditions": [{
            "type": "DisruptionAllowed",
            "status": condition_status,
            "reason": reason,
            "message": "",
            "observedGeneration": pdb.metadata.generation.unwrap_or(1),
            "lastTransitionTime": transition,
        }],
    })
}

fn comparable(status: &Value) -> Value {
    let mut s = status.clone();
    if let Some(map) = s.as_object_mut() {
        map.remove("conditions");
    }
    s
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Pods, Kind::Budgets]);
    informers.ready().await;
    let (budgets, pods) = (&informers.budgets, &informers.pods);
    loop {
        let all_pods = if budgets.is_empty() {
            Vec::new()
        } else {
            pods.state()
        };
        let mut next_expiry: Option<Duration> = None;
        for pdb in budgets.state() {
            let status = desired_status(&client, &pdb, &all_pods).await;
            if status
                .get("disruptedPods")
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
            {
                next_expiry = Some(Duration::from_secs(10));
            }
            let current = serde_json::to_value(&pdb.status).unwrap_or_default();
            let mut current_cmp = comparable(&current);
            if let Some(map) = current_cmp.as_object_mut() {
                map.entry("disruptedPods").or_insert_with(|| json!({}));
            }
            if current_cmp == comparable(&status)
                && current
                    .get("conditions")
                    .and_then(|c| c.get(0))
                    .and_then(|c| c.get("status"))
                    == status
                        .get("conditions")
                        .and_then(|c| c.get(0))
                        .and_then(|c| c.get("status"))
            {
                continue;
            }
            let namespace = pdb.metadata.namespace.clone().unwrap_or_default();
            let name = pdb.metadata.name.clone().unwrap_or_default();
            let api: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), &namespace);
            // disruptedPods is replaced whole: null it first in the merge, then set it.
            let mut status = status;
            if let Some(map) = status.as_object_mut() {
                let disrupted = map.remove("disruptedPods").unwrap_or_else(|| json!({}));
                let mut replaced = serde_json::Map::new();
                for key in current
                    .get("disruptedPods")
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    replaced.insert(key, Value::Null);
                }
                if let Some(d) = disrupted.as_object() {
                    for (k, v) in d {
                        replaced.insert(k.clone(), v.clone());
                    }
                }
                map.insert("disruptedPods".into(), Value::Object(replaced));
            }
            let patch = json!({
                "metadata": {"resourceVersion": pdb.metadata.resource_version},
                "status": status,
            });
            if let Err(e) = api
                .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                tracing::debug!(pdb = name, error = %e, "updating budget status; will retry");
                next_expiry = Some(Duration::from_millis(200));
            }
        }
        let wait = next_expiry.unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_up() {
        assert_eq!(scaled(&IntOrString::Int(2), 10), 2);
        assert_eq!(scaled(&IntOrString::String("50%".into()), 3), 2);
        assert_eq!(scaled(&IntOrString::String("10%".into()), 10), 1);
    }
}
