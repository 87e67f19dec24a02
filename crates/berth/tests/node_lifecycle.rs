//! End-to-end: node lifecycle with simulated nodes and the real kubectl — cordon, drain
//! (through the eviction API, honouring a PodDisruptionBudget) and uncordon; a node whose
//! agent dies goes NotReady, is tainted, its pods are evicted after their tolerationSeconds
//! and their ReplicaSet's replacements run on the other node; the node comes back Ready when
//! its agent returns.

mod support;

use support::Cluster;

fn create_pods(cluster: &Cluster, names: &[&str], node: &str, labels: &str) {
    let docs: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{{labels}}}}}\nspec: {{nodeSelector: {{kubernetes.io/hostname: {node}}}, containers: [{{name: c, image: registry.invalid/app:1}}]}}\n"
            )
        })
        .collect();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &docs.join("---\n"))
        .ok();
    for name in names {
        cluster.wait_until(&format!("{name} Running"), || {
            (cluster.jsonpath(&["pod", name], "{.status.phase}") == "Running").then_some(())
        });
    }
}

#[test]
fn cordon_drain_and_uncordon_honour_a_disruption_budget() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("d", 2, "", "");
    create_pods(&cluster, &["db-0", "db-1"], "d-0", "app: db");
    cluster
        .kubectl(&[
            "create",
            "pdb",
            "db",
            "--selector=app=db",
            "--min-available=2",
        ])
        .ok();
    cluster.wait_until("the budget's status", || {
        (cluster.jsonpath(&["pdb", "db"], "{.status.currentHealthy}") == "2").then_some(())
    });
    assert_eq!(
        cluster.jsonpath(&["pdb", "db"], "{.status.disruptionsAllowed}"),
        "0"
    );
    // The budget blocks the drain: kubectl retries the 429 until its timeout.
    let blocked = cluster
        .kubectl(&["drain", "d-0", "--force", "--timeout=3s"])
        .failed();
    assert!(
        blocked
            .stderr
            .contains("Cannot evict pod as it would violate the pod's disruption budget"),
        "{}",
        blocked.stderr
    );
    assert_eq!(
        cluster.jsonpath(&["node", "d-0"], "{.spec.unschedulable}"),
        "true",
        "drain cordons first"
    );
    for name in ["db-0", "db-1"] {
        assert!(
            cluster.kubectl(&["get", "pod", name]).status.success(),
            "{name} kept"
        );
    }
    // minAvailable 1: one pod may go, the other must stay.
    cluster
        .kubectl(&[
            "patch",
            "pdb",
            "db",
            "--type=merge",
            "-p",
            r#"{"spec":{"minAvailable":1}}"#,
        ])
        .ok();
    cluster.wait_until("the budget to allow a disruption", || {
        (cluster.jsonpath(&["pdb", "db"], "{.status.disruptionsAllowed}") == "1").then_some(())
    });
    let partial = cluster
        .kubectl(&["drain", "d-0", "--force", "--timeout=4s"])
        .failed();
    assert!(partial.stdout.contains("evicted"), "{}", partial.stdout);
    let left = cluster
        .kubectl(&["get", "pods", "-l", "app=db", "-o", "name"])
        .ok()
        .stdout;
    assert_eq!(left.lines().count(), 1, "one pod stays: {left}");
    // Without the budget the drain completes.
    cluster.kubectl(&["delete", "pdb", "db"]).ok();
    let drained = cluster
        .kubectl(&["drain", "d-0", "--force", "--timeout=60s"])
        .ok();
    assert!(
        drained.stdout.contains("node/d-0 drained"),
        "{}",
        drained.stdout
    );
    for name in ["db-0", "db-1"] {
        assert!(
            !cluster.kubectl(&["get", "pod", name]).status.success(),
            "{name} evicted"
        );
    }
    // New pods avoid the cordoned node until it is uncordoned.
    let nodes = cluster.kubectl(&["get", "nodes"]).ok().stdout;
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    cluster.kubectl(&["uncordon", "d-0"]).ok();
    assert_eq!(
        cluster.jsonpath(&["node", "d-0"], "{.spec.unschedulable}"),
        ""
    );
    create_pods(&cluster, &["after"], "d-0", "app: web");
}

const REPLICA_SET: &str = "apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: registry.invalid/app:1}]}
";

/// A pod of the ReplicaSet: name, node, Ready condition, being deleted.
#[derive(Debug)]
struct WebPod {
    name: String,
    node: String,
    ready: String,
    deleting: bool,
}

fn web_pods(cluster: &Cluster) -> Vec<WebPod> {
    let out = cluster.jsonpath(
        &["pods", "-l", "app=web"],
        r#"{range .items[*]}{.metadata.name}|{.spec.nodeName}|{.status.conditions[?(@.type=="Ready")].status}|{.metadata.deletionTimestamp}{"\n"}{end}"#,
    );
    out.lines()
        .filter_map(|line| {
            let mut fields = line.split('|');
            Some(WebPod {
                name: fields.next()?.trim().to_string(),
                node: fields.next()?.to_string(),
                ready: fields.next()?.to_string(),
                deleting: !fields.next()?.trim().is_empty(),
            })
        })
        .collect()
}

#[test]
fn a_lost_node_goes_not_ready_and_its_pods_come_back_elsewhere() {
    // The grace period must exceed the agents' 10 s Lease renewal interval with room to spare
    // on a loaded machine, as upstream's 50 s does.
    let cluster = Cluster::start_with(&[
        "--disable-agent",
        "--node-monitor-grace-period=20s",
        "--default-not-ready-toleration-seconds=2",
        "--default-unreachable-toleration-seconds=2",
    ]);
    let mut lost = cluster.simulate("lost", 1, "", "");
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], REPLICA_SET)
        .ok();
    cluster.wait_until("two web pods Running on lost-0", || {
        let pods = web_pods(&cluster);
        (pods.len() == 2 && pods.iter().all(|p| p.node == "lost-0" && p.ready == "True"))
            .then_some(())
    });
    let _kept = cluster.simulate("kept", 1, "", "");
    let first = web_pods(&cluster)
        .first()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let tolerations = cluster.jsonpath(
        &["pod", &first],
        "{.spec.tolerations[?(@.key==\"node.kubernetes.io/unreachable\")].tolerationSeconds}",
    );
    assert_eq!(tolerations, "2", "admission adds the configured toleration");
    lost.stop();
    cluster.wait_until("lost-0 to go NotReady (Unknown)", || {
        (cluster.jsonpath(
            &["node", "lost-0"],
            "{.status.conditions[?(@.type==\"Ready\")].status}",
        ) == "Unknown")
            .then_some(())
    });
    let nodes = cluster.kubectl(&["get", "nodes"]).ok().stdout;
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with("lost-0") && l.contains("NotReady")),
        "{nodes}"
    );
    cluster.wait_until("the unreachable taints", || {
        let taints = cluster.jsonpath(&["node", "lost-0"], "{.spec.taints[*].effect}");
        (taints.contains("NoSchedule") && taints.contains("NoExecute")).then_some(())
    });
    let described = cluster.kubectl(&["describe", "node", "lost-0"]).ok().stdout;
    assert!(
        described.contains("node.kubernetes.io/unreachable:NoExecute")
            && described.contains("Kubelet stopped posting node status."),
        "{described}"
    );
    // After their 2 s toleration the pods on lost-0 are evicted (Terminating: nothing on the
    // lost node can confirm they stopped) and not Ready; the ReplicaSet replaces them, and
    // the replacements run on the healthy node.
    cluster.wait_until("two replacements Running on kept-0", || {
        let pods = web_pods(&cluster);
        let replacements = pods
            .iter()
            .filter(|p| p.node == "kept-0" && p.ready == "True" && !p.deleting)
            .count();
        let evicted = pods
            .iter()
            .filter(|p| p.node == "lost-0" && p.ready == "False" && p.deleting)
            .count();
        (replacements == 2 && evicted == 2).then_some(())
    });
    let rs = cluster.jsonpath(&["rs", "web"], "{.status.readyReplicas}");
    assert_eq!(rs, "2");
    // The agent comes back: the node is Ready again, the taints go, and the evicted pods'
    // deletion completes.
    let _back = cluster.simulate("lost", 1, "", "");
    cluster.wait_until("the taints to go", || {
        cluster
            .jsonpath(&["node", "lost-0"], "{.spec.taints}")
            .is_empty()
            .then_some(())
    });
    cluster.wait_until("only the replacements left", || {
        let pods = web_pods(&cluster);
        (pods.len() == 2 && pods.iter().all(|p| p.node == "kept-0")).then_some(())
    });
}
