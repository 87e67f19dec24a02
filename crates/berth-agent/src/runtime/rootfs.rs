//! A container's root filesystem: an overlayfs of the image's unpacked layers (read-only,
//! shared) under a writable upper dir of its own.
//!
//! Layout of a container dir: `rootfs/` (the mount point, and runc's bundle root),
//! `upper/`, `work/`. Invariant: [`unmount`] is idempotent and succeeds when nothing is
//! mounted, so cleanup can always run it.

use std::io;
use std::path::{Path, PathBuf};

use rustix::mount::{MountFlags, UnmountFlags};

/// Mounts the overlay of `layers` (bottom first) at `<dir>/rootfs`.
pub fn mount(dir: &Path, layers: &[PathBuf]) -> io::Result<PathBuf> {
    let rootfs = dir.join("rootfs");
    let upper = dir.join("upper");
    let work = dir.join("work");
    for d in [&rootfs, &upper, &work] {
        std::fs::create_dir_all(d)?;
    }
    if is_mountpoint(&rootfs)? {
        return Ok(rootfs);
    }
    if layers.is_empty() {
        return Err(io::Error::other(
            "an image without layers has no root filesystem",
        ));
    }
    // overlayfs lists lower dirs top first.
    let lower: Vec<String> = layers
        .iter()
        .rev()
        .map(|l| l.to_string_lossy().into_owned())
        .collect();
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.join(":"),
        upper.display(),
        work.display()
    );
    let options = std::ffi::CString::new(options).map_err(io::Error::other)?;
    rustix::mount::mount(
        "overlay",
        &rootfs,
        "overlay",
        MountFlags::empty(),
        Some(options.as_c_str()),
    )?;
    Ok(rootfs)
}

/// Unmounts `<dir>/rootfs` if mounted.
pub fn unmount(dir: &Path) -> io::Result<()> {
    let rootfs = dir.join("rootfs");
    while rootfs.exists() && is_mountpoint(&rootfs)? {
        match rustix::mount::unmount(&rootfs, UnmountFlags::DETACH) {
            Ok(()) => {}
            Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOENT) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether `path` is a mount point: one `statx` (`STATX_ATTR_MOUNT_ROOT`, Linux 5.8+) —
/// reading the mount table instead costs time in proportion to the mounts, four per pod,
/// on every pod's start and stop. A missing path is not a mount point.
pub fn is_mountpoint(path: &Path) -> io::Result<bool> {
    use rustix::fs::{AtFlags, StatxAttributes, StatxFlags};
    match rustix::fs::statx(
        rustix::fs::CWD,
        path,
        AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::BASIC_STATS,
    ) {
        Ok(stat)
            if stat
                .stx_attributes_mask
                .contains(StatxAttributes::MOUNT_ROOT) =>
        {
            Ok(stat.stx_attributes.contains(StatxAttributes::MOUNT_ROOT))
        }
        Err(rustix::io::Errno::NOENT) => Ok(false),
        // An older kernel: look the path up in the mount table.
        _ => is_listed_mountpoint(path),
    }
}

/// Whether `path` is listed as a mount point in this process's mount table.
fn is_listed_mountpoint(path: &Path) -> io::Result<bool> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
    let wanted = path.to_string_lossy();
    Ok(mounts.lines().any(|line| {
        line.split(' ')
            .nth(4)
            .is_some_and(|mount_point| unescape(mount_point) == wanted)
    }))
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(field: &str) -> String {
    field
        .replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statx_and_the_mount_table_agree() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing");
        for (path, expected) in [
            (Path::new("/proc"), true),
            (dir.path(), false),
            (missing.as_path(), false),
        ] {
            assert_eq!(is_mountpoint(path).ok(), Some(expected), "{path:?}");
            assert_eq!(is_listed_mountpoint(path).ok(), Some(expected), "{path:?}");
        }
    }

    /// Root only: a bind-mounted file (as a pod's namespace files are) is a mount point.
    #[test]
    fn a_bind_mounted_file_is_a_mount_point() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let (source, target) = (dir.path().join("source"), dir.path().join("target"));
        std::fs::write(&source, "x").expect("source");
        std::fs::write(&target, "").expect("target");
        assert_eq!(is_mountpoint(&target).ok(), Some(false));
        rustix::mount::mount_bind(&source, &target).expect("bind mount");
        let seen = (
            is_mountpoint(&target).ok(),
            is_listed_mountpoint(&target).ok(),
        );
        let _ = rustix::mount::unmount(&target, UnmountFlags::DETACH);
        assert_eq!(seen, (Some(true), Some(true)));
        assert_eq!(is_mountpoint(&target).ok(), Some(false));
    }
}
