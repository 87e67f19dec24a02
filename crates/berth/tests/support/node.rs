//! A node for end-to-end tests: `berth server` with its agent on a bridge, cgroup, pod and
//! Service ranges and ports unique to the test, with the host cleaned up on drop.

use std::path::PathBuf;

use super::{Cluster, HostCleanup, free_networks, import_demo_image};

/// A server with its agent, on names unique to this test (`tag` tells tests of one process
/// apart), with the demo image imported.
pub struct Node {
    pub cluster: Cluster,
    pub name: String,
    pub cidr: String,
    pub data_dir: PathBuf,
    pub bridge: String,
    pub cluster_dns: String,
}

pub fn start_node(tag: u32) -> Node {
    start_node_with(tag, &[], true)
}

/// [`start_node`] with more `berth server` flags, and the demo image only when `demo`.
pub fn start_node_with(tag: u32, extra: &[&str], demo: bool) -> Node {
    let unique = (std::process::id() % 10_000) * 10 + tag;
    let bridge = format!("bt{unique}");
    let cgroup_root = format!("berth-test-{unique}");
    let networks = free_networks(tag);
    let cidr = networks.cluster_cidr.clone();
    let name = format!("node-{unique}");
    let kubelet_port = super::free_port().to_string();
    let mut args = vec![
        "--node-ip",
        "127.0.0.1",
        "--kubelet-port",
        &kubelet_port,
        "--cluster-cidr",
        &cidr,
        "--service-cidr",
        &networks.service_cidr,
        "--cluster-dns",
        &networks.cluster_dns,
        "--cni-bridge",
        &bridge,
        "--cgroup-root",
        &cgroup_root,
        "--node-name",
        &name,
    ];
    args.extend_from_slice(extra);
    let mut cluster = Cluster::start_with_agent(&args);
    let data_dir = cluster.path().join("data");
    cluster.clean_host_on_drop(HostCleanup {
        data_dir: data_dir.clone(),
        bridge: bridge.clone(),
        cgroup_root,
        service_cidr: networks.service_cidr.clone(),
    });
    if demo {
        import_demo_image(&data_dir, &cluster.path().join("demo.tar"));
    }
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            &format!("node/{name}"),
            "--timeout=60s",
        ])
        .ok();
    Node {
        cluster,
        name,
        cidr,
        data_dir,
        bridge,
        cluster_dns: networks.cluster_dns.clone(),
    }
}
