//! End-to-end: a ReplicaSet's pods and `kubectl delete --cascade=background|foreground|orphan`,
//! with the garbage collector and the ReplicaSet controller (adoption of orphans) on simulated
//! nodes; owners and dependents of kinds without a controller (ConfigMaps, Secrets, Nodes).

mod support;

use support::Cluster;

fn replica_set(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: {name}}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: registry.invalid/app:1}}]}}\n"
    )
}

/// `name owner-kinds` of the pods labelled app=`app`, sorted.
fn pods(cluster: &Cluster, app: &str) -> Vec<(String, String)> {
    let out = cluster.jsonpath(
        &["pods", "-l", &format!("app={app}")],
        r#"{range .items[*]}{.metadata.name}|{.metadata.ownerReferences[*].kind}{"\n"}{end}"#,
    );
    let mut list: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.split_once('|'))
        .map(|(n, o)| (n.trim().to_string(), o.trim().to_string()))
        .collect();
    list.sort();
    list
}

#[test]
fn deleting_a_replica_set_cascades_orphans_or_waits_as_asked() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("g", 1, "", "");
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &replica_set("web"))
        .ok();
    let first = cluster.wait_until("two owned pods", || {
        let list = pods(&cluster, "web");
        (list.len() == 2 && list.iter().all(|(_, o)| o == "ReplicaSet")).then_some(list)
    });
    // Orphan: the ReplicaSet goes, its pods stay without the reference.
    cluster
        .kubectl(&["delete", "rs", "web", "--cascade=orphan"])
        .ok();
    cluster.wait_until("the pods orphaned and the ReplicaSet gone", || {
        let list = pods(&cluster, "web");
        let orphaned = list.len() == 2 && list.iter().all(|(_, o)| o.is_empty());
        (orphaned && !cluster.kubectl(&["get", "rs", "web"]).status.success()).then_some(())
    });
    // A new ReplicaSet with the same selector adopts them instead of creating more.
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &replica_set("web"))
        .ok();
    cluster.wait_until("the same pods adopted", || {
        let list = pods(&cluster, "web");
        let names: Vec<&String> = list.iter().map(|(n, _)| n).collect();
        let before: Vec<&String> = first.iter().map(|(n, _)| n).collect();
        (names == before && list.iter().all(|(_, o)| o == "ReplicaSet")).then_some(())
    });
    // Background (kubectl's default): the ReplicaSet goes at once, the collector removes
    // the pods.
    cluster.kubectl(&["delete", "rs", "web"]).ok();
    cluster.wait_until("the pods collected", || {
        pods(&cluster, "web").is_empty().then_some(())
    });
    // Foreground: the ReplicaSet stays until its pods are gone (kubectl waits for it).
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &replica_set("api"))
        .ok();
    cluster.wait_until("two api pods", || {
        (pods(&cluster, "api").len() == 2).then_some(())
    });
    cluster
        .kubectl(&[
            "delete",
            "rs",
            "api",
            "--cascade=foreground",
            "--timeout=60s",
        ])
        .ok();
    assert!(pods(&cluster, "api").is_empty(), "dependents went first");
    assert!(!cluster.kubectl(&["get", "rs", "api"]).status.success());
}

/// A `kind` named `name` owned by the ConfigMap, Deployment or Node `owner` (`owner_kind`).
fn owned(kind: &str, name: &str, owner_kind: &str, owner: &str, uid: &str, blocks: bool) -> String {
    let api_version = if owner_kind == "Deployment" {
        "apps/v1"
    } else {
        "v1"
    };
    let body = match kind {
        "Service" => "spec:\n  ports: [{port: 80}]\n",
        _ => "data: {k: djE=}\n",
    };
    format!(
        "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  ownerReferences:\n  - {{apiVersion: {api_version}, kind: {owner_kind}, name: {owner}, uid: {uid}, blockOwnerDeletion: {blocks}}}\n{body}"
    )
}

fn uid(cluster: &Cluster, what: &[&str]) -> String {
    let uid = cluster.jsonpath(what, "{.metadata.uid}").trim().to_string();
    assert!(!uid.is_empty(), "{what:?} has a uid");
    uid
}

fn apply(cluster: &Cluster, yaml: &str) {
    cluster.kubectl_stdin(&["apply", "-f", "-"], yaml).ok();
}

fn exists(cluster: &Cluster, kind: &str, name: &str) -> bool {
    cluster.kubectl(&["get", kind, name]).status.success()
}

#[test]
fn owners_and_dependents_of_any_kind_are_collected() {
    // ConfigMaps, Secrets and Nodes have no controller in Berth: the collector follows them
    // by their metadata, as upstream's does every kind.
    let cluster = Cluster::start_with(&["--disable-agent"]);

    // Foreground on a ConfigMap: its dependents go first, then the ConfigMap (kubectl waits);
    // one that another owner keeps only loses its reference.
    cluster
        .kubectl(&["create", "configmap", "anchor", "--from-literal=k=v"])
        .ok();
    cluster
        .kubectl(&["create", "configmap", "other", "--from-literal=k=v"])
        .ok();
    let anchor = uid(&cluster, &["configmap", "anchor"]);
    let other = uid(&cluster, &["configmap", "other"]);
    let shared = owned("Secret", "shared", "ConfigMap", "anchor", &anchor, true).replace(
        "\ndata:",
        &format!("\n  - {{apiVersion: v1, kind: ConfigMap, name: other, uid: {other}}}\ndata:"),
    );
    let dependents = owned("Secret", "tied", "ConfigMap", "anchor", &anchor, true)
        + "---\n"
        + &owned("Service", "tied", "ConfigMap", "anchor", &anchor, false)
        + "---\n"
        + &shared;
    apply(&cluster, &dependents);
    cluster
        .kubectl(&[
            "delete",
            "configmap",
            "anchor",
            "--cascade=foreground",
            "--timeout=60s",
        ])
        .ok();
    assert!(!exists(&cluster, "configmap", "anchor"));
    assert!(
        !exists(&cluster, "secret", "tied"),
        "the blocking dependent went first"
    );
    let kept = cluster.jsonpath(&["secret", "shared"], "{.metadata.ownerReferences[*].name}");
    assert_eq!(
        kept.trim(),
        "other",
        "the shared secret stays with its other owner"
    );
    cluster.wait_until("the service collected", || {
        (!exists(&cluster, "service", "tied")).then_some(())
    });

    // Orphan on a ConfigMap: its dependent stays, without the reference.
    cluster
        .kubectl(&["create", "configmap", "keep", "--from-literal=k=v"])
        .ok();
    let keep = uid(&cluster, &["configmap", "keep"]);
    apply(
        &cluster,
        &owned("Secret", "kept", "ConfigMap", "keep", &keep, true),
    );
    cluster
        .kubectl(&[
            "delete",
            "configmap",
            "keep",
            "--cascade=orphan",
            "--timeout=60s",
        ])
        .ok();
    assert!(!exists(&cluster, "configmap", "keep"));
    let owners = cluster.jsonpath(&["secret", "kept"], "{.metadata.ownerReferences}");
    assert_eq!(owners.trim(), "", "the secret stays, orphaned");

    // Background (kubectl's default): a Secret owned by a Deployment, and a ConfigMap owned
    // by a Node (a cluster-scoped owner), go soon after their owners.
    cluster
        .kubectl(&[
            "create",
            "deployment",
            "web",
            "--image=registry.invalid/app:1",
            "--replicas=0",
        ])
        .ok();
    let web = uid(&cluster, &["deployment", "web"]);
    apply(
        &cluster,
        &owned("Secret", "web-config", "Deployment", "web", &web, false),
    );
    apply(
        &cluster,
        "apiVersion: v1\nkind: Node\nmetadata: {name: gc-node}\n",
    );
    let node = uid(&cluster, &["node", "gc-node"]);
    apply(
        &cluster,
        &owned("ConfigMap", "node-config", "Node", "gc-node", &node, false),
    );
    // While the owners exist the dependents stay.
    cluster.kubectl(&["get", "secret", "web-config"]).ok();
    cluster.kubectl(&["get", "configmap", "node-config"]).ok();
    cluster.kubectl(&["delete", "deployment", "web"]).ok();
    cluster.kubectl(&["delete", "node", "gc-node"]).ok();
    cluster.wait_until("the dependents collected", || {
        (!exists(&cluster, "secret", "web-config") && !exists(&cluster, "configmap", "node-config"))
            .then_some(())
    });
}
