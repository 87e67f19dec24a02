//! EndpointSlices of a Service: one or more per port set and address family, at most 100
//! endpoints each, named `<service>-<random>`, labelled `kubernetes.io/service-name` and
//! `endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io`, owned by the
//! Service (so they go with it). Existing slices are reused where they fit, to keep churn
//! (and watchers' work) low: an unchanged slice is not written.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Service};
use k8s_openapi::api::discovery::v1::{
    Endpoint as SliceEndpoint, EndpointConditions, EndpointPort, EndpointSlice,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};

use super::{Endpoint, Groups, Port};
use crate::ownership::{controlled_by, controller_reference};

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";
const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";
const MAX_ENDPOINTS: usize = 100;

pub struct Reconciler {
    client: kube::Client,
}

/// What a slice should hold.
#[derive(Debug, Clone, PartialEq)]
struct Desired {
    address_type: String,
    ports: Vec<EndpointPort>,
    endpoints: Vec<SliceEndpoint>,
}

fn slice_port(p: &Port) -> EndpointPort {
    EndpointPort {
        name: p.name.clone(),
        port: Some(p.port),
        protocol: Some(p.protocol.clone()),
        app_protocol: p.app_protocol.clone(),
    }
}

fn slice_endpoint(e: &Endpoint, namespace: &str) -> SliceEndpoint {
    SliceEndpoint {
        addresses: vec![e.ip.clone()],
        conditions: Some(EndpointConditions {
            ready: Some(e.ready),
            serving: Some(e.serving),
            terminating: Some(e.terminating),
        }),
        hostname: e.hostname.clone(),
        node_name: e.node_name.clone(),
        zone: e.zone.clone(),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some(namespace.into()),
            name: Some(e.pod_name.clone()),
            uid: Some(e.pod_uid.clone()),
            ..ObjectReference::default()
        }),
        deprecated_topology: None,
        hints: None,
    }
}

fn desired(groups: &Groups, namespace: &str) -> Vec<Desired> {
    let mut out = Vec::new();
    for (ports, endpoints) in groups {
        for family in ["IPv4", "IPv6"] {
            let of_family: Vec<&Endpoint> = endpoints
                .iter()
                .filter(|e| e.ip.contains(':') == (family == "IPv6"))
                .collect();
            for chunk in of_family.chunks(MAX_ENDPOINTS) {
                out.push(Desired {
                    address_type: family.into(),
                    ports: ports.iter().map(slice_port).collect(),
                    endpoints: chunk.iter().map(|e| slice_endpoint(e, namespace)).collect(),
                });
            }
        }
    }
    // A Service selecting nothing still has one (empty) slice, as upstream.
    if out.is_empty() {
        let ports = groups.keys().next().cloned().unwrap_or_default();
        out.push(Desired {
            address_type: "IPv4".into(),
            ports: ports.iter().map(slice_port).collect(),
            endpoints: Vec::new(),
        });
    }
    out
}

fn labels_for(service: &Service) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = service
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != SERVICE_NAME_LABEL && k != MANAGED_BY_LABEL && k != HEADLESS_LABEL)
        .collect();
    labels.insert(
        SERVICE_NAME_LABEL.into(),
        service.metadata.name.clone().unwrap_or_default(),
    );
    labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
    let headless = service.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None");
    if headless {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    }
    labels
}

fn holds(slice: &EndpointSlice, want: &Desired, labels: &BTreeMap<String, String>) -> bool {
    slice.address_type == want.address_type
        && slice.ports.clone().unwrap_or_default() == want.ports
        && slice.endpoints == want.endpoints
        && slice.metadata.labels.as_ref() == Some(labels)
}

impl Reconciler {
    pub fn new(client: kube::Client) -> Reconciler {
        Reconciler { client }
    }

    pub async fn reconcile(
        &self,
        service: &Service,
        groups: &Groups,
        all: &[Arc<EndpointSlice>],
    ) -> kube::Result<()> {
        let namespace = service.metadata.namespace.clone().unwrap_or_default();
        let name = service.metadata.name.clone().unwrap_or_default();
        let uid = service.metadata.uid.clone().unwrap_or_default();
        let api: Api<EndpointSlice> = Api::namespaced(self.client.clone(), &namespace);
        let mine: Vec<&EndpointSlice> = all
            .iter()
            .map(|s| s.as_ref())
            .filter(|s| s.metadata.namespace.as_deref() == Some(namespace.as_str()))
            .filter(|s| {
                let labels = s.metadata.labels.clone().unwrap_or_default();
                labels.get(SERVICE_NAME_LABEL) == Some(&name)
                    && labels.get(MANAGED_BY_LABEL).map(String::as_str) == Some(MANAGED_BY)
            })
            .collect();
        let labels = labels_for(service);
        let wanted = desired(groups, &namespace);
        let mut unused: Vec<&EndpointSlice> = Vec::new();
        for slice in &mine {
            // A slice left by an earlier Service of that name goes.
            if !controlled_by(&slice.metadata, &uid) {
                delete(&api, slice).await?;
            } else {
                unused.push(slice);
            }
        }
        let mut pending: Vec<&Desired> = Vec::new();
        // Exact matches stay untouched.
        for want in &wanted {
            match unused.iter().position(|s| holds(s, want, &labels)) {
                Some(i) => {
                    unused.remove(i);
                }
                None => pending.push(want),
            }
        }
        for want in pending {
            let reuse = unused
                .iter()
                .position(|s| s.address_type == want.address_type)
                .map(|i| unused.remove(i));
            let slice = EndpointSlice {
                metadata: ObjectMeta {
                    generate_name: Some(format!("{name}-")),
                    namespace: Some(namespace.clone()),
                    labels: Some(labels.clone()),
                    owner_references: Some(vec![controller_reference(service)]),
                    ..ObjectMeta::default()
                },
                address_type: want.address_type.clone(),
                endpoints: want.endpoints.clone(),
                ports: Some(want.ports.clone()),
            };
            match reuse {
                Some(existing) => {
                    let mut updated = slice;
                    updated.metadata = ObjectMeta {
                        labels: Some(labels.clone()),
                        ..existing.metadata.clone()
                    };
                    api.replace(
                        existing.metadata.name.as_deref().unwrap_or_default(),
                        &PostParams::default(),
                        &updated,
                    )
                    .await?;
                }
                None => {
                    api.create(&PostParams::default(), &slice).await?;
                }
            }
        }
        for slice in unused {
            delete(&api, slice).await?;
        }
        Ok(())
    }
}

async fn delete(api: &Api<EndpointSlice>, slice: &EndpointSlice) -> kube::Result<()> {
    match api
        .delete(
            slice.metadata.name.as_deref().unwrap_or_default(),
            &DeleteParams::default(),
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}
