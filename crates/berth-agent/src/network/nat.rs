//! The node's NAT, in an nftables table of its own (`ip berth_<bridge>`), rewritten whole
//! through `nft -f -` (one atomic transaction) whenever it changes:
//! - **hostPort**: connections to a local address (or the given `hostIP`) on a pod's
//!   `hostPort` are DNATed to the pod, both arriving (prerouting) and from the node itself
//!   (output; `localhost:<hostPort>` works, its loopback source masqueraded on the bridge);
//! - **egress**: traffic from the node's pods to anything outside their podCIDR that leaves
//!   through another interface is masqueraded to the node's address.
//!
//! Host ports are also *reserved*: [`reserve`] binds each one on the host for as long as the
//! pod lives, so a port some other program holds is reported when the pod is set up
//! instead of silently shadowing that program.
//!
//! Invariant: the table holds exactly the mappings of the pods registered with [`Nat::set`]
//! and not yet removed; deleting the table (`nft delete table ip berth_<bridge>`) removes
//! everything Berth added to the host's packet filter.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn parse(text: Option<&str>) -> Protocol {
        match text {
            Some("UDP") => Protocol::Udp,
            Some("SCTP") => Protocol::Sctp,
            _ => Protocol::Tcp,
        }
    }

    fn nft(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    pub fn upper(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// One `hostPort` of a pod.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostPort {
    pub protocol: Protocol,
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub container_port: u16,
}

pub struct Nat {
    table: String,
    bridge: String,
    pod_cidr: String,
    /// Pod uid → (pod IP, its host ports).
    pods: Mutex<BTreeMap<String, (Ipv4Addr, Vec<HostPort>)>>,
    /// One rewrite at a time, in order.
    writing: tokio::sync::Mutex<()>,
}

/// The table of the node whose pods are on `bridge`.
pub fn table_for(bridge: &str) -> String {
    format!(
        "berth_{}",
        bridge.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

impl Nat {
    pub fn new(bridge: &str, pod_cidr: &str) -> Nat {
        Nat {
            table: table_for(bridge),
            bridge: bridge.to_string(),
            pod_cidr: pod_cidr.to_string(),
            pods: Mutex::new(BTreeMap::new()),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// Maps the host ports of pod `uid` (at `ip`) and rewrites the table.
    pub async fn set(&self, uid: &str, ip: Ipv4Addr, ports: Vec<HostPort>) -> Result<(), String> {
        {
            let mut pods = self.pods.lock().unwrap_or_else(|p| p.into_inner());
            if ports.is_empty() {
                if pods.remove(uid).is_none() {
                    return Ok(());
                }
            } else {
                pods.insert(uid.to_string(), (ip, ports));
            }
        }
        self.sync().await
    }

    /// Forgets pod `uid`'s host ports.
    pub async fn remove(&self, uid: &str) -> Result<(), String> {
        let removed = self
            .pods
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(uid)
            .is_some();
        if removed { self.sync().await } else { Ok(()) }
    }

    /// Writes the whole table as it should be now.
    pub async fn sync(&self) -> Result<(), String> {
        let _turn = self.writing.lock().await;
        // Loopback sources DNATed to a pod must be routable out of the bridge (then they
        // are masqueraded), as the CNI portmap plugin arranges.
        let sysctl = format!("/proc/sys/net/ipv4/conf/{}/route_localnet", self.bridge);
        if std::path::Path::new(&sysctl).exists() {
            let _ = tokio::fs::write(&sysctl, "1").await;
        }
        let rules = self.render();
        let mut child = tokio::process::Command::new("nft")
            .args(["-f", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("running nft (package nftables): {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(rules.as_bytes())
                .await
                .map_err(|e| format!("writing to nft: {e}"))?;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| format!("running nft: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "nft refused the rules of table {}: {}",
                self.table,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    fn render(&self) -> String {
        let pods = self.pods.lock().unwrap_or_else(|p| p.into_inner());
        let mut dnat = String::new();
        for (ip, ports) in pods.values() {
            for p in ports {
                let to = match p.host_ip.filter(|a| !a.is_unspecified()) {
                    Some(address) => format!("ip daddr {address}"),
                    None => "fib daddr type local".to_string(),
                };
                let _ = writeln!(
                    dnat,
                    "    {to} {proto} dport {} dnat to {ip}:{}",
                    p.host_port,
                    p.container_port,
                    proto = p.protocol.nft()
                );
            }
        }
        let table = &self.table;
        format!(
            "table ip {table} {{}}\nflush table ip {table}\ntable ip {table} {{\n  \
             chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{dnat}  }}\n  \
             chain output {{\n    type nat hook output priority -100; policy accept;\n{dnat}  }}\n  \
             chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n    \
             ip saddr {cidr} ip daddr != {cidr} oifname != \"{bridge}\" masquerade\n    \
             ip saddr 127.0.0.0/8 oifname \"{bridge}\" masquerade\n  }}\n}}\n",
            cidr = self.pod_cidr,
            bridge = self.bridge,
        )
    }
}

/// Holds `port` on the host (bound, not listening) so that no other program takes it while
/// the pod has it; fails, saying so, when some program already has it.
pub fn reserve(port: &HostPort) -> Result<OwnedFd, String> {
    use rustix::net::{AddressFamily, SocketType, bind, ipproto, socket};
    let (kind, protocol) = match port.protocol {
        Protocol::Tcp => (SocketType::STREAM, None),
        Protocol::Udp => (SocketType::DGRAM, None),
        Protocol::Sctp => (SocketType::STREAM, Some(ipproto::SCTP)),
    };
    let address = std::net::SocketAddrV4::new(
        port.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
        port.host_port,
    );
    let socket = socket(AddressFamily::INET, kind, protocol)
        .map_err(|e| format!("hostPort {}/{}: {e}", port.host_port, port.protocol.upper()))?;
    bind(&socket, &address).map_err(|e| {
        format!(
            "hostPort {}/{} is already in use on this node (bind {address}: {e})",
            port.host_port,
            port.protocol.upper()
        )
    })?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_maps_host_ports_and_masquerades_egress() {
        let nat = Nat::new("bt42", "10.1.0.0/24");
        nat.pods.lock().expect("lock").insert(
            "uid".into(),
            (
                Ipv4Addr::new(10, 1, 0, 5),
                vec![
                    HostPort {
                        protocol: Protocol::Tcp,
                        host_ip: None,
                        host_port: 8080,
                        container_port: 80,
                    },
                    HostPort {
                        protocol: Protocol::Udp,
                        host_ip: Some(Ipv4Addr::new(192, 168, 1, 2)),
                        host_port: 5353,
                        container_port: 53,
                    },
                ],
            ),
        );
        let rules = nat.render();
        assert!(rules.starts_with("table ip berth_bt42 {}\nflush table ip berth_bt42\n"));
        assert_eq!(
            rules
                .matches("fib daddr type local tcp dport 8080 dnat to 10.1.0.5:80")
                .count(),
            2,
            "{rules}"
        );
        assert!(rules.contains("ip daddr 192.168.1.2 udp dport 5353 dnat to 10.1.0.5:53"));
        assert!(rules.contains(
            "ip saddr 10.1.0.0/24 ip daddr != 10.1.0.0/24 oifname != \"bt42\" masquerade"
        ));
        assert_eq!(table_for("berth-0"), "berth_berth_0");
    }

    #[test]
    fn a_held_port_is_reported() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = HostPort {
            protocol: Protocol::Tcp,
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: taken.local_addr().expect("address").port(),
            container_port: 80,
        };
        let error = reserve(&port).expect_err("the port is taken");
        assert!(error.contains("already in use"), "{error}");
        drop(taken);
        let held = reserve(&port).expect("free now");
        assert!(reserve(&port).is_err(), "held while the fd lives");
        drop(held);
    }
}
