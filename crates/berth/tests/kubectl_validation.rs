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
        imagee: nginx:1.27
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
}
