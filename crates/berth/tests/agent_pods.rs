//! End-to-end: `berth server` with its node agent runs real containers (runc, CNI bridge,
//! the demo image from busybox-static), driven by the real kubectl — an init container
//! prepares a file an httpd then serves on the pod IP, a crashing container backs off, a
//! SIGTERM-trapping one stops within its grace period, a missing command and a missing image
//! are reported, and deleting the pods leaves no container, mount, namespace or address.
//! Needs root, runc, containernetworking-plugins, busybox-static (scripts/install-packages).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::node::{Node, start_node};
use support::{http_get, http_get_path, mounts_under};

const IMAGE: &str = "berth.local/demo/busybox:1";

fn pod(name: &str, spec: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{spec}")
}

#[test]
fn real_containers_serve_restart_stop_and_leave_nothing_behind() {
    let Node {
        mut cluster,
        name: node,
        cidr,
        data_dir,
        bridge,
        cluster_dns,
    } = start_node(1);
    // The node: Ready, with a podCIDR and runc as its runtime.
    let info = cluster.jsonpath(
        &["node", &node],
        "{.spec.podCIDR}|{.status.nodeInfo.containerRuntimeVersion}",
    );
    assert!(
        info.starts_with(&cidr.replace(".0.0/17", ".0.0/24")),
        "{info}"
    );
    assert!(info.contains("|runc://"), "{info}");
    // Service addresses (the cluster DNS among them) stay on the machine: a routing-table
    // lookup, no packet sent.
    let route = Command::new("ip")
        .args(["-o", "route", "get", &cluster_dns])
        .output()
        .expect("ip route get");
    let route = format!(
        "{}{}",
        String::from_utf8_lossy(&route.stdout),
        String::from_utf8_lossy(&route.stderr)
    );
    let dummy = format!("{}svc", &bridge[..bridge.len().min(12)]);
    assert!(
        route.contains(&format!("dev {dummy}"))
            || route.contains("unreachable")
            || route.contains("No route to host"),
        "Service traffic would leave the machine: {route}"
    );

    // An init container writes the page; httpd serves it on the pod IP.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod(
                "web",
                &format!(
                    "  volumes: [{{name: www, emptyDir: {{}}}}]\n  initContainers: [{{name: prepare, image: {IMAGE}, command: [sh, -c, 'echo made by init > /www/index.html'], volumeMounts: [{{name: www, mountPath: /www}}]}}]\n  containers: [{{name: httpd, image: {IMAGE}, command: [httpd, -f, -p, '8080', -h, /www], volumeMounts: [{{name: www, mountPath: /www}}]}}]\n"
                ),
            ),
        )
        .ok();
    cluster
        .kubectl(&["wait", "--for=condition=Ready", "pod/web", "--timeout=60s"])
        .ok();
    let ip = cluster.jsonpath(&["pod", "web"], "{.status.podIP}");
    assert!(
        ip.starts_with(&cidr[..cidr.len() - 6]),
        "pod IP {ip} outside {cidr}"
    );
    let page = cluster.wait_until("the page on the pod IP", || {
        http_get(&ip, 8080).filter(|r| r.contains("made by init"))
    });
    assert!(page.starts_with("HTTP/1."), "{page}");
    let init = cluster.jsonpath(
        &["pod", "web"],
        "{.status.initContainerStatuses[0].state.terminated.reason}/{.status.initContainerStatuses[0].state.terminated.exitCode}",
    );
    assert_eq!(init, "Completed/0");
    let id = cluster.jsonpath(
        &["pod", "web"],
        "{.status.containerStatuses[0].containerID}",
    );
    assert!(id.starts_with("runc://"), "{id}");

    // The agent dies (kill -9, with its server) and comes back: the container kept running,
    // is re-adopted (same ID, no restart) and still serves.
    cluster.restart();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            &format!("node/{node}"),
            "--timeout=60s",
        ])
        .ok();
    cluster.wait_until("the pod re-adopted", || {
        let now = cluster.jsonpath(
            &["pod", "web"],
            "{.status.containerStatuses[0].containerID}|{.status.containerStatuses[0].restartCount}|{.status.phase}",
        );
        (now == format!("{id}|0|Running")).then_some(())
    });
    assert!(
        http_get(&ip, 8080).is_some_and(|r| r.contains("made by init")),
        "not serving after the restart"
    );
    // Only one container of it ever ran.
    let attempts = std::fs::read_dir(data_dir.join("agent/containers"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().contains("_httpd_"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(attempts, 1);

    // exec through the API server (WebSocket v5): output, stdin, exit codes; cp both ways.
    let out = cluster
        .kubectl(&[
            "exec",
            "web",
            "-c",
            "httpd",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; hostname",
        ])
        .ok();
    assert_eq!(out.stdout, "out\nweb\n");
    assert!(out.stderr.contains("err"), "{}", out.stderr);
    let failed = cluster.kubectl(&["exec", "web", "-c", "httpd", "--", "sh", "-c", "exit 7"]);
    assert_eq!(failed.status.code(), Some(7), "{}", failed.stderr);
    let echoed = cluster
        .kubectl_stdin(
            &["exec", "-i", "web", "-c", "httpd", "--", "cat"],
            "through stdin\n",
        )
        .ok();
    assert_eq!(echoed.stdout, "through stdin\n");
    // With a terminal (kubectl needs one of its own for -t: `script` gives it a pty).
    let with_tty = cluster
        .in_terminal("kubectl exec -it web -c httpd -- sh -c 'tty; stty size; exit 4'")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script (util-linux)");
    let shown = String::from_utf8_lossy(&with_tty.stdout).into_owned();
    assert!(shown.contains("/dev/pts/"), "{shown}");
    assert_eq!(with_tty.status.code(), Some(4), "{shown}");
    let local = cluster.write("copied.txt", "copied in\n");
    cluster
        .kubectl(&[
            "cp",
            local.to_str().expect("utf-8"),
            "web:/www/copied.txt",
            "-c",
            "httpd",
        ])
        .ok();
    let page = cluster.wait_until("the copied file served", || {
        let r = http_get_path(&ip, 8080, "/copied.txt")?;
        r.contains("copied in").then_some(r)
    });
    assert!(page.starts_with("HTTP/1."), "{page}");
    let back = cluster.path().join("back.html");
    cluster
        .kubectl(&[
            "cp",
            "web:/www/index.html",
            back.to_str().expect("utf-8"),
            "-c",
            "httpd",
        ])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&back).unwrap_or_default(),
        "made by init\n"
    );

    // port-forward through the API server (SPDY/3.1 inside the WebSocket): the pod's port,
    // a port that listens only on the pod's own localhost, and one nobody listens on.
    cluster
        .kubectl(&[
            "exec",
            "web",
            "-c",
            "httpd",
            "--",
            "httpd",
            "-p",
            "127.0.0.1:9090",
            "-h",
            "/www",
        ])
        .ok();
    let ports: Vec<u16> = (0..3).map(|_| support::free_port()).collect();
    let forward_log = cluster.path().join("port-forward.err");
    let mut forward = cluster
        .kubectl_command()
        .args([
            "port-forward".to_string(),
            "pod/web".to_string(),
            format!("{}:8080", ports[0]),
            format!("{}:9090", ports[1]),
            format!("{}:9999", ports[2]),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&forward_log).expect("log file"))
        .spawn()
        .expect("kubectl port-forward");
    let lines = support::stdout_lines(&mut forward);
    support::wait_for_line(&lines, &format!("127.0.0.1:{} -> 9999", ports[2]));
    for port in &ports[..2] {
        let page = http_get("127.0.0.1", *port).unwrap_or_default();
        assert!(
            page.contains("made by init"),
            "through port {port}: {page:?}; kubectl said: {}",
            std::fs::read_to_string(&forward_log).unwrap_or_default()
        );
    }
    let refused = http_get("127.0.0.1", ports[2]).unwrap_or_default();
    assert!(!refused.contains("HTTP/1."), "{refused}");
    // kubectl reports the pod's error (and, since 1.23, ends the forward).
    let _ = forward.kill();
    let _ = forward.wait();
    let errors = std::fs::read_to_string(&forward_log).unwrap_or_default();
    assert!(
        errors.contains("error forwarding port 9999") && errors.contains("refused"),
        "{errors}"
    );

    // attach: to a container's own stdin and output (kubectl attach -i), and to a container
    // with a terminal (kubectl attach -it, in a pty of its own from `script`).
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &format!(
                "{}---\n{}",
                pod("reader", &format!("  restartPolicy: Never\n  containers: [{{name: c, image: {IMAGE}, stdin: true, command: [sh, -c, 'read line; echo got $line']}}]\n")),
                pod("term", &format!("  containers: [{{name: c, image: {IMAGE}, stdin: true, tty: true, command: [sh, -c, 'while true; do tty; sleep 1; done']}}]\n"))
            ),
        )
        .ok();
    for name in ["reader", "term"] {
        cluster
            .kubectl(&[
                "wait",
                "--for=condition=Ready",
                &format!("pod/{name}"),
                "--timeout=60s",
            ])
            .ok();
    }
    let attached = cluster
        .kubectl_stdin(&["attach", "-i", "reader"], "hello\n")
        .ok();
    assert!(
        attached.stdout.contains("got hello"),
        "{} {}",
        attached.stdout,
        attached.stderr
    );
    let mut terminal = cluster
        .in_terminal("timeout --foreground 60 kubectl attach -it term")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let lines = support::stdout_lines(&mut terminal);
    if let Err(seen) = support::find_line(&lines, "/dev/pts/") {
        let _ = terminal.kill();
        panic!(
            "kubectl attach -it showed no terminal output; saw {seen:#?}\n\
             the container's log: {}\npod: {}\nserver: {:#?}",
            cluster.kubectl(&["logs", "term", "--tail", "3"]).stdout,
            cluster
                .kubectl(&["get", "pod", "term", "-o", "jsonpath={.status}"])
                .stdout,
            cluster.log_tail(40)
        );
    }
    let _ = terminal.kill();
    let _ = terminal.wait();
    cluster
        .kubectl(&["delete", "pod", "reader", "term", "--grace-period=1"])
        .ok();

    // hostPort: the node's port leads to the pod (from the node itself too); a host port
    // some program holds fails the pod's sandbox, saying which port and why. Pod egress is
    // masqueraded by the node's own NAT table.
    let host_port = support::free_port();
    let holder = std::net::TcpListener::bind("0.0.0.0:0").expect("a port to hold");
    let held = holder.local_addr().expect("address").port();
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &format!(
                "{}---\n{}",
                pod("published", &format!("  containers: [{{name: c, image: {IMAGE}, command: [httpd, -f, -p, '8080', -h, /var/www], ports: [{{containerPort: 8080, hostPort: {host_port}}}]}}]\n")),
                pod("clash", &format!("  containers: [{{name: c, image: {IMAGE}, command: [httpd, -f, -p, '8080'], ports: [{{containerPort: 8080, hostPort: {held}}}]}}]\n"))
            ),
        )
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/published",
            "--timeout=60s",
        ])
        .ok();
    let page = cluster.wait_until("the page on the host port", || {
        http_get("127.0.0.1", host_port).filter(|r| r.contains("Hello from Berth"))
    });
    assert!(page.starts_with("HTTP/1."), "{page}");
    let clash = cluster.wait_until("the host port conflict reported", || {
        let events = cluster
            .kubectl(&[
                "get",
                "events",
                "--field-selector",
                "involvedObject.name=clash",
            ])
            .ok()
            .stdout;
        events.contains("FailedCreatePodSandBox").then_some(events)
    });
    assert!(
        clash.contains(&format!("hostPort {held}/TCP is already in use")),
        "{clash}"
    );
    assert_eq!(
        cluster.jsonpath(&["pod", "clash"], "{.status.phase}"),
        "Pending"
    );
    let table = Command::new("nft")
        .args(["list", "table", "ip", &format!("berth_{bridge}")])
        .output()
        .expect("nft");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("masquerade"), "{table}");
    assert!(
        table.contains(&format!("dport {host_port} dnat to")),
        "{table}"
    );
    cluster
        .kubectl(&["delete", "pod", "published", "clash", "--grace-period=1"])
        .ok();
    drop(holder);

    // Logs, through the API server from the agent: whole, tail, timestamps, follow.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod("talk", &format!("  restartPolicy: Never\n  containers: [{{name: c, image: {IMAGE}, command: [sh, -c, 'for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done; echo oops >&2']}}]\n")),
        )
        .ok();
    cluster.wait_until("talk to finish", || {
        (cluster.jsonpath(&["pod", "talk"], "{.status.phase}") == "Succeeded").then_some(())
    });
    let all = cluster.kubectl(&["logs", "talk"]).ok().stdout;
    assert_eq!(all, "line 1\nline 2\nline 3\nline 4\nline 5\noops\n");
    let tail = cluster.kubectl(&["logs", "talk", "--tail=2"]).ok().stdout;
    assert_eq!(tail, "line 5\noops\n");
    let stamped = cluster
        .kubectl(&["logs", "talk", "--tail=1", "--timestamps"])
        .ok()
        .stdout;
    let (time, text) = stamped.trim_end().split_once(' ').expect("a timestamp");
    assert!(
        time.parse::<jiff::Timestamp>().is_ok() && text == "oops",
        "{stamped}"
    );
    let followed = cluster.kubectl(&["logs", "-f", "talk"]).ok().stdout;
    assert_eq!(
        followed, all,
        "a finished container's follow ends with its log"
    );
    let err = cluster
        .kubectl(&["logs", "talk", "-c", "nope"])
        .failed()
        .stderr;
    assert!(
        err.contains("container nope is not valid for pod talk"),
        "{err}"
    );

    // A crashing container: restarts with growing back-off, CrashLoopBackOff between.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod("crash", &format!("  containers: [{{name: c, image: {IMAGE}, command: [sh, -c, 'echo boom; exit 2']}}]\n")),
        )
        .ok();
    let seen = cluster.wait_until_within(Duration::from_secs(90), "two restarts and CrashLoopBackOff", || {
        let s = cluster.jsonpath(
            &["pod", "crash"],
            "{.status.containerStatuses[0].restartCount}|{.status.containerStatuses[0].state.waiting.reason}|{.status.containerStatuses[0].lastState.terminated.exitCode}",
        );
        let parts: Vec<&str> = s.split('|').collect();
        (parts.len() == 3 && parts[0].parse::<u32>().is_ok_and(|n| n >= 2) && parts[1] == "CrashLoopBackOff")
            .then_some(s)
    });
    assert!(seen.ends_with("|2"), "{seen}");
    let previous = cluster
        .kubectl(&["logs", "crash", "--previous"])
        .ok()
        .stdout;
    assert_eq!(previous, "boom\n");
    let events = cluster
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=crash",
        ])
        .ok()
        .stdout;
    assert!(events.contains("BackOff"), "{events}");

    // A container that handles SIGTERM stops when deleted, well within its grace period,
    // after its preStop hook ran (the hook writes to the container's own output).
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod("graceful", &format!("  terminationGracePeriodSeconds: 60\n  containers: [{{name: c, image: {IMAGE}, command: [sh, -c, 'trap \"echo bye; exit 0\" TERM; while true; do sleep 0.1; done'], lifecycle: {{preStop: {{exec: {{command: [sh, -c, 'echo stopping > /proc/1/fd/1']}}}}}}}}]\n")),
        )
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/graceful",
            "--timeout=60s",
        ])
        .ok();
    let follower = cluster
        .kubectl_command()
        .args(["logs", "-f", "graceful"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl logs -f");
    let started = Instant::now();
    cluster
        .kubectl(&["delete", "pod", "graceful", "--timeout=50s"])
        .ok();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "deletion waited the grace period: {:?}",
        started.elapsed()
    );
    let out = follower.wait_with_output().expect("kubectl logs -f");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let (hook, bye) = (said.find("stopping"), said.find("bye"));
    assert!(
        hook.is_some() && bye.is_some() && hook < bye,
        "the preStop hook, then SIGTERM: {said:?}"
    );

    // A command that does not exist, and an image that is not there.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod(
                "nocommand",
                &format!(
                    "  containers: [{{name: c, image: {IMAGE}, command: [/no/such/program]}}]\n"
                ),
            ),
        )
        .ok();
    let message = cluster.wait_until("the start error", || {
        let m = cluster.jsonpath(&["pod", "nocommand"], "{.status.containerStatuses[0].lastState.terminated.message}{.status.containerStatuses[0].state.terminated.message}");
        (!m.is_empty()).then_some(m)
    });
    assert!(message.contains("/no/such/program"), "{message}");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod(
                "noimage",
                // A registry on loopback that nobody listens on: the pull fails without a
                // packet leaving the machine (not even a DNS lookup).
                "  containers: [{name: c, image: \"127.0.0.1:1/nothing/here:1\"}]\n",
            ),
        )
        .ok();
    let waiting = cluster.wait_until("the image error", || {
        let w = cluster.jsonpath(&["pod", "noimage"], "{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}");
        (w.starts_with("ErrImagePull") || w.starts_with("ImagePullBackOff")).then_some(w)
    });
    assert!(waiting.contains("127.0.0.1:1/nothing/here:1"), "{waiting}");
    assert!(waiting.contains("Connection refused"), "{waiting}");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod(
                "neverpull",
                "  containers: [{name: c, image: berth.local/nothing/here:2, imagePullPolicy: Never}]\n",
            ),
        )
        .ok();
    let never = cluster.wait_until("ErrImageNeverPull", || {
        let w = cluster.jsonpath(
            &["pod", "neverpull"],
            "{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}",
        );
        w.starts_with("ErrImageNeverPull").then_some(w)
    });
    assert!(
        never.ends_with("Container image \"berth.local/nothing/here:2\" is not present with pull policy of Never"),
        "{never}"
    );

    // Deleting everything leaves nothing on the node.
    cluster
        .kubectl(&[
            "delete",
            "pods",
            "--all",
            "--grace-period=1",
            "--timeout=60s",
        ])
        .ok();
    cluster.wait_until("every pod gone", || {
        cluster
            .jsonpath(&["pods"], "{.items[*].metadata.name}")
            .is_empty()
            .then_some(())
    });
    let agent = data_dir.join("agent");
    cluster.wait_until("containers and mounts gone", || {
        let containers = std::fs::read_dir(agent.join("containers"))
            .map(|d| d.count())
            .unwrap_or(0);
        let pods = std::fs::read_dir(agent.join("pods"))
            .map(|d| d.count())
            .unwrap_or(0);
        (containers == 0 && pods == 0 && mounts_under(&data_dir).is_empty()).then_some(())
    });
    let runc = Command::new("runc")
        .arg("--root")
        .arg(agent.join("runc"))
        .args(["list", "-q"])
        .output()
        .expect("runc list");
    assert_eq!(String::from_utf8_lossy(&runc.stdout).trim(), "");
    // host-local keeps one file per address in use.
    let ipam = agent.join("cni/ipam/berth");
    let leased: Vec<String> = std::fs::read_dir(&ipam)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        leased
            .iter()
            .all(|f| f == "lock" || f.starts_with("last_reserved_ip")),
        "addresses still leased: {leased:?}"
    );
}

/// What a node leaves on the machine that pods could leak: mounts, veths on its bridge, shims,
/// cgroups, leased addresses, container and pod dirs.
fn footprint(node: &Node, cgroup_root: &str) -> Vec<(String, usize)> {
    let agent = node.data_dir.join("agent");
    let count_dir = |dir: PathBuf| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let veths = String::from_utf8_lossy(
        &Command::new("ip")
            .args(["-o", "link", "show", "master", &node.bridge])
            .output()
            .expect("ip link")
            .stdout,
    )
    .lines()
    .count();
    let data = node.data_dir.to_string_lossy().into_owned();
    let shims = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read(e.path().join("cmdline")).is_ok_and(|c| {
                        let c = String::from_utf8_lossy(&c);
                        c.contains("shim") && c.contains(&data)
                    })
                })
                .count()
        })
        .unwrap_or(0);
    let leases = std::fs::read_dir(agent.join("cni/ipam/berth"))
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n != "lock" && !n.starts_with("last_reserved_ip")
                })
                .count()
        })
        .unwrap_or(0);
    let cgroups = std::fs::read_dir(Path::new("/sys/fs/cgroup/memory").join(cgroup_root))
        .map(|d| d.flatten().filter(|e| e.path().is_dir()).count())
        .unwrap_or(0);
    vec![
        ("mounts".into(), mounts_under(&node.data_dir).len()),
        ("veths".into(), veths),
        ("shims".into(), shims),
        ("cgroups".into(), cgroups),
        ("leased addresses".into(), leases),
        ("containers".into(), count_dir(agent.join("containers"))),
        ("pod dirs".into(), count_dir(agent.join("pods"))),
    ]
}

#[test]
fn fifty_pods_created_and_deleted_leak_nothing() {
    let node = start_node(2);
    let unique = (std::process::id() % 10_000) * 10 + 2;
    let cgroup_root = format!("berth-test-{unique}");
    let before = footprint(&node, &cgroup_root);
    let cluster = &node.cluster;
    for round in 0..10 {
        let pods: String = (0..5)
            .map(|i| {
                format!(
                    "---\n{}",
                    pod(
                        &format!("cycle-{round}-{i}"),
                        &format!("  terminationGracePeriodSeconds: 1\n  containers: [{{name: c, image: {IMAGE}, command: [sleep, '3600']}}]\n")
                    )
                )
            })
            .collect();
        cluster.kubectl_stdin(&["apply", "-f", "-"], &pods).ok();
        cluster
            .kubectl(&[
                "wait",
                "--for=condition=Ready",
                "pods",
                "--all",
                "--timeout=60s",
            ])
            .ok();
        cluster
            .kubectl(&["delete", "pods", "--all", "--timeout=60s"])
            .ok();
    }
    let agent = node.data_dir.join("agent");
    cluster.wait_until("the last pod's remains gone", || {
        (std::fs::read_dir(agent.join("pods"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0)
            .then_some(())
    });
    let after = footprint(&node, &cgroup_root);
    assert_eq!(before, after, "something leaked over 50 pods");
}
