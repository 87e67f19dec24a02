//! End-to-end: the agent pulls images from real registries — Debian's `docker-registry`
//! on loopback, one plain and anonymous, one over TLS with htpasswd credentials, both on
//! the same storage — driven by the real kubectl: `imagePullPolicy: Always`, pull secrets
//! (`kubectl create secret docker-registry`), a ServiceAccount's pull secrets, a mirror from
//! the registries configuration, and what goes wrong: wrong or missing credentials, a
//! missing image, a layer the registry serves corrupt.
//! Needs root, runc, containernetworking-plugins, busybox-static, docker-registry, openssl.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use berth_agent::image::{Digest, ImageStore};
use support::Cluster;
use support::node::start_node_with;

const DEMO: &str = "berth.local/demo/busybox:1";

/// A `docker-registry serve` on a free loopback port, stopped (by pid) on drop.
struct Registry {
    child: Child,
    port: u16,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_registry(
    dir: &Path,
    name: &str,
    storage: &Path,
    htpasswd: Option<&Path>,
    tls: Option<(&Path, &Path)>,
) -> Registry {
    let port = support::free_port();
    let mut config = format!(
        "version: 0.1\nlog: {{level: warn}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\nhttp:\n  addr: 127.0.0.1:{port}\n",
        storage.display()
    );
    if let Some((cert, key)) = tls {
        config.push_str(&format!(
            "  tls: {{certificate: {}, key: {}}}\n",
            cert.display(),
            key.display()
        ));
    }
    if let Some(htpasswd) = htpasswd {
        config.push_str(&format!(
            "auth:\n  htpasswd: {{realm: berth-test, path: {}}}\n",
            htpasswd.display()
        ));
    }
    let path = dir.join(format!("{name}.yml"));
    std::fs::write(&path, config).expect("registry config");
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).expect("registry log");
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("docker-registry (scripts/install-packages installs it)");
    let registry = Registry { child, port };
    let deadline = Instant::now() + support::DEADLINE;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{name} never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    registry
}

/// A minimal HTTP/1.1 exchange with the plain registry: (status, headers, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the registry");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    stream.write_all(body).expect("send body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn push_blob(port: u16, repository: &str, bytes: &[u8]) -> Digest {
    let digest = Digest::of(bytes);
    let (status, response) = http(
        port,
        "POST",
        &format!("/v2/{repository}/blobs/uploads/"),
        &[],
        b"",
    );
    assert_eq!(status, 202, "{response}");
    let location = response
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .expect("Location")
        .trim()
        .to_string();
    let location = location
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap_or(&location)
        .to_string();
    let separator = if location.contains('?') { '&' } else { '?' };
    let (status, response) = http(
        port,
        "PUT",
        &format!("{location}{separator}digest={digest}"),
        &[("Content-Type", "application/octet-stream")],
        bytes,
    );
    assert_eq!(status, 201, "{response}");
    digest
}

fn push_manifest(port: u16, repository: &str, tag: &str, media_type: &str, bytes: &[u8]) {
    let (status, response) = http(
        port,
        "PUT",
        &format!("/v2/{repository}/manifests/{tag}"),
        &[("Content-Type", media_type)],
        bytes,
    );
    assert_eq!(status, 201, "{response}");
}

/// Pushes `image` from the store at `root` to the registry as `repository:tag`.
fn push_image(port: u16, root: &Path, image: &str, repository: &str, tag: &str) {
    let store = ImageStore::open(root).expect("store");
    let image = store
        .resolve(image)
        .expect("resolve")
        .expect("the image is in the store");
    let manifest = store.manifest(&image.manifest).expect("manifest");
    for descriptor in std::iter::once(&manifest.config).chain(&manifest.layers) {
        push_blob(
            port,
            repository,
            &store.read_blob(&descriptor.digest).expect("blob"),
        );
    }
    let media_type = manifest
        .media_type
        .clone()
        .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into());
    push_manifest(
        port,
        repository,
        tag,
        &media_type,
        &store.read_blob(&image.manifest).expect("manifest blob"),
    );
}

/// Pushes a one-file image as `repository:tag`; returns its layer's digest.
fn push_small_image(port: u16, repository: &str, tag: &str) -> Digest {
    let mut layer = tar::Builder::new(Vec::new());
    let content = b"a layer the registry will corrupt\n".repeat(100);
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    layer
        .append_data(&mut header, "hello.txt", &content[..])
        .expect("tar");
    let layer = layer.into_inner().expect("tar");
    let layer_digest = push_blob(port, repository, &layer);
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/hello.txt"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest.to_string()]},
    });
    let config = serde_json::to_vec(&config).expect("json");
    let config_digest = push_blob(port, repository, &config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest.to_string(), "size": layer.len()}],
    });
    push_manifest(
        port,
        repository,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::to_vec(&manifest).expect("json"),
    );
    layer_digest
}

/// The registry's own copy of a blob (filesystem storage driver layout).
fn stored_blob(storage: &Path, digest: &Digest) -> PathBuf {
    let hex = digest.hex();
    storage
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect(program);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The first container's waiting reason and message, once it is one of `reasons`.
fn wait_waiting(cluster: &Cluster, pod: &str, reasons: &[&str]) -> (String, String) {
    cluster.wait_until(&format!("{pod} waiting with {reasons:?}"), || {
        let out = cluster.jsonpath(
            &["pod", pod],
            "{.status.containerStatuses[0].state.waiting.reason}|{.status.containerStatuses[0].state.waiting.message}",
        );
        let (reason, message) = out.split_once('|')?;
        reasons
            .contains(&reason)
            .then(|| (reason.to_string(), message.to_string()))
    })
}

fn wait_running(cluster: &Cluster, pod: &str) {
    let waited = cluster.kubectl(&[
        "wait",
        "--for=condition=Ready",
        &format!("pod/{pod}"),
        "--timeout=90s",
    ]);
    if !waited.status.success() {
        let described = cluster.kubectl(&["describe", "pod", pod]).stdout;
        panic!("{pod} did not become Ready:\n{described}");
    }
}

fn events(cluster: &Cluster, pod: &str) -> String {
    cluster
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.name={pod}"),
            "-o",
            "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message",
        ])
        .ok()
        .stdout
}

fn pod(name: &str, image: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  terminationGracePeriodSeconds: 1\n{extra}  containers: [{{name: app, image: \"{image}\", imagePullPolicy: Always, command: [httpd, -f, -p, '8080']}}]\n"
    )
}

#[test]
fn pulls_from_local_registries_with_and_without_credentials() {
    // Everything the registries need lives in a scratch dir, removed when the test ends
    // (declared first, so it goes after the registries and the node).
    let scratch_dir = ScratchDir::new("berth-pulls");
    let scratch = scratch_dir.0.clone();
    let storage = scratch.join("storage");
    // The image to push comes from a store of its own, so the node's store starts empty.
    let source = scratch.join("source");
    support::import_demo_image(&source, &scratch.join("demo.tar"));
    let source_store = berth_agent::image::store_root(&source);

    let plain = start_registry(&scratch, "plain", &storage, None, None);
    push_image(plain.port, &source_store, DEMO, "demo/busybox", "1");

    // The TLS registry: a certificate for 127.0.0.1 from a CA of the test's own, htpasswd
    // with bcrypt.
    let (ca, cert, key) = make_certificates(&scratch);
    let hash = run(
        "perl",
        &[
            "-e",
            "print crypt('s3cret', '$2b$05$' . join('', map { ('a'..'z')[rand 26] } 1..22))",
        ],
    );
    let htpasswd = scratch.join("htpasswd");
    std::fs::write(&htpasswd, format!("alice:{hash}\n")).expect("htpasswd");
    let private = start_registry(
        &scratch,
        "private",
        &storage,
        Some(&htpasswd),
        Some((&cert, &key)),
    );

    // The registries configuration: trust the private registry's certificate, and mirror a
    // registry nobody listens on (127.0.0.1:1) to the plain one.
    let registries = scratch.join("registries.yaml");
    std::fs::write(
        &registries,
        format!(
            "mirrors:\n  \"127.0.0.1:1\":\n    endpoint: [\"http://127.0.0.1:{}\"]\nconfigs:\n  \"127.0.0.1:{}\":\n    tls:\n      ca_file: {}\n",
            plain.port,
            private.port,
            ca.display()
        ),
    )
    .expect("registries.yaml");

    let node = start_node_with(
        5,
        &["--private-registry", &registries.to_string_lossy()],
        false,
    );
    let cluster = &node.cluster;

    // Anonymous, imagePullPolicy Always: pulled, then it serves.
    let public = format!("127.0.0.1:{}/demo/busybox:1", plain.port);
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &pod("public", &public, ""))
        .ok();
    wait_running(cluster, "public");
    let seen = events(cluster, "public");
    eprintln!("public's events:\n{seen}");
    assert!(
        seen.contains(&format!("Pulling image \"{public}\"")),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("Successfully pulled image \"{public}\" in ")),
        "{seen}"
    );
    let image_id = cluster.jsonpath(&["pod", "public"], "{.status.containerStatuses[0].imageID}");
    assert!(
        image_id.starts_with(&format!("127.0.0.1:{}/demo/busybox@sha256:", plain.port)),
        "{image_id}"
    );
    let listed = run(
        env!("CARGO_BIN_EXE_berth"),
        &[
            "image",
            "ls",
            "-q",
            "--data-dir",
            &node.data_dir.to_string_lossy(),
        ],
    );
    assert!(listed.contains(&public), "{listed}");

    // With credentials from a docker-registry Secret, over TLS with the configured CA.
    let secure = format!("127.0.0.1:{}/demo/busybox:1", private.port);
    let server = format!("--docker-server=127.0.0.1:{}", private.port);
    cluster
        .kubectl(&[
            "create",
            "secret",
            "docker-registry",
            "regcred",
            &server,
            "--docker-username=alice",
            "--docker-password=s3cret",
        ])
        .ok();
    cluster
        .kubectl(&[
            "create",
            "secret",
            "docker-registry",
            "wrong",
            &server,
            "--docker-username=alice",
            "--docker-password=guess",
        ])
        .ok();
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod(
                "private",
                &secure,
                "  imagePullSecrets: [{name: regcred}]\n",
            ),
        )
        .ok();
    wait_running(cluster, "private");

    // Wrong credentials, and none: ErrImagePull, then ImagePullBackOff, saying why.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &format!(
                "{}---\n{}",
                pod("denied", &secure, "  imagePullSecrets: [{name: wrong}]\n"),
                pod("anonymous", &secure, "")
            ),
        )
        .ok();
    let (_, message) = wait_waiting(cluster, "denied", &["ErrImagePull", "ImagePullBackOff"]);
    eprintln!("denied: {message}");
    assert!(message.contains("401 Unauthorized"), "{message}");
    assert!(message.contains("imagePullSecret \"wrong\""), "{message}");
    let (_, message) = wait_waiting(cluster, "anonymous", &["ErrImagePull", "ImagePullBackOff"]);
    eprintln!("anonymous: {message}");
    assert!(message.contains("authentication required"), "{message}");
    wait_waiting(cluster, "denied", &["ImagePullBackOff"]);
    let described = cluster.kubectl(&["describe", "pod", "denied"]).ok().stdout;
    assert!(described.contains("ImagePullBackOff"), "{described}");
    assert!(described.contains("Back-off pulling image"), "{described}");

    // The namespace's default ServiceAccount lends its pull secrets to pods without any.
    cluster
        .kubectl(&[
            "patch",
            "serviceaccount",
            "default",
            "-p",
            r#"{"imagePullSecrets": [{"name": "regcred"}]}"#,
        ])
        .ok();
    cluster.wait_until("the ServiceAccount's pull secrets", || {
        let _ = cluster.kubectl(&[
            "delete",
            "pod",
            "borrowed",
            "--ignore-not-found",
            "--wait=false",
        ]);
        cluster
            .kubectl_stdin(&["create", "-f", "-"], &pod("borrowed", &secure, ""))
            .ok();
        let secrets = cluster.jsonpath(&["pod", "borrowed"], "{.spec.imagePullSecrets[0].name}");
        (secrets == "regcred").then_some(())
    });
    wait_running(cluster, "borrowed");

    // A mirror: the image names a registry nobody listens on; the mirror has it.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &pod("mirrored", "127.0.0.1:1/demo/busybox:1", ""),
        )
        .ok();
    wait_running(cluster, "mirrored");

    // A missing image, and a layer the registry serves corrupt.
    let layer = push_small_image(plain.port, "demo/corrupt", "1");
    let blob = stored_blob(&storage, &layer);
    let mut bytes = std::fs::read(&blob).expect("the registry's copy of the layer");
    bytes[600] ^= 0xff;
    std::fs::write(&blob, bytes).expect("corrupt the layer");
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &format!(
                "{}---\n{}",
                pod(
                    "missing",
                    &format!("127.0.0.1:{}/demo/nope:1", plain.port),
                    ""
                ),
                pod(
                    "corrupt",
                    &format!("127.0.0.1:{}/demo/corrupt:1", plain.port),
                    ""
                )
            ),
        )
        .ok();
    let (_, message) = wait_waiting(cluster, "missing", &["ErrImagePull", "ImagePullBackOff"]);
    eprintln!("missing: {message}");
    assert!(message.contains("not found"), "{message}");
    assert!(message.contains("_UNKNOWN"), "{message}");
    let (_, message) = wait_waiting(cluster, "corrupt", &["ErrImagePull", "ImagePullBackOff"]);
    eprintln!("corrupt: {message}");
    assert!(message.contains(&format!("layer {layer}")), "{message}");
    assert!(message.contains(&format!("expected {layer}")), "{message}");
    // Nothing of the corrupt download stays in the node's store.
    let node_store = berth_agent::image::store_root(&node.data_dir);
    assert!(!node_store.join("blobs/sha256").join(layer.hex()).exists());
}

/// A CA, and a certificate it signed for 127.0.0.1 with its key: (ca, cert, key).
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let openssl = |args: &[&str]| run("openssl", args);
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=berth-test-ca",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.crt"),
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &path("tls.key"),
        "-out",
        &path("tls.csr"),
    ]);
    std::fs::write(
        dir.join("tls.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        &path("tls.csr"),
        "-CA",
        &path("ca.crt"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &path("tls.ext"),
        "-out",
        &path("tls.crt"),
    ]);
    (dir.join("ca.crt"), dir.join("tls.crt"), dir.join("tls.key"))
}

/// A fresh directory under the system temp dir, named for this process, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(prefix: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
