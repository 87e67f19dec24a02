//! Unpacking one layer into a directory that serves as an overlayfs lower dir.
//!
//! Layers are tar streams, plain, gzip or zstd (recognised by their first bytes, whatever
//! the media type says). OCI whiteouts become overlayfs's own: `.wh.NAME` a 0:0 character
//! device `NAME`, `.wh..wh..opq` the `trusted.overlay.opaque=y` attribute on its directory.
//!
//! Invariants: the uncompressed stream's digest is computed while it unpacks and must equal
//! the image's diff ID, or the directory is discarded; entries never land outside the
//! directory (the `tar` crate refuses `..` and absolute paths and checks each parent).

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use super::ImageError;
use super::digest::{Digest, HashingReader};

/// The compression of a blob, from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// The OCI layer media type for this compression.
    pub fn layer_media_type(self) -> &'static str {
        match self {
            Compression::None => super::oci::MEDIA_OCI_LAYER,
            Compression::Gzip => super::oci::MEDIA_OCI_LAYER_GZIP,
            Compression::Zstd => super::oci::MEDIA_OCI_LAYER_ZSTD,
        }
    }
}

/// `reader`, decompressed by what its first bytes say.
pub fn decompressed<'a, R: Read + 'a>(reader: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let head = buffered.fill_buf()?;
    Ok(match Compression::sniff(head) {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    })
}

/// Unpacks the layer read from `blob` into `dest` (which must exist and be empty); returns
/// the digest of the uncompressed tar (the layer's diff ID).
pub fn unpack(blob: impl Read, dest: &Path) -> Result<Digest, ImageError> {
    let failed = |e: io::Error| ImageError::Layer {
        path: dest.to_path_buf(),
        reason: error_chain(&e),
    };
    let mut tar_stream = HashingReader::new(decompressed(blob).map_err(failed)?);
    {
        let mut archive = tar::Archive::new(&mut tar_stream);
        archive.set_preserve_permissions(true);
        archive.set_preserve_ownerships(true);
        archive.set_preserve_mtime(true);
        archive.set_unpack_xattrs(true);
        archive.set_overwrite(true);
        for entry in archive.entries().map_err(failed)? {
            let mut entry = entry.map_err(failed)?;
            let path = entry.path().map_err(failed)?.into_owned();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                entry.unpack_in(dest).map_err(failed)?;
                continue;
            };
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let parent = safe_join(dest, path.parent().unwrap_or(Path::new("")))
                    .ok_or_else(|| failed(io::Error::other(format!("unsafe path {path:?}"))))?;
                std::fs::create_dir_all(&parent).map_err(failed)?;
                if hidden == ".wh..opq" {
                    rustix::fs::setxattr(
                        &parent,
                        "trusted.overlay.opaque",
                        b"y",
                        rustix::fs::XattrFlags::empty(),
                    )
                    .map_err(|e| failed(e.into()))?;
                } else {
                    let target = parent.join(hidden);
                    remove_any(&target).map_err(failed)?;
                    rustix::fs::mknodat(
                        rustix::fs::CWD,
                        &target,
                        rustix::fs::FileType::CharacterDevice,
                        rustix::fs::Mode::empty(),
                        rustix::fs::makedev(0, 0),
                    )
                    .map_err(|e| failed(e.into()))?;
                }
                continue;
            }
            entry.unpack_in(dest).map_err(failed)?;
        }
    }
    let (diff_id, _) = tar_stream.finish().map_err(failed)?;
    Ok(diff_id)
}

/// An error with its causes (the `tar` crate wraps the one that matters).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `base/relative` if `relative` has only normal components.
fn safe_join(base: &Path, relative: &Path) -> Option<PathBuf> {
    let mut out = base.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Removes a file, link or directory tree if present.
fn remove_any(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn layer(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, contents) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            match contents {
                Some(data) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(data.len() as u64);
                    header.set_mode(0o644);
                    header.set_cksum();
                    builder
                        .append_data(&mut header, path, *data)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                None => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    header.set_mode(0o755);
                    header.set_cksum();
                    builder
                        .append_data(&mut header, path, &[][..])
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
        builder.into_inner().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn whiteouts_become_overlay_whiteouts_and_the_diff_id_is_the_tar_digest() {
        let tar = layer(&[
            ("etc/", None),
            ("etc/.wh.passwd", Some(b"")),
            ("var/", None),
            ("var/.wh..wh..opq", Some(b"")),
            ("hello.txt", Some(b"hi\n")),
        ]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &tar).unwrap_or_else(|e| panic!("{e}"));
        let gz = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let diff_id = unpack(&gz[..], dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(diff_id, Digest::of(&tar));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("hello.txt")).ok(),
            Some("hi\n".into())
        );
        let whiteout = std::fs::symlink_metadata(dir.path().join("etc/passwd"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(whiteout.file_type().is_char_device());
        assert!(!dir.path().join("etc/.wh.passwd").exists());
        // The opaque marker needs trusted.* xattrs (root, a filesystem that has them).
        let opaque = rustix::fs::getxattr(
            dir.path().join("var"),
            "trusted.overlay.opaque",
            &mut [0u8; 4],
        );
        if let Ok(n) = opaque {
            assert_eq!(n, 1);
        }
    }

    #[test]
    fn entries_cannot_escape() {
        // The builder refuses `..`, so the name is written into the header by hand.
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..13].copy_from_slice(b"../escape.txt");
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append(&header, &b"x"[..])
            .unwrap_or_else(|e| panic!("{e}"));
        let tar = builder.into_inner().unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let inner = dir.path().join("layer");
        std::fs::create_dir(&inner).unwrap_or_else(|e| panic!("{e}"));
        let _ = unpack(&tar[..], &inner);
        assert!(!dir.path().join("escape.txt").exists());
    }
}
