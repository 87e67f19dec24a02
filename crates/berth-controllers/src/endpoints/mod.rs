//! Service endpoints: for every Service with a selector, the pods it selects become
//! EndpointSlices ([`slices`], `discovery.k8s.io/v1`, what kube-proxy-like components read)
//! and the legacy Endpoints object ([`legacy`], `v1`), as upstream's EndpointSlice and
//! Endpoints controllers write them. One pass computes each Service's endpoints once and
//! reconciles both.
//!
//! Which pods: selected by the Service's selector in its namespace, with a pod IP, not
//! Succeeded/Failed. A pod is `ready` when its Ready condition is True and it is not being
//! deleted, `serving` when Ready regardless of deletion, `terminating` when being deleted
//! (`publishNotReadyAddresses` makes every one ready). Ports: each Service port's
//! `targetPort`, a number or a container port name resolved per pod (a pod without that
//! named port is left out of that port set, as upstream).
//!
//! Services without a selector are left alone: their slices and Endpoints are the user's.

pub mod legacy;
pub mod slices;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use berth_api::selector::LabelSelector;
use k8s_openapi::api::core::v1::{Node, Pod, Service};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::informer::{self, Informers, Kind};
use crate::pod_state::{is_ready, is_terminal};

/// One port of one endpoint, resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port {
    pub name: Option<String>,
    pub port: i32,
    pub protocol: String,
    pub app_protocol: Option<String>,
}

/// One pod as an endpoint of a Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: String,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub hostname: Option<String>,
    pub node_name: Option<String>,
    pub zone: Option<String>,
    pub pod_name: String,
    pub pod_uid: String,
}

/// A Service's endpoints, grouped by their resolved port list.
pub type Groups = BTreeMap<Vec<Port>, Vec<Endpoint>>;

/// The container port `name` of `pod`.
fn named_port(pod: &Pod, name: &str, protocol: &str) -> Option<i32> {
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| {
            p.name.as_deref() == Some(name) && p.protocol.as_deref().unwrap_or("TCP") == protocol
        })
        .map(|p| p.container_port)
}

/// The endpoints of `service` among `pods` (its namespace's), or `None` when the Service
/// has no selector (not ours to manage).
pub fn compute(
    service: &Service,
    pods: &[&Pod],
    zones: &HashMap<String, String>,
) -> Option<Groups> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    let selector_map = spec.selector.clone().filter(|s| !s.is_empty())?;
    let selector =
        LabelSelector::from_json(&serde_json::json!({"matchLabels": selector_map})).ok()?;
    let publish_not_ready = spec.publish_not_ready_addresses.unwrap_or(false);
    let service_name = service.metadata.name.clone().unwrap_or_default();
    let mut groups: Groups = BTreeMap::new();
    for pod in pods {
        let no_labels = BTreeMap::new();
        let labels = pod.metadata.labels.as_ref().unwrap_or(&no_labels);
        if !selector.matches(labels) || is_terminal(pod) {
            continue;
        }
        let Some(ip) = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .filter(|ip| !ip.is_empty())
        else {
            continue;
        };
        let mut ports = Vec::new();
        let mut complete = true;
        for sp in spec.ports.iter().flatten() {
            let protocol = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
            let target = match &sp.target_port {
                None => Some(sp.port),
                Some(IntOrString::Int(n)) => Some(*n),
                Some(IntOrString::String(name)) => match name.parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => named_port(pod, name, &protocol),
                },
            };
            match target {
                Some(port) => ports.push(Port {
                    name: sp.name.clone().filter(|n| !n.is_empty()),
                    port,
                    protocol,
                    app_protocol: sp.app_protocol.clone(),
                }),
                None => complete = false,
            }
        }
        if !complete {
            continue;
        }
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let ready = is_ready(pod);
        let pod_spec = pod.spec.as_ref();
        let hostname = pod_spec.and_then(|s| s.hostname.clone()).filter(|_| {
            pod_spec.and_then(|s| s.subdomain.as_deref()) == Some(service_name.as_str())
        });
        let node_name = pod_spec.and_then(|s| s.node_name.clone());
        let endpoint = Endpoint {
            ip,
            ready: publish_not_ready || (ready && !terminating),
            serving: publish_not_ready || ready,
            terminating,
            hostname,
            zone: node_name.as_ref().and_then(|n| zones.get(n).cloned()),
            node_name,
            pod_name: pod.metadata.name.clone().unwrap_or_default(),
            pod_uid: pod.metadata.uid.clone().unwrap_or_default(),
        };
        groups.entry(ports).or_default().push(endpoint);
    }
    for endpoints in groups.values_mut() {
        endpoints.sort_by(|a, b| a.ip.cmp(&b.ip).then(a.pod_name.cmp(&b.pod_name)));
    }
    Some(groups)
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[
        Kind::Services,
        Kind::Pods,
        Kind::EndpointSlices,
        Kind::Endpoints,
        Kind::Nodes,
    ]);
    informers.ready().await;
    let slices = slices::Reconciler::new(client.clone());
    let legacy = legacy::Reconciler::new(client);
    loop {
        let services = informers.services.state();
        // Only Services with a selector have endpoints computed here: with none (a cluster
        // with just `kubernetes`), no pass over every pod and node on each change.
        let selecting: HashSet<&str> = services
            .iter()
            .filter(|s| {
                s.spec
                    .as_ref()
                    .and_then(|spec| spec.selector.as_ref())
                    .is_some_and(|selector| !selector.is_empty())
            })
            .map(|s| s.metadata.namespace.as_deref().unwrap_or_default())
            .collect();
        let pods = if selecting.is_empty() {
            Vec::new()
        } else {
            informers.pods.state()
        };
        let nodes = if selecting.is_empty() {
            Vec::new()
        } else {
            informers.nodes.state()
        };
        let zones: HashMap<String, String> = nodes
            .iter()
            .filter_map(|n: &std::sync::Arc<Node>| {
                let zone = n
                    .metadata
                    .labels
                    .as_ref()?
                    .get("topology.kubernetes.io/zone")?;
                Some((n.metadata.name.clone()?, zone.clone()))
            })
            .collect();
        let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
        for pod in &pods {
            let ns = pod.metadata.namespace.as_deref().unwrap_or_default();
            if selecting.contains(ns) {
                by_namespace.entry(ns).or_default().push(pod);
            }
        }
        let all_slices = informers.endpoint_slices.state();
        let all_endpoints = informers.endpoints.state();
        let mut retry = false;
        for service in &services {
            if service.metadata.deletion_timestamp.is_some() {
                continue;
            }
            let ns = service.metadata.namespace.as_deref().unwrap_or_default();
            let candidates = by_namespace.get(ns).cloned().unwrap_or_default();
            let Some(groups) = compute(service, &candidates, &zones) else {
                continue;
            };
            if let Err(e) = slices.reconcile(service, &groups, &all_slices).await {
                tracing::debug!(service = ?service.metadata.name, error = %e, "EndpointSlices; will retry");
                retry = true;
            }
            if let Err(e) = legacy.reconcile(service, &groups, &all_endpoints).await {
                tracing::debug!(service = ?service.metadata.name, error = %e, "Endpoints; will retry");
                retry = true;
            }
        }
        // Endpoints of Services that are gone (slices go with their owner, by GC).
        if let Err(e) = legacy.remove_orphans(&services, &all_endpoints).await {
            tracing::debug!(error = %e, "removing Endpoints of deleted Services");
            retry = true;
        }
        let next = retry
            .then(|| {
                jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::from_secs(1))
                    .ok()
            })
            .flatten();
        informer::wait_for_change_or(&wake, next).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn named_ports_readiness_and_termination() {
        let service: Service = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        }))
        .unwrap_or_default();
        let pod = |name: &str, ip: &str, port: Option<i32>, ready: bool, deleting: bool| -> Pod {
            let mut value = json!({
                "metadata": {"name": name, "uid": name, "labels": {"app": "web"}},
                "spec": {"nodeName": "n1", "containers": [{"name": "c", "ports": port.map(|p| vec![json!({"name": "http", "containerPort": p})]).unwrap_or_default()}]},
                "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]},
            });
            if deleting {
                value["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            }
            serde_json::from_value(value).unwrap_or_default()
        };
        let pods = [
            pod("a", "10.0.0.1", Some(8080), true, false),
            pod("b", "10.0.0.2", Some(9090), false, false),
            pod("c", "10.0.0.3", Some(8080), true, true),
            pod("d", "10.0.0.4", None, true, false),
        ];
        let refs: Vec<&Pod> = pods.iter().collect();
        let zones = HashMap::from([("n1".to_string(), "z1".to_string())]);
        let groups = compute(&service, &refs, &zones).unwrap_or_default();
        assert_eq!(groups.len(), 2, "{groups:?}");
        let on_8080 = groups
            .iter()
            .find(|(ports, _)| ports[0].port == 8080)
            .map(|(_, e)| e.clone())
            .unwrap_or_default();
        assert_eq!(on_8080.len(), 2);
        assert!(on_8080[0].ready && on_8080[0].serving && !on_8080[0].terminating);
        assert!(!on_8080[1].ready && on_8080[1].serving && on_8080[1].terminating);
        assert_eq!(on_8080[0].zone.as_deref(), Some("z1"));
    }
}
