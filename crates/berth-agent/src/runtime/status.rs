//! A container's recorded state (`status.json` in its bundle), written by its shim and read
//! by the agent — also after an agent restart, which is how running containers are
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

/// Replaces `<bundle>/status.json` atomically.
pub fn write_state(bundle: &Path, state: &ContainerState) -> io::Result<()> {
    let bytes = serde_json::to_vec(state).map_err(io::Error::other)?;
    let tmp = bundle.join(".status.json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, bundle.join("status.json"))
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
