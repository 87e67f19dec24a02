//! Service addresses: ClusterIPs from the Service CIDR and NodePorts from 30000–32767, each
//! allocated at most once, plus Service defaults.
//!
//! Every allocation is a key of its own (`/registry/ranges/serviceips/<ip>`,
//! `/registry/ranges/servicenodeports/<port>`) created with create-if-absent, so two Services
//! can never get the same address, even from two API servers on one etcd. Allocations are
//! released when the Service is deleted, or when its creation fails.
//! Known gap: a crash between allocating and storing the Service leaks the allocation until a
//! repair loop exists.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use berth_api::Object;
use berth_api::cidr::Ipv4Cidr;
use berth_store::StoreError;
use bytes::Bytes;
use serde_json::{Value, json};

use super::Registry;
use crate::status::ApiError;

pub const NODE_PORTS: RangeInclusive<u16> = 30000..=32767;
const IP_PREFIX: &str = "/registry/ranges/serviceips/";
const PORT_PREFIX: &str = "/registry/ranges/servicenodeports/";

/// The Service network the API server allocates from.
#[derive(Debug, Clone, Copy)]
pub struct ServiceNetwork {
    pub cidr: Ipv4Cidr,
}

fn random_u64() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

fn rt() -> &'static berth_api::ResourceType {
    // The catalogue always has services; a missing entry would fail every test.
    berth_api::catalogue::lookup("", "v1", "services").expect("services are in the catalogue")
}

fn invalid(name: &str, field: &str, message: String) -> ApiError {
    ApiError::invalid(
        rt(),
        name,
        vec![(field.to_string(), message, "FieldValueInvalid")],
    )
}

fn service_type(object: &Object) -> String {
    object
        .body
        .get("spec")
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string()
}

fn wants_node_ports(object: &Object) -> bool {
    matches!(service_type(object).as_str(), "NodePort" | "LoadBalancer")
}

/// The allocation keys a stored Service holds.
pub fn allocations_of(object: &Object) -> Vec<String> {
    let mut keys = Vec::new();
    let spec = object.body.get("spec");
    for ip in spec
        .and_then(|s| s.get("clusterIPs"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(ip) = ip.as_str().filter(|ip| *ip != "None" && !ip.is_empty()) {
            keys.push(format!("{IP_PREFIX}{ip}"));
        }
    }
    for port in spec
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = port.get("nodePort").and_then(Value::as_i64) {
            keys.push(format!("{PORT_PREFIX}{n}"));
        }
    }
    keys
}

impl Registry {
    async fn claim(&self, key: &str, owner: &str) -> Result<bool, ApiError> {
        match self.store.create(key, Bytes::from(owner.to_string())).await {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(ApiError::from_store(e)),
        }
    }

    /// Releases allocation keys (best effort: a failure only leaks an address).
    pub(super) async fn release(&self, keys: &[String]) {
        for key in keys {
            if let Err(err) = self.store.delete(key, None).await
                && !matches!(err, StoreError::NotFound { .. })
            {
                tracing::warn!(key, error = %crate::status::chain(&err), "releasing a service allocation failed");
            }
        }
    }

    async fn allocate_ip(
        &self,
        network: &ServiceNetwork,
        name: &str,
        owner: &str,
        requested: Option<&str>,
    ) -> Result<Ipv4Addr, ApiError> {
        let cidr = network.cidr;
        if let Some(text) = requested {
            let ip: Ipv4Addr = text
                .parse()
                .map_err(|_| invalid(name, "spec.clusterIPs[0]", format!("Invalid value: \"{text}\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")))?;
            if !cidr.contains(ip)
                || cidr
                    .offset(ip)
                    .is_none_or(|o| o == 0 || o + 1 >= cidr.size())
            {
                return Err(invalid(
                    name,
                    "spec.clusterIPs",
                    format!(
                        "Invalid value: [\"{ip}\"]: failed to allocate IP {ip}: provided IP is not in the valid range. The range of valid IPs is {cidr}"
                    ),
                ));
            }
            if !self.claim(&format!("{IP_PREFIX}{ip}"), owner).await? {
                return Err(invalid(
                    name,
                    "spec.clusterIPs",
                    format!(
                        "Invalid value: [\"{ip}\"]: failed to allocate IP {ip}: provided IP is already allocated"
                    ),
                ));
            }
            return Ok(ip);
        }
        // Usable offsets are 1 ..= size-2 (not the network or broadcast address).
        let usable = cidr.size().saturating_sub(2).max(1);
        let start = random_u64() % usable;
        for i in 0..usable {
            let Some(ip) = cidr.nth(1 + (start + i) % usable) else {
                continue;
            };
            if self.claim(&format!("{IP_PREFIX}{ip}"), owner).await? {
                return Ok(ip);
            }
        }
        Err(ApiError::internal(format!(
            "failed to allocate a service IP: the range {cidr} is full"
        )))
    }

    async fn allocate_port(
        &self,
        name: &str,
        owner: &str,
        requested: Option<i64>,
    ) -> Result<i64, ApiError> {
        let (low, high) = (i64::from(*NODE_PORTS.start()), i64::from(*NODE_PORTS.end()));
        if let Some(port) = requested {
            if !(low..=high).contains(&port) {
                return Err(invalid(
                    name,
                    "spec.ports[].nodePort",
                    format!(
                        "Invalid value: {port}: provided port is not in the valid range. The range of valid ports is {low}-{high}"
                    ),
                ));
            }
            if !self.claim(&format!("{PORT_PREFIX}{port}"), owner).await? {
                return Err(invalid(
                    name,
                    "spec.ports[].nodePort",
                    format!("Invalid value: {port}: provided port is already allocated"),
                ));
            }
            return Ok(port);
        }
        let count = (high - low + 1) as u64;
        let start = random_u64() % count;
        for i in 0..count {
            let port = low + ((start + i) % count) as i64;
            if self.claim(&format!("{PORT_PREFIX}{port}"), owner).await? {
                return Ok(port);
            }
        }
        Err(ApiError::internal(
            "failed to allocate a node port: the range is full",
        ))
    }

    /// Defaults a new Service and allocates its addresses. Returns the allocation keys taken,
    /// for release if the Service is not stored after all.
    pub(super) async fn prepare_service(
        &self,
        network: &ServiceNetwork,
        object: &mut Object,
        previous: Option<&Object>,
    ) -> Result<Vec<String>, ApiError> {
        let name = object.metadata.name.clone();
        let owner = format!("{}/{}", object.metadata.namespace, name);
        let service_type = service_type(object);
        if !matches!(
            service_type.as_str(),
            "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName"
        ) {
            return Err(ApiError::invalid(
                rt(),
                &name,
                vec![(
                    "spec.type".into(),
                    format!(
                        "Unsupported value: \"{service_type}\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
                    ),
                    "FieldValueNotSupported",
                )],
            ));
        }
        let node_ports = wants_node_ports(object);
        let spec = object.body.entry("spec").or_insert_with(|| json!({}));
        let Some(spec) = spec.as_object_mut() else {
            return Err(ApiError::bad_request("spec must be an object"));
        };
        spec.insert("type".into(), json!(service_type));
        spec.entry("sessionAffinity").or_insert(json!("None"));
        let ports = spec
            .get("ports")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if ports.is_empty()
            && service_type != "ExternalName"
            && spec.get("clusterIP").and_then(Value::as_str) != Some("None")
        {
            return Err(ApiError::invalid(
                rt(),
                &name,
                vec![(
                    "spec.ports".into(),
                    "Required value".into(),
                    "FieldValueRequired",
                )],
            ));
        }
        let previous_spec = previous.and_then(|p| p.body.get("spec"));
        let mut taken = Vec::new();
        let result: Result<(), ApiError> = async {
            // ClusterIP: kept from the stored Service; immutable once set.
            if service_type != "ExternalName" {
                let old_ip = previous_spec
                    .and_then(|s| s.get("clusterIP"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let asked = spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string);
                let ip = match (old_ip, asked) {
                    (Some(old), Some(new)) if old != new => {
                        return Err(invalid(
                            &name,
                            "spec.clusterIPs[0]",
                            format!("Invalid value: [\"{new}\"]: may not change once set"),
                        ));
                    }
                    (Some(old), _) => old,
                    (None, Some(none)) if none == "None" => none,
                    (None, asked) => {
                        let ip = self
                            .allocate_ip(network, &name, &owner, asked.as_deref())
                            .await?
                            .to_string();
                        taken.push(format!("{IP_PREFIX}{ip}"));
                        ip
                    }
                };
                spec.insert("clusterIP".into(), json!(ip));
                spec.insert("clusterIPs".into(), json!([ip]));
                spec.entry("ipFamilies").or_insert(json!(["IPv4"]));
                spec.entry("ipFamilyPolicy").or_insert(json!("SingleStack"));
                spec.entry("internalTrafficPolicy")
                    .or_insert(json!("Cluster"));
            }
            if node_ports {
                spec.entry("externalTrafficPolicy")
                    .or_insert(json!("Cluster"));
            }
            let old_ports: Vec<Value> = previous_spec
                .and_then(|s| s.get("ports"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut defaulted = Vec::new();
            for (i, port) in ports.into_iter().enumerate() {
                let Value::Object(mut port) = port else {
                    return Err(invalid(
                        &name,
                        &format!("spec.ports[{i}]"),
                        "must be an object".into(),
                    ));
                };
                let number = port.get("port").and_then(Value::as_i64).unwrap_or(0);
                if !(1..=65535).contains(&number) {
                    return Err(invalid(
                        &name,
                        &format!("spec.ports[{i}].port"),
                        format!("Invalid value: {number}: must be between 1 and 65535, inclusive"),
                    ));
                }
                port.entry("protocol").or_insert(json!("TCP"));
                port.entry("targetPort").or_insert(json!(number));
                if node_ports {
                    let previous_node_port = old_ports
                        .iter()
                        .find(|p| p.get("port").and_then(Value::as_i64) == Some(number))
                        .and_then(|p| p.get("nodePort"))
                        .and_then(Value::as_i64);
                    let asked = port.get("nodePort").and_then(Value::as_i64);
                    let node_port = match (previous_node_port, asked) {
                        (Some(old), None) => old,
                        (Some(old), Some(new)) if old == new => old,
                        (_, asked) => {
                            let n = self.allocate_port(&name, &owner, asked).await?;
                            taken.push(format!("{PORT_PREFIX}{n}"));
                            n
                        }
                    };
                    port.insert("nodePort".into(), json!(node_port));
                } else {
                    port.remove("nodePort");
                }
                defaulted.push(Value::Object(port));
            }
            if !defaulted.is_empty() {
                spec.insert("ports".into(), Value::Array(defaulted));
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            self.release(&taken).await;
            return Err(err);
        }
        object
            .body
            .entry("status")
            .or_insert_with(|| json!({"loadBalancer": {}}));
        Ok(taken)
    }

    /// Creates the `kubernetes` Service in `default` (first Service IP, port 443 → `port`).
    pub async fn ensure_kubernetes_service(
        &self,
        network: &ServiceNetwork,
        port: u16,
    ) -> Result<(), ApiError> {
        if self.get(rt(), Some("default"), "kubernetes").await.is_ok() {
            return Ok(());
        }
        let first = network
            .cidr
            .nth(1)
            .ok_or_else(|| ApiError::internal("empty service CIDR"))?;
        let object: Object = serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": first.to_string(),
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
            },
        }))
        .map_err(|e| ApiError::internal(e.to_string()))?;
        match self
            .create(rt(), Some("default"), object, None, false)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.reason == "AlreadyExists" => Ok(()),
            Err(e) => Err(e),
        }
    }
}
