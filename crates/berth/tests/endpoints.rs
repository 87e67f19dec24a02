//! End-to-end: EndpointSlices and Endpoints follow a Service's pods on simulated nodes —
//! named target ports, readiness, terminating pods, and removal with the Service.

mod support;

use support::Cluster;

const APP: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: registry.invalid/web:1, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: web, port: 80, targetPort: http}]
";

const HELD: &str = "apiVersion: v1
kind: Pod
metadata: {name: held, labels: {app: web}, finalizers: [berth.dev/test-hold]}
spec: {containers: [{name: c, image: registry.invalid/web:1, ports: [{name: http, containerPort: 8080}]}]}
";

/// `pod=ready/serving/terminating` for each endpoint of the Service's slices, sorted, and
/// the slices' ports.
fn slices(cluster: &Cluster) -> (Vec<String>, String) {
    let out = cluster.jsonpath(
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        r#"{range .items[*].endpoints[*]}{.targetRef.name}={.conditions.ready}/{.conditions.serving}/{.conditions.terminating}{"\n"}{end}"#,
    );
    let mut list: Vec<String> = out.lines().map(str::to_string).collect();
    list.sort();
    let ports = cluster.jsonpath(
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "{.items[*].ports[*].name}:{.items[*].ports[*].port}",
    );
    (list, ports)
}

/// Pod names in the Endpoints' `addresses` and `notReadyAddresses`.
fn endpoints(cluster: &Cluster) -> (Vec<String>, Vec<String>) {
    let names = |path: &str| {
        let mut list: Vec<String> = cluster
            .jsonpath(&["endpoints", "web"], path)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        list.sort();
        list
    };
    (
        names("{.subsets[*].addresses[*].targetRef.name}"),
        names("{.subsets[*].notReadyAddresses[*].targetRef.name}"),
    )
}

#[test]
fn endpoint_slices_follow_readiness_and_termination() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("ep", 1, "", "");
    cluster.kubectl_stdin(&["apply", "-f", "-"], APP).ok();
    cluster
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=60s"])
        .ok();
    let pods = cluster.jsonpath(&["pods", "-l", "app=web"], "{.items[*].metadata.name}");
    let mut names: Vec<String> = pods.split_whitespace().map(str::to_string).collect();
    names.sort();
    assert_eq!(names.len(), 2);
    let (first, second) = (names[0].clone(), names[1].clone());
    cluster.wait_until("both pods in the slice, ready, on the named port", || {
        let (list, ports) = slices(&cluster);
        let want = vec![
            format!("{first}=true/true/false"),
            format!("{second}=true/true/false"),
        ];
        (list == want && ports == "web:8080").then_some(())
    });
    cluster.wait_until("both pods in the Endpoints", || {
        (endpoints(&cluster) == (names.clone(), vec![])).then_some(())
    });

    // Not ready: still an endpoint, not ready (and in notReadyAddresses).
    cluster
        .kubectl(&[
            "patch",
            "pod",
            &first,
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"conditions":[{"type":"Ready","status":"False"}]}}"#,
        ])
        .ok();
    cluster.wait_until("the first pod not ready", || {
        let (list, _) = slices(&cluster);
        let not_ready = list.contains(&format!("{first}=false/false/false"));
        let moved = endpoints(&cluster) == (vec![second.clone()], vec![first.clone()]);
        (not_ready && moved).then_some(())
    });

    // Terminating (held by a finalizer): serving but not ready in the slice, gone from
    // Endpoints.
    cluster.kubectl_stdin(&["apply", "-f", "-"], HELD).ok();
    cluster.wait_until("the held pod ready in the slice", || {
        slices(&cluster)
            .0
            .contains(&"held=true/true/false".to_string())
            .then_some(())
    });
    cluster
        .kubectl(&["delete", "pod", "held", "--wait=false"])
        .ok();
    cluster.wait_until("the held pod terminating", || {
        let terminating = slices(&cluster)
            .0
            .contains(&"held=false/true/true".to_string());
        let (ready, not_ready) = endpoints(&cluster);
        let left_out =
            !ready.contains(&"held".to_string()) && !not_ready.contains(&"held".to_string());
        (terminating && left_out).then_some(())
    });
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ])
        .ok();
    cluster.wait_until("the held pod gone from the slice", || {
        (!slices(&cluster).0.iter().any(|e| e.starts_with("held="))).then_some(())
    });

    // The Service goes: its slices and Endpoints go with it.
    cluster.kubectl(&["delete", "service", "web"]).ok();
    cluster.wait_until("slices and Endpoints removed", || {
        let slices_left = cluster.jsonpath(
            &["endpointslices", "-l", "kubernetes.io/service-name=web"],
            "{.items[*].metadata.name}",
        );
        let endpoints_gone = !cluster
            .kubectl(&["get", "endpoints", "web"])
            .status
            .success();
        (slices_left.is_empty() && endpoints_gone).then_some(())
    });
}
