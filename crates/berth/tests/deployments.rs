//! End-to-end: Deployments with the real kubectl on simulated nodes — rollout status, a
//! rolling update watched pod by pod (surge and unavailability bounds), history, undo,
//! scale, pause/resume, restart, Recreate, the progress deadline, and deletion cascades.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Pod;
use support::{Cluster, PodWatcher};

fn deployment(name: &str, image: &str, strategy: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: {name}}}}}\n  strategy: {strategy}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: {image}}}]}}\n"
    )
}

const ROLLING: &str = "{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}";

/// What a watch of one app's pods saw: the most pods not being deleted at once, the fewest
/// ready ones, and the most distinct templates (`pod-template-hash`) present at once.
#[derive(Debug, Default)]
struct Seen {
    max_pods: usize,
    min_ready: Option<usize>,
    max_templates: usize,
}

/// Watches the pods labelled `app=<app>` until finished, recording [`Seen`].
struct PodWatch {
    seen: Arc<Mutex<Seen>>,
    watcher: PodWatcher,
}

impl PodWatch {
    fn start(cluster: &Cluster, app: &str) -> PodWatch {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let record = seen.clone();
        let watcher = PodWatcher::start(cluster, &format!("app={app}"), move |_, pods| {
            let live: Vec<&Pod> = pods
                .iter()
                .map(|p| p.as_ref())
                .filter(|p| p.metadata.deletion_timestamp.is_none())
                .collect();
            let ready = live.iter().filter(|p| is_ready(p)).count();
            let templates: BTreeSet<String> = pods
                .iter()
                .filter_map(|p| {
                    p.metadata
                        .labels
                        .as_ref()?
                        .get("pod-template-hash")
                        .cloned()
                })
                .collect();
            let mut seen = record.lock().expect("seen");
            seen.max_pods = seen.max_pods.max(live.len());
            seen.min_ready = Some(seen.min_ready.map_or(ready, |m| m.min(ready)));
            seen.max_templates = seen.max_templates.max(templates.len());
        });
        PodWatch { seen, watcher }
    }

    fn finish(mut self) -> Seen {
        self.watcher.stop();
        std::mem::take(&mut *self.seen.lock().expect("seen"))
    }
}

fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Image → number of Running, Ready pods of `app` not being deleted.
fn running_images(cluster: &Cluster, app: &str) -> BTreeMap<String, usize> {
    let out = cluster.jsonpath(
        &["pods", "-l", &format!("app={app}")],
        r#"{range .items[*]}{.spec.containers[0].image}|{.status.phase}|{.metadata.deletionTimestamp}{"\n"}{end}"#,
    );
    let mut images = BTreeMap::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split('|').collect();
        if let [image, "Running", ""] = parts.as_slice() {
            *images.entry(image.to_string()).or_insert(0) += 1;
        }
    }
    images
}

fn wait_for_images(cluster: &Cluster, app: &str, image: &str, count: usize) {
    cluster.wait_until(&format!("{count} pods of {app} running {image}"), || {
        let images = running_images(cluster, app);
        (images.len() == 1 && images.get(image) == Some(&count)).then_some(())
    });
}

fn rollout_status(cluster: &Cluster, name: &str) {
    let run = cluster
        .kubectl(&[
            "rollout",
            "status",
            &format!("deployment/{name}"),
            "--timeout=60s",
        ])
        .ok();
    assert!(
        run.stdout.contains("successfully rolled out"),
        "{}",
        run.stdout
    );
}

/// `revision → change-cause` from `kubectl rollout history`.
fn history(cluster: &Cluster, name: &str) -> BTreeMap<u32, String> {
    let run = cluster
        .kubectl(&["rollout", "history", &format!("deployment/{name}")])
        .ok();
    run.stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let revision = words.next()?.parse().ok()?;
            Some((revision, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

#[test]
fn rolling_update_undo_scale_pause_and_cascades() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("dep", 2, "", "");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &deployment("web", "registry.invalid/web:1", ROLLING),
        )
        .ok();
    rollout_status(&cluster, "web");
    wait_for_images(&cluster, "web", "registry.invalid/web:1", 3);
    let revision = cluster.jsonpath(
        &["deployment", "web"],
        r#"{.metadata.annotations.deployment\.kubernetes\.io/revision}"#,
    );
    assert_eq!(revision, "1");

    // A rolling update, watched: within replicas + maxSurge pods, at least replicas −
    // maxUnavailable ready, at every event.
    let watch = PodWatch::start(&cluster, "web");
    cluster
        .kubectl(&["set", "image", "deployment/web", "c=registry.invalid/web:2"])
        .ok();
    cluster
        .kubectl(&[
            "annotate",
            "deployment/web",
            "kubernetes.io/change-cause=web 2",
        ])
        .ok();
    rollout_status(&cluster, "web");
    wait_for_images(&cluster, "web", "registry.invalid/web:2", 3);
    let seen = watch.finish();
    assert!(
        seen.max_pods <= 4,
        "more than replicas + maxSurge: {seen:?}"
    );
    assert!(
        seen.min_ready.is_some_and(|r| r >= 2),
        "fewer than replicas − maxUnavailable ready: {seen:?}"
    );
    assert!(seen.max_templates == 2, "no overlap seen: {seen:?}");
    let revisions = history(&cluster, "web");
    assert_eq!(
        revisions.keys().copied().collect::<Vec<_>>(),
        vec![1, 2],
        "{revisions:?}"
    );
    assert_eq!(revisions.get(&2).map(String::as_str), Some("web 2"));
    let status = cluster.jsonpath(
        &["deployment", "web"],
        r#"{.status.updatedReplicas}/{.status.availableReplicas}/{.status.conditions[?(@.type=="Progressing")].reason}"#,
    );
    assert_eq!(status, "3/3/NewReplicaSetAvailable");

    // Undo: the first template comes back as revision 3.
    let run = cluster.kubectl(&["rollout", "undo", "deployment/web"]).ok();
    assert!(run.stdout.contains("rolled back"), "{}", run.stdout);
    rollout_status(&cluster, "web");
    wait_for_images(&cluster, "web", "registry.invalid/web:1", 3);
    let revisions = history(&cluster, "web");
    assert_eq!(
        revisions.keys().copied().collect::<Vec<_>>(),
        vec![2, 3],
        "{revisions:?}"
    );
    let sets = cluster.jsonpath(&["rs", "-l", "app=web"], "{.items[*].metadata.name}");
    assert_eq!(
        sets.split_whitespace().count(),
        2,
        "one ReplicaSet per template: {sets}"
    );

    // Scale up and down.
    cluster
        .kubectl(&["scale", "deployment/web", "--replicas=5"])
        .ok();
    wait_for_images(&cluster, "web", "registry.invalid/web:1", 5);
    cluster
        .kubectl(&["scale", "deployment/web", "--replicas=2"])
        .ok();
    wait_for_images(&cluster, "web", "registry.invalid/web:1", 2);
    rollout_status(&cluster, "web");

    // Paused: a template change is observed but not rolled out, until resumed.
    cluster
        .kubectl(&["rollout", "pause", "deployment/web"])
        .ok();
    cluster
        .kubectl(&["set", "image", "deployment/web", "c=registry.invalid/web:3"])
        .ok();
    cluster.wait_until("the paused change observed", || {
        let out = cluster.jsonpath(
            &["deployment", "web"],
            r#"{.metadata.generation}/{.status.observedGeneration}/{.status.conditions[?(@.type=="Progressing")].reason}"#,
        );
        let parts: Vec<&str> = out.split('/').collect();
        (parts.len() == 3 && parts[0] == parts[1] && parts[2] == "DeploymentPaused").then_some(())
    });
    assert_eq!(
        running_images(&cluster, "web"),
        BTreeMap::from([("registry.invalid/web:1".to_string(), 2)])
    );
    cluster
        .kubectl(&["rollout", "resume", "deployment/web"])
        .ok();
    rollout_status(&cluster, "web");
    wait_for_images(&cluster, "web", "registry.invalid/web:3", 2);

    // Restart: same image, new pods.
    let before = cluster.jsonpath(&["pods", "-l", "app=web"], "{.items[*].metadata.name}");
    cluster
        .kubectl(&["rollout", "restart", "deployment/web"])
        .ok();
    rollout_status(&cluster, "web");
    cluster.wait_until("every pod replaced", || {
        let after = cluster.jsonpath(&["pods", "-l", "app=web"], "{.items[*].metadata.name}");
        let old: BTreeSet<&str> = before.split_whitespace().collect();
        let new: Vec<&str> = after.split_whitespace().collect();
        (new.len() == 2 && new.iter().all(|n| !old.contains(n))).then_some(())
    });

    // Orphan: the Deployment goes, its ReplicaSets stay without the reference.
    cluster
        .kubectl(&["delete", "deployment", "web", "--cascade=orphan"])
        .ok();
    cluster.wait_until("the ReplicaSets orphaned", || {
        let owners = cluster.jsonpath(
            &["rs", "-l", "app=web"],
            r#"{range .items[*]}{.metadata.name}={.metadata.ownerReferences[*].kind}{"\n"}{end}"#,
        );
        let lines: Vec<&str> = owners.lines().collect();
        (!lines.is_empty() && lines.iter().all(|l| l.ends_with('='))).then_some(())
    });
    assert_eq!(running_images(&cluster, "web").values().sum::<usize>(), 2);

    // Background (the default): ReplicaSets and pods follow the Deployment.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &deployment("api", "registry.invalid/api:1", ROLLING),
        )
        .ok();
    rollout_status(&cluster, "api");
    cluster.kubectl(&["delete", "deployment", "api"]).ok();
    cluster.wait_until("api's ReplicaSets and pods collected", || {
        let left = cluster.jsonpath(&["rs,pods", "-l", "app=api"], "{.items[*].metadata.name}");
        left.is_empty().then_some(())
    });
}

#[test]
fn recreate_never_overlaps_and_a_stuck_rollout_exceeds_its_deadline() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("rec", 1, "", "");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &deployment("db", "registry.invalid/db:1", "{type: Recreate}"),
        )
        .ok();
    rollout_status(&cluster, "db");
    let watch = PodWatch::start(&cluster, "db");
    cluster
        .kubectl(&["set", "image", "deployment/db", "c=registry.invalid/db:2"])
        .ok();
    rollout_status(&cluster, "db");
    wait_for_images(&cluster, "db", "registry.invalid/db:2", 3);
    let seen = watch.finish();
    assert_eq!(
        seen.max_templates, 1,
        "old and new pods overlapped: {seen:?}"
    );

    // Pods that can never be placed: the rollout stops at its progress deadline, and
    // `rollout status` says so.
    let stuck = deployment("stuck", "registry.invalid/stuck:1", ROLLING).replace(
        "spec: {containers:",
        "spec: {nodeSelector: {disk: none}, containers:",
    ) + "  progressDeadlineSeconds: 3\n";
    cluster.kubectl_stdin(&["apply", "-f", "-"], &stuck).ok();
    let run = cluster
        .kubectl(&["rollout", "status", "deployment/stuck", "--timeout=60s"])
        .failed();
    assert!(
        run.stderr.contains("exceeded its progress deadline"),
        "{}",
        run.stderr
    );
    let condition = cluster.jsonpath(
        &["deployment", "stuck"],
        r#"{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}/{.status.conditions[?(@.type=="Available")].status}"#,
    );
    assert_eq!(condition, "False/ProgressDeadlineExceeded/False");
}
