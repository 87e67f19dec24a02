//! Bad input against the real server: each gets the right Status code and message, never a
//! panic (the server keeps answering afterwards). Requests go through `kubectl get --raw` /
//! `kubectl create --raw` so they carry the cluster's credentials.

mod support;

use std::io::{Read, Write};

use support::Cluster;

fn raw_create(cluster: &Cluster, path: &str, body: &str) -> support::Run {
    let file = cluster.write("body.json", body);
    cluster.kubectl(&["create", "--raw", path, "-f", file.to_str().expect("utf-8")])
}

#[test]
fn malformed_and_mismatched_bodies_are_400() {
    let cluster = Cluster::start();
    let path = "/api/v1/namespaces/default/configmaps";
    let run = raw_create(&cluster, path, "{not json").failed();
    assert!(
        run.stderr.contains("BadRequest") || run.stderr.contains("not valid JSON"),
        "{}",
        run.stderr
    );
    let run = raw_create(
        &cluster,
        path,
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#,
    )
    .failed();
    assert!(
        run.stderr.contains("does not match the kind of the URL"),
        "{}",
        run.stderr
    );
    let run = raw_create(
        &cluster,
        path,
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}"#,
    )
    .failed();
    assert!(
        run.stderr.contains("does not match the namespace"),
        "{}",
        run.stderr
    );
    let run = raw_create(&cluster, path, r#"[1,2,3]"#).failed();
    assert!(
        run.stderr.contains("must be a JSON object"),
        "{}",
        run.stderr
    );
    // Still serving.
    cluster.kubectl(&["get", "ns", "default"]).ok();
}

#[test]
fn invalid_names_are_422_with_the_field() {
    let cluster = Cluster::start();
    let run = raw_create(
        &cluster,
        "/api/v1/namespaces/default/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}"#,
    )
    .failed();
    assert!(run.stderr.contains("metadata.name"), "{}", run.stderr);
    assert!(run.stderr.contains("RFC 1123"), "{}", run.stderr);
    let run = raw_create(
        &cluster,
        "/api/v1/namespaces/default/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}"#,
    )
    .failed();
    assert!(
        run.stderr.contains("name or generateName is required"),
        "{}",
        run.stderr
    );
}

#[test]
fn generate_name_gives_a_unique_name() {
    let cluster = Cluster::start();
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}"#;
    let a = raw_create(&cluster, "/api/v1/namespaces/default/configmaps", body).ok();
    let b = raw_create(&cluster, "/api/v1/namespaces/default/configmaps", body).ok();
    let name = |s: &str| serde_like_name(s);
    assert!(
        name(&a.stdout).starts_with("gen-") && name(&a.stdout).len() == 9,
        "{}",
        a.stdout
    );
    assert_ne!(name(&a.stdout), name(&b.stdout));
}

/// The `metadata.name` of a JSON object, without a JSON parser dependency in this test.
fn serde_like_name(json: &str) -> String {
    let start = json.find("\"name\":\"").map(|i| i + 8).unwrap_or(0);
    json[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn bodies_over_3_mib_are_413() {
    let cluster = Cluster::start();
    let big = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"big"}},"data":{{"k":"{}"}}}}"#,
        "x".repeat(3 * 1024 * 1024 + 10)
    );
    let run = raw_create(&cluster, "/api/v1/namespaces/default/configmaps", &big).failed();
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
}

#[test]
fn unknown_paths_and_verbs() {
    let cluster = Cluster::start();
    let run = cluster
        .kubectl(&["get", "--raw", "/api/v1/namespaces/default/widgets"])
        .failed();
    assert!(
        run.stderr.contains("NotFound") || run.stderr.contains("could not find"),
        "{}",
        run.stderr
    );
    let run = cluster.kubectl(&["get", "widgets"]).failed();
    assert!(
        run.stderr
            .contains("the server doesn't have a resource type \"widgets\""),
        "{}",
        run.stderr
    );
    let run = cluster
        .kubectl(&["get", "--raw", "/apis/nope.example.com/v1"])
        .failed();
    assert!(
        run.stderr.contains("NotFound") || run.stderr.contains("could not find"),
        "{}",
        run.stderr
    );
    let run = cluster
        .kubectl(&[
            "get",
            "--raw",
            "/api/v1/namespaces/default/configmaps?limit=abc",
        ])
        .failed();
    assert!(
        run.stderr.contains("BadRequest") || run.stderr.contains("invalid query"),
        "{}",
        run.stderr
    );
    let run = cluster.kubectl(&["get", "cm", "-l", "app in web"]).failed();
    assert!(run.stderr.contains("unable to parse"), "{}", run.stderr);
    // resourceVersionMatch as upstream validates it: 422 on ListOptions, naming the rule.
    for (query, rule) in [
        (
            "resourceVersionMatch=NotOlderThan",
            "resourceVersionMatch is forbidden unless resourceVersion is provided",
        ),
        (
            "resourceVersion=0&resourceVersionMatch=Exact",
            "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
        ),
        (
            "resourceVersion=1&resourceVersionMatch=Newest",
            "Unsupported value: \"Newest\"",
        ),
        (
            "watch=true&resourceVersion=1&resourceVersionMatch=NotOlderThan",
            "forbidden for watch unless sendInitialEvents is provided",
        ),
        (
            "watch=true&sendInitialEvents=true",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ),
        (
            "sendInitialEvents=true",
            "sendInitialEvents is forbidden for list",
        ),
    ] {
        let path = format!("/api/v1/namespaces/default/configmaps?{query}");
        let run = cluster.kubectl(&["get", "--raw", &path]).failed();
        assert!(
            run.stderr.contains("The ListOptions \"\" is invalid") && run.stderr.contains(rule),
            "{query}: {}",
            run.stderr
        );
    }
    cluster
        .kubectl(&[
            "get",
            "--raw",
            "/api/v1/namespaces/default/configmaps?resourceVersion=0&resourceVersionMatch=NotOlderThan",
        ])
        .ok();
    // A resourceVersion the store has not reached: upstream's 504, which clients retry.
    let run = cluster
        .kubectl(&[
            "get",
            "--raw",
            "/api/v1/namespaces/default/configmaps?resourceVersion=999999999",
        ])
        .failed();
    assert!(
        run.stderr
            .contains("Too large resource version: 999999999, current: "),
        "{}",
        run.stderr
    );
}

#[test]
fn stale_resource_version_is_409() {
    let cluster = Cluster::start();
    let created = raw_create(
        &cluster,
        "/api/v1/namespaces/default/configmaps",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}"#,
    )
    .ok();
    let rv = created
        .stdout
        .split("\"resourceVersion\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("rv")
        .to_string();
    let stale: i64 = rv.parse::<i64>().expect("number") - 1;
    let body = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c","resourceVersion":"{stale}"}},"data":{{"a":"2"}}}}"#
    );
    let file = cluster.write("stale.json", &body);
    let run = cluster
        .kubectl(&["replace", "-f", file.to_str().expect("utf-8")])
        .failed();
    assert!(
        run.stderr.contains("Conflict") && run.stderr.contains("the object has been modified"),
        "{}",
        run.stderr
    );
}

#[test]
fn garbage_on_the_tls_port_does_not_hurt() {
    let cluster = Cluster::start();
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0, 0][..],
        &[0u8; 4096][..],
    ] {
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", cluster.port)).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(15)))
            .expect("timeout");
        let _ = stream.write_all(garbage);
        let mut buf = [0u8; 512];
        // The server closes the connection (or answers with a TLS alert); it does not hang.
        let _ = stream.read(&mut buf);
    }
    cluster
        .kubectl(&["get", "ns", "default", "-o", "name"])
        .ok();
}
