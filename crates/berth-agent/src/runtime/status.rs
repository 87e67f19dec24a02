//! A container's recorded state (`status.json` in its bundle), written by its shim
//! (`berth_shim::state`) and read by the agent — also after an agent restart, which is how running containers are
//! re-adopted.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerState {
    /// The container's init process (host pid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<i32>,
    /// The shim watching it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shim_pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<jiff::Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<jiff::Timestamp>,
    /// `Completed`, `Error`, `CreateContainerError`, `StartError`, as upstream reports them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ContainerState {
    pub fn running(&self) -> bool {
        self.started_at.is_some() && self.exit_code.is_none()
    }
}

/// Reads `<bundle>/status.json`, if written.
pub fn read_state(bundle: &Path) -> io::Result<Option<ContainerState>> {
    match std::fs::read(bundle.join("status.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(io::Error::other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the shim writes ([`berth_shim::state::State`], hand-made JSON) is what this side
    /// reads, member for member.
    #[test]
    fn reads_what_the_shim_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let started = berth_shim::time::now();
        let written = berth_shim::state::State {
            pid: Some(4242),
            shim_pid: Some(4241),
            started_at: Some(started.clone()),
            exit_code: Some(143),
            finished_at: Some("2026-11-28T03:22:00Z".into()),
            reason: Some("Error".into()),
            message: Some("a \"quoted\"\nmessage".into()),
        };
        written.write(dir.path()).expect("the shim's write");
        let read = read_state(dir.path()).expect("read").expect("written");
        assert_eq!(
            read,
            ContainerState {
                pid: Some(4242),
                shim_pid: Some(4241),
                started_at: Some(started.parse().expect("RFC 3339")),
                exit_code: Some(143),
                finished_at: Some("2026-11-28T03:22:00Z".parse().expect("RFC 3339")),
                reason: Some("Error".into()),
                message: Some("a \"quoted\"\nmessage".into()),
            }
        );
        assert!(!read.running());
        berth_shim::state::State {
            pid: Some(1),
            started_at: Some(started),
            ..Default::default()
        }
        .write(dir.path())
        .expect("write");
        assert!(
            read_state(dir.path())
                .expect("read")
                .expect("written")
                .running()
        );
    }
}
