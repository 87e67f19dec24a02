//! End-to-end with the real kubectl: deletion semantics (finalizers, graceful Pod deletion,
//! propagation policies, namespaces emptied and removed) and Service address allocation.

mod support;

use support::Cluster;

fn get(cluster: &Cluster, args: &[&str], path: &str) -> String {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    let jsonpath = format!("jsonpath={path}");
    all.extend_from_slice(&["-o", &jsonpath]);
    cluster.kubectl(&all).ok().stdout
}

#[test]
fn finalizers_hold_deletion_until_removed() {
    let cluster = Cluster::start();
    cluster
        .kubectl_stdin(&["create", "-f", "-"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\n")
        .ok();
    cluster
        .kubectl(&["delete", "cm", "held", "--wait=false"])
        .ok();
    let state = get(
        &cluster,
        &["cm", "held"],
        "{.metadata.deletionTimestamp} {.metadata.finalizers[0]}",
    );
    let (timestamp, finalizer) = state.split_once(' ').expect("two fields");
    assert!(timestamp.ends_with('Z'), "{state}");
    assert_eq!(finalizer, "example.com/hold");
    // Deleting again is idempotent while pending.
    cluster
        .kubectl(&["delete", "cm", "held", "--wait=false"])
        .ok();
    cluster
        .kubectl(&[
            "patch",
            "cm",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ])
        .ok();
    let gone = cluster.kubectl(&["get", "cm", "held"]).failed();
    assert!(gone.stderr.contains("not found"), "{}", gone.stderr);
}

#[test]
fn propagation_policies_add_their_finalizers() {
    let cluster = Cluster::start();
    for (name, policy, finalizer) in [
        ("fg", "Foreground", "foregroundDeletion"),
        ("orphan", "Orphan", "orphan"),
    ] {
        cluster
            .kubectl_stdin(
                &["create", "-f", "-"],
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"),
            )
            .ok();
        // The DELETE's answer is the object, now carrying the policy's finalizer …
        let body = cluster.write(
            "options.json",
            &format!(
                r#"{{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"{policy}"}}"#
            ),
        );
        let path = format!("/api/v1/namespaces/default/configmaps/{name}");
        let run = cluster
            .kubectl(&[
                "delete",
                "--raw",
                &path,
                "-f",
                body.to_str().expect("utf-8"),
            ])
            .ok();
        let answer: serde_json::Value = serde_json::from_str(&run.stdout).expect("the object");
        assert_eq!(
            answer["metadata"]["finalizers"],
            serde_json::json!([finalizer])
        );
        assert!(
            answer["metadata"]["deletionTimestamp"].is_string(),
            "{answer}"
        );
        // … which the garbage collector carries out (no dependents here), and the object goes.
        cluster.wait_until("the configmap gone", || {
            (!cluster.kubectl(&["get", "cm", name]).status.success()).then_some(())
        });
    }
}

#[test]
fn bound_pods_are_deleted_gracefully() {
    let cluster = Cluster::start();
    let pod = |name: &str, node: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{{node}terminationGracePeriodSeconds: 45, containers: [{{name: c, image: busybox}}]}}\n"
        )
    };
    cluster
        .kubectl_stdin(&["create", "-f", "-"], &pod("bound", "nodeName: n1, "))
        .ok();
    cluster
        .kubectl_stdin(&["create", "-f", "-"], &pod("unbound", ""))
        .ok();

    // Nothing runs an unbound pod: it goes at once.
    cluster.kubectl(&["delete", "pod", "unbound"]).ok();
    assert!(
        cluster
            .kubectl(&["get", "pod", "unbound"])
            .failed()
            .stderr
            .contains("not found")
    );

    // A bound pod waits for its node: deletionTimestamp and its grace period, Terminating.
    cluster
        .kubectl(&["delete", "pod", "bound", "--wait=false"])
        .ok();
    assert_eq!(
        get(
            &cluster,
            &["pod", "bound"],
            "{.metadata.deletionGracePeriodSeconds}"
        ),
        "45"
    );
    let table = cluster.kubectl(&["get", "pod", "bound"]).ok();
    assert!(table.stdout.contains("Terminating"), "{}", table.stdout);
    // Forced deletion (grace period 0) removes it.
    cluster
        .kubectl(&["delete", "pod", "bound", "--grace-period=0", "--force"])
        .ok();
    assert!(
        cluster
            .kubectl(&["get", "pod", "bound"])
            .failed()
            .stderr
            .contains("not found")
    );
}

#[test]
fn deleting_a_namespace_empties_it_then_removes_it() {
    let cluster = Cluster::start();
    cluster
        .kubectl_stdin(
            &["create", "-f", "-"],
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n",
        )
        .ok();
    // Every namespace gets its default ServiceAccount.
    cluster.wait_until("the default ServiceAccount", || {
        cluster
            .kubectl(&["get", "serviceaccount", "default", "-n", "team"])
            .status
            .success()
            .then_some(())
    });
    // Content the namespace controller must delete, one held by a finalizer.
    cluster
        .kubectl_stdin(
            &["create", "-n", "team", "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.com/hold]}\n",
        )
        .ok();
    cluster
        .kubectl(&["delete", "namespace", "team", "--wait=false"])
        .ok();
    assert_eq!(
        get(&cluster, &["namespace", "team"], "{.status.phase}"),
        "Terminating"
    );
    let run = cluster
        .kubectl_stdin(
            &["create", "-n", "team", "-f", "-"],
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        )
        .failed();
    assert!(
        run.stderr.contains("because it is being terminated"),
        "{}",
        run.stderr
    );
    // The plain ConfigMap goes; the held one waits for its finalizer, and so does the
    // namespace, which says what remains.
    cluster.wait_until("the plain ConfigMap deleted", || {
        (!cluster
            .kubectl(&["get", "cm", "plain", "-n", "team"])
            .status
            .success())
        .then_some(())
    });
    cluster.wait_until("the remaining content reported", || {
        get(
            &cluster,
            &["namespace", "team"],
            "{.status.conditions[?(@.type==\"NamespaceContentRemaining\")].message}",
        )
        .contains("configmaps has 1 resource instances")
        .then_some(())
    });
    cluster
        .kubectl(&[
            "patch",
            "cm",
            "held",
            "-n",
            "team",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ])
        .ok();
    cluster.wait_until("the namespace gone", || {
        (!cluster
            .kubectl(&["get", "namespace", "team"])
            .status
            .success())
        .then_some(())
    });
}

#[test]
fn services_get_unique_addresses() {
    let cluster = Cluster::start();
    // The kubernetes Service holds the first address.
    assert_eq!(
        get(
            &cluster,
            &["svc", "kubernetes"],
            "{.spec.clusterIP} {.spec.ports[0].port}"
        ),
        "10.43.0.1 443"
    );

    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n",
        )
        .ok();
    let fields = get(
        &cluster,
        &["svc", "web"],
        "{.spec.clusterIP} {.spec.ports[0].nodePort} {.spec.ports[0].protocol}",
    );
    let parts: Vec<&str> = fields.split(' ').collect();
    assert!(
        parts[0].starts_with("10.43.") && parts[0] != "10.43.0.1",
        "{fields}"
    );
    let node_port: u16 = parts[1].parse().expect("a node port");
    assert!((30000..=32767).contains(&node_port), "{fields}");
    assert_eq!(parts[2], "TCP");
    let table = cluster.kubectl(&["get", "svc", "web"]).ok();
    assert!(
        table.stdout.contains(&format!("80:{node_port}/TCP")) && table.stdout.contains("NodePort"),
        "{}",
        table.stdout
    );

    // Adding a port keeps the first one's node port and address.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}, {name: https, port: 443}]\n",
        )
        .ok();
    let after = get(
        &cluster,
        &["svc", "web"],
        "{.spec.clusterIP} {.spec.ports[0].nodePort}",
    );
    assert_eq!(after, format!("{} {node_port}", parts[0]));

    // An address in use is refused; after deletion it is free again.
    let fixed = format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: fixed}}\nspec: {{clusterIP: {}, ports: [{{port: 80}}]}}\n",
        parts[0]
    );
    let run = cluster
        .kubectl_stdin(&["create", "-f", "-"], &fixed)
        .failed();
    assert!(
        run.stderr.contains("provided IP is already allocated"),
        "{}",
        run.stderr
    );
    cluster.kubectl(&["delete", "svc", "web"]).ok();
    cluster.kubectl_stdin(&["create", "-f", "-"], &fixed).ok();
    assert_eq!(
        get(&cluster, &["svc", "fixed"], "{.spec.clusterIP}"),
        parts[0]
    );

    // The clusterIP cannot change.
    let moved = fixed.replace(parts[0], "10.43.200.200");
    let run = cluster
        .kubectl_stdin(&["replace", "-f", "-"], &moved)
        .failed();
    assert!(
        run.stderr.contains("may not change once set"),
        "{}",
        run.stderr
    );
    let outside = "apiVersion: v1\nkind: Service\nmetadata: {name: outside}\nspec: {clusterIP: 192.168.1.1, ports: [{port: 80}]}\n";
    let run = cluster
        .kubectl_stdin(&["create", "-f", "-"], outside)
        .failed();
    assert!(
        run.stderr.contains("not in the valid range"),
        "{}",
        run.stderr
    );
}

#[test]
fn delete_by_label_selector() {
    let cluster = Cluster::start();
    for (name, app) in [("a", "web"), ("b", "web"), ("c", "db")] {
        cluster
            .kubectl_stdin(
                &["create", "-f", "-"],
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, labels: {{app: {app}}}}}\n"),
            )
            .ok();
    }
    let run = cluster.kubectl(&["delete", "cm", "-l", "app=web"]).ok();
    assert!(
        run.stdout.contains("configmap \"a\" deleted")
            && run.stdout.contains("configmap \"b\" deleted"),
        "{}",
        run.stdout
    );
    let left = cluster
        .kubectl(&["get", "cm", "-l", "app", "-o", "name"])
        .ok();
    assert_eq!(left.stdout.trim(), "configmap/c");
}
