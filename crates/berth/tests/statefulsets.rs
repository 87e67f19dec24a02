//! End-to-end: StatefulSets with the real kubectl on simulated nodes — ordered creation
//! (web-0 Ready before web-1 exists) and reverse ordered deletion, stable names, hostnames
//! and claims, a partitioned rolling update, and claims kept after the set is deleted.

mod support;

use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Pod;
use support::{Cluster, PodChange, PodWatcher};

const STATEFULSET: &str = "apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: registry.invalid/web:1}]}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
";

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// What happened to the pods, in order: `added web-1`, `ready web-0`, `deleting web-2`,
/// `gone web-2`.
fn record(log: Arc<Mutex<Vec<String>>>) -> impl FnMut(PodChange<'_>, &[Arc<Pod>]) + Send {
    let mut known: std::collections::HashMap<String, (bool, bool)> = Default::default();
    move |change, _| {
        let mut log = log.lock().expect("log");
        match change {
            PodChange::Applied(pod) => {
                let name = pod.metadata.name.clone().unwrap_or_default();
                let ready = is_ready(pod);
                let deleting = pod.metadata.deletion_timestamp.is_some();
                let before = known.insert(name.clone(), (ready, deleting));
                if before.is_none() {
                    log.push(format!("added {name}"));
                }
                if ready && !before.is_some_and(|b| b.0) {
                    log.push(format!("ready {name}"));
                }
                if deleting && !before.is_some_and(|b| b.1) {
                    log.push(format!("deleting {name}"));
                }
            }
            PodChange::Deleted(pod) => {
                let name = pod.metadata.name.clone().unwrap_or_default();
                known.remove(&name);
                log.push(format!("gone {name}"));
            }
        }
    }
}

fn position(log: &[String], entry: &str) -> usize {
    log.iter()
        .position(|e| e == entry)
        .unwrap_or_else(|| panic!("{entry} never happened: {log:?}"))
}

fn pods(cluster: &Cluster) -> String {
    cluster.jsonpath(
        &["pods", "-l", "app=web"],
        r#"{range .items[*]}{.metadata.name}:{.spec.containers[0].image}:{.status.phase} {end}"#,
    )
}

#[test]
fn statefulsets_create_in_order_delete_in_reverse_and_update_by_partition() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("sts", 2, "", "");
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut watcher = PodWatcher::start(&cluster, "app=web", record(log.clone()));
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], STATEFULSET)
        .ok();
    cluster
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok();
    cluster.wait_until("three ready pods", || {
        let out = pods(&cluster);
        (out.matches(":Running").count() == 3).then_some(())
    });
    {
        let log = log.lock().expect("log").clone();
        assert!(
            position(&log, "ready web-0") < position(&log, "added web-1"),
            "{log:?}"
        );
        assert!(
            position(&log, "ready web-1") < position(&log, "added web-2"),
            "{log:?}"
        );
    }
    // Stable identity: hostname, subdomain, one claim per pod.
    assert_eq!(
        cluster.jsonpath(&["pod", "web-1"], "{.spec.hostname}.{.spec.subdomain}"),
        "web-1.web"
    );
    assert_eq!(
        cluster.jsonpath(
            &["pod", "web-1"],
            r#"{.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}"#
        ),
        "www-web-1"
    );
    let claims = cluster.jsonpath(&["pvc"], "{.items[*].metadata.name}");
    assert_eq!(claims, "www-web-0 www-web-1 www-web-2");

    // Scale down: web-2 is gone before web-1 starts going.
    cluster.kubectl(&["scale", "sts/web", "--replicas=1"]).ok();
    cluster.wait_until("one pod left", || {
        (pods(&cluster).split_whitespace().count() == 1).then_some(())
    });
    {
        let log = log.lock().expect("log").clone();
        assert!(
            position(&log, "gone web-2") < position(&log, "deleting web-1"),
            "{log:?}"
        );
    }
    watcher.stop();

    // Partitioned rolling update: only ordinals ≥ 2 take the new template.
    cluster.kubectl(&["scale", "sts/web", "--replicas=3"]).ok();
    cluster
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok();
    cluster
        .kubectl(&[
            "patch",
            "sts",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}"#,
        ])
        .ok();
    cluster
        .kubectl(&["set", "image", "sts/web", "c=registry.invalid/web:2"])
        .ok();
    let run = cluster
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok();
    assert!(
        run.stdout.contains("partitioned roll out complete"),
        "{}",
        run.stdout
    );
    cluster.wait_until("only web-2 updated", || {
        let out = pods(&cluster);
        let want = "web-0:registry.invalid/web:1:Running web-1:registry.invalid/web:1:Running web-2:registry.invalid/web:2:Running";
        (out == want).then_some(())
    });
    cluster
        .kubectl(&[
            "patch",
            "sts",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}"#,
        ])
        .ok();
    let run = cluster
        .kubectl(&["rollout", "status", "sts/web", "--timeout=60s"])
        .ok();
    // (kubectl reports every RollingUpdate with a partition field as "partitioned".)
    assert!(
        run.stdout.contains("3 new pods have been updated"),
        "{}",
        run.stdout
    );
    let revisions = cluster.jsonpath(
        &["sts", "web"],
        "{.status.currentRevision}={.status.updateRevision}/{.status.updatedReplicas}",
    );
    let (current, rest) = revisions.split_once('=').unwrap_or_default();
    assert!(
        rest.starts_with(current) && rest.ends_with("/3"),
        "{revisions}"
    );

    // Deleting the set removes its pods; the claims stay (retention policy Retain).
    cluster.kubectl(&["delete", "sts", "web"]).ok();
    cluster.wait_until("the pods gone", || pods(&cluster).is_empty().then_some(()));
    assert_eq!(
        cluster.jsonpath(&["pvc"], "{.items[*].metadata.name}"),
        "www-web-0 www-web-1 www-web-2"
    );
}
