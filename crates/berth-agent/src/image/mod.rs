//! Images on a node: references ([`reference`]), digests ([`digest`]), the OCI documents
//! ([`oci`]), the content store with unpacked layers ([`store`]), layer unpacking with
//! whiteouts ([`layer`]), archive import ([`archive`]) and registry pulls ([`registry`]).

pub mod archive;
pub mod digest;
pub mod layer;
pub mod oci;
pub mod reference;
pub mod registry;
pub mod store;

use std::path::{Path, PathBuf};

pub use digest::Digest;
pub use reference::ImageRef;
pub use store::{Image, ImageStore, Unpacked};

/// Where the agent whose data dir is `data_dir` keeps its images.
pub fn store_root(data_dir: &Path) -> PathBuf {
    data_dir.join("agent").join("images")
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("malformed image document: {0}")]
    Json(#[source] serde_json::Error),
    #[error("content is {actual}, expected {expected}")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("blob {0} is missing from the image store")]
    MissingBlob(Digest),
    #[error("layer {layer} is corrupt: it unpacks to {actual}, the image says {expected}")]
    CorruptLayer {
        layer: Digest,
        expected: Digest,
        actual: Digest,
    },
    #[error("unpacking a layer into {path}: {reason}")]
    Layer { path: PathBuf, reason: String },
    #[error("importing {archive}: {reason}")]
    Archive { archive: PathBuf, reason: String },
    #[error("{0}")]
    Invalid(String),
}

impl ImageError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> ImageError {
        ImageError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn json(e: serde_json::Error) -> ImageError {
        ImageError::Json(e)
    }
}
