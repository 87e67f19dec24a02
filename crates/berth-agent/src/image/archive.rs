//! Importing image archives: `docker save` output (`manifest.json`, `<id>.json`,
//! `<id>/layer.tar`, or blobs in newer Dockers) and OCI image-layout archives (`oci-layout`,
//! `index.json`, `blobs/sha256/…`), plain, gzip or zstd.
//!
//! The archive is read once, front to back (it may be a pipe): every regular file is
//! streamed into the blob store, hashed as it goes; a file under `blobs/sha256/` must hash
//! to its name. Then the archive's own manifest documents are read back from the store and
//! its images named. Docker-format images get an OCI manifest written for them.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ImageError;
use super::digest::Digest;
use super::layer::{Compression, decompressed};
use super::oci::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, Index, MEDIA_OCI_CONFIG,
    MEDIA_OCI_MANIFEST, Manifest, host_platform, is_index,
};
use super::reference::ImageRef;
use super::store::{Image, ImageStore};

/// One entry of a `docker save` `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Imports every image in the archive read from `reader` (named `source` in errors);
/// returns the images named, each with its layers unpacked. An archive that fails leaves
/// no name behind, and its blobs are collected.
pub fn import(
    store: &ImageStore,
    reader: impl Read,
    source: &Path,
) -> Result<Vec<Image>, ImageError> {
    let writing = store.writing()?;
    let result = import_all(store, reader, source);
    drop(writing);
    if result.is_err()
        && let Err(e) = store.collect_garbage()
    {
        tracing::warn!(error = %e, "collecting what a failed import left");
    }
    result
}

fn import_all(
    store: &ImageStore,
    reader: impl Read,
    source: &Path,
) -> Result<Vec<Image>, ImageError> {
    let failed = |e: std::io::Error| ImageError::Archive {
        archive: source.to_path_buf(),
        reason: e.to_string(),
    };
    // Path in the archive → (digest, size) of the blob it was stored as.
    let mut files: BTreeMap<String, (Digest, u64)> = BTreeMap::new();
    let mut archive = tar::Archive::new(decompressed(reader).map_err(failed)?);
    for entry in archive.entries().map_err(failed)? {
        let mut entry = entry.map_err(failed)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = normalize(&entry.path().map_err(failed)?);
        let expected = path
            .strip_prefix("blobs/sha256/")
            .and_then(|hex| Digest::from_hex(hex).ok());
        let stored = store
            .write_blob(&mut entry, expected.as_ref())
            .map_err(|e| match e {
                ImageError::DigestMismatch { expected, actual } => ImageError::Archive {
                    archive: source.to_path_buf(),
                    reason: format!(
                        "{path}: content is {actual}, not {expected} (corrupt archive)"
                    ),
                },
                other => other,
            })?;
        files.insert(path, stored);
    }
    let named = if let Some((digest, _)) = files.get("manifest.json") {
        import_docker(store, &files, digest, source)?
    } else if let Some((digest, _)) = files.get("index.json") {
        import_oci(store, digest, source)?
    } else {
        return Err(ImageError::Archive {
            archive: source.to_path_buf(),
            reason: "neither manifest.json (docker save) nor index.json (OCI layout) found".into(),
        });
    };
    if named.is_empty() {
        return Err(ImageError::Archive {
            archive: source.to_path_buf(),
            reason: "no named image in the archive (no RepoTags, io.containerd.image.name or \
                     org.opencontainers.image.ref.name)"
                .into(),
        });
    }
    // Every image unpacks (its layers match their diff IDs) before any is named.
    let mut images = Vec::new();
    for (name, manifest_digest) in named {
        let manifest = store.manifest(&manifest_digest)?;
        let image = Image {
            name,
            manifest: manifest_digest,
            id: manifest.config.digest.clone(),
            size: manifest.size(),
        };
        store.unpack(&image)?;
        images.push(image);
    }
    for image in &images {
        store.tag(&image.name, &image.manifest)?;
    }
    Ok(images)
}

/// `./a//b` → `a/b`.
fn normalize(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn import_docker(
    store: &ImageStore,
    files: &BTreeMap<String, (Digest, u64)>,
    manifest_json: &Digest,
    source: &Path,
) -> Result<Vec<(ImageRef, Digest)>, ImageError> {
    let bad = |reason: String| ImageError::Archive {
        archive: source.to_path_buf(),
        reason,
    };
    let entries: Vec<DockerEntry> = serde_json::from_slice(&store.read_blob(manifest_json)?)
        .map_err(|e| bad(format!("manifest.json: {e}")))?;
    let file = |name: &str| {
        files
            .get(&normalize(&PathBuf::from(name)))
            .cloned()
            .ok_or_else(|| {
                bad(format!(
                    "manifest.json names {name}, which is not in the archive"
                ))
            })
    };
    let mut named = Vec::new();
    for entry in entries {
        let (config, config_size) = file(&entry.config)?;
        let mut layers = Vec::new();
        for layer in &entry.layers {
            let (digest, size) = file(layer)?;
            let mut head = [0u8; 4];
            let n = std::fs::File::open(store.blob_path(&digest))
                .and_then(|mut f| f.read(&mut head))
                .map_err(|e| ImageError::io(&store.blob_path(&digest), e))?;
            layers.push(Descriptor {
                media_type: Compression::sniff(&head[..n]).layer_media_type().into(),
                digest,
                size,
                platform: None,
                annotations: BTreeMap::new(),
            });
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(MEDIA_OCI_MANIFEST.into()),
            config: Descriptor {
                media_type: MEDIA_OCI_CONFIG.into(),
                digest: config,
                size: config_size,
                platform: None,
                annotations: BTreeMap::new(),
            },
            layers,
        };
        let bytes = serde_json::to_vec(&manifest).map_err(ImageError::json)?;
        let digest = store.write_blob_bytes(&bytes)?;
        for tag in entry.repo_tags.unwrap_or_default() {
            let name = ImageRef::parse(&tag).map_err(|e| bad(e.to_string()))?;
            named.push((name, digest.clone()));
        }
    }
    Ok(named)
}

fn import_oci(
    store: &ImageStore,
    index_json: &Digest,
    source: &Path,
) -> Result<Vec<(ImageRef, Digest)>, ImageError> {
    let bad = |reason: String| ImageError::Archive {
        archive: source.to_path_buf(),
        reason,
    };
    let index: Index = serde_json::from_slice(&store.read_blob(index_json)?)
        .map_err(|e| bad(format!("index.json: {e}")))?;
    let mut named = Vec::new();
    for descriptor in &index.manifests {
        let name = descriptor
            .annotations
            .get(ANNOTATION_IMAGE_NAME)
            .or_else(|| descriptor.annotations.get(ANNOTATION_REF_NAME))
            .and_then(|n| ImageRef::parse(n).ok());
        let Some(name) = name else {
            continue;
        };
        let manifest =
            resolve_platform(store, descriptor).map_err(|e| bad(format!("{name}: {e}")))?;
        named.push((name, manifest));
    }
    Ok(named)
}

/// The manifest for this machine's platform, following nested indexes.
fn resolve_platform(store: &ImageStore, descriptor: &Descriptor) -> Result<Digest, ImageError> {
    if !is_index(&descriptor.media_type) {
        return Ok(descriptor.digest.clone());
    }
    let index: Index =
        serde_json::from_slice(&store.read_blob(&descriptor.digest)?).map_err(ImageError::json)?;
    let host = host_platform();
    let chosen = index
        .manifests
        .iter()
        .find(|m| {
            m.platform
                .as_ref()
                .is_some_and(|p| p.os == host.os && p.architecture == host.architecture)
        })
        .ok_or_else(|| {
            ImageError::Invalid(format!(
                "no manifest for {}/{} in the image index",
                host.os, host.architecture
            ))
        })?;
    resolve_platform(store, chosen)
}
