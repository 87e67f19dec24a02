//! Brings up a pod's loopback interface in-process, with one rtnetlink request, instead of
//! running the CNI `loopback` plugin (a Go program started twice per pod: on ADD and DEL).
//!
//! A netlink socket belongs to the network namespace it was created in, so a short-lived
//! thread enters the pod's namespace just to create it; the request is then sent from the
//! caller's thread, which never changes namespace.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

/// `lo` has this index in every network namespace (the kernel's `LOOPBACK_IFINDEX`).
const LOOPBACK_INDEX: i32 = 1;
const RTM_NEWLINK: u16 = 16;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const IFF_UP: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    #[error("entering network namespace {path}: {source}")]
    Enter {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("setting lo up in {path}: {source}")]
    Netlink {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Sets `lo` up in the network namespace bind-mounted at `netns`.
pub fn bring_up(netns: &Path) -> Result<(), LoopbackError> {
    let enter = |source| LoopbackError::Enter {
        path: netns.to_path_buf(),
        source,
    };
    let netlink = |source| LoopbackError::Netlink {
        path: netns.to_path_buf(),
        source,
    };
    let socket = socket_in(netns).map_err(enter)?;
    rustix::net::send(&socket, &set_up_request(1), rustix::net::SendFlags::empty())
        .map_err(|e| netlink(e.into()))?;
    let mut answer = [0u8; 256];
    let n = rustix::net::recv(&socket, &mut answer[..], rustix::net::RecvFlags::empty())
        .map_err(|e| netlink(e.into()))?
        .0;
    acknowledged(&answer[..n.min(answer.len())]).map_err(netlink)
}

/// A route netlink socket created inside `netns`, by a thread that enters it and ends.
fn socket_in(netns: &Path) -> std::io::Result<OwnedFd> {
    let path = netns.to_path_buf();
    std::thread::Builder::new()
        .name("berth-netns".into())
        .spawn(move || -> std::io::Result<OwnedFd> {
            let file = std::fs::File::open(&path)?;
            rustix::thread::move_into_link_name_space(
                file.as_fd(),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )?;
            Ok(rustix::net::socket(
                rustix::net::AddressFamily::NETLINK,
                rustix::net::SocketType::RAW,
                None,
            )?)
        })?
        .join()
        .map_err(|_| std::io::Error::other("the namespace thread panicked"))?
}

/// `RTM_NEWLINK` for `lo` with `IFF_UP` set, asking for an acknowledgement.
fn set_up_request(sequence: u32) -> [u8; 32] {
    let mut message = [0u8; 32];
    // struct nlmsghdr
    message[0..4].copy_from_slice(&32u32.to_ne_bytes());
    message[4..6].copy_from_slice(&RTM_NEWLINK.to_ne_bytes());
    message[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    message[8..12].copy_from_slice(&sequence.to_ne_bytes());
    // struct ifinfomsg: family, pad, type (all 0), index, flags, change
    message[20..24].copy_from_slice(&LOOPBACK_INDEX.to_ne_bytes());
    message[24..28].copy_from_slice(&IFF_UP.to_ne_bytes());
    message[28..32].copy_from_slice(&IFF_UP.to_ne_bytes());
    message
}

/// Reads the kernel's answer: an `NLMSG_ERROR` whose error is 0 acknowledges.
fn acknowledged(answer: &[u8]) -> std::io::Result<()> {
    let field = |range: std::ops::Range<usize>| answer.get(range).map(<[u8]>::to_vec);
    let kind = field(4..6).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    let error = field(16..20).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    match (kind, error) {
        (Some(NLMSG_ERROR), Some(0)) => Ok(()),
        (Some(NLMSG_ERROR), Some(code)) => Err(std::io::Error::from_raw_os_error(-code)),
        _ => Err(std::io::Error::other(
            "the kernel's answer was not an acknowledgement",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_newlink_for_lo() {
        let message = set_up_request(7);
        assert_eq!(&message[0..4], &32u32.to_ne_bytes());
        assert_eq!(&message[4..6], &16u16.to_ne_bytes());
        assert_eq!(&message[8..12], &7u32.to_ne_bytes());
        assert_eq!(&message[20..24], &1i32.to_ne_bytes());
    }

    #[test]
    fn answers_are_read_as_the_kernel_writes_them() {
        let mut ack = [0u8; 36];
        ack[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        assert!(acknowledged(&ack).is_ok());
        ack[16..20].copy_from_slice(&(-1i32).to_ne_bytes());
        assert_eq!(
            acknowledged(&ack).map_err(|e| e.raw_os_error()),
            Err(Some(1))
        );
        assert!(acknowledged(&[1, 2, 3]).is_err());
    }

    /// Root only: a fresh namespace's `lo` is down until brought up.
    #[test]
    fn lo_comes_up_in_a_new_namespace() {
        if !rustix::process::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let netns = dir.path().join("net");
        std::fs::File::create(&netns).expect("netns file");
        let made = std::process::Command::new("unshare")
            .arg(format!("--net={}", netns.display()))
            .arg("true")
            .status()
            .expect("unshare");
        assert!(made.success());
        let state = || {
            let out = std::process::Command::new("nsenter")
                .arg(format!("--net={}", netns.display()))
                .args(["ip", "-o", "link", "show", "lo"])
                .output()
                .expect("nsenter");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let before = state();
        let result = bring_up(&netns);
        let after = state();
        let _ = rustix::mount::unmount(&netns, rustix::mount::UnmountFlags::DETACH);
        result.expect("lo up");
        assert!(before.contains("<LOOPBACK>"), "{before}");
        assert!(after.contains("<LOOPBACK,UP,LOWER_UP>"), "{after}");
    }
}
