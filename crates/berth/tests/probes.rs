//! End-to-end: container probes on a real node, driven by the real kubectl — a readiness
//! probe holds a pod out of Ready until its check passes, a failing liveness probe restarts
//! its container (its preStop hook first), a startup probe that never passes kills its container and keeps the
//! liveness probe from running meanwhile, and a TCP readiness probe passes on a listening
//! port. Needs root, runc, containernetworking-plugins, busybox-static.

mod support;

use std::time::Duration;

use support::node::{Node, start_node};

const IMAGE: &str = "berth.local/demo/busybox:1";

fn pod(name: &str, container: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  terminationGracePeriodSeconds: 2\n  containers:\n  - name: c\n    image: {IMAGE}\n{container}"
    )
}

#[test]
fn probes_gate_readiness_and_restart_unhealthy_containers() {
    let Node { cluster, .. } = start_node(1);
    let httpd = "    command: [httpd, -f, -p, '8080', -h, /var/www]\n    ports: [{name: web, containerPort: 8080}]\n";
    let manifests = [
        pod(
            "gated",
            &format!(
                "{httpd}    readinessProbe: {{exec: {{command: [test, -f, /tmp/ready]}}, periodSeconds: 1}}\n"
            ),
        ),
        pod(
            "unhealthy",
            &format!(
                "{httpd}    livenessProbe: {{httpGet: {{path: /healthz, port: web}}, periodSeconds: 1, failureThreshold: 2}}\n    lifecycle: {{preStop: {{exec: {{command: [sh, -c, 'echo stopping for the probe > /proc/1/fd/1']}}}}}}\n"
            ),
        ),
        pod(
            "never-started",
            &format!(
                "{httpd}    startupProbe: {{tcpSocket: {{port: 9}}, periodSeconds: 1, failureThreshold: 2}}\n    livenessProbe: {{exec: {{command: ['false']}}, periodSeconds: 1}}\n"
            ),
        ),
        pod(
            "listening",
            &format!(
                "{httpd}    readinessProbe: {{tcpSocket: {{port: 8080}}, periodSeconds: 1}}\n"
            ),
        ),
    ];
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &manifests.join("---\n"))
        .ok();

    // A TCP readiness probe on the listening port: Ready.
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/listening",
            "--timeout=60s",
        ])
        .ok();

    // Running and started, but not ready until the file exists; the failures are events.
    let held = cluster.wait_until("a running, started, unready container", || {
        let s = cluster.jsonpath(
            &["pod", "gated"],
            "{.status.phase}|{.status.containerStatuses[0].started}|{.status.containerStatuses[0].ready}|{.status.conditions[?(@.type==\"Ready\")].status}",
        );
        (s == "Running|true|false|False").then_some(s)
    });
    assert_eq!(held, "Running|true|false|False");
    let unhealthy = cluster.wait_until("a readiness failure event", || {
        let events = cluster
            .kubectl(&[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=gated",
            ])
            .ok()
            .stdout;
        events.contains("Readiness probe failed").then_some(events)
    });
    assert!(unhealthy.contains("Unhealthy"), "{unhealthy}");
    cluster
        .kubectl(&["exec", "gated", "--", "touch", "/tmp/ready"])
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/gated",
            "--timeout=30s",
        ])
        .ok();

    // A liveness probe that fails (404) kills the container; it is restarted.
    let restarted = cluster.wait_until_within(
        Duration::from_secs(90),
        "a restart after liveness failures",
        || {
            let n = cluster.jsonpath(
                &["pod", "unhealthy"],
                "{.status.containerStatuses[0].restartCount}",
            );
            n.parse::<u32>().is_ok_and(|n| n >= 1).then_some(n)
        },
    );
    assert!(restarted.parse::<u32>().is_ok_and(|n| n >= 1));
    let described = cluster
        .kubectl(&["describe", "pod", "unhealthy"])
        .ok()
        .stdout;
    assert!(
        described.contains("Liveness probe failed: HTTP probe failed with statuscode: 404"),
        "{described}"
    );
    assert!(
        described.contains("Container c failed liveness probe, will be restarted"),
        "{described}"
    );
    // The kill was the kubelet's: preStop ran first (its output is in the killed attempt's log).
    let previous = cluster
        .kubectl(&["logs", "unhealthy", "--previous"])
        .ok()
        .stdout;
    assert!(previous.contains("stopping for the probe"), "{previous}");

    // A startup probe that never passes kills its container; the liveness probe (which
    // would fail at once) never ran while it had not started.
    let killed = cluster.wait_until_within(
        Duration::from_secs(90),
        "a kill after startup probe failures",
        || {
            let events = cluster
                .kubectl(&[
                    "get",
                    "events",
                    "--field-selector",
                    "involvedObject.name=never-started",
                ])
                .ok()
                .stdout;
            events.contains("failed startup probe").then_some(events)
        },
    );
    assert!(
        killed.contains("Startup probe failed: dial tcp"),
        "{killed}"
    );
    assert!(!killed.contains("Liveness probe failed"), "{killed}");
    let started = cluster.jsonpath(
        &["pod", "never-started"],
        "{.status.containerStatuses[0].started}|{.status.containerStatuses[0].ready}",
    );
    assert_eq!(started, "false|false");

    cluster
        .kubectl(&[
            "delete",
            "pod",
            "gated",
            "unhealthy",
            "never-started",
            "listening",
            "--grace-period=1",
        ])
        .ok();
}
