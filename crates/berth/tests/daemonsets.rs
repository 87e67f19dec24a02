//! End-to-end: DaemonSets with the real kubectl on simulated nodes — one pod per node as
//! nodes join and leave, node selectors and taints, a rolling update with `rollout status`,
//! `rollout history` and `rollout undo`.

mod support;

use std::collections::BTreeMap;

use support::Cluster;

const DAEMONSET: &str = "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: registry.invalid/agent:1}]}
";

/// Node → image of the running pods labelled app=`app` (not being deleted).
fn placement(cluster: &Cluster, app: &str) -> BTreeMap<String, String> {
    let out = cluster.jsonpath(
        &["pods", "-l", &format!("app={app}")],
        r#"{range .items[*]}{.spec.nodeName}|{.spec.containers[0].image}|{.status.phase}|{.metadata.deletionTimestamp}{"\n"}{end}"#,
    );
    let mut map = BTreeMap::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split('|').collect();
        if let [node, image, "Running", ""] = parts.as_slice() {
            map.insert(node.to_string(), image.to_string());
        }
    }
    map
}

fn wait_for_placement(cluster: &Cluster, app: &str, want: &[(&str, &str)]) {
    let want: BTreeMap<String, String> = want
        .iter()
        .map(|(n, i)| (n.to_string(), i.to_string()))
        .collect();
    cluster.wait_until(&format!("{app} pods on {want:?}"), || {
        let total = cluster
            .jsonpath(
                &["pods", "-l", &format!("app={app}")],
                "{.items[*].metadata.name}",
            )
            .split_whitespace()
            .count();
        (placement(cluster, app) == want && total == want.len()).then_some(())
    });
}

#[test]
fn daemonsets_follow_nodes_selectors_taints_and_roll_out() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("dsn", 2, "", "");
    cluster.kubectl_stdin(&["apply", "-f", "-"], DAEMONSET).ok();
    let v1 = "registry.invalid/agent:1";
    wait_for_placement(&cluster, "agent", &[("dsn-0", v1), ("dsn-1", v1)]);
    cluster
        .kubectl(&["rollout", "status", "ds/agent", "--timeout=60s"])
        .ok();

    // A node joins: it gets a pod. It leaves (deleted): its pod goes.
    let mut extra = cluster.simulate("dsx", 1, "", "");
    wait_for_placement(
        &cluster,
        "agent",
        &[("dsn-0", v1), ("dsn-1", v1), ("dsx-0", v1)],
    );
    extra.stop();
    cluster.kubectl(&["delete", "node", "dsx-0"]).ok();
    wait_for_placement(&cluster, "agent", &[("dsn-0", v1), ("dsn-1", v1)]);
    assert_eq!(
        cluster.jsonpath(
            &["ds", "agent"],
            "{.status.desiredNumberScheduled}/{.status.numberReady}"
        ),
        "2/2"
    );

    // A node selector: pods only where the label is, following it.
    let picky = DAEMONSET.replace("agent", "edge").replace(
        "spec: {containers:",
        "spec: {nodeSelector: {role: edge}, containers:",
    );
    cluster.kubectl_stdin(&["apply", "-f", "-"], &picky).ok();
    cluster
        .kubectl(&["label", "node", "dsn-1", "role=edge"])
        .ok();
    wait_for_placement(&cluster, "edge", &[("dsn-1", "registry.invalid/edge:1")]);
    cluster.kubectl(&["label", "node", "dsn-1", "role-"]).ok();
    wait_for_placement(&cluster, "edge", &[]);

    // A NoExecute taint the pods don't tolerate removes them; a NoSchedule one lets the
    // running pod stay.
    cluster
        .kubectl(&["taint", "node", "dsn-0", "dedicated=db:NoSchedule"])
        .ok();
    cluster
        .kubectl(&["taint", "node", "dsn-1", "dedicated=db:NoExecute"])
        .ok();
    wait_for_placement(&cluster, "agent", &[("dsn-0", v1)]);
    assert_eq!(
        cluster.jsonpath(&["ds", "agent"], "{.status.desiredNumberScheduled}"),
        "0"
    );
    for node in ["dsn-0", "dsn-1"] {
        cluster.kubectl(&["taint", "node", node, "dedicated-"]).ok();
    }
    wait_for_placement(&cluster, "agent", &[("dsn-0", v1), ("dsn-1", v1)]);

    // Rolling update, history and undo.
    let v2 = "registry.invalid/agent:2";
    cluster
        .kubectl(&["set", "image", "ds/agent", &format!("c={v2}")])
        .ok();
    cluster
        .kubectl(&["rollout", "status", "ds/agent", "--timeout=60s"])
        .ok();
    wait_for_placement(&cluster, "agent", &[("dsn-0", v2), ("dsn-1", v2)]);
    let history = cluster
        .kubectl(&["rollout", "history", "ds/agent"])
        .ok()
        .stdout;
    let revisions: Vec<&str> = history
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<u32>().is_ok())
        .collect();
    assert_eq!(revisions, vec!["1", "2"], "{history}");
    cluster.kubectl(&["rollout", "undo", "ds/agent"]).ok();
    wait_for_placement(&cluster, "agent", &[("dsn-0", v1), ("dsn-1", v1)]);
    cluster.wait_until("revision 1 renumbered 3", || {
        let history = cluster
            .kubectl(&["rollout", "history", "ds/agent"])
            .ok()
            .stdout;
        let revisions: Vec<String> = history
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| w.parse::<u32>().is_ok())
            .map(str::to_string)
            .collect();
        (revisions == vec!["2", "3"]).then_some(())
    });

    // Deleting the DaemonSet removes its pods and its history.
    cluster.kubectl(&["delete", "ds", "agent"]).ok();
    wait_for_placement(&cluster, "agent", &[]);
    cluster.wait_until("its ControllerRevisions collected", || {
        cluster
            .jsonpath(
                &["controllerrevisions", "-l", "app=agent"],
                "{.items[*].metadata.name}",
            )
            .is_empty()
            .then_some(())
    });
}
