//! A pod's sandbox: the network, IPC and UTS namespaces its containers share, kept alive as
//! bind-mounted namespace files (`<pod dir>/ns/{net,ipc,uts}`, made with util-linux
//! `unshare`, the UTS one already carrying the pod's hostname), with the network attached
//! through CNI.
//!
//! Invariants: [`Sandbox::create`] undoes its own partial work on failure; [`Sandbox::remove`]
//! is idempotent (CNI DEL, unmount, remove) so a crashed or restarted agent can always
//! finish a teardown.

use std::path::{Path, PathBuf};

use super::cni::{Attachment, CniConfig, CniError};

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("creating the pod's namespaces: {0}")]
    Namespaces(String),
    #[error(transparent)]
    Cni(#[from] CniError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    /// `<pod dir>/ns`.
    dir: PathBuf,
}

const KINDS: [&str; 3] = ["net", "ipc", "uts"];

impl Sandbox {
    pub fn at(pod_dir: &Path) -> Sandbox {
        Sandbox {
            dir: pod_dir.join("ns"),
        }
    }

    pub fn netns(&self) -> PathBuf {
        self.dir.join("net")
    }

    pub fn ipc(&self) -> PathBuf {
        self.dir.join("ipc")
    }

    pub fn uts(&self) -> PathBuf {
        self.dir.join("uts")
    }

    /// Whether the namespaces exist (a sandbox made before an agent restart).
    pub fn exists(&self) -> bool {
        KINDS
            .iter()
            .all(|k| crate::runtime::rootfs::is_mountpoint(&self.dir.join(k)).unwrap_or(false))
    }

    /// Makes the namespaces (hostname `hostname`) and, unless `host_network`, attaches the
    /// network namespace through CNI as container `id`.
    pub async fn create(
        &self,
        id: &str,
        hostname: &str,
        cni: Option<&CniConfig>,
    ) -> Result<Attachment, SandboxError> {
        let io = |context: String| move |source| SandboxError::Io { context, source };
        std::fs::create_dir_all(&self.dir)
            .map_err(io(format!("creating {}", self.dir.display())))?;
        if !self.exists() {
            for kind in KINDS {
                let file = self.dir.join(kind);
                std::fs::File::create(&file).map_err(io(format!("creating {}", file.display())))?;
            }
            let mut unshare = tokio::process::Command::new("unshare");
            if cni.is_some() {
                unshare.arg(format!("--net={}", self.netns().display()));
            }
            let out = unshare
                .arg(format!("--ipc={}", self.ipc().display()))
                .arg(format!("--uts={}", self.uts().display()))
                .args(["hostname", hostname])
                .output()
                .await
                .map_err(io("running unshare (package util-linux)".into()))?;
            if !out.status.success() {
                let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
                let _ = self.unmount();
                return Err(SandboxError::Namespaces(message));
            }
        }
        let Some(cni) = cni else {
            return Ok(Attachment::default());
        };
        if let Err(e) = super::loopback::bring_up(&self.netns()) {
            let _ = self.unmount();
            return Err(SandboxError::Namespaces(e.to_string()));
        }
        match cni.add(id, &self.netns()).await {
            Ok(attachment) => Ok(attachment),
            Err(e) => {
                let _ = cni.del(id, &self.netns()).await;
                let _ = self.unmount();
                Err(e.into())
            }
        }
    }

    /// Detaches the network (CNI DEL) and removes the namespaces. Idempotent.
    pub async fn remove(&self, id: &str, cni: Option<&CniConfig>) -> Result<(), SandboxError> {
        let mut result = Ok(());
        if let Some(cni) = cni
            && self.dir.exists()
        {
            // DEL also releases the IP when the namespace is already gone.
            if let Err(e) = cni.del(id, &self.netns()).await {
                result = Err(e.into());
            }
        }
        self.unmount().map_err(|source| SandboxError::Io {
            context: format!("unmounting {}", self.dir.display()),
            source,
        })?;
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(SandboxError::Io {
                    context: format!("removing {}", self.dir.display()),
                    source,
                });
            }
        }
        result
    }

    fn unmount(&self) -> std::io::Result<()> {
        for kind in KINDS {
            let file = self.dir.join(kind);
            while crate::runtime::rootfs::is_mountpoint(&file)? {
                rustix::mount::unmount(&file, rustix::mount::UnmountFlags::DETACH)?;
            }
        }
        Ok(())
    }
}
