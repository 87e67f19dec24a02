//! End-to-end: the scheduler places pods on simulated nodes as upstream's would, driven by
//! the real kubectl against `berth server --disable-agent` plus `berth agent --simulate`.
//! One table of cases per filter and score, each with pods that must fit and pods that must
//! not (checked by where they land, or by the PodScheduled=False message and the
//! FailedScheduling event `kubectl describe` shows).

mod support;

use serde_json::{Value, json};
use support::Cluster;

enum Expect {
    /// Bound to one of these nodes.
    On(&'static [&'static str]),
    /// Unschedulable; the message names this reason.
    Refused(&'static str),
}

fn pod(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    let labels = spec
        .as_object_mut()
        .and_then(|s| s.remove("labels"))
        .unwrap_or_else(|| json!({}));
    let resources = spec
        .as_object_mut()
        .and_then(|s| s.remove("resources"))
        .unwrap_or_else(|| json!({}));
    let ports = spec
        .as_object_mut()
        .and_then(|s| s.remove("ports"))
        .unwrap_or_else(|| json!([]));
    let mut full = json!({"containers": [{"name": "c", "image": "registry.invalid/app:1", "resources": resources, "ports": ports}]});
    if let (Some(full), Some(extra)) = (full.as_object_mut(), spec.as_object()) {
        for (k, v) in extra {
            full.insert(k.clone(), v.clone());
        }
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": full})
}

fn apply(cluster: &Cluster, items: Vec<Value>) {
    let stream: Vec<String> = items.iter().map(Value::to_string).collect();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &stream.join("\n---\n"))
        .ok();
}

/// Where the pod went, or the scheduler's message once it has one.
fn outcome(cluster: &Cluster, name: &str) -> Option<Result<String, String>> {
    let node = cluster.jsonpath(&["pod", name], "{.spec.nodeName}");
    if !node.is_empty() {
        return Some(Ok(node));
    }
    let message = cluster.jsonpath(
        &["pod", name],
        "{.status.conditions[?(@.type==\"PodScheduled\")].message}",
    );
    (!message.is_empty()).then_some(Err(message))
}

fn check(cluster: &Cluster, cases: &[(&str, Expect)]) {
    let deadline = std::time::Instant::now() + support::DEADLINE;
    let mut failures = Vec::new();
    for (name, expect) in cases {
        // Wait for the expected outcome; an unexpected one may still change (a retry).
        let got = loop {
            let got = outcome(cluster, name);
            let done = match (expect, &got) {
                (Expect::On(nodes), Some(Ok(node))) => nodes.contains(&node.as_str()),
                (Expect::Refused(reason), Some(Err(message))) => message.contains(reason),
                // A bound pod stays bound.
                (Expect::Refused(_), Some(Ok(_))) => true,
                _ => false,
            };
            if done || std::time::Instant::now() > deadline {
                break got;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        match (expect, &got) {
            (Expect::On(nodes), Some(Ok(node))) if nodes.contains(&node.as_str()) => {}
            (Expect::Refused(reason), Some(Err(message))) if message.contains(reason) => {}
            _ => {
                let wanted = match expect {
                    Expect::On(nodes) => format!("on {nodes:?}"),
                    Expect::Refused(reason) => format!("refused with {reason:?}"),
                };
                failures.push(format!("{name}: wanted {wanted}, got {got:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn required_affinity(expressions: Value) -> Value {
    json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [expressions]}}}})
}

#[test]
fn filters_place_pods_as_upstream() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _small = cluster.simulate("small", 2, "cpu=2,memory=4Gi", "zone=a,disk=ssd");
    let _big = cluster.simulate(
        "big",
        2,
        "cpu=16,memory=64Gi,example.com/gpu=2",
        "zone=b,disk=hdd,tier=3",
    );
    let _tiny = cluster.simulate("tiny", 1, "pods=1", "zone=c");
    cluster
        .kubectl(&["taint", "node", "big-1", "dedicated=ml:NoSchedule"])
        .ok();
    cluster
        .kubectl(&["taint", "node", "tiny-0", "pool=tiny:NoSchedule"])
        .ok();
    let tiny = json!({"nodeSelector": {"zone": "c"}, "tolerations": [{"key": "pool", "operator": "Equal", "value": "tiny", "effect": "NoSchedule"}]});
    let on_small_1 = |mut extra: Value| {
        extra["nodeSelector"] = json!({"kubernetes.io/hostname": "small-1"});
        extra
    };
    // Volumes: one bound near small-1, one bound to a node that does not exist.
    let volume = |name: &str, node: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
               "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                        "hostPath": {"path": "/tmp"}, "storageClassName": "manual",
                        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}}})
    };
    let claim = |name: &str, volume: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
               "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "manual",
                        "resources": {"requests": {"storage": "1Gi"}}, "volumeName": volume}})
    };
    let uses = |claim: &str| json!({"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]});
    // First the pods others depend on.
    apply(
        &cluster,
        vec![
            volume("near", "small-1"),
            volume("far", "nowhere"),
            claim("near", "near"),
            claim("far", "far"),
            pod(
                "anchor",
                json!({"nodeName": "small-0", "labels": {"app": "cache"}}),
            ),
            pod(
                "port-a",
                on_small_1(json!({"ports": [{"containerPort": 80, "hostPort": 8080}]})),
            ),
            pod("tiny-a", tiny.clone()),
        ],
    );
    check(
        &cluster,
        &[
            ("anchor", Expect::On(&["small-0"])),
            ("port-a", Expect::On(&["small-1"])),
            ("tiny-a", Expect::On(&["tiny-0"])),
        ],
    );
    let untainted: &[&str] = &["small-0", "small-1", "big-0"];
    let cases: Vec<(&str, Value, Expect)> = vec![
        // NodeResourcesFit
        (
            "cpu-fits",
            json!({"resources": {"requests": {"cpu": "4"}}}),
            Expect::On(&["big-0"]),
        ),
        (
            "cpu-too-much",
            json!({"resources": {"requests": {"cpu": "100"}}}),
            Expect::Refused("Insufficient cpu"),
        ),
        (
            "memory-fits",
            json!({"resources": {"requests": {"memory": "48Gi"}}}),
            Expect::On(&["big-0"]),
        ),
        (
            "memory-too-much",
            json!({"resources": {"requests": {"memory": "100Gi"}}}),
            Expect::Refused("Insufficient memory"),
        ),
        (
            "gpu-fits",
            json!({"resources": {"requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}}}),
            Expect::On(&["big-0"]),
        ),
        (
            "gpu-too-many",
            json!({"resources": {"requests": {"example.com/gpu": "3"}, "limits": {"example.com/gpu": "3"}}}),
            Expect::Refused("Insufficient example.com/gpu"),
        ),
        (
            "disk-fits",
            json!({"resources": {"requests": {"ephemeral-storage": "10Gi"}}}),
            Expect::On(untainted),
        ),
        (
            "disk-too-much",
            json!({"resources": {"requests": {"ephemeral-storage": "500Gi"}}}),
            Expect::Refused("Insufficient ephemeral-storage"),
        ),
        ("tiny-b", tiny.clone(), Expect::Refused("Too many pods")),
        // NodeName
        (
            "named",
            json!({"nodeName": "small-1"}),
            Expect::On(&["small-1"]),
        ),
        // NodeAffinity: nodeSelector and every operator
        (
            "selector-fits",
            json!({"nodeSelector": {"disk": "ssd"}}),
            Expect::On(&["small-0", "small-1"]),
        ),
        (
            "selector-none",
            json!({"nodeSelector": {"disk": "nvme"}}),
            Expect::Refused("didn't match Pod's node affinity/selector"),
        ),
        (
            "in",
            required_affinity(
                json!({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}),
            ),
            Expect::On(&["big-0"]),
        ),
        (
            "not-in",
            required_affinity(
                json!({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}),
            ),
            Expect::On(&["big-0"]),
        ),
        (
            "exists",
            required_affinity(json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]})),
            Expect::On(&["big-0"]),
        ),
        (
            "does-not-exist",
            required_affinity(
                json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
            ),
            Expect::On(&["small-0", "small-1"]),
        ),
        (
            "gt",
            required_affinity(
                json!({"matchExpressions": [{"key": "tier", "operator": "Gt", "values": ["2"]}]}),
            ),
            Expect::On(&["big-0"]),
        ),
        (
            "lt",
            required_affinity(
                json!({"matchExpressions": [{"key": "tier", "operator": "Lt", "values": ["2"]}]}),
            ),
            Expect::Refused("didn't match Pod's node affinity/selector"),
        ),
        (
            "match-fields",
            required_affinity(
                json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["small-1"]}]}),
            ),
            Expect::On(&["small-1"]),
        ),
        (
            "preferred",
            json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]}}]}}}),
            Expect::On(&["big-0"]),
        ),
        // TaintToleration
        (
            "tolerates",
            json!({"nodeSelector": {"kubernetes.io/hostname": "big-1"}, "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]}),
            Expect::On(&["big-1"]),
        ),
        (
            "intolerant",
            json!({"nodeSelector": {"kubernetes.io/hostname": "big-1"}}),
            Expect::Refused("node(s) had untolerated taint {dedicated: ml}"),
        ),
        // InterPodAffinity
        (
            "affinity",
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
            Expect::On(&["small-0"]),
        ),
        (
            "affinity-none",
            json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "ghost"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
            Expect::Refused("didn't match pod affinity rules"),
        ),
        (
            "anti-affinity",
            json!({"nodeSelector": {"disk": "ssd"}, "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
            Expect::On(&["small-1"]),
        ),
        (
            "anti-affinity-none",
            json!({"nodeSelector": {"kubernetes.io/hostname": "small-0"}, "affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}}),
            Expect::Refused("didn't match pod anti-affinity rules"),
        ),
        // PodTopologySpread
        (
            "spread-missing-key",
            json!({"labels": {"grp": "r"}, "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "rack", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"grp": "r"}}}]}),
            Expect::Refused(
                "didn't match pod topology spread constraints (missing required label)",
            ),
        ),
        // NodePorts
        (
            "port-b",
            on_small_1(json!({"ports": [{"containerPort": 80, "hostPort": 8080}]})),
            Expect::Refused("didn't have free ports for the requested pod ports"),
        ),
        (
            "port-c",
            on_small_1(json!({"ports": [{"containerPort": 80, "hostPort": 8081}]})),
            Expect::On(&["small-1"]),
        ),
        // Volume node affinity
        ("volume-near", uses("near"), Expect::On(&["small-1"])),
        (
            "volume-far",
            uses("far"),
            Expect::Refused("had volume node affinity conflict"),
        ),
        (
            "volume-missing",
            uses("nope"),
            Expect::Refused("persistentvolumeclaim \"nope\" not found"),
        ),
    ];
    let spread = |name: &str| {
        pod(
            name,
            json!({"labels": {"grp": "s"}, "nodeSelector": {"disk": "ssd"}, "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {"grp": "s"}}}]}),
        )
    };
    let mut items: Vec<Value> = cases.iter().map(|(n, s, _)| pod(n, s.clone())).collect();
    items.push(spread("spread-1"));
    items.push(spread("spread-2"));
    apply(&cluster, items);
    let expectations: Vec<(&str, Expect)> = cases.into_iter().map(|(n, _, e)| (n, e)).collect();
    check(&cluster, &expectations);
    // Spread: the two pods of one group went to different ssd nodes.
    check(
        &cluster,
        &[
            ("spread-1", Expect::On(&["small-0", "small-1"])),
            ("spread-2", Expect::On(&["small-0", "small-1"])),
        ],
    );
    assert_ne!(
        cluster.jsonpath(&["pod", "spread-1"], "{.spec.nodeName}"),
        cluster.jsonpath(&["pod", "spread-2"], "{.spec.nodeName}"),
        "maxSkew 1 over two nodes puts the pods on different nodes"
    );
    // kubectl describe shows the reason as upstream words it.
    let described = cluster
        .kubectl(&["describe", "pod", "cpu-too-much"])
        .ok()
        .stdout;
    assert!(
        described.contains("FailedScheduling")
            && described.contains("0/5 nodes are available:")
            && described.contains("Insufficient cpu"),
        "{described}"
    );
    // Bound pods run on their simulated nodes.
    cluster.wait_until("cpu-fits Running", || {
        (cluster.jsonpath(&["pod", "cpu-fits"], "{.status.phase}") == "Running").then_some(())
    });
}

#[test]
fn scores_spread_or_pack_by_profile() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("n", 2, "cpu=4,memory=8Gi", "");
    apply(
        &cluster,
        vec![pod(
            "load",
            json!({"nodeName": "n-0", "resources": {"requests": {"cpu": "2", "memory": "4Gi"}}}),
        )],
    );
    check(&cluster, &[("load", Expect::On(&["n-0"]))]);
    let requests = json!({"cpu": "500m", "memory": "512Mi"});
    apply(
        &cluster,
        vec![
            pod("spread", json!({"resources": {"requests": requests}})),
            pod(
                "pack",
                json!({"schedulerName": "berth-binpack", "resources": {"requests": requests}}),
            ),
            // A pod for a scheduler that does not exist stays Pending, untouched.
            pod("other", json!({"schedulerName": "someone-else"})),
        ],
    );
    check(
        &cluster,
        &[
            // LeastAllocated (default profile): the emptier node.
            ("spread", Expect::On(&["n-1"])),
            // MostAllocated (berth-binpack): the fuller node that fits.
            ("pack", Expect::On(&["n-0"])),
        ],
    );
    assert_eq!(cluster.jsonpath(&["pod", "other"], "{.spec.nodeName}"), "");
    assert_eq!(
        cluster.jsonpath(&["pod", "other"], "{.status.phase}"),
        "Pending"
    );
}

#[test]
fn unschedulable_pods_wait_for_a_change_that_lets_them_fit() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("w", 1, "cpu=2", "");
    cluster.kubectl(&["cordon", "w-0"]).ok();
    apply(&cluster, vec![pod("waiting", json!({}))]);
    check(
        &cluster,
        &[("waiting", Expect::Refused("node(s) were unschedulable"))],
    );
    let described = cluster.kubectl(&["describe", "pod", "waiting"]).ok().stdout;
    assert!(
        described.contains("0/1 nodes are available: 1 node(s) were unschedulable."),
        "{described}"
    );
    let taints = cluster.jsonpath(&["node", "w-0"], "{.spec.taints[*].key}");
    assert!(
        taints.contains("node.kubernetes.io/unschedulable"),
        "{taints}"
    );
    cluster.kubectl(&["uncordon", "w-0"]).ok();
    check(&cluster, &[("waiting", Expect::On(&["w-0"]))]);
    let events = cluster
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=waiting,reason=Scheduled",
        ])
        .ok()
        .stdout;
    assert!(
        events.contains("Successfully assigned default/waiting to w-0"),
        "{events}"
    );
}

#[test]
fn a_higher_priority_pod_preempts_a_lower_one() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("p", 1, "cpu=2,memory=4Gi", "");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n",
        )
        .ok();
    let requests = json!({"cpu": "1500m"});
    apply(
        &cluster,
        vec![pod("low", json!({"resources": {"requests": requests}}))],
    );
    check(&cluster, &[("low", Expect::On(&["p-0"]))]);
    let low_uid = cluster.jsonpath(&["pod", "low"], "{.metadata.uid}");
    // A pod that names no class gets priority 0; an unknown class is refused.
    assert_eq!(cluster.jsonpath(&["pod", "low"], "{.spec.priority}"), "0");
    let refused = cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod("nope", json!({"priorityClassName": "missing"})).to_string(),
        )
        .failed();
    assert!(
        refused
            .stderr
            .contains("no PriorityClass with name missing was found"),
        "{}",
        refused.stderr
    );
    apply(
        &cluster,
        vec![pod(
            "high",
            json!({"priorityClassName": "high", "resources": {"requests": requests}}),
        )],
    );
    assert_eq!(
        cluster.jsonpath(&["pod", "high"], "{.spec.priority}"),
        "1000"
    );
    check(&cluster, &[("high", Expect::On(&["p-0"]))]);
    // The victim is gone (the simulated node finished its deletion), with an event saying why.
    cluster.wait_until("the low-priority pod to be deleted", || {
        (!cluster.kubectl(&["get", "pod", "low"]).status.success()).then_some(())
    });
    let events = cluster
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.uid={low_uid}"),
        ])
        .ok()
        .stdout;
    assert!(events.contains("Preempted"), "{events}");
    assert_eq!(
        cluster.jsonpath(&["pod", "high"], "{.status.nominatedNodeName}"),
        "p-0"
    );
}

#[test]
fn gated_pods_wait_until_their_gates_are_removed() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("g", 1, "cpu=2", "");
    let mut held = pod("held", json!({}));
    held["spec"]["schedulingGates"] = json!([{"name": "example.com/quota"}]);
    apply(&cluster, vec![held]);
    let listed = cluster.kubectl(&["get", "pod", "held"]).ok().stdout;
    assert!(listed.contains("SchedulingGated"), "{listed}");
    assert_eq!(
        cluster.jsonpath(
            &["pod", "held"],
            "{.status.conditions[?(@.type==\"PodScheduled\")].reason}"
        ),
        "SchedulingGated"
    );
    // Nothing binds it: neither a binding of our own nor the scheduler, which places a pod
    // applied after it.
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "held"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "g-0"}});
    let refused = cluster
        .kubectl_stdin(
            &[
                "create",
                "--raw",
                "/api/v1/namespaces/default/pods/held/binding",
                "-f",
                "-",
            ],
            &binding.to_string(),
        )
        .failed();
    assert!(
        refused
            .stderr
            .contains("pod held has non-empty .spec.schedulingGates"),
        "{}",
        refused.stderr
    );
    apply(&cluster, vec![pod("free", json!({}))]);
    check(&cluster, &[("free", Expect::On(&["g-0"]))]);
    assert_eq!(cluster.jsonpath(&["pod", "held"], "{.spec.nodeName}"), "");
    // Gates are set at creation: one cannot be added later.
    let added = cluster
        .kubectl(&[
            "patch",
            "pod",
            "held",
            "--type=json",
            "-p",
            r#"[{"op": "add", "path": "/spec/schedulingGates/-", "value": {"name": "more"}}]"#,
        ])
        .failed();
    assert!(
        added
            .stderr
            .contains("only deletion is allowed, but found new scheduling gate 'more'"),
        "{}",
        added.stderr
    );
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "held",
            "--type=json",
            "-p",
            r#"[{"op": "remove", "path": "/spec/schedulingGates"}]"#,
        ])
        .ok();
    check(&cluster, &[("held", Expect::On(&["g-0"]))]);
    cluster.wait_until("the released pod to run", || {
        (cluster.jsonpath(&["pod", "held"], "{.status.phase}") == "Running").then_some(())
    });
}
