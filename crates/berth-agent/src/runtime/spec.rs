//! What one container is, in runtime terms ([`ContainerSpec`], built by the pod worker from
//! the pod spec and the image), and its OCI runtime `config.json` for runc.
//!
//! Defaults are containerd's: the mounts every container gets (`/proc`, `/dev`, `/dev/pts`,
//! `/dev/shm`, `/dev/mqueue`, `/sys`, `/sys/fs/cgroup`), the default capability set, masked
//! and read-only `/proc` paths, and the default device rules. A privileged container gets
//! every capability and no masks.

use std::path::PathBuf;

use serde_json::{Value, json};

/// containerd's default capabilities for unprivileged containers.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Every capability Linux 5.x+ knows (privileged containers).
const ALL_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// A bind mount into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    pub source: PathBuf,
    pub destination: String,
    pub readonly: bool,
}

/// Namespaces a container joins instead of getting its own (the pod's, shared by its
/// containers): paths of namespace files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedNamespaces {
    pub network: Option<PathBuf>,
    pub ipc: Option<PathBuf>,
    pub uts: Option<PathBuf>,
}

/// cgroup limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// cpu.shares (requests: 1024 per CPU, at least 2).
    pub cpu_shares: Option<u64>,
    /// CFS quota per 100 ms period (limits), in µs.
    pub cpu_quota: Option<i64>,
    /// memory limit in bytes.
    pub memory_limit: Option<i64>,
    /// pids limit.
    pub pids_limit: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// The runc container ID (unique on the node).
    pub id: String,
    /// The full argv (entrypoint/command + cmd/args resolved).
    pub args: Vec<String>,
    /// `KEY=value` pairs.
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub hostname: String,
    pub privileged: bool,
    pub readonly_rootfs: bool,
    /// Capabilities added to / dropped from the default set (`NET_ADMIN` or `CAP_NET_ADMIN`,
    /// `ALL`).
    pub add_capabilities: Vec<String>,
    pub drop_capabilities: Vec<String>,
    pub mounts: Vec<BindMount>,
    pub namespaces: SharedNamespaces,
    /// cgroupfs path (`/berth/pod<uid>/<id>`).
    pub cgroup_path: String,
    pub resources: Resources,
    /// `allowPrivilegeEscalation: false`.
    pub no_new_privileges: bool,
    /// `stdin: true`: the container reads a FIFO its shim keeps (`<bundle>/stdin`), which
    /// `kubectl attach -i` writes to.
    pub stdin: bool,
    /// `tty: true`: the container's stdio is a terminal (runc's console, held by the shim).
    pub tty: bool,
}

fn capability_name(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    }
}

impl ContainerSpec {
    /// The effective capability set.
    pub fn capabilities(&self) -> Vec<String> {
        if self.privileged {
            return ALL_CAPABILITIES.iter().map(|c| c.to_string()).collect();
        }
        let drop: Vec<String> = self
            .drop_capabilities
            .iter()
            .map(|c| capability_name(c))
            .collect();
        let mut caps: Vec<String> = if drop.iter().any(|c| c == "CAP_ALL") {
            Vec::new()
        } else {
            DEFAULT_CAPABILITIES
                .iter()
                .map(|c| c.to_string())
                .filter(|c| !drop.contains(c))
                .collect()
        };
        for add in &self.add_capabilities {
            let name = capability_name(add);
            if name == "CAP_ALL" {
                return ALL_CAPABILITIES.iter().map(|c| c.to_string()).collect();
            }
            if !caps.contains(&name) {
                caps.push(name);
            }
        }
        caps
    }

    /// The OCI runtime configuration (`config.json`), with the root filesystem at `rootfs`
    /// (already mounted by the caller).
    pub fn oci_config(&self) -> Value {
        let caps = self.capabilities();
        let mut mounts = vec![
            json!({"destination": "/proc", "type": "proc", "source": "proc",
                   "options": ["nosuid", "noexec", "nodev"]}),
            json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                   "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
            json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                   "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
            json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                   "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
            json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
                   "options": ["nosuid", "noexec", "nodev"]}),
            json!({"destination": "/sys", "type": "sysfs", "source": "sysfs",
                   "options": ["nosuid", "noexec", "nodev", if self.privileged { "rw" } else { "ro" }]}),
            json!({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                   "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}),
        ];
        for bind in &self.mounts {
            let mut options = vec!["rbind", "rprivate"];
            options.push(if bind.readonly { "ro" } else { "rw" });
            mounts.push(json!({
                "destination": bind.destination,
                "type": "bind",
                "source": bind.source,
                "options": options,
            }));
        }
        let mut namespaces = vec![json!({"type": "pid"}), json!({"type": "mount"})];
        for (kind, path) in [
            ("network", &self.namespaces.network),
            ("ipc", &self.namespaces.ipc),
            ("uts", &self.namespaces.uts),
        ] {
            namespaces.push(match path {
                Some(path) => json!({"type": kind, "path": path}),
                None => json!({"type": kind}),
            });
        }
        let mut resources = json!({
            "devices": [{"allow": false, "access": "rwm"}],
        });
        if let Some(shares) = self.resources.cpu_shares {
            resources["cpu"]["shares"] = json!(shares);
        }
        if let Some(quota) = self.resources.cpu_quota {
            resources["cpu"]["quota"] = json!(quota);
            resources["cpu"]["period"] = json!(100_000);
        }
        if let Some(limit) = self.resources.memory_limit {
            resources["memory"]["limit"] = json!(limit);
        }
        if let Some(pids) = self.resources.pids_limit {
            resources["pids"]["limit"] = json!(pids);
        }
        let mut linux = json!({
            "namespaces": namespaces,
            "cgroupsPath": self.cgroup_path,
            "resources": resources,
        });
        if !self.privileged {
            linux["maskedPaths"] = json!(MASKED_PATHS);
            linux["readonlyPaths"] = json!(READONLY_PATHS);
        }
        json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": self.tty,
                "user": {
                    "uid": self.uid,
                    "gid": self.gid,
                    "additionalGids": self.additional_gids,
                },
                "args": self.args,
                "env": self.env,
                "cwd": self.cwd,
                "capabilities": {
                    "bounding": caps,
                    "effective": caps,
                    "permitted": caps,
                },
                "noNewPrivileges": self.no_new_privileges,
            },
            "root": {"path": "rootfs", "readonly": self.readonly_rootfs},
            "hostname": self.hostname,
            "mounts": mounts,
            "linux": linux,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ContainerSpec {
        ContainerSpec {
            id: "c1".into(),
            args: vec!["sh".into()],
            env: vec!["PATH=/bin".into()],
            cwd: "/".into(),
            uid: 0,
            gid: 0,
            additional_gids: vec![],
            hostname: "pod".into(),
            privileged: false,
            readonly_rootfs: false,
            add_capabilities: vec![],
            drop_capabilities: vec![],
            mounts: vec![],
            namespaces: SharedNamespaces::default(),
            cgroup_path: "/berth/podx/c1".into(),
            resources: Resources::default(),
            no_new_privileges: false,
            stdin: false,
            tty: false,
        }
    }

    #[test]
    fn capabilities_follow_add_and_drop() {
        let mut s = spec();
        assert_eq!(s.capabilities().len(), DEFAULT_CAPABILITIES.len());
        s.add_capabilities = vec!["NET_ADMIN".into()];
        s.drop_capabilities = vec!["CAP_KILL".into(), "mknod".into()];
        let caps = s.capabilities();
        assert!(caps.contains(&"CAP_NET_ADMIN".to_string()));
        assert!(!caps.contains(&"CAP_KILL".to_string()));
        assert!(!caps.contains(&"CAP_MKNOD".to_string()));
        s.drop_capabilities = vec!["ALL".into()];
        assert_eq!(s.capabilities(), vec!["CAP_NET_ADMIN".to_string()]);
        s.privileged = true;
        assert!(s.capabilities().contains(&"CAP_SYS_ADMIN".to_string()));
    }

    #[test]
    fn shared_namespaces_are_joined_by_path() {
        let mut s = spec();
        s.namespaces.network = Some("/run/netns/x".into());
        s.resources.memory_limit = Some(64 << 20);
        let config = s.oci_config();
        let namespaces = config["linux"]["namespaces"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(namespaces.contains(&json!({"type": "network", "path": "/run/netns/x"})));
        assert!(namespaces.contains(&json!({"type": "ipc"})));
        assert_eq!(
            config["linux"]["resources"]["memory"]["limit"],
            json!(64 << 20)
        );
        assert_eq!(config["process"]["args"], json!(["sh"]));
        assert!(config["linux"]["maskedPaths"].is_array());
    }
}
