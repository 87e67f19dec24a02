//! End-to-end with the real kubectl: server-side field validation. kubectl sends
//! `fieldValidation=Strict` for apply/create/replace/edit (its default `--validate=strict`),
//! `Warn` for `--validate=warn` and `Ignore` for `--validate=false`.

mod support;

use support::Cluster;

const TYPO: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        imagee: nginx:1.28
";

#[test]
fn unknown_fields_are_refused_warned_or_ignored() {
    let cluster = Cluster::start();
    cluster.write("typo.yaml", TYPO);
    let strict = cluster.kubectl(&["apply", "-f", "typo.yaml"]).failed();
    assert!(
        strict.stderr.contains(
            "strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""
        ),
        "{}",
        strict.stderr
    );
    assert!(
        cluster
            .kubectl(&["get", "deploy", "web"])
            .failed()
            .stderr
            .contains("not found")
    );

    let warn = cluster
        .kubectl(&["create", "-f", "typo.yaml", "--validate=warn"])
        .ok();
    assert!(
        warn.stderr
            .contains("unknown field \"spec.template.spec.containers[0].imagee\""),
        "{}",
        warn.stderr
    );
    cluster.kubectl(&["delete", "deploy", "web"]).ok();
    let ignore = cluster
        .kubectl(&["create", "-f", "typo.yaml", "--validate=false"])
        .ok();
    assert!(
        !ignore.stderr.contains("unknown field"),
        "{}",
        ignore.stderr
    );

    // Correct manifests of kinds with nested embedded structs pass strict validation.
    let pod = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
    livenessProbe: {exec: {command: [true]}, periodSeconds: 5}
    volumeMounts: [{name: cfg, mountPath: /cfg}]
    envFrom: [{configMapRef: {name: cfg}}]
  volumes: [{name: cfg, configMap: {name: cfg}}]
";
    cluster.kubectl_stdin(&["apply", "-f", "-"], pod).ok();

    // Unknown fields under metadata are found too: the request is checked as sent.
    let meta_typo = "apiVersion: v1
kind: ConfigMap
metadata: {name: m, labelz: {a: b}}
data: {k: v}
";
    let strict = cluster
        .kubectl_stdin(&["create", "-f", "-", "--validate=strict"], meta_typo)
        .failed();
    assert!(
        strict
            .stderr
            .contains("strict decoding error: unknown field \"metadata.labelz\""),
        "{}",
        strict.stderr
    );
}

#[test]
fn invalid_objects_are_422_with_one_line_per_field() {
    let cluster = Cluster::start();
    let bad = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: -1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: other}
    spec:
      containers:
      - name: web
";
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], bad).failed();
    assert!(
        run.stderr.contains("The Deployment \"web\" is invalid"),
        "{}",
        run.stderr
    );
    for field in [
        "spec.replicas: Invalid value: -1",
        "spec.template.metadata.labels: Invalid value",
        "spec.template.spec.containers[0].image: Required value",
    ] {
        assert!(
            run.stderr.contains(field),
            "{field} missing:\n{}",
            run.stderr
        );
    }

    // Immutable: a Deployment's selector.
    let good = bad
        .replace("replicas: -1", "replicas: 1")
        .replace("{app: other}", "{app: web, tier: a}")
        .replace(
            "      - name: web\n",
            "      - name: web\n        image: nginx:1.27\n",
        );
    cluster.kubectl_stdin(&["apply", "-f", "-"], &good).ok();
    let moved = good.replace("matchLabels: {app: web}", "matchLabels: {tier: a}");
    let run = cluster
        .kubectl_stdin(&["apply", "-f", "-"], &moved)
        .failed();
    assert!(
        run.stderr.contains("spec.selector") && run.stderr.contains("field is immutable"),
        "{}",
        run.stderr
    );

    // Labels are checked on every kind.
    let run = cluster
        .kubectl_stdin(
            &["create", "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {\"bad key\": v}}\n",
        )
        .failed();
    assert!(run.stderr.contains("metadata.labels"), "{}", run.stderr);
}

#[test]
fn workload_tables_have_upstream_columns() {
    let cluster = Cluster::start();
    cluster
        .kubectl(&["create", "job", "once", "--image=busybox", "--", "true"])
        .ok();
    cluster
        .kubectl(&[
            "create",
            "cronjob",
            "tick",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--",
            "true",
        ])
        .ok();
    let header = |args: &[&str]| {
        cluster
            .kubectl(args)
            .ok()
            .stdout
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        header(&["get", "jobs"]),
        vec!["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    );
    assert_eq!(
        header(&["get", "cronjobs"]),
        vec![
            "NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"
        ]
    );
    let row = cluster
        .kubectl(&["get", "cronjob", "tick", "--no-headers"])
        .ok()
        .stdout;
    assert!(
        row.contains("*/5 * * * *") && row.contains("False"),
        "{row}"
    );
}
