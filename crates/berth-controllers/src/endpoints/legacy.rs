//! The v1 Endpoints object of a Service (same name): one subset per port set, ready pods in
//! `addresses`, the others in `notReadyAddresses`, terminating pods left out (unless
//! `publishNotReadyAddresses`), as upstream's Endpoints controller. Deprecated upstream but
//! still what many tools read. Endpoints this controller wrote are labelled so that, once
//! their Service is gone, they are removed too.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Service,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

use super::{Endpoint, Groups};

pub const MANAGED_BY_LABEL: &str = "endpoints.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpoint-controller";

pub struct Reconciler {
    client: kube::Client,
}

fn address(e: &Endpoint, namespace: &str) -> EndpointAddress {
    EndpointAddress {
        ip: e.ip.clone(),
        hostname: e.hostname.clone(),
        node_name: e.node_name.clone(),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some(namespace.into()),
            name: Some(e.pod_name.clone()),
            uid: Some(e.pod_uid.clone()),
            ..ObjectReference::default()
        }),
    }
}

fn subsets(groups: &Groups, namespace: &str) -> Option<Vec<EndpointSubset>> {
    let mut out = Vec::new();
    for (ports, endpoints) in groups {
        let ready: Vec<EndpointAddress> = endpoints
            .iter()
            .filter(|e| e.ready)
            .map(|e| address(e, namespace))
            .collect();
        let not_ready: Vec<EndpointAddress> = endpoints
            .iter()
            .filter(|e| !e.ready && !e.terminating)
            .map(|e| address(e, namespace))
            .collect();
        if ready.is_empty() && not_ready.is_empty() {
            continue;
        }
        out.push(EndpointSubset {
            addresses: (!ready.is_empty()).then_some(ready),
            not_ready_addresses: (!not_ready.is_empty()).then_some(not_ready),
            ports: Some(
                ports
                    .iter()
                    .map(|p| EndpointPort {
                        name: p.name.clone(),
                        port: p.port,
                        protocol: Some(p.protocol.clone()),
                        app_protocol: p.app_protocol.clone(),
                    })
                    .collect(),
            ),
        });
    }
    (!out.is_empty()).then_some(out)
}

impl Reconciler {
    pub fn new(client: kube::Client) -> Reconciler {
        Reconciler { client }
    }

    pub async fn reconcile(
        &self,
        service: &Service,
        groups: &Groups,
        all: &[Arc<Endpoints>],
    ) -> kube::Result<()> {
        let namespace = service.metadata.namespace.clone().unwrap_or_default();
        let name = service.metadata.name.clone().unwrap_or_default();
        let api: Api<Endpoints> = Api::namespaced(self.client.clone(), &namespace);
        let mut labels: BTreeMap<String, String> =
            service.metadata.labels.clone().unwrap_or_default();
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        let wanted = subsets(groups, &namespace);
        let existing = all.iter().find(|e| {
            e.metadata.namespace.as_deref() == Some(namespace.as_str())
                && e.metadata.name.as_deref() == Some(name.as_str())
        });
        match existing {
            Some(current)
                if current.subsets == wanted
                    && current.metadata.labels.as_ref() == Some(&labels) =>
            {
                Ok(())
            }
            Some(current) => {
                let mut updated = (**current).clone();
                updated.subsets = wanted;
                updated.metadata.labels = Some(labels);
                api.replace(&name, &PostParams::default(), &updated).await?;
                Ok(())
            }
            None => {
                let endpoints = Endpoints {
                    metadata: ObjectMeta {
                        name: Some(name),
                        namespace: Some(namespace),
                        labels: Some(labels),
                        ..ObjectMeta::default()
                    },
                    subsets: wanted,
                };
                match api.create(&PostParams::default(), &endpoints).await {
                    Ok(_) => Ok(()),
                    Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Deletes Endpoints this controller wrote whose Service no longer exists.
    pub async fn remove_orphans(
        &self,
        services: &[Arc<Service>],
        all: &[Arc<Endpoints>],
    ) -> kube::Result<()> {
        for endpoints in all {
            let managed = endpoints
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(MANAGED_BY_LABEL))
                .map(String::as_str)
                == Some(MANAGED_BY);
            if !managed {
                continue;
            }
            let (ns, name) = (&endpoints.metadata.namespace, &endpoints.metadata.name);
            let served = services
                .iter()
                .any(|s| &s.metadata.namespace == ns && &s.metadata.name == name);
            if served {
                continue;
            }
            let api: Api<Endpoints> =
                Api::namespaced(self.client.clone(), ns.as_deref().unwrap_or_default());
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: endpoints.metadata.uid.clone(),
                    resource_version: None,
                }),
                ..DeleteParams::default()
            };
            match api
                .delete(name.as_deref().unwrap_or_default(), &params)
                .await
            {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
