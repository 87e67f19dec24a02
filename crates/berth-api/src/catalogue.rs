//! The resource catalogue: every resource Berth serves, with the group, version, kind, plural and
//! singular names, scope, short names, categories, verbs and subresources that discovery
//! advertises and URL routing relies on.
//!
//! Invariant: this table is the only place a resource's names are spelled; everything else looks
//! resources up here (by group/version/plural, or by kind).

use std::collections::HashMap;
use std::sync::LazyLock;

/// Whether objects live in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// `group/version`; the core group is the empty string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupVersion {
    pub group: &'static str,
    pub version: &'static str,
}

impl GroupVersion {
    /// `v1` for the core group, `apps/v1` otherwise (the `apiVersion` field's form).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// A subresource such as `pods/status` or `deployments/scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subresource {
    pub name: &'static str,
    /// The group, version and kind of the subresource's own objects.
    pub group: &'static str,
    pub version: &'static str,
    /// Empty: the parent's kind. `Scale`, `Binding`, `Eviction` …
    pub kind: &'static str,
    pub verbs: &'static [&'static str],
}

/// One resource of one group version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub scope: Scope,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    pub subresources: &'static [Subresource],
}

impl ResourceType {
    pub fn group_version(&self) -> GroupVersion {
        GroupVersion {
            group: self.group,
            version: self.version,
        }
    }

    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// `deployments.apps`, or `pods` for the core group: how Kubernetes names a resource in
    /// messages ("deployments.apps \"web\" not found").
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn subresource(&self, name: &str) -> Option<&'static Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// The store key prefix shared by every version of this resource:
    /// `/registry/pods/` or `/registry/apps/deployments/`. `events.k8s.io` Events share the
    /// core Events' storage, as upstream.
    pub fn storage_prefix(&self) -> String {
        if self.group.is_empty() || (self.group == "events.k8s.io" && self.plural == "events") {
            format!("/registry/{}/", self.plural)
        } else {
            format!("/registry/{}/{}/", self.group, self.plural)
        }
    }
}

const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const SUB_RW: &[&str] = &["get", "patch", "update"];
const CREATE: &[&str] = &["create"];
const GET: &[&str] = &["get"];
const ALL: &[&str] = &["all"];

const fn status(group: &'static str, version: &'static str) -> Subresource {
    Subresource {
        name: "status",
        group,
        version,
        kind: "",
        verbs: SUB_RW,
    }
}

const fn scale() -> Subresource {
    Subresource {
        name: "scale",
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
        verbs: SUB_RW,
    }
}

const fn sub(
    name: &'static str,
    kind: &'static str,
    verbs: &'static [&'static str],
) -> Subresource {
    Subresource {
        name,
        group: "",
        version: "v1",
        kind,
        verbs,
    }
}

#[allow(clippy::too_many_arguments)]
const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    scope: Scope,
    short_names: &'static [&'static str],
    categories: &'static [&'static str],
    subresources: &'static [Subresource],
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        singular,
        scope,
        short_names,
        categories,
        verbs: RW,
        subresources,
    }
}

use Scope::{Cluster, Namespaced};

/// Every served resource, grouped by group version in discovery order (within a group, the
/// preferred version first).
pub static CATALOGUE: &[ResourceType] = &[
    // core/v1
    ResourceType {
        verbs: CREATE,
        ..rt(
            "",
            "v1",
            "Binding",
            "bindings",
            "binding",
            Namespaced,
            &[],
            &[],
            &[],
        )
    },
    rt(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        "configmap",
        Namespaced,
        &["cm"],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        "endpoints",
        Namespaced,
        &["ep"],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "Event",
        "events",
        "event",
        Namespaced,
        &["ev"],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        "limitrange",
        Namespaced,
        &["limits"],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        Cluster,
        &["ns"],
        &[],
        &[sub("finalize", "Namespace", &["update"]), status("", "v1")],
    ),
    rt(
        "",
        "v1",
        "Node",
        "nodes",
        "node",
        Cluster,
        &["no"],
        &[],
        &[
            sub(
                "proxy",
                "NodeProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            status("", "v1"),
        ],
    ),
    rt(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        Namespaced,
        &["pvc"],
        &[],
        &[status("", "v1")],
    ),
    rt(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
        Cluster,
        &["pv"],
        &[],
        &[status("", "v1")],
    ),
    rt(
        "",
        "v1",
        "Pod",
        "pods",
        "pod",
        Namespaced,
        &["po"],
        ALL,
        &[
            sub("attach", "PodAttachOptions", &["create", "get"]),
            sub("binding", "Binding", CREATE),
            sub("ephemeralcontainers", "Pod", SUB_RW),
            Subresource {
                name: "eviction",
                group: "policy",
                version: "v1",
                kind: "Eviction",
                verbs: CREATE,
            },
            sub("exec", "PodExecOptions", &["create", "get"]),
            sub("log", "Pod", GET),
            sub("portforward", "PodPortForwardOptions", &["create", "get"]),
            sub(
                "proxy",
                "PodProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            sub("resize", "Pod", SUB_RW),
            status("", "v1"),
        ],
    ),
    rt(
        "",
        "v1",
        "PodTemplate",
        "podtemplates",
        "podtemplate",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        "replicationcontroller",
        Namespaced,
        &["rc"],
        ALL,
        &[scale(), status("", "v1")],
    ),
    rt(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        "resourcequota",
        Namespaced,
        &["quota"],
        &[],
        &[status("", "v1")],
    ),
    rt(
        "",
        "v1",
        "Secret",
        "secrets",
        "secret",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    rt(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        Namespaced,
        &["sa"],
        &[],
        &[Subresource {
            name: "token",
            group: "authentication.k8s.io",
            version: "v1",
            kind: "TokenRequest",
            verbs: CREATE,
        }],
    ),
    rt(
        "",
        "v1",
        "Service",
        "services",
        "service",
        Namespaced,
        &["svc"],
        ALL,
        &[
            sub(
                "proxy",
                "ServiceProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            status("", "v1"),
        ],
    ),
    // apps/v1
    rt(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    rt(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        "daemonset",
        Namespaced,
        &["ds"],
        ALL,
        &[status("apps", "v1")],
    ),
    rt(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        Namespaced,
        &["deploy"],
        ALL,
        &[scale(), status("apps", "v1")],
    ),
    rt(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        Namespaced,
        &["rs"],
        ALL,
        &[scale(), status("apps", "v1")],
    ),
    rt(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        Namespaced,
        &["sts"],
        ALL,
        &[scale(), status("apps", "v1")],
    ),
    // events.k8s.io/v1
    rt(
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        "event",
        Namespaced,
        &["ev"],
        &[],
        &[],
    ),
    // authentication.k8s.io/v1
    ResourceType {
        verbs: CREATE,
        ..rt(
            "authentication.k8s.io",
            "v1",
            "SelfSubjectReview",
            "selfsubjectreviews",
            "selfsubjectreview",
            Cluster,
            &[],
            &[],
            &[],
        )
    },
    // authorization.k8s.io/v1
    ResourceType {
        verbs: CREATE,
        ..rt(
            "authorization.k8s.io",
            "v1",
            "LocalSubjectAccessReview",
            "localsubjectaccessreviews",
            "localsubjectaccessreview",
            Namespaced,
            &[],
            &[],
            &[],
        )
    },
    ResourceType {
        verbs: CREATE,
        ..rt(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            "selfsubjectaccessreview",
            Cluster,
            &[],
            &[],
            &[],
        )
    },
    ResourceType {
        verbs: CREATE,
        ..rt(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectRulesReview",
            "selfsubjectrulesreviews",
            "selfsubjectrulesreview",
            Cluster,
            &[],
            &[],
            &[],
        )
    },
    ResourceType {
        verbs: CREATE,
        ..rt(
            "authorization.k8s.io",
            "v1",
            "SubjectAccessReview",
            "subjectaccessreviews",
            "subjectaccessreview",
            Cluster,
            &[],
            &[],
            &[],
        )
    },
    // autoscaling: v2 preferred
    rt(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        Namespaced,
        &["hpa"],
        ALL,
        &[status("autoscaling", "v2")],
    ),
    rt(
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        Namespaced,
        &["hpa"],
        ALL,
        &[status("autoscaling", "v1")],
    ),
    // batch/v1
    rt(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        "cronjob",
        Namespaced,
        &["cj"],
        ALL,
        &[status("batch", "v1")],
    ),
    rt(
        "batch",
        "v1",
        "Job",
        "jobs",
        "job",
        Namespaced,
        &[],
        ALL,
        &[status("batch", "v1")],
    ),
    // networking.k8s.io/v1
    rt(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        "ingressclass",
        Cluster,
        &[],
        &[],
        &[],
    ),
    rt(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        "ingress",
        Namespaced,
        &["ing"],
        &[],
        &[status("networking.k8s.io", "v1")],
    ),
    rt(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        Namespaced,
        &["netpol"],
        &[],
        &[],
    ),
    // policy/v1
    rt(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        Namespaced,
        &["pdb"],
        &[],
        &[status("policy", "v1")],
    ),
    // rbac.authorization.k8s.io/v1
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        Cluster,
        &[],
        &[],
        &[],
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        "clusterrole",
        Cluster,
        &[],
        &[],
        &[],
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        "rolebinding",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        "role",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    // storage.k8s.io/v1
    rt(
        "storage.k8s.io",
        "v1",
        "CSIDriver",
        "csidrivers",
        "csidriver",
        Cluster,
        &[],
        &[],
        &[],
    ),
    rt(
        "storage.k8s.io",
        "v1",
        "CSINode",
        "csinodes",
        "csinode",
        Cluster,
        &[],
        &[],
        &[],
    ),
    rt(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        "storageclass",
        Cluster,
        &["sc"],
        &[],
        &[],
    ),
    rt(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        "volumeattachment",
        Cluster,
        &[],
        &[],
        &[status("storage.k8s.io", "v1")],
    ),
    // scheduling.k8s.io/v1
    rt(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        "priorityclass",
        Cluster,
        &["pc"],
        &[],
        &[],
    ),
    // coordination.k8s.io/v1
    rt(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        "lease",
        Namespaced,
        &[],
        &[],
        &[],
    ),
    // discovery.k8s.io/v1
    rt(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        Namespaced,
        &[],
        &[],
        &[],
    ),
];

/// The catalogue's resources by plural and by kind (each name has a few versions at most):
/// every request looks its resource up, and a scan of the whole catalogue per lookup showed
/// in profiles.
struct Index {
    by_plural: HashMap<&'static str, Vec<&'static ResourceType>>,
    by_kind: HashMap<&'static str, Vec<&'static ResourceType>>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut index = Index {
        by_plural: HashMap::new(),
        by_kind: HashMap::new(),
    };
    for r in CATALOGUE {
        index.by_plural.entry(r.plural).or_default().push(r);
        index.by_kind.entry(r.kind).or_default().push(r);
    }
    index
});

/// The resource served at `group/version/plural`.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    INDEX
        .by_plural
        .get(plural)?
        .iter()
        .find(|r| r.group == group && r.version == version)
        .copied()
}

/// The first (preferred) version of `group`'s resource `plural`.
pub fn preferred(group: &str, plural: &str) -> Option<&'static ResourceType> {
    INDEX
        .by_plural
        .get(plural)?
        .iter()
        .find(|r| r.group == group)
        .copied()
}

/// The resource whose objects have this `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    INDEX
        .by_kind
        .get(kind)?
        .iter()
        .find(|r| r.group == group && r.version == version)
        .copied()
}

/// Group names in discovery order (the core group first), each with its versions, preferred
/// first.
pub fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in CATALOGUE {
        match groups.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) => {
                if !versions.contains(&r.version) {
                    versions.push(r.version);
                }
            }
            None => groups.push((r.group, vec![r.version])),
        }
    }
    groups
}

/// The resources of one group version, in catalogue order.
pub fn resources_of(group: &str, version: &str) -> impl Iterator<Item = &'static ResourceType> {
    let (group, version) = (group.to_string(), version.to_string());
    CATALOGUE
        .iter()
        .filter(move |r| r.group == group && r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resource_is_unique_and_well_formed() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            assert!(!a.plural.is_empty() && a.plural.chars().all(|c| c.is_ascii_lowercase()));
            assert!(
                a.kind.starts_with(|c: char| c.is_ascii_uppercase()),
                "{}",
                a.kind
            );
            for b in &CATALOGUE[i + 1..] {
                assert!(
                    !(a.group == b.group && a.version == b.version && a.plural == b.plural),
                    "{}/{}/{} twice",
                    a.group,
                    a.version,
                    a.plural
                );
            }
        }
    }

    #[test]
    fn lookups_find_what_kubectl_asks_for() {
        let deploy = lookup("apps", "v1", "deployments").expect("deployments");
        assert_eq!(deploy.kind, "Deployment");
        assert_eq!(deploy.short_names, &["deploy"]);
        assert_eq!(deploy.qualified_plural(), "deployments.apps");
        assert_eq!(deploy.subresource("scale").map(|s| s.kind), Some("Scale"));
        assert_eq!(deploy.storage_prefix(), "/registry/apps/deployments/");
        assert_eq!(by_kind("v1", "Pod").map(|r| r.plural), Some("pods"));
        assert_eq!(
            lookup("", "v1", "pods")
                .map(|r| r.storage_prefix())
                .as_deref(),
            Some("/registry/pods/")
        );
        assert!(lookup("apps", "v1", "pods").is_none());
        let autoscaling = groups().into_iter().find(|(g, _)| *g == "autoscaling");
        assert_eq!(autoscaling, Some(("autoscaling", vec!["v2", "v1"])));
        assert_eq!(groups()[0].0, "");
    }
}
