//! The image store: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) with
//! every image's layers unpacked beside it (`layers/<diff id>/`), ready to be overlayfs lower
//! dirs shared by every container that uses them.
//!
//! Names live in `index.json`: one manifest descriptor per name, annotated with the full
//! reference (`io.containerd.image.name`) and its tag (`org.opencontainers.image.ref.name`),
//! as containerd exports them.
//!
//! Invariants: blobs are content-addressed and written to a temporary file, verified, then
//! renamed, so a blob that exists is complete and correct; a layer directory that exists is
//! completely unpacked with the right diff ID (unpacked under a temporary name, renamed);
//! `index.json` is replaced atomically under an exclusive lock (`.lock`), which the
//! `berth image` commands and the agent share; garbage collection (exclusive `.gc.lock`)
//! never runs while an import or pull holds [`ImageStore::writing`] (shared).

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::ImageError;
use super::digest::{Digest, HashingWriter};
use super::layer;
use super::oci::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, ImageConfig, Index, MEDIA_OCI_MANIFEST,
    Manifest,
};
use super::reference::ImageRef;

/// An image the store holds under a name.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: ImageRef,
    /// The manifest's digest (what `imageID`s and pulls by digest name).
    pub manifest: Digest,
    /// The configuration's digest (the image ID `docker images` shows).
    pub id: Digest,
    /// Compressed size of the configuration and layers.
    pub size: u64,
}

/// What a container needs of an image: its configuration and its layer directories,
/// bottom first.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub image: Image,
    pub config: ImageConfig,
    pub layers: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ImageStore {
    root: PathBuf,
}

impl ImageStore {
    /// Opens (creating if needed) the store in `root`.
    pub fn open(root: &Path) -> Result<ImageStore, ImageError> {
        let io = |e: io::Error| ImageError::io(root, e);
        std::fs::create_dir_all(root.join("blobs/sha256")).map_err(io)?;
        std::fs::create_dir_all(root.join("layers")).map_err(io)?;
        let layout = root.join("oci-layout");
        if !layout.exists() {
            write_atomic(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !root.join("index.json").exists() {
            let index = serde_json::to_vec(&Index::default()).map_err(ImageError::json)?;
            write_atomic(&root.join("index.json"), &index)?;
        }
        Ok(ImageStore {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Streams `reader` into the store; returns its digest and size. With `expected`, a
    /// different digest is an error and nothing is stored.
    pub fn write_blob(
        &self,
        reader: &mut dyn Read,
        expected: Option<&Digest>,
    ) -> Result<(Digest, u64), ImageError> {
        let dir = self.root.join("blobs/sha256");
        let tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| ImageError::io(&dir, e))?;
        let mut writer = HashingWriter::new(io::BufWriter::new(tmp));
        io::copy(reader, &mut writer).map_err(|e| ImageError::io(&dir, e))?;
        let (buffered, digest, size) = writer.finish();
        let tmp = buffered
            .into_inner()
            .map_err(|e| ImageError::io(&dir, e.into_error()))?;
        if let Some(expected) = expected.filter(|e| **e != digest) {
            return Err(ImageError::DigestMismatch {
                expected: expected.clone(),
                actual: digest,
            });
        }
        tmp.as_file()
            .sync_all()
            .map_err(|e| ImageError::io(&dir, e))?;
        let path = self.blob_path(&digest);
        tmp.persist(&path)
            .map_err(|e| ImageError::io(&path, e.error))?;
        Ok((digest, size))
    }

    pub fn write_blob_bytes(&self, bytes: &[u8]) -> Result<Digest, ImageError> {
        self.write_blob(&mut &bytes[..], None).map(|(d, _)| d)
    }

    pub fn read_blob(&self, digest: &Digest) -> Result<Vec<u8>, ImageError> {
        let path = self.blob_path(digest);
        std::fs::read(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ImageError::MissingBlob(digest.clone()),
            _ => ImageError::io(&path, e),
        })
    }

    fn read_json<T: serde::de::DeserializeOwned>(&self, digest: &Digest) -> Result<T, ImageError> {
        serde_json::from_slice(&self.read_blob(digest)?).map_err(ImageError::json)
    }

    pub fn manifest(&self, digest: &Digest) -> Result<Manifest, ImageError> {
        self.read_json(digest)
    }

    pub fn config(&self, digest: &Digest) -> Result<ImageConfig, ImageError> {
        self.read_json(digest)
    }

    /// The images held, by name.
    pub fn list(&self) -> Result<Vec<Image>, ImageError> {
        let index = self.read_index()?;
        let mut images = Vec::new();
        for descriptor in &index.manifests {
            let Some(name) = descriptor
                .annotations
                .get(ANNOTATION_IMAGE_NAME)
                .and_then(|n| ImageRef::parse(n).ok())
            else {
                continue;
            };
            let manifest = self.manifest(&descriptor.digest)?;
            let size = manifest.size();
            images.push(Image {
                name,
                manifest: descriptor.digest.clone(),
                id: manifest.config.digest,
                size,
            });
        }
        images.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(images)
    }

    /// The image `reference` names: by name (and tag), by `name@digest`, or by image ID
    /// (`sha256:…` or a unique prefix of its hex, as `docker` accepts).
    pub fn resolve(&self, reference: &str) -> Result<Option<Image>, ImageError> {
        let images = self.list()?;
        if let Ok(wanted) = ImageRef::parse(reference) {
            if let Some(digest) = &wanted.digest {
                return Ok(images
                    .into_iter()
                    .find(|i| i.name.name() == wanted.name() && i.manifest == *digest)
                    .or_else(|| {
                        self.manifest(digest).ok().map(|m| Image {
                            name: wanted.clone(),
                            manifest: digest.clone(),
                            id: m.config.digest.clone(),
                            size: m.size(),
                        })
                    })
                    .filter(|_| self.has_blob(digest)));
            }
            if let Some(image) = images.iter().find(|i| i.name == wanted) {
                return Ok(Some(image.clone()));
            }
        }
        let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
        if hex.len() >= 4 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let matching: Vec<&Image> = images
                .iter()
                .filter(|i| i.id.hex().starts_with(hex))
                .collect();
            if let [one] = matching[..] {
                return Ok(Some(one.clone()));
            }
        }
        Ok(None)
    }

    /// Names `manifest` (already stored with its config and layers) `name`, replacing what
    /// the name pointed at. A name with a tag is kept without its digest (the tag moves);
    /// a name by digest alone is kept as `name@digest`.
    pub fn tag(&self, name: &ImageRef, manifest: &Digest) -> Result<(), ImageError> {
        let size = std::fs::metadata(self.blob_path(manifest))
            .map_err(|e| ImageError::io(&self.blob_path(manifest), e))?
            .len();
        let media_type = self
            .manifest(manifest)?
            .media_type
            .unwrap_or_else(|| MEDIA_OCI_MANIFEST.to_string());
        let full = if name.tag.is_some() {
            ImageRef {
                digest: None,
                ..name.clone()
            }
        } else {
            name.with_digest(manifest)
        }
        .to_string();
        self.update_index(|index| {
            index
                .manifests
                .retain(|d| d.annotations.get(ANNOTATION_IMAGE_NAME) != Some(&full));
            let mut annotations = BTreeMap::new();
            annotations.insert(ANNOTATION_IMAGE_NAME.to_string(), full.clone());
            if let Some(tag) = &name.tag {
                annotations.insert(ANNOTATION_REF_NAME.to_string(), tag.clone());
            }
            index.manifests.push(Descriptor {
                media_type,
                digest: manifest.clone(),
                size,
                platform: None,
                annotations,
            });
        })
    }

    /// Removes the name `name`; then deletes blobs and layers no remaining name uses.
    /// Returns whether the name existed.
    pub fn remove(&self, name: &ImageRef) -> Result<bool, ImageError> {
        let full = name.to_string();
        let mut found = false;
        self.update_index(|index| {
            let before = index.manifests.len();
            index
                .manifests
                .retain(|d| d.annotations.get(ANNOTATION_IMAGE_NAME) != Some(&full));
            found = index.manifests.len() != before;
        })?;
        if found {
            self.collect_garbage()?;
        }
        Ok(found)
    }

    /// Held (shared) while blobs are written that no name references yet — an import or a
    /// pull — so that a concurrent garbage collection does not take them.
    pub fn writing(&self) -> Result<File, ImageError> {
        let file = self.lock_file(".gc.lock")?;
        file.lock_shared()
            .map_err(|e| ImageError::io(&self.root.join(".gc.lock"), e))?;
        Ok(file)
    }

    /// Deletes blobs and unpacked layers that no named image references.
    pub fn collect_garbage(&self) -> Result<(), ImageError> {
        let gc = self.lock_file(".gc.lock")?;
        gc.lock()
            .map_err(|e| ImageError::io(&self.root.join(".gc.lock"), e))?;
        let _lock = self.lock()?;
        let index = self.read_index()?;
        let mut blobs: HashSet<String> = HashSet::new();
        let mut layers: HashSet<String> = HashSet::new();
        for descriptor in &index.manifests {
            blobs.insert(descriptor.digest.hex().to_string());
            let Ok(manifest) = self.manifest(&descriptor.digest) else {
                continue;
            };
            blobs.insert(manifest.config.digest.hex().to_string());
            blobs.extend(manifest.layers.iter().map(|l| l.digest.hex().to_string()));
            if let Ok(config) = self.config(&manifest.config.digest) {
                layers.extend(config.rootfs.diff_ids.iter().map(|d| d.hex().to_string()));
            }
        }
        let sweep = |dir: PathBuf, keep: &HashSet<String>| -> Result<(), ImageError> {
            let entries = std::fs::read_dir(&dir).map_err(|e| ImageError::io(&dir, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if keep.contains(&name) {
                    continue;
                }
                let path = entry.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(|e| ImageError::io(&path, e))?;
            }
            Ok(())
        };
        sweep(self.root.join("blobs/sha256"), &blobs)?;
        sweep(self.root.join("layers"), &layers)?;
        Ok(())
    }

    /// Unpacks the layers of the image `manifest` that are not unpacked yet; returns what a
    /// container needs.
    pub fn unpack(&self, image: &Image) -> Result<Unpacked, ImageError> {
        let manifest = self.manifest(&image.manifest)?;
        let config = self.config(&manifest.config.digest)?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(ImageError::Invalid(format!(
                "{}: {} layers but {} diff IDs in the configuration",
                image.name,
                manifest.layers.len(),
                config.rootfs.diff_ids.len()
            )));
        }
        let mut layers = Vec::new();
        for (descriptor, diff_id) in manifest.layers.iter().zip(&config.rootfs.diff_ids) {
            let dir = self.root.join("layers").join(diff_id.hex());
            if !dir.is_dir() {
                self.unpack_layer(&descriptor.digest, diff_id, &dir)?;
            }
            layers.push(dir);
        }
        Ok(Unpacked {
            image: image.clone(),
            config,
            layers,
        })
    }

    fn unpack_layer(&self, blob: &Digest, diff_id: &Digest, dir: &Path) -> Result<(), ImageError> {
        let path = self.blob_path(blob);
        let file = File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => ImageError::MissingBlob(blob.clone()),
            _ => ImageError::io(&path, e),
        })?;
        let parent = self.root.join("layers");
        let tmp = tempfile::Builder::new()
            .prefix(".unpack-")
            .tempdir_in(&parent)
            .map_err(|e| ImageError::io(&parent, e))?;
        let actual = layer::unpack(file, tmp.path())?;
        if actual != *diff_id {
            return Err(ImageError::CorruptLayer {
                layer: blob.clone(),
                expected: diff_id.clone(),
                actual,
            });
        }
        let tmp = tmp.keep();
        match std::fs::rename(&tmp, dir) {
            Ok(()) => Ok(()),
            // Another unpacker won the race; its copy is as good.
            Err(_) if dir.is_dir() => {
                std::fs::remove_dir_all(&tmp).map_err(|e| ImageError::io(&tmp, e))
            }
            Err(e) => Err(ImageError::io(dir, e)),
        }
    }

    fn read_index(&self) -> Result<Index, ImageError> {
        let path = self.root.join("index.json");
        let bytes = std::fs::read(&path).map_err(|e| ImageError::io(&path, e))?;
        serde_json::from_slice(&bytes).map_err(ImageError::json)
    }

    fn update_index(&self, change: impl FnOnce(&mut Index)) -> Result<(), ImageError> {
        let _lock = self.lock()?;
        let mut index = self.read_index()?;
        change(&mut index);
        let bytes = serde_json::to_vec_pretty(&index).map_err(ImageError::json)?;
        write_atomic(&self.root.join("index.json"), &bytes)
    }

    /// The index's exclusive lock, held until the returned file is dropped.
    fn lock(&self) -> Result<File, ImageError> {
        let file = self.lock_file(".lock")?;
        file.lock()
            .map_err(|e| ImageError::io(&self.root.join(".lock"), e))?;
        Ok(file)
    }

    fn lock_file(&self, name: &str) -> Result<File, ImageError> {
        let path = self.root.join(name);
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ImageError::io(&path, e))
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ImageError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| ImageError::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| ImageError::io(path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| ImageError::io(path, e))?;
    tmp.persist(path)
        .map_err(|e| ImageError::io(path, e.error))?;
    Ok(())
}
