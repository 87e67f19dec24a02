//! End-to-end: `berth image import|ls|rm` on an agent data dir, with the demo image that
//! `scripts/make-demo-image` builds from Debian's busybox-static — as an OCI archive, gzipped,
//! and re-packed the way `docker save` writes it — and archives that are corrupt.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Store {
    dir: tempfile::TempDir,
}

impl Store {
    fn new() -> Store {
        Store {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn berth(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("image")
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(args)
            .output()
            .expect("run berth image")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.berth(args);
        assert!(
            out.status.success(),
            "berth image {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.berth(args);
        assert!(!out.status.success(), "berth image {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn layers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path().join("data/agent/images/layers"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn demo_image(out: &Path, name: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/make-demo-image");
    let status = Command::new("bash")
        .arg(script)
        .arg(out)
        .arg(name)
        .status()
        .expect("run make-demo-image");
    assert!(status.success(), "make-demo-image failed");
}

/// The files of a tar archive, by path.
fn read_tar(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(std::fs::File::open(path).expect("open archive"));
    let mut files = Vec::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry.path().expect("path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read entry");
        files.push((name, data));
    }
    files
}

fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).expect("create archive"));
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, &data[..])
            .expect("append");
    }
    builder.finish().expect("finish archive");
}

fn json(data: &[u8]) -> serde_json::Value {
    serde_json::from_slice(data).expect("json")
}

/// The demo image re-packed as `docker save` writes it: `manifest.json`, `<config>.json`,
/// `<id>/layer.tar` (uncompressed), RepoTags naming it `name`.
fn docker_save(oci: &Path, out: &Path, name: &str, corrupt_layer: bool) {
    let files = read_tar(oci);
    let blob = |digest: &str| {
        let hex = digest.trim_start_matches("sha256:");
        files
            .iter()
            .find(|(n, _)| n.ends_with(hex))
            .map(|(_, d)| d.clone())
            .expect("blob")
    };
    let index = json(
        &files
            .iter()
            .find(|(n, _)| n == "index.json")
            .expect("index")
            .1,
    );
    let manifest = json(&blob(
        index["manifests"][0]["digest"].as_str().expect("digest"),
    ));
    let config_digest = manifest["config"]["digest"].as_str().expect("config");
    let mut layer = Vec::new();
    flate2::read::GzDecoder::new(
        &blob(manifest["layers"][0]["digest"].as_str().expect("layer"))[..],
    )
    .read_to_end(&mut layer)
    .expect("gunzip layer");
    if corrupt_layer {
        // Same length, different content: the diff ID no longer matches.
        let last = layer.len() / 2;
        layer[last] ^= 0xff;
    }
    let config_file = format!("{}.json", config_digest.trim_start_matches("sha256:"));
    let docker_manifest = serde_json::json!([{
        "Config": config_file,
        "RepoTags": [name],
        "Layers": ["0123abcd/layer.tar"],
    }]);
    // As docker writes it: the layers first, manifest.json last.
    write_tar(
        out,
        &[
            ("0123abcd/layer.tar".to_string(), layer),
            (config_file.clone(), blob(config_digest)),
            (
                "manifest.json".to_string(),
                serde_json::to_vec(&docker_manifest).expect("json"),
            ),
        ],
    );
}

#[test]
fn images_import_list_and_remove() {
    let store = Store::new();
    let oci = store.path("demo.tar");
    demo_image(&oci, "berth.local/demo/busybox:1");

    // An OCI archive.
    let out = store.ok(&["import", oci.to_str().expect("utf-8")]);
    assert!(out.contains("imported berth.local/demo/busybox:1"), "{out}");
    let layers = store.layers();
    assert_eq!(layers.len(), 1, "{layers:?}");
    let busybox = layers[0].join("bin/busybox");
    assert!(busybox.is_file(), "no {busybox:?}");
    assert!(
        std::fs::read_link(layers[0].join("bin/sh")).is_ok(),
        "bin/sh is not a link"
    );

    // The same archive gzipped, under another name: the layer is shared.
    let gz_path = store.path("demo.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).expect("create"),
        flate2::Compression::fast(),
    );
    let renamed = store.path("renamed.tar");
    demo_image(&renamed, "localhost:5000/tools/busybox:2");
    gz.write_all(&std::fs::read(&renamed).expect("read"))
        .expect("gzip");
    gz.finish().expect("gzip");
    let out = store.ok(&["import", gz_path.to_str().expect("utf-8")]);
    assert!(
        out.contains("imported localhost:5000/tools/busybox:2"),
        "{out}"
    );
    assert_eq!(store.layers().len(), 1);

    // docker save's format, manifest.json last.
    let saved = store.path("saved.tar");
    docker_save(&oci, &saved, "saved:3", false);
    let out = store.ok(&["import", saved.to_str().expect("utf-8")]);
    assert!(out.contains("imported docker.io/library/saved:3"), "{out}");

    let list = store.ok(&["ls"]);
    for expected in [
        "berth.local/demo/busybox",
        "localhost:5000/tools/busybox",
        "docker.io/library/saved",
    ] {
        assert!(list.contains(expected), "{expected} not in\n{list}");
    }
    assert!(list.starts_with("IMAGE"), "{list}");

    // Removing one name keeps the layer the others use; removing all frees it.
    let out = store.ok(&["rm", "localhost:5000/tools/busybox:2"]);
    assert!(
        out.contains("deleted localhost:5000/tools/busybox:2"),
        "{out}"
    );
    assert_eq!(store.layers().len(), 1);
    let err = store.fails(&["rm", "nothing-here:1"]);
    assert!(err.contains("no such image: nothing-here:1"), "{err}");
    store.ok(&["rm", "berth.local/demo/busybox:1", "saved:3"]);
    assert_eq!(store.ok(&["ls", "-q"]).trim(), "");
    assert!(store.layers().is_empty(), "{:?}", store.layers());
}

#[test]
fn corrupt_archives_are_refused_and_leave_nothing_named() {
    let store = Store::new();
    let oci = store.path("demo.tar");
    demo_image(&oci, "berth.local/demo/busybox:1");

    // A blob whose content does not match its name.
    let mut files = read_tar(&oci);
    let (_, layer) = files
        .iter_mut()
        .max_by_key(|(_, d)| d.len())
        .expect("largest blob");
    let middle = layer.len() / 2;
    layer[middle] ^= 0xff;
    let bad = store.path("bad-blob.tar");
    write_tar(&bad, &files);
    let err = store.fails(&["import", bad.to_str().expect("utf-8")]);
    assert!(err.contains("corrupt archive"), "{err}");

    // A layer that does not unpack to the diff ID its configuration names.
    let saved = store.path("bad-layer.tar");
    docker_save(&oci, &saved, "broken:1", true);
    let err = store.fails(&["import", saved.to_str().expect("utf-8")]);
    assert!(err.contains("is corrupt"), "{err}");
    assert!(store.layers().is_empty(), "{:?}", store.layers());

    // Not an archive at all.
    let junk = store.path("junk.tar");
    std::fs::write(&junk, b"this is not a tar file").expect("write");
    store.fails(&["import", junk.to_str().expect("utf-8")]);
    let err = store.fails(&["import", store.path("missing.tar").to_str().expect("utf-8")]);
    assert!(err.contains("missing.tar"), "{err}");
}
