//! What this machine offers as a node: capacity (CPUs, memory, the data dir's disk, 110
//! pods), addresses and `nodeInfo`, read from /proc, statvfs, `ip` and `runc --version`.

use std::path::Path;

use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Machine {
    pub cpus: usize,
    pub memory_bytes: u64,
    pub disk_bytes: u64,
    pub internal_ip: String,
    pub hostname: String,
    pub kernel: String,
    pub os_image: String,
    pub runtime_version: String,
    pub machine_id: String,
    pub boot_id: String,
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl Machine {
    /// Probes the machine; `node_ip` overrides the detected address.
    pub async fn probe(data_dir: &Path, node_ip: Option<&str>) -> Machine {
        let memory_kib: u64 = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let disk_bytes = rustix::fs::statvfs(data_dir)
            .map(|s| s.f_blocks.saturating_mul(s.f_frsize))
            .unwrap_or(0);
        let os_image = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| "Linux".into());
        let runtime_version = tokio::process::Command::new("runc")
            .arg("--version")
            .output()
            .await
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("runc version "))
                    .map(|v| format!("runc://{}", v.trim()))
            })
            .unwrap_or_else(|| "runc://unknown".into());
        let internal_ip = match node_ip {
            Some(ip) => ip.to_string(),
            None => default_route_ip()
                .await
                .unwrap_or_else(|| "127.0.0.1".into()),
        };
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: memory_kib * 1024,
            disk_bytes,
            internal_ip,
            hostname: read_trimmed("/proc/sys/kernel/hostname"),
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            os_image,
            runtime_version,
            machine_id: read_trimmed("/etc/machine-id"),
            boot_id: read_trimmed("/proc/sys/kernel/random/boot_id"),
        }
    }

    pub fn capacity(&self) -> Value {
        json!({
            "cpu": self.cpus.to_string(),
            "memory": format!("{}Ki", self.memory_bytes / 1024),
            "ephemeral-storage": format!("{}Ki", self.disk_bytes / 1024),
            "pods": "110",
        })
    }

    pub fn node_info(&self) -> Value {
        json!({
            "machineID": self.machine_id,
            "systemUUID": self.machine_id,
            "bootID": self.boot_id,
            "kernelVersion": self.kernel,
            "osImage": self.os_image,
            "containerRuntimeVersion": self.runtime_version,
            "kubeletVersion": "v1.33.0-berth",
            "kubeProxyVersion": "",
            "operatingSystem": "linux",
            "architecture": crate::image::oci::host_platform().architecture,
        })
    }
}

/// The node's pressure now, against the kubelet's default hard eviction thresholds.
pub fn pressure(data_dir: &Path) -> crate::heartbeat::Pressure {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let available_kib: Option<u64> = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok());
    let disk = rustix::fs::statvfs(data_dir)
        .ok()
        .filter(|s| s.f_blocks > 0)
        .is_some_and(|s| s.f_bavail.saturating_mul(10) < s.f_blocks);
    let pid_max: u64 = read_trimmed("/proc/sys/kernel/pid_max")
        .parse()
        .unwrap_or(u64::MAX);
    let processes = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .count() as u64
        })
        .unwrap_or(0);
    crate::heartbeat::Pressure {
        memory: available_kib.is_some_and(|k| k < 100 * 1024),
        disk,
        pids: processes.saturating_mul(10) > pid_max.saturating_mul(9),
    }
}

/// The IPv4 address of the interface the default route uses (a routing-table lookup; no
/// packet is sent).
async fn default_route_ip() -> Option<String> {
    let out = tokio::process::Command::new("ip")
        .args(["-j", "-4", "route", "show", "default"])
        .output()
        .await
        .ok()?;
    let routes: Value = serde_json::from_slice(&out.stdout).ok()?;
    let device = routes.as_array()?.first()?["dev"].as_str()?.to_string();
    let out = tokio::process::Command::new("ip")
        .args(["-j", "-4", "addr", "show", "dev", &device])
        .output()
        .await
        .ok()?;
    let links: Value = serde_json::from_slice(&out.stdout).ok()?;
    links.as_array()?.first()?["addr_info"]
        .as_array()?
        .first()?["local"]
        .as_str()
        .map(str::to_string)
}
