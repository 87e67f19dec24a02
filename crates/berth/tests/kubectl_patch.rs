//! End-to-end with the real kubectl: the commands that PATCH or PUT — apply (created /
//! unchanged / configured), annotate, label, scale, set image, patch of all three types, edit,
//! diff, replace — and optimistic concurrency under 50 concurrent writers.

mod support;

use support::Cluster;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        env: [{name: MODE, value: prod}]
";

fn jsonpath(cluster: &Cluster, path: &str) -> String {
    cluster
        .kubectl(&["get", "deploy", "web", "-o", &format!("jsonpath={path}")])
        .ok()
        .stdout
}

#[test]
fn apply_creates_then_is_unchanged_then_configures() {
    let cluster = Cluster::start();
    cluster.write("deploy.yaml", DEPLOYMENT);
    let run = cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web created");
    let run = cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web unchanged");
    let rv = jsonpath(&cluster, "{.metadata.resourceVersion}");

    // Another writer's field survives the next apply; lists merge by key.
    cluster
        .kubectl(&["annotate", "deploy", "web", "team=ops"])
        .ok();
    cluster.write(
        "deploy.yaml",
        &DEPLOYMENT
            .replace("replicas: 2", "replicas: 3")
            .replace("busybox:1.36", "busybox:1.37"),
    );
    let run = cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web configured");
    assert_eq!(
        jsonpath(
            &cluster,
            "{.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.annotations.team} {.spec.template.spec.containers[0].env[0].value}"
        ),
        "3 busybox:1.37 ops prod"
    );
    assert_ne!(jsonpath(&cluster, "{.metadata.resourceVersion}"), rv);
    assert_eq!(jsonpath(&cluster, "{.metadata.generation}"), "2");
}

#[test]
fn label_scale_set_image_and_patch() {
    let cluster = Cluster::start();
    cluster.write("deploy.yaml", DEPLOYMENT);
    cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();

    cluster
        .kubectl(&["label", "deploy", "web", "tier=front"])
        .ok();
    let run = cluster
        .kubectl(&["get", "deploy", "-l", "tier=front", "-o", "name"])
        .ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web");
    cluster.kubectl(&["label", "deploy", "web", "tier-"]).ok();
    assert_eq!(jsonpath(&cluster, "{.metadata.labels}"), "");

    let run = cluster
        .kubectl(&["scale", "deploy", "web", "--replicas=5"])
        .ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web scaled");
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "5");
    let stale = cluster
        .kubectl(&[
            "scale",
            "deploy",
            "web",
            "--current-replicas=4",
            "--replicas=1",
        ])
        .failed();
    assert!(
        stale.stderr.contains("Expected replicas to be 4, was 5"),
        "{}",
        stale.stderr
    );
    cluster
        .kubectl(&[
            "scale",
            "deploy",
            "web",
            "--current-replicas=5",
            "--replicas=1",
        ])
        .ok();
    let scale = cluster
        .kubectl(&[
            "get",
            "--raw",
            "/apis/apps/v1/namespaces/default/deployments/web/scale",
        ])
        .ok();
    assert!(
        scale.stdout.contains("\"replicas\":1")
            && scale.stdout.contains("\"selector\":\"app=web\""),
        "{}",
        scale.stdout
    );

    cluster
        .kubectl(&["set", "image", "deploy/web", "web=busybox:1.37"])
        .ok();
    assert_eq!(
        jsonpath(
            &cluster,
            "{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].name}"
        ),
        "busybox:1.37 MODE"
    );

    cluster
        .kubectl(&[
            "patch",
            "deploy",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"replace","path":"/spec/replicas","value":7}]"#,
        ])
        .ok();
    cluster
        .kubectl(&[
            "patch",
            "deploy",
            "web",
            "--type=merge",
            "-p",
            r#"{"spec":{"paused":true}}"#,
        ])
        .ok();
    cluster
        .kubectl(&["patch", "deploy", "web", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}"#])
        .ok();
    assert_eq!(
        jsonpath(
            &cluster,
            "{.spec.replicas} {.spec.paused} {.spec.template.spec.containers[*].name}"
        ),
        "7 true web side"
    );
    let bad = cluster
        .kubectl(&[
            "patch",
            "deploy",
            "web",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/spec/nothing"}]"#,
        ])
        .failed();
    assert!(
        bad.stderr.contains("the JSON patch cannot be applied"),
        "{}",
        bad.stderr
    );
    let missing = cluster
        .kubectl(&["patch", "deploy", "nope", "-p", "{}"])
        .failed();
    assert!(
        missing
            .stderr
            .contains("deployments.apps \"nope\" not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn edit_diff_and_replace() {
    let cluster = Cluster::start();
    cluster.write("deploy.yaml", DEPLOYMENT);
    cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();

    // A scripted editor changes the replicas.
    let edited = cluster
        .kubectl_command()
        .env("KUBE_EDITOR", "sed -i s/replicas:\\ 2/replicas:\\ 4/")
        .args(["edit", "deploy", "web"])
        .output()
        .expect("kubectl edit");
    assert!(
        edited.status.success(),
        "{}",
        String::from_utf8_lossy(&edited.stderr)
    );
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "4");

    // diff: exit 1 and the changed field when the file differs; nothing is persisted.
    let rv = jsonpath(&cluster, "{.metadata.resourceVersion}");
    let diff = cluster.kubectl(&["diff", "-f", "deploy.yaml"]);
    assert_eq!(
        diff.status.code(),
        Some(1),
        "{}{}",
        diff.stdout,
        diff.stderr
    );
    assert!(
        diff.stdout.contains("-  replicas: 4") && diff.stdout.contains("+  replicas: 2"),
        "{}",
        diff.stdout
    );
    assert_eq!(
        jsonpath(&cluster, "{.metadata.resourceVersion}"),
        rv,
        "diff persisted something"
    );
    cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    let same = cluster.kubectl(&["diff", "-f", "deploy.yaml"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}{}",
        same.stdout,
        same.stderr
    );

    cluster.write(
        "deploy.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replicas: 6"),
    );
    let run = cluster.kubectl(&["replace", "-f", "deploy.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web replaced");
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "6");
}

#[test]
fn concurrent_writers_conflict_and_lose_nothing() {
    let cluster = Cluster::start();
    // A ConfigMap: no controller writes it, so only the 50 writers race.
    cluster.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: race}\ndata: {k: v}\n",
    );
    cluster.kubectl(&["apply", "-f", "cm.yaml"]).ok();
    let rv = cluster.jsonpath(&["configmap", "race"], "{.metadata.resourceVersion}");
    // 50 writers replace the object, all from the same resourceVersion: exactly one wins,
    // every other gets 409 Conflict.
    let children: Vec<_> = (0..50)
        .map(|i| {
            let body = format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"race\",\"namespace\":\"default\",\"resourceVersion\":\"{rv}\",\"annotations\":{{\"writer\":\"{i}\"}}}},\"data\":{{\"k\":\"{i}\"}}}}"
            );
            let path = cluster.write(&format!("w{i}.json"), &body);
            cluster
                .kubectl_command()
                .args(["replace", "-f", path.to_str().expect("utf-8")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("kubectl replace")
        })
        .collect();
    let mut winners = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("kubectl replace");
        if out.status.success() {
            winners.push(i);
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("Error from server (Conflict)")
                    && stderr.contains("the object has been modified"),
                "{stderr}"
            );
        }
    }
    assert_eq!(winners.len(), 1, "exactly one writer wins: {winners:?}");
    assert_eq!(
        cluster.jsonpath(
            &["configmap", "race"],
            "{.metadata.annotations.writer}/{.data.k}"
        ),
        format!("{0}/{0}", winners[0])
    );
}

#[test]
fn server_side_apply_owns_fields_and_reports_conflicts() {
    let cluster = Cluster::start();
    let manifest = DEPLOYMENT.replace(
        "metadata:\n  name: web\n",
        "metadata:\n  name: web\n  labels: {team: a, tier: front}\n",
    );
    cluster.write("deploy.yaml", &manifest);
    let run = cluster
        .kubectl(&["apply", "--server-side", "-f", "deploy.yaml"])
        .ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web serverside-applied");
    assert_eq!(
        jsonpath(
            &cluster,
            "{.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}"
        ),
        "kubectl/Apply"
    );

    // Another manager takes replicas; re-applying a different value conflicts.
    cluster
        .kubectl(&[
            "patch",
            "deploy",
            "web",
            "--field-manager=ops",
            "-p",
            r#"{"spec":{"replicas":5}}"#,
        ])
        .ok();
    cluster.write(
        "deploy.yaml",
        &manifest.replace("replicas: 2", "replicas: 3"),
    );
    let conflict = cluster
        .kubectl(&["apply", "--server-side", "-f", "deploy.yaml"])
        .failed();
    assert!(
        conflict.stderr.contains(
            "Apply failed with 1 conflict: conflict with \"ops\" using apps/v1: .spec.replicas"
        ),
        "{}",
        conflict.stderr
    );
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "5");
    cluster
        .kubectl(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            "deploy.yaml",
        ])
        .ok();
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "3");

    // A field the manager stops applying is removed.
    cluster.write(
        "deploy.yaml",
        &manifest
            .replace("replicas: 2", "replicas: 3")
            .replace(", tier: front", ""),
    );
    cluster
        .kubectl(&["apply", "--server-side", "-f", "deploy.yaml"])
        .ok();
    assert_eq!(jsonpath(&cluster, "{.metadata.labels}"), r#"{"team":"a"}"#);
}

#[test]
fn client_side_apply_moves_to_server_side_apply() {
    let cluster = Cluster::start();
    cluster.write("deploy.yaml", DEPLOYMENT);
    cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    cluster.write(
        "deploy.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replicas: 4"),
    );
    let run = cluster
        .kubectl(&["apply", "--server-side", "-f", "deploy.yaml"])
        .ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web serverside-applied");
    assert_eq!(jsonpath(&cluster, "{.spec.replicas}"), "4");
}

/// `kubectl patch --subresource=status` with a merge patch (what kubelets send): the status
/// changes, selectors on status fields see it, a repeat changes nothing, and an unknown
/// field is a warning, as for any write.
#[test]
fn status_merge_patches_through_the_status_subresource() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: busybox:1.36}]\n",
        )
        .ok();
    let patch = r#"{"status":{"phase":"Running","podIP":"10.1.2.3"}}"#;
    let args = |patch: &'static str| {
        vec![
            "patch",
            "pod",
            "p",
            "--subresource=status",
            "--type=merge",
            "-p",
            patch,
        ]
    };
    let patched = cluster.kubectl(&args(patch)).ok();
    assert!(
        patched.stdout.contains("pod/p patched"),
        "{}",
        patched.stdout
    );
    assert_eq!(
        cluster.jsonpath(&["pod", "p"], "{.status.phase} {.status.podIP}"),
        "Running 10.1.2.3"
    );
    let selected = cluster
        .kubectl(&[
            "get",
            "pods",
            "--field-selector",
            "status.podIP=10.1.2.3,status.phase=Running",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(selected.stdout.trim(), "pod/p");
    let again = cluster.kubectl(&args(patch)).ok();
    assert!(again.stdout.contains("(no change)"), "{}", again.stdout);
    let warned = cluster.kubectl(&args(r#"{"status":{"bogus":1}}"#)).ok();
    assert!(
        warned.stderr.contains(r#"unknown field "status.bogus""#),
        "{}",
        warned.stderr
    );
}
