//! What the scheduler knows about pods and nodes, parsed once from the API objects: requests
//! as integers, selectors and affinity terms as matchers, taints and tolerations, host ports.
//! Plugins read only these types, never the raw objects.

use std::collections::BTreeMap;
use std::sync::Arc;

use berth_api::quantity::Quantity;
use berth_api::selector::LabelSelector;
use k8s_openapi::api::core::v1::{
    Container, Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodAffinityTerm, PodSpec,
    Taint, Toleration,
};

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
pub const PODS: &str = "pods";
pub const HOSTNAME: &str = "kubernetes.io/hostname";

/// Upstream's defaults for containers without requests, used only in scoring.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// Amounts of resources: CPU in millicores, everything else in whole units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub pods: i64,
    /// Extended resources (`example.com/gpu`), `hugepages-*`, …
    pub scalar: BTreeMap<String, i64>,
}

impl Resources {
    pub fn from_map(
        map: &BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    ) -> Resources {
        let mut out = Resources::default();
        for (name, quantity) in map {
            let Ok(q) = Quantity::parse(&quantity.0) else {
                continue;
            };
            out.add_named(name, q);
        }
        out
    }

    fn add_named(&mut self, name: &str, q: Quantity) {
        match name {
            CPU => self.milli_cpu = self.milli_cpu.saturating_add(q.milli()),
            MEMORY => self.memory = self.memory.saturating_add(q.units()),
            EPHEMERAL_STORAGE => {
                self.ephemeral_storage = self.ephemeral_storage.saturating_add(q.units())
            }
            PODS => self.pods = self.pods.saturating_add(q.units()),
            other => {
                let slot = self.scalar.entry(other.to_string()).or_default();
                *slot = slot.saturating_add(q.units());
            }
        }
    }

    pub fn add(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_add(other.milli_cpu);
        self.memory = self.memory.saturating_add(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_add(other.ephemeral_storage);
        self.pods = self.pods.saturating_add(other.pods);
        for (k, v) in &other.scalar {
            let slot = self.scalar.entry(k.clone()).or_default();
            *slot = slot.saturating_add(*v);
        }
    }

    pub fn sub(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.saturating_sub(other.milli_cpu);
        self.memory = self.memory.saturating_sub(other.memory);
        self.ephemeral_storage = self
            .ephemeral_storage
            .saturating_sub(other.ephemeral_storage);
        self.pods = self.pods.saturating_sub(other.pods);
        for (k, v) in &other.scalar {
            let slot = self.scalar.entry(k.clone()).or_default();
            *slot = slot.saturating_sub(*v);
        }
    }

    /// Element-wise maximum.
    fn max_with(&mut self, other: &Resources) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (k, v) in &other.scalar {
            let slot = self.scalar.entry(k.clone()).or_default();
            *slot = (*slot).max(*v);
        }
    }
}

/// A node-selector requirement, including `Gt` / `Lt`.
#[derive(Debug, Clone)]
pub struct NodeRequirement {
    pub key: String,
    pub operator: NodeOperator,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOperator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
    /// An operator we don't know: never matches (upstream rejects it at validation).
    Invalid,
}

impl NodeRequirement {
    fn from_api(r: &NodeSelectorRequirement) -> NodeRequirement {
        NodeRequirement {
            key: r.key.clone(),
            operator: match r.operator.as_str() {
                "In" => NodeOperator::In,
                "NotIn" => NodeOperator::NotIn,
                "Exists" => NodeOperator::Exists,
                "DoesNotExist" => NodeOperator::DoesNotExist,
                "Gt" => NodeOperator::Gt,
                "Lt" => NodeOperator::Lt,
                _ => NodeOperator::Invalid,
            },
            values: r.values.clone().unwrap_or_default(),
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            NodeOperator::In => value.is_some_and(|v| self.values.contains(v)),
            NodeOperator::NotIn => !value.is_some_and(|v| self.values.contains(v)),
            NodeOperator::Exists => value.is_some(),
            NodeOperator::DoesNotExist => value.is_none(),
            NodeOperator::Gt | NodeOperator::Lt => {
                let (Some(value), Some(bound)) = (value, self.values.first()) else {
                    return false;
                };
                let (Ok(value), Ok(bound)) = (value.parse::<i64>(), bound.parse::<i64>()) else {
                    return false;
                };
                if self.operator == NodeOperator::Gt {
                    value > bound
                } else {
                    value < bound
                }
            }
            NodeOperator::Invalid => false,
        }
    }
}

/// One node-selector term: all label requirements and all field requirements must hold.
#[derive(Debug, Clone, Default)]
pub struct NodeTerm {
    pub labels: Vec<NodeRequirement>,
    /// `metadata.name` requirements (the only field upstream supports).
    pub fields: Vec<NodeRequirement>,
}

impl NodeTerm {
    pub fn from_api(term: &NodeSelectorTerm) -> NodeTerm {
        NodeTerm {
            labels: term
                .match_expressions
                .iter()
                .flatten()
                .map(NodeRequirement::from_api)
                .collect(),
            fields: term
                .match_fields
                .iter()
                .flatten()
                .map(NodeRequirement::from_api)
                .collect(),
        }
    }

    /// An empty term matches nothing, as upstream.
    pub fn matches(&self, node: &NodeInfo) -> bool {
        if self.labels.is_empty() && self.fields.is_empty() {
            return false;
        }
        let name: BTreeMap<String, String> = if self.fields.is_empty() {
            BTreeMap::new()
        } else {
            [("metadata.name".to_string(), node.name.clone())].into()
        };
        self.labels.iter().all(|r| r.matches(&node.labels))
            && self.fields.iter().all(|r| r.matches(&name))
    }
}

/// A pod (anti-)affinity term with its selector parsed.
#[derive(Debug, Clone)]
pub struct AffinityTerm {
    pub selector: LabelSelector,
    /// Namespaces the term looks in; empty with no namespace selector = the pod's own.
    pub namespaces: Vec<String>,
    /// A namespace selector selects by namespace labels; we only support the "all
    /// namespaces" form (`{}`), treated as matching every namespace.
    pub all_namespaces: bool,
    pub topology_key: String,
    pub weight: i32,
}

impl AffinityTerm {
    fn from_api(term: &PodAffinityTerm, own_namespace: &str, weight: i32) -> AffinityTerm {
        let selector = term
            .label_selector
            .as_ref()
            .map(|s| serde_json::to_value(s).unwrap_or_default())
            .map(|v| LabelSelector::from_json(&v).unwrap_or_else(|_| never()))
            // A term without a selector matches no pods.
            .unwrap_or_else(never);
        let all_namespaces = term.namespace_selector.as_ref().is_some_and(|s| {
            s.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
                && s.match_expressions.as_ref().is_none_or(Vec::is_empty)
        });
        let mut namespaces = term.namespaces.clone().unwrap_or_default();
        if namespaces.is_empty() && term.namespace_selector.is_none() {
            namespaces.push(own_namespace.to_string());
        }
        AffinityTerm {
            selector,
            namespaces,
            all_namespaces,
            topology_key: term.topology_key.clone(),
            weight,
        }
    }

    pub fn matches(&self, pod: &PodInfo) -> bool {
        (self.all_namespaces || self.namespaces.contains(&pod.namespace))
            && self.selector.matches(&pod.labels)
    }
}

/// A selector that matches nothing.
fn never() -> LabelSelector {
    LabelSelector::parse("berth.io/never-matches,!berth.io/never-matches").unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnsatisfiable {
    DoNotSchedule,
    ScheduleAnyway,
}

#[derive(Debug, Clone)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub when: WhenUnsatisfiable,
    pub selector: LabelSelector,
    pub min_domains: Option<i64>,
    /// `nodeAffinityPolicy: Honor` (default): only nodes the pod could go to count.
    pub honor_node_affinity: bool,
    /// `nodeTaintsPolicy: Honor`: only nodes whose taints the pod tolerates count.
    pub honor_taints: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

impl HostPort {
    /// Whether two host ports collide (`0.0.0.0` overlaps every address).
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port
            && self.protocol == other.protocol
            && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// A pod as the scheduler sees it.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub resource_version: String,
    pub labels: BTreeMap<String, String>,
    pub scheduler_name: String,
    pub node_name: Option<String>,
    pub nominated_node_name: Option<String>,
    pub priority: i32,
    pub preempt_never: bool,
    pub deleting: bool,
    /// `spec.schedulingGates` is not empty: not ready to be scheduled (upstream's
    /// SchedulingGates PreEnqueue plugin keeps such pods out of the queue).
    pub gated: bool,
    pub terminal: bool,
    pub creation: String,
    pub requests: Resources,
    /// Requests with upstream's defaults for unset CPU/memory (scoring only).
    pub non_zero: Resources,
    pub node_selector: BTreeMap<String, String>,
    pub required_node_terms: Option<Vec<NodeTerm>>,
    pub preferred_node_terms: Vec<(i32, NodeTerm)>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Vec<AffinityTerm>,
    pub anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti_affinity: Vec<AffinityTerm>,
    pub spread: Vec<SpreadConstraint>,
    pub host_ports: Vec<HostPort>,
    pub claims: Vec<String>,
}

fn container_requests(container: &Container) -> Resources {
    let Some(resources) = &container.resources else {
        return Resources::default();
    };
    // Limits stand in for missing requests (upstream defaulting does the same).
    let mut map = resources.limits.clone().unwrap_or_default();
    map.extend(resources.requests.clone().unwrap_or_default());
    Resources::from_map(&map)
}

fn with_defaults(mut r: Resources, had_cpu: bool, had_memory: bool) -> Resources {
    if !had_cpu {
        r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
    }
    if !had_memory {
        r.memory = DEFAULT_MEMORY_REQUEST;
    }
    r
}

impl PodInfo {
    pub fn key(&self) -> PodKey {
        PodKey {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    pub fn from_pod(pod: &Pod) -> PodInfo {
        let meta = &pod.metadata;
        let namespace = meta.namespace.clone().unwrap_or_default();
        let no_spec = PodSpec::default();
        let spec = pod.spec.as_ref().unwrap_or(&no_spec);
        let status = pod.status.as_ref();
        // Effective requests: the larger of all app containers (plus sidecars) and any one
        // init container; plus pod overhead.
        let mut app = Resources::default();
        let mut app_non_zero = Resources::default();
        for c in &spec.containers {
            let r = container_requests(c);
            let (had_cpu, had_mem) = (r.milli_cpu > 0, r.memory > 0);
            app.add(&r);
            app_non_zero.add(&with_defaults(r, had_cpu, had_mem));
        }
        let mut sidecars = Resources::default();
        let mut init_peak = Resources::default();
        for c in spec.init_containers.iter().flatten() {
            let r = container_requests(c);
            if c.restart_policy.as_deref() == Some("Always") {
                sidecars.add(&r);
                app.add(&r);
                app_non_zero.add(&r);
            } else {
                let mut with_sidecars = r.clone();
                with_sidecars.add(&sidecars);
                init_peak.max_with(&with_sidecars);
            }
        }
        let mut requests = app.clone();
        requests.max_with(&init_peak);
        let mut non_zero = app_non_zero;
        non_zero.max_with(&init_peak);
        if let Some(overhead) = &spec.overhead {
            let o = Resources::from_map(overhead);
            requests.add(&o);
            non_zero.add(&o);
        }
        requests.pods = 1;
        non_zero.pods = 1;

        let affinity = spec.affinity.clone().unwrap_or_default();
        let node_affinity = affinity.node_affinity.unwrap_or_default();
        let required_node_terms = node_affinity
            .required_during_scheduling_ignored_during_execution
            .map(|s| {
                s.node_selector_terms
                    .iter()
                    .map(NodeTerm::from_api)
                    .collect()
            });
        let preferred_node_terms = node_affinity
            .preferred_during_scheduling_ignored_during_execution
            .unwrap_or_default()
            .iter()
            .map(|p| (p.weight, NodeTerm::from_api(&p.preference)))
            .collect();
        let pod_affinity = affinity.pod_affinity.unwrap_or_default();
        let pod_anti = affinity.pod_anti_affinity.unwrap_or_default();
        let required = |terms: Option<Vec<PodAffinityTerm>>| -> Vec<AffinityTerm> {
            terms
                .unwrap_or_default()
                .iter()
                .map(|t| AffinityTerm::from_api(t, &namespace, 1))
                .collect()
        };
        let preferred =
            |terms: Option<Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
                terms
                    .unwrap_or_default()
                    .iter()
                    .map(|t| AffinityTerm::from_api(&t.pod_affinity_term, &namespace, t.weight))
                    .collect::<Vec<_>>()
            };
        let labels = meta.labels.clone().unwrap_or_default();
        let spread = spec
            .topology_spread_constraints
            .iter()
            .flatten()
            .map(|c| {
                let mut selector = c
                    .label_selector
                    .as_ref()
                    .map(|s| serde_json::to_value(s).unwrap_or_default())
                    .map(|v| LabelSelector::from_json(&v).unwrap_or_else(|_| never()))
                    .unwrap_or_else(never);
                // matchLabelKeys: the pod's own values join the selector.
                let extra: Vec<String> = c
                    .match_label_keys
                    .iter()
                    .flatten()
                    .filter_map(|k| labels.get(k).map(|v| format!("{k}={v}")))
                    .collect();
                if !extra.is_empty()
                    && let Ok(more) = LabelSelector::parse(&extra.join(","))
                {
                    selector = selector.and(more);
                }
                SpreadConstraint {
                    max_skew: i64::from(c.max_skew.max(1)),
                    topology_key: c.topology_key.clone(),
                    when: if c.when_unsatisfiable == "ScheduleAnyway" {
                        WhenUnsatisfiable::ScheduleAnyway
                    } else {
                        WhenUnsatisfiable::DoNotSchedule
                    },
                    selector,
                    min_domains: c.min_domains.map(i64::from),
                    honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
                    honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
                }
            })
            .collect();
        // Upstream's system-default spreading for pods of a workload controller: spread the
        // pods of one controller over nodes (ScheduleAnyway, maxSkew 3).
        let mut spread: Vec<SpreadConstraint> = spread;
        let controlled = meta.owner_references.iter().flatten().any(|o| {
            o.controller == Some(true)
                && matches!(
                    o.kind.as_str(),
                    "ReplicaSet" | "StatefulSet" | "ReplicationController"
                )
        });
        if spread.is_empty() && controlled && !labels.is_empty() {
            let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            if let Ok(selector) = LabelSelector::parse(&text.join(",")) {
                spread.push(SpreadConstraint {
                    max_skew: 3,
                    topology_key: HOSTNAME.into(),
                    when: WhenUnsatisfiable::ScheduleAnyway,
                    selector,
                    min_domains: None,
                    honor_node_affinity: true,
                    honor_taints: false,
                });
            }
        }
        let host_ports = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .flat_map(|c| c.ports.iter().flatten())
            .filter_map(|p| {
                let port = p.host_port.filter(|p| *p > 0)?;
                Some(HostPort {
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                    ip: p
                        .host_ip
                        .clone()
                        .filter(|ip| !ip.is_empty())
                        .unwrap_or_else(|| "0.0.0.0".into()),
                    port,
                })
            })
            .collect();
        let claims = spec
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| {
                v.persistent_volume_claim
                    .as_ref()
                    .map(|c| c.claim_name.clone())
            })
            .collect();
        let phase = status.and_then(|s| s.phase.as_deref());
        PodInfo {
            namespace: namespace.clone(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            resource_version: meta.resource_version.clone().unwrap_or_default(),
            labels: labels.clone(),
            scheduler_name: spec
                .scheduler_name
                .clone()
                .unwrap_or_else(|| "default-scheduler".into()),
            node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
            nominated_node_name: status
                .and_then(|s| s.nominated_node_name.clone())
                .filter(|n| !n.is_empty()),
            priority: spec.priority.unwrap_or(0),
            preempt_never: spec.preemption_policy.as_deref() == Some("Never"),
            deleting: meta.deletion_timestamp.is_some(),
            gated: spec
                .scheduling_gates
                .as_ref()
                .is_some_and(|g| !g.is_empty()),
            terminal: matches!(phase, Some("Succeeded" | "Failed")),
            creation: meta
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
                .unwrap_or_default(),
            requests,
            non_zero,
            node_selector: spec.node_selector.clone().unwrap_or_default(),
            required_node_terms,
            preferred_node_terms,
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            affinity: required(pod_affinity.required_during_scheduling_ignored_during_execution),
            anti_affinity: required(pod_anti.required_during_scheduling_ignored_during_execution),
            preferred_affinity: preferred(
                pod_affinity.preferred_during_scheduling_ignored_during_execution,
            ),
            preferred_anti_affinity: preferred(
                pod_anti.preferred_during_scheduling_ignored_during_execution,
            ),
            spread,
            host_ports,
            claims,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for PodKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A node and what is placed on it.
#[derive(Debug, Clone, Default)]
pub struct NodeInfo {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub pods: Vec<Arc<PodInfo>>,
    pub host_ports: Vec<HostPort>,
}

impl NodeInfo {
    pub fn from_node(node: &Node) -> NodeInfo {
        let spec = node.spec.clone().unwrap_or_default();
        let status = node.status.clone().unwrap_or_default();
        let mut taints = spec.taints.clone().unwrap_or_default();
        // A node that reports itself not Ready is treated as carrying the not-ready taint
        // even before the node lifecycle controller adds it.
        let ready = status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "Ready")
            .map(|c| c.status.as_str());
        if ready != Some("True")
            && !taints.iter().any(|t| {
                (t.key == "node.kubernetes.io/not-ready"
                    || t.key == "node.kubernetes.io/unreachable")
                    && t.effect == "NoSchedule"
            })
        {
            taints.push(Taint {
                key: if ready == Some("False") {
                    "node.kubernetes.io/not-ready".into()
                } else {
                    "node.kubernetes.io/unreachable".into()
                },
                effect: "NoSchedule".into(),
                ..Taint::default()
            });
        }
        let allocatable = status
            .allocatable
            .as_ref()
            .or(status.capacity.as_ref())
            .map(Resources::from_map)
            .unwrap_or_default();
        NodeInfo {
            name: node.metadata.name.clone().unwrap_or_default(),
            labels: node.metadata.labels.clone().unwrap_or_default(),
            taints,
            unschedulable: spec.unschedulable.unwrap_or(false),
            allocatable,
            ..NodeInfo::default()
        }
    }

    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero);
        self.host_ports.extend(pod.host_ports.iter().cloned());
        self.pods.push(pod);
    }

    /// Removes the pod with `uid`; true if it was here.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(i) = self.pods.iter().position(|p| p.uid == uid) else {
            return false;
        };
        let pod = self.pods.swap_remove(i);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero);
        for port in &pod.host_ports {
            if let Some(j) = self.host_ports.iter().position(|p| p == port) {
                self.host_ports.swap_remove(j);
            }
        }
        true
    }

    /// Whether any pod here carries required anti-affinity terms.
    pub fn has_anti_affinity_pods(&self) -> bool {
        self.pods.iter().any(|p| !p.anti_affinity.is_empty())
    }
}
