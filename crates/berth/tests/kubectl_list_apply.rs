//! End-to-end with the real kubectl: `apply -f` of a `kind: List` and of multi-document YAML
//! with validation on. kubectl validates a List's items itself, against the OpenAPI v2
//! definitions it fetches as protobuf from `/openapi/v2`; single objects are validated by the
//! server (`fieldValidation=Strict`).

mod support;

use support::Cluster;

const LIST: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "list-config"}, "data": {"a": "1"}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "list-pod", "labels": {"app": "list"}},
   "spec": {"containers": [{"name": "c", "image": "busybox:stable",
     "ports": [{"containerPort": 8080, "name": "http"}],
     "resources": {"limits": {"cpu": "100m", "memory": 64000000}},
     "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5}}]}}
]}"#;

const MULTI_DOC: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: doc-one
data: {a: \"1\"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: doc-two
spec:
  selector:
    matchLabels: {app: doc}
  template:
    metadata:
      labels: {app: doc}
    spec:
      containers:
      - name: web
        image: busybox:stable
";

#[test]
fn a_list_applies_and_reapplies_with_client_side_validation() {
    let cluster = Cluster::start();
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], LIST).ok();
    assert!(
        run.stdout.contains("configmap/list-config created")
            && run.stdout.contains("pod/list-pod created"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(
        cluster.jsonpath(&["configmap", "list-config"], "{.data.a}"),
        "1"
    );
    assert_eq!(
        cluster.jsonpath(&["pod", "list-pod"], "{.spec.containers[0].ports[0].name}"),
        "http"
    );

    // Again, changed: a patch per item.
    let changed = LIST.replace(r#""a": "1""#, r#""a": "2""#);
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], &changed).ok();
    assert!(
        run.stdout.contains("configmap/list-config configured")
            && run.stdout.contains("pod/list-pod unchanged"),
        "{}",
        run.stdout
    );
    assert_eq!(
        cluster.jsonpath(&["configmap", "list-config"], "{.data.a}"),
        "2"
    );

    // The same List from a YAML file.
    let yaml = "apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: list-secret}
  stringData: {token: abc}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: list-deploy}
  spec:
    replicas: 1
    selector: {matchLabels: {app: d}}
    template:
      metadata: {labels: {app: d}}
      spec:
        containers: [{name: c, image: busybox:stable, env: [{name: A, value: b}]}]
";
    cluster.write("list.yaml", yaml);
    let run = cluster.kubectl(&["apply", "-f", "list.yaml"]).ok();
    assert!(
        run.stdout.contains("secret/list-secret created")
            && run.stdout.contains("deployment.apps/list-deploy created"),
        "{}",
        run.stdout
    );
}

#[test]
fn unknown_fields_in_a_list_are_refused_by_kubectl() {
    let cluster = Cluster::start();
    let typo = LIST.replace(
        r#""image": "busybox:stable","#,
        r#""imagee": "busybox:stable","#,
    );
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], &typo).failed();
    assert!(
        run.stderr.contains(r#"error validating "STDIN": error validating data: ValidationError(Pod.spec.containers[0]): unknown field "imagee" in io.k8s.api.core.v1.Container"#),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--validate=false"), "{}", run.stderr);
    // Nothing of the List was applied.
    assert!(
        cluster
            .kubectl(&["get", "configmap", "list-config"])
            .failed()
            .stderr
            .contains("not found")
    );

    // A wrong type is kubectl's error too; an unknown field in metadata as well.
    let wrong = LIST.replace(r#""containerPort": 8080"#, r#""containerPort": [8080]"#);
    let run = cluster
        .kubectl_stdin(&["apply", "-f", "-"], &wrong)
        .failed();
    assert!(
        run.stderr.contains("ValidationError(Pod.spec.containers[0].ports[0].containerPort): invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got \"array\", expected \"integer\""),
        "{}",
        run.stderr
    );
    let meta = LIST.replace(
        r#""name": "list-config"}"#,
        r#""name": "list-config", "lables": {}}"#,
    );
    let run = cluster.kubectl_stdin(&["apply", "-f", "-"], &meta).failed();
    assert!(
        run.stderr.contains(r#"ValidationError(ConfigMap.metadata): unknown field "lables" in io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"#),
        "{}",
        run.stderr
    );

    // Without client-side validation the server drops the field (Ignore) or warns (Warn).
    let run = cluster
        .kubectl_stdin(&["apply", "-f", "-", "--validate=false"], &typo)
        .failed();
    // The item has no image now: the server's own validation refuses the Pod.
    assert!(run.stderr.contains("image"), "{}", run.stderr);
    assert!(
        run.stdout.contains("configmap/list-config created"),
        "{}",
        run.stdout
    );
}

#[test]
fn multi_document_yaml_and_single_objects_are_validated_by_the_server() {
    let cluster = Cluster::start();
    cluster.write("multi.yaml", MULTI_DOC);
    let run = cluster.kubectl(&["apply", "-f", "multi.yaml"]).ok();
    assert!(
        run.stdout.contains("configmap/doc-one created")
            && run.stdout.contains("deployment.apps/doc-two created"),
        "{}",
        run.stdout
    );

    // A typo in one document: the server refuses that one (strict), the other applies.
    let typo = MULTI_DOC
        .replace("name: doc-one", "name: doc-three")
        .replace("image: busybox", "imagee: busybox");
    let run = cluster
        .kubectl_stdin(&["apply", "--validate=strict", "-f", "-"], &typo)
        .failed();
    assert!(
        run.stderr.contains(
            "strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("configmap/doc-three created"),
        "{}",
        run.stdout
    );
}

#[test]
fn openapi_v2_is_served_as_json_too() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["get", "--raw", "/openapi/v2"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(
        doc["definitions"]["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
        serde_json::json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
    );
}
