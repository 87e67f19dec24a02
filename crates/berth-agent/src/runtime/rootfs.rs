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

/// Whether `path` is a mount point (listed in this process's mount table).
pub fn is_mountpoint(path: &Path) -> io::Result<bool> {
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
