//! End-to-end with the real kubectl against `berth server`: version, discovery, create, get in
//! its output forms, replace, delete, watch, errors, authentication.

mod support;

use std::process::Stdio;

use support::{Cluster, Run, stdout_lines, wait_for_line};

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: web, tier: front}
data:
  a: \"1\"
  b: \"2\"
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:stable
";

#[test]
fn version_reports_kubernetes_1_33() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["version"]).ok();
    assert!(
        run.stdout.contains("Server Version: v1.33."),
        "{}",
        run.stdout
    );
    // The dispatcher ran the matching bundled kubectl, so there is no skew warning.
    assert!(!run.stderr.contains("WARNING"), "{}", run.stderr);
}

#[test]
fn api_resources_come_from_discovery() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["api-resources"]).ok();
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing from:\n{}", run.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line("deployments"),
        vec!["deployments", "deploy", "apps/v1", "true", "Deployment"]
    );
    assert_eq!(
        line("namespaces"),
        vec!["namespaces", "ns", "v1", "false", "Namespace"]
    );
    assert_eq!(
        line("leases"),
        vec!["leases", "coordination.k8s.io/v1", "true", "Lease"]
    );
    let legacy = cluster.kubectl(&["get", "--raw", "/apis/apps/v1"]).ok();
    assert!(
        legacy.stdout.contains("\"deployments/scale\""),
        "{}",
        legacy.stdout
    );
}

#[test]
fn system_namespaces_exist() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["get", "namespaces"]).ok();
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(ns) && l.contains("Active")),
            "{ns}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn create_get_replace_delete() {
    let cluster = Cluster::start();
    cluster.write("cm.yaml", CONFIGMAP);
    cluster.write("deploy.yaml", DEPLOYMENT);

    let run = cluster.kubectl(&["create", "-f", "cm.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "configmap/web-config created");
    let again = cluster.kubectl(&["create", "-f", "cm.yaml"]).failed();
    assert!(
        again.stderr.contains("Error from server (AlreadyExists): error when creating \"cm.yaml\": configmaps \"web-config\" already exists"),
        "{}",
        again.stderr
    );

    // Table output with upstream's columns, -A, labels, selectors.
    let table = cluster.kubectl(&["get", "cm"]).ok();
    let header: Vec<&str> = table
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, vec!["NAME", "DATA", "AGE"]);
    assert!(table.stdout.contains("web-config   2"), "{}", table.stdout);
    let all = cluster.kubectl(&["get", "cm", "-A"]).ok();
    assert!(
        all.stdout
            .lines()
            .any(|l| l.starts_with("default") && l.contains("web-config")),
        "{}",
        all.stdout
    );
    let labels = cluster.kubectl(&["get", "cm", "--show-labels"]).ok();
    assert!(
        labels.stdout.contains("app=web,tier=front"),
        "{}",
        labels.stdout
    );
    let selected = cluster
        .kubectl(&[
            "get",
            "cm",
            "-l",
            "app in (web,db),tier!=back",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(selected.stdout.trim(), "configmap/web-config");
    let none = cluster
        .kubectl(&["get", "cm", "-l", "app=db", "-o", "name"])
        .ok();
    assert_eq!(none.stdout.trim(), "");

    // Machine-readable forms carry server-set metadata.
    let value = cluster
        .kubectl(&[
            "get",
            "cm",
            "web-config",
            "-o",
            "jsonpath={.data.b} {.metadata.uid}",
        ])
        .ok();
    let parts: Vec<&str> = value.stdout.split(' ').collect();
    assert_eq!(parts[0], "2");
    assert_eq!(parts[1].len(), 36, "a UUID: {}", value.stdout);
    let yaml = cluster
        .kubectl(&["get", "cm", "web-config", "-o", "yaml"])
        .ok();
    for field in [
        "creationTimestamp:",
        "resourceVersion:",
        "uid:",
        "namespace: default",
    ] {
        assert!(
            yaml.stdout.contains(field),
            "{field} missing:\n{}",
            yaml.stdout
        );
    }

    // Deployments: created, printed with their columns, replaced (generation follows spec).
    cluster.kubectl(&["create", "-f", "deploy.yaml"]).ok();
    let wide = cluster.kubectl(&["get", "deploy", "-o", "wide"]).ok();
    let header: Vec<&str> = wide
        .stdout
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        vec![
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert!(
        wide.stdout.contains("busybox:stable") && wide.stdout.contains("app=web"),
        "{}",
        wide.stdout
    );
    let generation = |c: &Cluster| {
        c.kubectl(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.generation}",
        ])
        .ok()
        .stdout
    };
    assert_eq!(generation(&cluster), "1");
    cluster.kubectl(&["replace", "-f", "deploy.yaml"]).ok();
    assert_eq!(generation(&cluster), "1", "same spec, same generation");
    cluster.write(
        "deploy.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replicas: 3"),
    );
    cluster.kubectl(&["replace", "-f", "deploy.yaml"]).ok();
    assert_eq!(generation(&cluster), "2", "spec changed");
    let all = cluster.kubectl(&["get", "all"]).ok();
    assert!(all.stdout.contains("deployment.apps/web"), "{}", all.stdout);

    let deleted = cluster.kubectl(&["delete", "-f", "deploy.yaml"]).ok();
    assert_eq!(deleted.stdout.trim(), "deployment.apps \"web\" deleted");
    let missing = cluster.kubectl(&["get", "deploy", "web"]).failed();
    assert!(
        missing
            .stderr
            .contains("Error from server (NotFound): deployments.apps \"web\" not found"),
        "{}",
        missing.stderr
    );
    let nope = cluster.kubectl(&["get", "pod", "nope"]).failed();
    assert!(
        nope.stderr.contains("pods \"nope\" not found"),
        "{}",
        nope.stderr
    );
}

#[test]
fn chunked_lists_return_everything() {
    let cluster = Cluster::start();
    for i in 0..7 {
        cluster.kubectl_stdin(
            &["create", "-f", "-"],
            &format!("{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"c{i}\"}}}}"),
        )
        .ok();
    }
    let run = cluster
        .kubectl(&["get", "cm", "--chunk-size=2", "-o", "name"])
        .ok();
    let names: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        names,
        (0..7)
            .map(|i| format!("configmap/c{i}"))
            .collect::<Vec<_>>()
    );

    // Each page says how many items remain; the count is the list's, at its revision.
    let page = |query: &str| -> serde_json::Value {
        let run = cluster
            .kubectl(&[
                "get",
                "--raw",
                &format!("/api/v1/namespaces/default/configmaps?{query}"),
            ])
            .ok();
        serde_json::from_str(&run.stdout).expect("a ConfigMapList")
    };
    let first = page("limit=3");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    assert_eq!(first["metadata"]["remainingItemCount"], 4, "{first}");
    let token = first["metadata"]["continue"]
        .as_str()
        .expect("a continue token");
    cluster.kubectl(&["delete", "cm", "c6"]).ok();
    let second = page(&format!("limit=3&continue={token}"));
    assert_eq!(second["metadata"]["remainingItemCount"], 1, "{second}");
    assert_eq!(
        second["metadata"]["resourceVersion"],
        first["metadata"]["resourceVersion"]
    );
    let token = second["metadata"]["continue"]
        .as_str()
        .expect("a continue token");
    let last = page(&format!("limit=3&continue={token}"));
    assert_eq!(last["items"].as_array().map(Vec::len), Some(1), "{last}");
    assert!(last["metadata"].get("remainingItemCount").is_none());
    assert!(last["metadata"].get("continue").is_none());

    // resourceVersion=0 (what informers list with) is answered whole from the cache, as
    // upstream's watch cache does: the limit is advisory.
    let whole = page("limit=3&resourceVersion=0");
    assert_eq!(whole["items"].as_array().map(Vec::len), Some(6), "{whole}");
    assert!(whole["metadata"].get("continue").is_none());
}

#[test]
fn exact_resource_version_lists_read_the_past() {
    // History older than 8 s is compacted (kube-apiserver's --etcd-compaction-interval):
    // long enough for the reads below, short enough to wait for.
    let cluster = Cluster::start_with(&["--etcd-compaction-interval", "8s"]);
    let list = |query: &str| {
        cluster.kubectl(&[
            "get",
            "--raw",
            &format!("/api/v1/namespaces/default/configmaps?{query}"),
        ])
    };
    let values = |run: Run| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_str(&run.stdout).expect("a ConfigMapList");
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                format!(
                    "{}={}",
                    i["metadata"]["name"].as_str().unwrap_or(""),
                    i["data"]["v"]
                )
            })
            .collect()
    };
    cluster
        .kubectl(&["create", "cm", "past", "--from-literal=v=1"])
        .ok();
    let before: serde_json::Value =
        serde_json::from_str(&list("").ok().stdout).expect("a ConfigMapList");
    let rv = before["metadata"]["resourceVersion"]
        .as_str()
        .expect("a resourceVersion")
        .to_string();
    cluster
        .kubectl(&["patch", "cm", "past", "-p", r#"{"data":{"v":"2"}}"#])
        .ok();
    cluster
        .kubectl(&["create", "cm", "later", "--from-literal=v=3"])
        .ok();

    // Exact: the state at that revision, whatever came after; without it, the current one.
    let exact = format!("resourceVersion={rv}&resourceVersionMatch=Exact");
    let then = list(&exact).ok();
    assert!(
        then.stdout
            .contains(&format!("\"resourceVersion\":\"{rv}\"")),
        "{}",
        then.stdout
    );
    assert_eq!(values(then), vec!["past=\"1\"".to_string()]);
    assert_eq!(
        values(list("").ok()),
        vec!["later=\"3\"".to_string(), "past=\"2\"".to_string()]
    );
    // Paged, the later pages stay at that revision too.
    let first: serde_json::Value =
        serde_json::from_str(&list(&format!("{exact}&limit=1")).ok().stdout).expect("a page");
    assert_eq!(first["metadata"]["resourceVersion"], rv.as_str());

    // A revision not reached yet: upstream's 504, which clients retry.
    let run = list("resourceVersion=999999999&resourceVersionMatch=Exact").failed();
    assert!(
        run.stderr.contains("Too large resource version: 999999999"),
        "{}",
        run.stderr
    );
    // Once compacted: 410 Expired, as upstream's etcd3 store answers.
    let expired = cluster.wait_until("the revision compacted", || {
        let run = list(&exact);
        (!run.status.success()).then_some(run.stderr)
    });
    assert!(
        expired.contains("The resourceVersion for the provided list is too old"),
        "{expired}"
    );
}

#[test]
fn writes_into_a_missing_namespace_are_404() {
    let cluster = Cluster::start();
    cluster.write("cm.yaml", CONFIGMAP);
    let run = cluster
        .kubectl(&["create", "-f", "cm.yaml", "-n", "nope"])
        .failed();
    assert!(
        run.stderr.contains("namespaces \"nope\" not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn get_watch_shows_changes() {
    let cluster = Cluster::start();
    cluster.write("cm.yaml", CONFIGMAP);
    let mut watch = cluster
        .kubectl_command()
        .args(["get", "cm", "-w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let lines = stdout_lines(&mut watch);
    // Nothing exists yet; the first row appears when the object is created.
    cluster.kubectl(&["create", "-f", "cm.yaml"]).ok();
    let row = wait_for_line(&lines, "web-config");
    assert!(row.contains("2"), "{row}");
    cluster.kubectl(&["delete", "cm", "web-config"]).ok();
    let row = wait_for_line(&lines, "web-config");
    assert!(row.starts_with("web-config"), "{row}");
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn bad_credentials_are_refused() {
    let cluster = Cluster::start();
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig()).expect("kubeconfig");
    // Same CA and server, but a bearer token instead of the client certificate.
    let server = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("server");
    let ca = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
        .expect("ca");
    let with_token = |token: &str| {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: c\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: {token}\n"
        )
    };
    let wrong = cluster.write("wrong.yaml", &with_token("not-the-token"));
    let run = cluster
        .kubectl(&["--kubeconfig", wrong.to_str().expect("utf-8"), "get", "ns"])
        .failed();
    assert!(
        run.stderr.contains("You must be logged in to the server"),
        "{}",
        run.stderr
    );

    let token = std::fs::read_to_string(cluster.path().join("data/server/token")).expect("token");
    let right = cluster.write("right.yaml", &with_token(token.trim()));
    let run = cluster
        .kubectl(&[
            "--kubeconfig",
            right.to_str().expect("utf-8"),
            "get",
            "ns",
            "default",
            "-o",
            "name",
        ])
        .ok();
    assert_eq!(run.stdout.trim(), "namespace/default");
}

#[test]
fn create_generators_send_protobuf() {
    let cluster = Cluster::start();
    for args in [
        &["create", "namespace", "team"][..],
        &[
            "create",
            "configmap",
            "cfg",
            "--from-literal=a=1",
            "--from-literal=b=2",
        ],
        &[
            "create",
            "secret",
            "generic",
            "pw",
            "--from-literal=password=hunter2",
        ],
        &[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27",
            "--replicas=2",
            "--port=80",
        ],
        &["create", "service", "clusterip", "web", "--tcp=80:8080"],
        &[
            "create",
            "job",
            "once",
            "--image=busybox",
            "--",
            "echo",
            "hi",
        ],
        &[
            "create",
            "cronjob",
            "tick",
            "--image=busybox",
            "--schedule=*/1 * * * *",
            "--",
            "date",
        ],
        &["create", "serviceaccount", "robot"],
        &["create", "priorityclass", "zero", "--value=0"],
    ] {
        let run = cluster.kubectl(args).ok();
        assert!(run.stdout.contains("created"), "{args:?}: {}", run.stdout);
    }
    let get = |args: &[&str]| cluster.kubectl(args).ok().stdout;
    assert_eq!(
        get(&["get", "ns", "team", "-o", "jsonpath={.status.phase}"]),
        "Active"
    );
    assert_eq!(
        get(&["get", "cm", "cfg", "-o", "jsonpath={.data.a}{.data.b}"]),
        "12"
    );
    assert_eq!(
        get(&["get", "secret", "pw", "-o", "jsonpath={.data.password}"]),
        "aHVudGVyMg=="
    );
    assert_eq!(
        get(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.selector.matchLabels.app}"
        ]),
        "2 nginx:1.27 80 web"
    );
    // Go's zero values that JSON omits stay omitted; pointer zeros stay.
    let yaml = get(&["get", "deploy", "web", "-o", "yaml"]);
    assert!(
        !yaml.contains("hostPort: 0") && !yaml.contains("stdin: false"),
        "{yaml}"
    );
    assert_eq!(get(&["get", "pc", "zero", "-o", "jsonpath={.value}"]), "0");
    assert_eq!(
        get(&[
            "get",
            "svc",
            "web",
            "-o",
            "jsonpath={.spec.ports[0].port}:{.spec.ports[0].targetPort}"
        ]),
        "80:8080"
    );
    assert_eq!(
        get(&[
            "get",
            "job",
            "once",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].command}"
        ]),
        r#"["echo","hi"]"#
    );
    assert_eq!(
        get(&["get", "cronjob", "tick", "-o", "jsonpath={.spec.schedule}"]),
        "*/1 * * * *"
    );
}

#[test]
fn auth_whoami_and_can_i() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["auth", "whoami"]).ok();
    assert!(run.stdout.contains("system:admin"), "{}", run.stdout);
    assert!(run.stdout.contains("system:masters"), "{}", run.stdout);
    let run = cluster
        .kubectl(&["auth", "can-i", "create", "deployments"])
        .ok();
    assert_eq!(run.stdout.trim(), "yes");
}

#[test]
fn objects_get_upstream_defaults() {
    let cluster = Cluster::start();
    cluster.write("deploy.yaml", DEPLOYMENT);
    cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    let get = |path: &str| {
        cluster
            .kubectl(&["get", "deploy", "web", "-o", &format!("jsonpath={path}")])
            .ok()
            .stdout
    };
    assert_eq!(
        get("{.spec.strategy.type} {.spec.strategy.rollingUpdate.maxSurge}"),
        "RollingUpdate 25%"
    );
    assert_eq!(
        get("{.spec.revisionHistoryLimit} {.spec.progressDeadlineSeconds}"),
        "10 600"
    );
    assert_eq!(
        get(
            "{.spec.template.spec.restartPolicy} {.spec.template.spec.dnsPolicy} {.spec.template.spec.containers[0].imagePullPolicy}"
        ),
        "Always ClusterFirst IfNotPresent"
    );
    // Re-applying the same file is still "unchanged": defaults do not look like changes.
    let run = cluster.kubectl(&["apply", "-f", "deploy.yaml"]).ok();
    assert_eq!(run.stdout.trim(), "deployment.apps/web unchanged");
}

#[test]
fn describe_wait_sort_and_custom_columns() {
    let cluster = Cluster::start();
    for name in ["b", "a", "c"] {
        cluster
            .kubectl_stdin(
                &["create", "-f", "-"],
                &format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: x}}}}\nspec: {{containers: [{{name: c, image: busybox:1.36}}]}}\n"),
            )
            .ok();
    }
    let sorted = cluster
        .kubectl(&["get", "pods", "--sort-by=.metadata.name", "-o", "name"])
        .ok();
    assert_eq!(sorted.stdout, "pod/a\npod/b\npod/c\n");
    let columns = cluster
        .kubectl(&[
            "get",
            "pods",
            "-o",
            "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image",
            "--sort-by=.metadata.name",
        ])
        .ok();
    assert_eq!(
        columns
            .stdout
            .lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["a", "busybox:1.36"])
    );

    // describe lists the pod's events (selected by involvedObject name, namespace and uid).
    let uid = cluster
        .kubectl(&["get", "pod", "a", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    let event = format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: a.1}}\ninvolvedObject: {{kind: Pod, name: a, namespace: default, uid: {uid}, apiVersion: v1}}\nreason: Scheduled\nmessage: Successfully assigned default/a to n1\ntype: Normal\nsource: {{component: default-scheduler}}\ncount: 1\n"
    );
    cluster.kubectl_stdin(&["create", "-f", "-"], &event).ok();
    let described = cluster.kubectl(&["describe", "pod", "a"]).ok();
    assert!(
        described
            .stdout
            .contains("Successfully assigned default/a to n1"),
        "{}",
        described.stdout
    );

    // wait: for a jsonpath value, and for deletion.
    cluster
        .kubectl(&[
            "wait",
            "--for=jsonpath={.status.phase}=Pending",
            "pod/a",
            "--timeout=30s",
        ])
        .ok();
    let waiter = cluster
        .kubectl_command()
        .args(["wait", "--for=delete", "pod/b", "--timeout=60s"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl wait");
    cluster
        .kubectl(&["delete", "pod", "b", "--wait=false"])
        .ok();
    let out = waiter.wait_with_output().expect("wait output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn explain_shows_the_schema() {
    let cluster = Cluster::start();
    let run = cluster.kubectl(&["explain", "deployment.spec"]).ok();
    assert!(run.stdout.contains("replicas\t<integer>"), "{}", run.stdout);
    assert!(
        run.stdout.contains("template\t<PodTemplateSpec>"),
        "{}",
        run.stdout
    );
    let run = cluster
        .kubectl(&["explain", "pods.spec.containers.ports"])
        .ok();
    assert!(
        run.stdout.contains("containerPort\t<integer>"),
        "{}",
        run.stdout
    );
}

#[test]
fn autoscalers_are_one_object_in_two_versions() {
    let cluster = Cluster::start();
    cluster
        .kubectl(&["create", "deployment", "web", "--image=nginx:1.27"])
        .ok();
    // kubectl autoscale writes autoscaling/v1 (protobuf); v2 reads the same object.
    cluster
        .kubectl(&[
            "autoscale",
            "deployment",
            "web",
            "--cpu-percent=60",
            "--min=1",
            "--max=5",
        ])
        .ok();
    let v2 = cluster
        .kubectl(&[
            "get",
            "horizontalpodautoscalers.v2.autoscaling",
            "web",
            "-o",
            "jsonpath={.apiVersion} {.spec.metrics[0].resource.target.averageUtilization}",
        ])
        .ok();
    assert_eq!(v2.stdout, "autoscaling/v2 60");
    let v1 = cluster
        .kubectl(&[
            "get",
            "horizontalpodautoscalers.v1.autoscaling",
            "web",
            "-o",
            "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}",
        ])
        .ok();
    assert_eq!(v1.stdout, "autoscaling/v1 60");
    let table = cluster.kubectl(&["get", "hpa", "web", "--no-headers"]).ok();
    assert!(table.stdout.contains("Deployment/web"), "{}", table.stdout);
}

#[test]
fn events_written_as_events_k8s_io_show_in_describe() {
    let cluster = Cluster::start();
    cluster
        .kubectl_stdin(
            &["create", "-f", "-"],
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: c, image: busybox:1.36}]}\n",
        )
        .ok();
    let uid = cluster
        .kubectl(&["get", "pod", "web", "-o", "jsonpath={.metadata.uid}"])
        .ok()
        .stdout;
    // The way kube-rs' event recorder (and so our controllers) writes events.
    let event = format!(
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {{name: web.1}}\neventTime: \"2026-01-01T00:00:00.000000Z\"\nregarding: {{apiVersion: v1, kind: Pod, name: web, namespace: default, uid: {uid}}}\nreason: FailedScheduling\nnote: \"0/3 nodes are available: 3 Insufficient cpu.\"\ntype: Warning\nreportingController: berth-scheduler\nreportingInstance: berth-scheduler-1\naction: Scheduling\n"
    );
    cluster.kubectl_stdin(&["create", "-f", "-"], &event).ok();
    let core = cluster
        .kubectl(&[
            "get",
            "events.v1.",
            "web.1",
            "-o",
            "jsonpath={.involvedObject.name} {.message}",
        ])
        .ok();
    assert_eq!(
        core.stdout,
        "web 0/3 nodes are available: 3 Insufficient cpu."
    );
    let described = cluster.kubectl(&["describe", "pod", "web"]).ok();
    assert!(
        described.stdout.contains("FailedScheduling"),
        "{}",
        described.stdout
    );
    assert!(
        described
            .stdout
            .contains("0/3 nodes are available: 3 Insufficient cpu."),
        "{}",
        described.stdout
    );
}

#[test]
fn service_account_tokens_authenticate_until_the_account_is_gone() {
    let cluster = Cluster::start();
    cluster.kubectl(&["create", "serviceaccount", "robot"]).ok();
    let token = cluster
        .kubectl(&["create", "token", "robot"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let server = format!("--server=https://127.0.0.1:{}", cluster.port);
    let ca = format!(
        "--certificate-authority={}",
        cluster
            .path()
            .join("data/server/tls/server-ca.crt")
            .display()
    );
    let as_robot = |args: &[&str]| {
        let mut all = vec!["--kubeconfig=/dev/null", server.as_str(), ca.as_str()];
        let token_flag = format!("--token={token}");
        all.push(&token_flag);
        all.extend_from_slice(args);
        cluster.kubectl(&all)
    };
    let whoami = as_robot(&["auth", "whoami"]).ok();
    assert!(
        whoami
            .stdout
            .contains("system:serviceaccount:default:robot"),
        "{}",
        whoami.stdout
    );
    assert!(
        cluster
            .kubectl(&["create", "token", "nope"])
            .failed()
            .stderr
            .contains("not found")
    );
    // A re-created account (new UID) does not accept the old account's tokens.
    cluster.kubectl(&["delete", "serviceaccount", "robot"]).ok();
    cluster.kubectl(&["create", "serviceaccount", "robot"]).ok();
    let refused = as_robot(&["get", "ns"]).failed();
    assert!(
        refused.stderr.contains("You must be logged in"),
        "{}",
        refused.stderr
    );
}

#[test]
fn wait_for_a_condition_set_through_status() {
    let cluster = Cluster::start();
    cluster
        .kubectl_stdin(
            &["create", "-f", "-"],
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox:1.36}]}\n",
        )
        .ok();
    let waiter = cluster
        .kubectl_command()
        .args(["wait", "--for=condition=Ready", "pod/p", "--timeout=60s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl wait");
    // The main endpoint ignores status; the status subresource sets it.
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "p",
            "--type=merge",
            "-p",
            r#"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
        ])
        .ok();
    // (The scheduler may have reported PodScheduled=False meanwhile: no nodes here.)
    assert_eq!(
        cluster
            .kubectl(&[
                "get",
                "pod",
                "p",
                "-o",
                r#"jsonpath={.status.conditions[?(@.type=="Ready")].status}"#,
            ])
            .ok()
            .stdout,
        ""
    );
    cluster
        .kubectl(&[
            "patch",
            "pod",
            "p",
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
        ])
        .ok();
    let out = waiter.wait_with_output().expect("wait output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("condition met"));
}
