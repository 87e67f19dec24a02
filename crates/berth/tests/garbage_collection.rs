//! End-to-end: a ReplicaSet's pods and `kubectl delete --cascade=background|foreground|orphan`,
//! with the garbage collector and the ReplicaSet controller (adoption of orphans) on simulated
//! nodes.

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

#[test]
fn dependents_of_an_owner_of_an_unwatched_kind_go_with_it() {
    // The collector follows no ConfigMaps: their deletion reaches it only by looking again
    // (every 30 s), as upstream's collector would see it through its metadata informers.
    let cluster = Cluster::start_with(&["--disable-agent"]);
    cluster
        .kubectl(&["create", "configmap", "anchor", "--from-literal=k=v"])
        .ok();
    let uid = cluster.jsonpath(&["configmap", "anchor"], "{.metadata.uid}");
    assert!(!uid.trim().is_empty());
    let service = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: tied\n  ownerReferences:\n  - {{apiVersion: v1, kind: ConfigMap, name: anchor, uid: {}}}\nspec:\n  ports: [{{port: 80}}]\n",
        uid.trim()
    );
    cluster.kubectl_stdin(&["apply", "-f", "-"], &service).ok();
    // While the owner exists the dependent stays (the collector has read the owner).
    cluster.wait_until("the service", || {
        cluster
            .kubectl(&["get", "service", "tied"])
            .status
            .success()
            .then_some(())
    });
    cluster.kubectl(&["delete", "configmap", "anchor"]).ok();
    cluster.wait_until_within(
        std::time::Duration::from_secs(90),
        "the service collected after its ConfigMap owner went",
        || {
            (!cluster
                .kubectl(&["get", "service", "tied"])
                .status
                .success())
            .then_some(())
        },
    );
}
