//! End-to-end: a real `berth agent` joins a `berth server --disable-agent` with the cluster
//! token, as a second machine would, runs pods with real containers, and outlives a restart
//! of the server: its pods keep running (same containers) and it runs new ones, having
//! re-watched. Needs root, runc, containernetworking-plugins, busybox-static.

mod support;

use support::{Cluster, HostCleanup, free_networks, free_port, http_get, import_demo_image};

const IMAGE: &str = "berth.local/demo/busybox:1";

fn web(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers: [{{name: c, image: {IMAGE}, command: [httpd, -f, -p, '8080', -h, /var/www]}}]\n"
    )
}

#[test]
fn a_separate_agent_joins_runs_pods_and_outlives_a_server_restart() {
    let unique = (std::process::id() % 10_000) * 10 + 6;
    let networks = free_networks(6);
    let (bridge, cgroup_root, node) = (
        format!("bt{unique}"),
        format!("berth-test-{unique}"),
        format!("joined-{unique}"),
    );
    let mut cluster = Cluster::start_with(&[
        "--cluster-cidr",
        &networks.cluster_cidr,
        "--service-cidr",
        &networks.service_cidr,
    ]);
    let data = cluster.path().join("agent-data");
    cluster.clean_host_on_drop(HostCleanup {
        data_dir: data.clone(),
        bridge: bridge.clone(),
        cgroup_root: cgroup_root.clone(),
        service_cidr: networks.service_cidr.clone(),
    });
    import_demo_image(&data, &cluster.path().join("demo.tar"));
    let kubelet_port = free_port().to_string();
    // Declared after the cluster: stopped before the host is cleaned.
    let agent = cluster.join_agent(&[
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--node-name",
        &node,
        "--node-ip",
        "127.0.0.1",
        "--kubelet-port",
        &kubelet_port,
        "--cni-bridge",
        &bridge,
        "--cgroup-root",
        &cgroup_root,
        "--cluster-dns",
        &networks.cluster_dns,
        "--service-cidr",
        &networks.service_cidr,
    ]);
    cluster.wait_until("the joined node Ready", || {
        let ready = cluster.jsonpath(
            &["node", &node],
            "{.status.conditions[?(@.type==\"Ready\")].status}",
        );
        (ready == "True").then_some(())
    });

    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &web("before"))
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/before",
            "--timeout=60s",
        ])
        .ok();
    let placed = cluster.jsonpath(&["pod", "before"], "{.spec.nodeName}");
    assert_eq!(placed, node);
    let ip = cluster.jsonpath(&["pod", "before"], "{.status.podIP}");
    let id = cluster.jsonpath(
        &["pod", "before"],
        "{.status.containerStatuses[0].containerID}",
    );
    cluster.wait_until("the pod serving", || {
        http_get(&ip, 8080).filter(|r| r.contains("Hello from Berth"))
    });
    // Every watch and request of the agent (node, pods, Lease, statuses) on one HTTP/2
    // connection, as a kubelet's client-go does.
    assert_eq!(agent.connections_to(cluster.port), 1);

    // The server dies (kill -9) and comes back; the agent stays.
    cluster.restart();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &web("after"))
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/after",
            "--timeout=90s",
        ])
        .ok();
    let still = cluster.jsonpath(
        &["pod", "before"],
        "{.status.containerStatuses[0].containerID}|{.status.containerStatuses[0].restartCount}",
    );
    assert_eq!(still, format!("{id}|0"), "the first pod was restarted");
    assert_eq!(agent.connections_to(cluster.port), 1, "after the restart");
    assert!(http_get(&ip, 8080).is_some_and(|r| r.contains("Hello from Berth")));

    cluster
        .kubectl(&["delete", "pod", "before", "after", "--timeout=60s"])
        .ok();
}
