//! The container shim program this binary carries (built from `crates/berth-shim` by this
//! crate's build script: a small static program; see there for why) and its installation.
//!
//! The agent writes it to `<data-dir>/agent/bin/berth-shim-<version>` once (atomically: a
//! temporary file renamed into place) and starts one per container. Installed files of other
//! versions are removed: shims still running from them keep running (an unlinked program
//! stays mapped), as they do across an agent upgrade.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The shim's command line: the same type its source parses it with.
pub use berth_shim::Config as ShimConfig;

/// The shim program.
const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/berth-shim"));

/// A hash of [`PROGRAM`], part of the installed file's name.
const VERSION: &str = env!("BERTH_SHIM_VERSION");

/// Installs the shim under `<agent_dir>/bin` unless it is there already, removes other
/// versions, and returns its path.
pub fn install(agent_dir: &Path) -> io::Result<PathBuf> {
    let dir = agent_dir.join("bin");
    std::fs::create_dir_all(&dir)?;
    let name = format!("berth-shim-{VERSION}");
    let path = dir.join(&name);
    let installed = std::fs::metadata(&path)
        .is_ok_and(|m| m.len() == PROGRAM.len() as u64 && m.permissions().mode() & 0o111 != 0);
    if !installed {
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, PROGRAM)?;
        release_program_pages();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
        std::fs::rename(&tmp, &path)?;
    }
    for entry in std::fs::read_dir(&dir)?.flatten() {
        let other = entry.file_name();
        if other != name.as_str() && other.to_string_lossy().starts_with("berth-shim-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(path)
}

/// Runs the installed shim once without arguments (it says what is missing and exits): an
/// agent whose data directory cannot execute programs finds out at start, not per container.
pub fn check(program: &Path) -> io::Result<()> {
    let out = std::process::Command::new(program)
        .stdin(std::process::Stdio::null())
        .output()?;
    if out.status.code() == Some(2) {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "it exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Unmaps the pages of [`PROGRAM`] that writing it faulted in: 1.3 MiB of this binary's
/// read-only data the agent would otherwise keep resident for the rest of its life.
#[allow(unsafe_code)]
fn release_program_pages() {
    let page = rustix::param::page_size();
    let start = (PROGRAM.as_ptr() as usize).next_multiple_of(page);
    let end = (PROGRAM.as_ptr() as usize + PROGRAM.len()) / page * page;
    if end > start {
        // SAFETY: the range is whole pages inside `PROGRAM`, a static in this executable's
        // read-only data: a private file mapping that is never written. Dropping such pages
        // loses nothing; the next read of them faults them in again from the file, with the
        // same contents (madvise(2), MADV_DONTNEED). No reference into them is held here.
        let _ = unsafe {
            rustix::mm::madvise(
                start as *mut std::ffi::c_void,
                end - start,
                rustix::mm::Advice::LinuxDontNeed,
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installs_once_and_replaces_other_versions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::fs::write(bin.join("berth-shim-0000000000000000"), b"old").expect("old version");
        let path = install(dir.path()).expect("install");
        assert_eq!(std::fs::read(&path).expect("read"), PROGRAM);
        let names: Vec<_> = std::fs::read_dir(&bin)
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![path.file_name().expect("a name").to_owned()]);
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(install(dir.path()).expect("install again"), path);
        // Its pages were released after the first write and read back from the executable.
        assert_eq!(std::fs::read(&path).expect("read"), PROGRAM);
        let again = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(modified, again, "an installed shim is not rewritten");
    }

    /// The embedded program is the static shim: it runs, and rejects a bad command line
    /// the way its source says.
    #[test]
    fn the_installed_program_runs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = install(dir.path()).expect("install");
        check(&path).expect("the check passes");
        let out = std::process::Command::new(&path)
            .arg("--color")
            .output()
            .expect("run the shim");
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr).trim(),
            "berth-shim: unknown argument \"--color\""
        );
        // Something that is not the shim fails the check.
        let not_a_shim = dir.path().join("true.sh");
        std::fs::write(&not_a_shim, "#!/bin/sh\nexit 0\n").expect("write");
        std::fs::set_permissions(&not_a_shim, std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        assert!(check(&not_a_shim).is_err());
        assert!(check(&dir.path().join("missing")).is_err());
    }
}
