//! Namespace lifecycle: a namespace being deleted (`Terminating`, with the `kubernetes`
//! finalizer in `spec.finalizers`) has everything in it deleted — every namespaced resource of
//! the API, as upstream's namespace controller does — and once nothing is left the finalizer
//! is removed through `/finalize`, which lets the namespace go. Progress is reported in the
//! `NamespaceContentRemaining` condition.
//!
//! Also: every active namespace has a `default` ServiceAccount (upstream's serviceaccounts
//! controller).

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams,
};
use serde_json::json;

use crate::informer::{Informers, Kind};

/// The finalizer the API server puts in every namespace's `spec.finalizers`.
pub const FINALIZER: &str = "kubernetes";

/// Every namespaced resource that can be listed and deleted, in its group's preferred version.
fn namespaced_resources() -> Vec<ApiResource> {
    let mut out = Vec::new();
    for (group, versions) in berth_api::catalogue::groups() {
        let Some(version) = versions.first() else {
            continue;
        };
        for rt in berth_api::catalogue::resources_of(group, version) {
            let deletable = rt.verbs.contains(&"deletecollection") && rt.verbs.contains(&"list");
            // events.k8s.io Events are the core Events, stored once.
            let duplicate = rt.group == "events.k8s.io";
            if rt.namespaced() && deletable && !duplicate {
                out.push(ApiResource::from_gvk_with_plural(
                    &GroupVersionKind::gvk(rt.group, rt.version, rt.kind),
                    rt.plural,
                ));
            }
        }
    }
    out
}

/// Deletes what is left in `namespace`; returns how many objects remain (per resource).
async fn empty(
    client: &kube::Client,
    namespace: &str,
    resources: &[ApiResource],
) -> Vec<(String, usize)> {
    let mut remaining = Vec::new();
    for resource in resources {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, resource);
        let left = match api.list_metadata(&ListParams::default()).await {
            Ok(list) => list.items,
            Err(e) => {
                tracing::debug!(namespace, resource = resource.plural, error = %e, "listing");
                continue;
            }
        };
        if left.is_empty() {
            continue;
        }
        let alive = left
            .iter()
            .filter(|o| o.metadata.deletion_timestamp.is_none())
            .count();
        if alive > 0
            && let Err(e) = api
                .delete_collection(&DeleteParams::background(), &ListParams::default())
                .await
        {
            tracing::debug!(namespace, resource = resource.plural, error = %e, "deleting");
        }
        remaining.push((resource.plural.clone(), left.len()));
    }
    remaining
}

async fn finalize(client: &kube::Client, namespace: &Namespace) {
    let name = namespace.metadata.name.clone().unwrap_or_default();
    let mut next = namespace.clone();
    if let Some(spec) = next.spec.as_mut() {
        spec.finalizers = Some(
            spec.finalizers
                .iter()
                .flatten()
                .filter(|f| *f != FINALIZER)
                .cloned()
                .collect(),
        );
    }
    let api: Api<Namespace> = Api::all(client.clone());
    match api
        .replace_subresource("finalize", &name, &PostParams::default(), &next)
        .await
    {
        Ok(_) => tracing::info!(namespace = name, "namespace emptied and finalized"),
        Err(e) => tracing::debug!(namespace = name, error = %e, "finalizing; will retry"),
    }
}

async fn report(client: &kube::Client, namespace: &str, remaining: &[(String, usize)]) {
    let message = remaining
        .iter()
        .map(|(plural, n)| format!("{plural} has {n} resource instances"))
        .collect::<Vec<_>>()
        .join(", ");
    let patch = json!({"status": {"conditions": [{
        "type": "NamespaceContentRemaining",
        "status": "True",
        "reason": "SomeResourcesRemain",
        "message": format!("Some resources are remaining: {message}"),
        "lastTransitionTime": jiff::Timestamp::now().round(jiff::Unit::Second).unwrap_or_else(|_| jiff::Timestamp::now()).to_string(),
    }]}});
    let api: Api<Namespace> = Api::all(client.clone());
    if let Err(e) = api
        .patch_status(namespace, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        tracing::debug!(namespace, error = %e, "reporting remaining content");
    }
}

async fn ensure_default_service_account(client: &kube::Client, namespace: &str) {
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    if matches!(api.get_opt("default").await, Ok(Some(_))) {
        return;
    }
    let account = ServiceAccount {
        metadata: ObjectMeta {
            name: Some("default".into()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        ..ServiceAccount::default()
    };
    match api.create(&PostParams::default(), &account).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 || e.code == 403 => {}
        Err(e) => tracing::debug!(namespace, error = %e, "creating the default ServiceAccount"),
    }
}

pub async fn run(client: kube::Client, informers: Informers) {
    let wake = informers.subscribe(&[Kind::Namespaces]);
    informers.ready().await;
    let resources = namespaced_resources();
    // Namespaces whose default ServiceAccount exists (checked once per namespace uid).
    let mut accounted: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let mut terminating = false;
        for namespace in informers.namespaces.state() {
            let name = namespace.metadata.name.clone().unwrap_or_default();
            let uid = namespace.metadata.uid.clone().unwrap_or_default();
            if namespace.metadata.deletion_timestamp.is_none() {
                if accounted.insert(uid) {
                    ensure_default_service_account(&client, &name).await;
                }
                continue;
            }
            let ours = namespace
                .spec
                .as_ref()
                .and_then(|s| s.finalizers.as_ref())
                .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
            if !ours {
                continue;
            }
            terminating = true;
            let remaining = empty(&client, &name, &resources).await;
            if remaining.is_empty() {
                finalize(&client, &namespace).await;
            } else {
                report(&client, &name, &remaining).await;
            }
        }
        // Deletions inside a namespace are not watched here: look again soon while one is
        // terminating.
        let wait = if terminating {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(3600)
        };
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespaced_kind_is_emptied_once() {
        let resources = namespaced_resources();
        let plurals: Vec<&str> = resources.iter().map(|r| r.plural.as_str()).collect();
        for expected in [
            "pods",
            "configmaps",
            "secrets",
            "services",
            "deployments",
            "replicasets",
            "events",
        ] {
            assert!(
                plurals.contains(&expected),
                "{expected} missing from {plurals:?}"
            );
        }
        assert!(
            !plurals.contains(&"nodes"),
            "cluster-scoped kinds are not namespace content"
        );
        assert_eq!(plurals.iter().filter(|p| **p == "events").count(), 1);
    }
}
