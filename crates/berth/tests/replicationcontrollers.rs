//! End-to-end: a ReplicationController with the real kubectl on simulated nodes — it keeps
//! its replicas (replacing a deleted pod), scales with `kubectl scale`, adopts a matching
//! orphan, and its deletion cascades to its pods.

mod support;

use support::Cluster;

const RC: &str = "apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 3
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: registry.invalid/legacy:1}]}
";

/// Running pods of the controller that are not being deleted.
fn running(cluster: &Cluster) -> Vec<String> {
    cluster
        .jsonpath(
            &[
                "pods",
                "-l",
                "app=legacy",
                "--field-selector=status.phase=Running",
            ],
            "{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{\"\\n\"}{end}",
        )
        .lines()
        .filter_map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [name] => Some(name.to_string()),
                _ => None,
            },
        )
        .collect()
}

fn wait_ready(cluster: &Cluster, replicas: usize) {
    cluster.wait_until(&format!("{replicas} ready replicas"), || {
        let ready = cluster.jsonpath(&["rc", "legacy"], "{.status.readyReplicas}");
        let pods = cluster.jsonpath(&["pods", "-l", "app=legacy"], "{.items[*].metadata.name}");
        (ready == replicas.to_string() && pods.split_whitespace().count() == replicas).then_some(())
    });
}

#[test]
fn replication_controller_keeps_scales_adopts_and_cascades() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("rc", 2, "", "");
    // A matching orphan made before the controller is adopted, not duplicated.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: v1\nkind: Pod\nmetadata: {name: orphan, labels: {app: legacy}}\nspec: {containers: [{name: c, image: registry.invalid/legacy:1}]}\n",
        )
        .ok();
    cluster.wait_until("the orphan running", || {
        running(&cluster)
            .contains(&"orphan".to_string())
            .then_some(())
    });
    cluster.kubectl_stdin(&["apply", "-f", "-"], RC).ok();
    wait_ready(&cluster, 3);
    let owner = cluster.jsonpath(&["pod", "orphan"], "{.metadata.ownerReferences[0].name}");
    assert_eq!(owner, "legacy", "the orphan was not adopted");
    let mut pods = running(&cluster);
    assert_eq!(pods.len(), 3, "{pods:?}");
    pods.retain(|p| p != "orphan");
    let owner = cluster.jsonpath(
        &["pod", &pods[0]],
        "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}",
    );
    assert_eq!(owner, "ReplicationController/legacy");

    // A deleted pod is replaced.
    cluster
        .kubectl(&["delete", "pod", &pods[0], "--wait=false"])
        .ok();
    cluster.wait_until("a replacement pod", || {
        let now = running(&cluster);
        (now.len() == 3 && !now.contains(&pods[0])).then_some(())
    });

    // Scale down and up.
    cluster
        .kubectl(&["scale", "rc/legacy", "--replicas=1"])
        .ok();
    wait_ready(&cluster, 1);
    cluster
        .kubectl(&["scale", "rc/legacy", "--replicas=2"])
        .ok();
    wait_ready(&cluster, 2);

    // The table kubectl prints has the upstream columns.
    let table = cluster.kubectl(&["get", "rc", "legacy"]).ok().stdout;
    assert!(
        table.contains("DESIRED") && table.contains("READY"),
        "{table}"
    );

    // Deleting the controller deletes its pods.
    cluster.kubectl(&["delete", "rc", "legacy"]).ok();
    cluster.wait_until("pods gone", || {
        cluster
            .jsonpath(&["pods", "-l", "app=legacy"], "{.items[*].metadata.name}")
            .is_empty()
            .then_some(())
    });
}
