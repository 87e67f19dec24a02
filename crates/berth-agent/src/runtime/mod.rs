//! Running containers: runc, driven through a per-container shim ([`shim`]), with an
//! overlayfs root filesystem ([`rootfs`]) and an OCI configuration made from a
//! [`ContainerSpec`] ([`spec`]); the shim records what happened ([`status`]).
//!
//! On disk (`<data-dir>/agent/`): `containers/<id>/` is a container's bundle (`config.json`,
//! `rootfs/`, `upper/`, `work/`, `status.json`, `runc.log`); `runc/` is runc's state root, so
//! several agents (tests) on one machine never see each other's containers; `bin/` holds the
//! installed shim program.
//!
//! Invariants: a container dir exists from before `runc create` until [`Runtime::remove`]
//! has deleted the runc container and unmounted its rootfs, so everything this runtime ever
//! started is found by [`Runtime::list`]; removal is idempotent.

pub mod rootfs;
pub mod shim;
pub mod spec;
pub mod status;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncBufReadExt;

pub use spec::{BindMount, ContainerSpec, Resources, SharedNamespaces};
pub use status::ContainerState;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    /// The container could not be created or started (`CreateContainerError`,
    /// `StartError`), with runc's message.
    #[error("{reason}: {message}")]
    Start { reason: String, message: String },
    #[error("runc {action} {id}: {message}")]
    Runc {
        action: &'static str,
        id: String,
        message: String,
    },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> RuntimeError {
    let context = context.into();
    move |source| RuntimeError::Io { context, source }
}

#[derive(Debug, Clone)]
pub struct Runtime {
    containers: PathBuf,
    runc_root: PathBuf,
    runc: PathBuf,
    /// The installed shim program ([`shim::install`]).
    shim: PathBuf,
}

impl Runtime {
    /// A runtime keeping its state under `<data_dir>/agent`, where it also installs the
    /// shim program.
    pub fn new(data_dir: &Path) -> Result<Runtime, RuntimeError> {
        let agent = data_dir.join("agent");
        let containers = agent.join("containers");
        let runc_root = agent.join("runc");
        for dir in [&containers, &runc_root] {
            std::fs::create_dir_all(dir)
                .map_err(io_error(format!("creating {}", dir.display())))?;
        }
        let shim = shim::install(&agent).map_err(io_error(format!(
            "installing the shim program in {}/bin",
            agent.display()
        )))?;
        shim::check(&shim).map_err(io_error(format!(
            "running the shim program {} (is {} on a noexec mount?)",
            shim.display(),
            data_dir.display()
        )))?;
        Ok(Runtime {
            containers,
            runc_root,
            runc: PathBuf::from("runc"),
            shim,
        })
    }

    /// The runc program and its state root (for `runc exec`).
    pub fn runc(&self) -> PathBuf {
        self.runc.clone()
    }

    pub fn runc_root(&self) -> PathBuf {
        self.runc_root.clone()
    }

    pub fn bundle(&self, id: &str) -> PathBuf {
        self.containers.join(id)
    }

    /// Creates and starts a container on the image `layers`, its output to `log`. Returns
    /// once the process runs (or with why it could not start: [`RuntimeError::Start`]).
    pub async fn start(
        &self,
        spec: &ContainerSpec,
        layers: &[PathBuf],
        log: &Path,
    ) -> Result<ContainerState, RuntimeError> {
        let bundle = self.bundle(&spec.id);
        std::fs::create_dir_all(&bundle)
            .map_err(io_error(format!("creating {}", bundle.display())))?;
        rootfs::mount(&bundle, layers).map_err(io_error(format!(
            "mounting the root filesystem of {}",
            spec.id
        )))?;
        let config = serde_json::to_vec_pretty(&spec.oci_config())
            .map_err(|e| io_error("encoding config.json")(std::io::Error::other(e)))?;
        std::fs::write(bundle.join("config.json"), config).map_err(io_error(format!(
            "writing {}/config.json",
            bundle.display()
        )))?;
        let config = shim::ShimConfig {
            id: spec.id.clone(),
            bundle: bundle.clone(),
            runc: self.runc.clone(),
            runc_root: self.runc_root.clone(),
            log: log.to_path_buf(),
            tty: spec.tty,
            stdin: spec.stdin,
        };
        let mut shim = tokio::process::Command::new(&self.shim)
            .args(config.args())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: a Ctrl-C meant for the agent does not reach it.
            .process_group(0)
            .spawn()
            .map_err(io_error(format!(
                "starting the shim {}",
                self.shim.display()
            )))?;
        let stdout = shim.stdout.take();
        let mut line = String::new();
        if let Some(stdout) = stdout {
            let mut reader = tokio::io::BufReader::new(stdout);
            reader
                .read_line(&mut line)
                .await
                .map_err(io_error("reading the shim's report"))?;
        }
        // The shim lives on after reporting; reap it whenever it ends.
        tokio::spawn(async move {
            let _ = shim.wait().await;
        });
        let report: serde_json::Value = serde_json::from_str(line.trim()).unwrap_or_default();
        if let Some(message) = report["error"].as_str() {
            return Err(RuntimeError::Start {
                reason: report["reason"]
                    .as_str()
                    .unwrap_or("CreateContainerError")
                    .to_string(),
                message: message.to_string(),
            });
        }
        match self.state(&spec.id)? {
            Some(state) if report["pid"].is_number() => Ok(state),
            _ => Err(RuntimeError::Start {
                reason: "CreateContainerError".into(),
                message: format!("the shim of {} ended without a report", spec.id),
            }),
        }
    }

    /// What the shim recorded of container `id`.
    pub fn state(&self, id: &str) -> Result<Option<ContainerState>, RuntimeError> {
        status::read_state(&self.bundle(id)).map_err(io_error(format!("reading the state of {id}")))
    }

    /// Sends `signal` (`TERM`, `KILL`, …) to the container's init process. A container that
    /// is not running is not an error.
    pub async fn kill(&self, id: &str, signal: &str) -> Result<(), RuntimeError> {
        let out = self
            .runc_command()
            .args(["kill", id, signal])
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(io_error("running runc kill"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success()
            || stderr.contains("not running")
            || stderr.contains("does not exist")
            || stderr.contains("process already finished")
        {
            Ok(())
        } else {
            Err(RuntimeError::Runc {
                action: "kill",
                id: id.to_string(),
                message: stderr.trim().to_string(),
            })
        }
    }

    /// Waits until container `id` has exited (its shim has recorded the exit): the shim's
    /// end is awaited through a pidfd.
    pub async fn wait(&self, id: &str) -> Result<ContainerState, RuntimeError> {
        loop {
            let state = self.state(id)?.unwrap_or_default();
            if state.exit_code.is_some() {
                return Ok(state);
            }
            match state.shim_pid {
                Some(shim) if process_alive(shim) => {
                    if !wait_for_process(shim).await {
                        // No pidfd to wait on (out of descriptors?): poll rather than spin
                        // — this loop must reach an await that really waits.
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
                Some(_) => {
                    // The shim is gone; its last write, if any, is on disk now.
                    let state = self.state(id)?.unwrap_or_default();
                    if state.exit_code.is_some() {
                        return Ok(state);
                    }
                    return Ok(ContainerState {
                        exit_code: Some(255),
                        reason: Some("Unknown".into()),
                        message: Some(
                            "the container's shim ended without recording an exit".into(),
                        ),
                        ..state
                    });
                }
                // Removed (its bundle is gone): it is not running, whatever it was.
                None if !self.bundle(id).exists() => {
                    return Ok(ContainerState {
                        exit_code: Some(255),
                        reason: Some("Unknown".into()),
                        message: Some("the container was removed".into()),
                        ..state
                    });
                }
                // Between the shim's start and its first write.
                None => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        }
    }

    /// Deletes container `id` (killing it if it still runs), unmounts its root filesystem
    /// and removes its bundle. Idempotent.
    pub async fn remove(&self, id: &str) -> Result<(), RuntimeError> {
        // runc's own `delete --force` was seen to leave a running init behind on this
        // runc (1.1, hybrid cgroups): kill and wait for the exit first.
        if self.state(id)?.is_some_and(|s| s.running()) {
            let _ = self.kill(id, "KILL").await;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), self.wait(id)).await;
        }
        let _ = self
            .runc_command()
            .args(["delete", "--force", id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
        let bundle = self.bundle(id);
        rootfs::unmount(&bundle).map_err(io_error(format!("unmounting the rootfs of {id}")))?;
        match std::fs::remove_dir_all(&bundle) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(format!("removing {}", bundle.display()))(e)),
        }
    }

    /// The IDs of every container this runtime holds (running or exited).
    pub fn list(&self) -> Result<Vec<String>, RuntimeError> {
        let entries = std::fs::read_dir(&self.containers)
            .map_err(io_error(format!("listing {}", self.containers.display())))?;
        let mut ids: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        Ok(ids)
    }

    fn runc_command(&self) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.runc);
        command.arg("--root").arg(&self.runc_root);
        command
    }
}

/// Whether process `pid` runs: it exists and is not a zombie waiting to be reaped (whose
/// pidfd is already readable, so waiting on it would spin).
fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) S …`: the state follows the last `)` (comm may hold anything).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Waits for process `pid` to end, through a pidfd (no polling); `false` at once if it
/// cannot (no pidfd or no registration with the reactor).
async fn wait_for_process(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    let pidfd = match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK) {
        Ok(fd) => fd,
        // Ended since it was looked at.
        Err(rustix::io::Errno::SRCH) => return true,
        Err(e) => {
            tracing::warn!(pid = pid.as_raw_nonzero().get(), error = %e, "cannot open a pidfd; polling the process");
            return false;
        }
    };
    match readable_fd(pidfd) {
        Some(fd) => fd.readable().await.is_ok(),
        None => false,
    }
}

/// `fd` registered with the runtime's reactor for readability.
pub(crate) fn readable_fd(
    fd: std::os::fd::OwnedFd,
) -> Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    // `with_interest` is deprecated because a borrowed fd could be closed under the reactor;
    // an `OwnedFd` moved in cannot be, which is the safety `register` asks for — and this
    // workspace forbids `unsafe`.
    #[allow(deprecated)]
    tokio::io::unix::AsyncFd::with_interest(fd, tokio::io::Interest::READABLE).ok()
}

/// Sets a terminal's window size (what a resize from kubectl asks for).
pub fn set_window_size(
    terminal: impl std::os::fd::AsFd,
    width: u16,
    height: u16,
) -> rustix::io::Result<()> {
    rustix::termios::tcsetwinsize(
        terminal,
        rustix::termios::Winsize {
            ws_row: height,
            ws_col: width,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zombies_are_not_alive() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("run true");
        let pid = child.id();
        // Exited but not yet reaped: a zombie, whose pidfd would be readable at once.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while process_alive(pid) && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(!process_alive(pid));
        assert!(
            Path::new(&format!("/proc/{pid}")).exists(),
            "still a zombie"
        );
        let _ = child.wait();
        assert!(!process_alive(pid));
    }
}
