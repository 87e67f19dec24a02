//! `status.json`: what the shim records of its container, read by the agent (its
//! `runtime::status::ContainerState`, whose camelCase members these are — a test in the
//! agent reads what [`State::to_json`] writes).
//!
//! Invariant: the file is replaced atomically (written beside it, then renamed).

use std::io;
use std::path::Path;

use crate::json;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// The container's init process (host pid).
    pub pid: Option<i32>,
    /// This shim.
    pub shim_pid: Option<u32>,
    /// RFC 3339.
    pub started_at: Option<String>,
    pub exit_code: Option<i32>,
    /// RFC 3339.
    pub finished_at: Option<String>,
    /// `Completed`, `Error`, `StartError`, as upstream reports them.
    pub reason: Option<String>,
    pub message: Option<String>,
}

impl State {
    /// One JSON object; members that are not set are left out.
    pub fn to_json(&self) -> String {
        let numbers = [
            ("pid", self.pid.map(i64::from)),
            ("shimPid", self.shim_pid.map(i64::from)),
            ("exitCode", self.exit_code.map(i64::from)),
        ];
        let strings = [
            ("startedAt", &self.started_at),
            ("finishedAt", &self.finished_at),
            ("reason", &self.reason),
            ("message", &self.message),
        ];
        let members: Vec<String> = numbers
            .iter()
            .filter_map(|(key, value)| value.map(|v| format!("\"{key}\":{v}")))
            .chain(strings.iter().filter_map(|(key, value)| {
                value
                    .as_deref()
                    .map(|v| format!("\"{key}\":{}", json::string(v)))
            }))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    /// Replaces `<bundle>/status.json` atomically.
    pub fn write(&self, bundle: &Path) -> io::Result<()> {
        let tmp = bundle.join(".status.json.tmp");
        std::fs::write(&tmp, self.to_json())?;
        std::fs::rename(&tmp, bundle.join("status.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_set_members_only() {
        assert_eq!(State::default().to_json(), "{}");
        let state = State {
            pid: Some(42),
            shim_pid: Some(41),
            started_at: Some("2026-11-28T03:22:00.5Z".into()),
            exit_code: Some(137),
            finished_at: None,
            reason: Some("Error".into()),
            message: Some("said \"no\"\n".into()),
        };
        let value: serde_json::Value = serde_json::from_str(&state.to_json()).expect("JSON");
        assert_eq!(
            value,
            serde_json::json!({
                "pid": 42, "shimPid": 41, "startedAt": "2026-11-28T03:22:00.5Z",
                "exitCode": 137, "reason": "Error", "message": "said \"no\"\n"
            })
        );
    }

    #[test]
    fn replaces_the_file() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path();
        let first = State {
            pid: Some(1),
            ..State::default()
        };
        first.write(dir).expect("write");
        let second = State {
            exit_code: Some(0),
            ..first
        };
        second.write(dir).expect("write again");
        let text = std::fs::read_to_string(dir.join("status.json")).expect("read");
        assert_eq!(text, second.to_json());
        assert!(!dir.join(".status.json.tmp").exists());
    }
}
