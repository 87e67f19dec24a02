//! The few Linux calls `std` does not offer, declared against the C library this program is
//! statically linked with (the shim has no dependencies: see the crate's top).
//!
//! Every `unsafe` block of the shim is here, each with what makes it sound; the functions
//! exported take and return owned or borrowed descriptors and plain values only.

#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int, c_long, c_short, c_uint, c_ulong, c_ushort, c_void};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

unsafe extern "C" {
    fn prctl(option: c_int, ...) -> c_int;
    fn syscall(number: c_long, ...) -> c_long;
    fn poll(fds: *mut PollFd, nfds: c_ulong, timeout: c_int) -> c_int;
    fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    fn mkfifo(path: *const c_char, mode: c_uint) -> c_int;
    fn recvmsg(fd: c_int, message: *mut MsgHdr, flags: c_int) -> isize;
    fn dup2(old: c_int, new: c_int) -> c_int;
    fn ioctl(fd: c_int, request: c_ulong, ...) -> c_int;
}

const PR_SET_CHILD_SUBREAPER: c_int = 36;
/// The same number on every Linux architecture (the generic syscall table).
const SYS_PIDFD_OPEN: c_long = 434;
const WNOHANG: c_int = 1;
const POLLIN: c_short = 1;
const SOL_SOCKET: c_int = 1;
const SCM_RIGHTS: c_int = 1;
const TIOCSWINSZ: c_ulong = 0x5414;

fn check(result: c_int) -> io::Result<c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// Makes this process the subreaper of its descendants: a container's init, whose parent
/// (runc) exits right after starting it, is re-parented here and can be waited for.
pub fn set_child_subreaper() -> io::Result<()> {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes one integer argument and touches no memory.
    check(unsafe { prctl(PR_SET_CHILD_SUBREAPER, 1 as c_ulong) }).map(drop)
}

/// A descriptor that becomes readable when process `pid` ends.
pub fn pidfd_open(pid: i32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and touches no memory.
    let fd = unsafe { syscall(SYS_PIDFD_OPEN, pid as c_long, 0 as c_long) };
    let fd = c_int::try_from(fd).map_err(|_| io::Error::other("pidfd_open: bad result"))?;
    let fd = check(fd)?;
    // SAFETY: the kernel just returned this new descriptor, and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[repr(C)]
struct PollFd {
    fd: c_int,
    events: c_short,
    revents: c_short,
}

/// Waits until one of `fds` is readable (or hung up), at most `timeout_ms` (`None`: no
/// limit). Returns which had something to say; all false on a timeout. Retries on `EINTR`.
pub fn poll_readable(fds: &[BorrowedFd<'_>], timeout_ms: Option<u32>) -> io::Result<Vec<bool>> {
    let mut entries: Vec<PollFd> = fds
        .iter()
        .map(|fd| PollFd {
            fd: fd.as_raw_fd(),
            events: POLLIN,
            revents: 0,
        })
        .collect();
    let timeout = timeout_ms.map_or(-1, |ms| c_int::try_from(ms).unwrap_or(c_int::MAX));
    loop {
        // SAFETY: `entries` is a live, exclusively borrowed array of `entries.len()` pollfd
        // structs (same layout as C's), and its descriptors are borrowed for this call.
        let result = unsafe { poll(entries.as_mut_ptr(), entries.len() as c_ulong, timeout) };
        match check(result) {
            Ok(_) => return Ok(entries.iter().map(|e| e.revents != 0).collect()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// How a child ended, if it has: its exit code, or 128 + the signal that killed it.
pub enum Reaped {
    Running,
    Ended(i32),
    /// Not a child of this process.
    NotChild,
}

/// Reaps child `pid` if it has ended, without waiting.
pub fn reap(pid: i32) -> Reaped {
    let mut status: c_int = 0;
    // SAFETY: `status` is a live int the call writes to.
    match unsafe { waitpid(pid, &mut status, WNOHANG) } {
        0 => Reaped::Running,
        n if n < 0 => Reaped::NotChild,
        _ => {
            let signal = status & 0x7f;
            if signal == 0 {
                Reaped::Ended((status >> 8) & 0xff)
            } else {
                Reaped::Ended(128 + signal)
            }
        }
    }
}

/// Creates a FIFO at `path` (mode 0600).
pub fn make_fifo(path: &Path) -> io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("a path with a NUL byte"))?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    check(unsafe { mkfifo(path.as_ptr(), 0o600) }).map(drop)
}

#[repr(C)]
struct IoVec {
    base: *mut c_void,
    len: usize,
}

#[repr(C)]
struct MsgHdr {
    name: *mut c_void,
    name_len: c_uint,
    iov: *mut IoVec,
    iov_len: usize,
    control: *mut c_void,
    control_len: usize,
    flags: c_int,
}

/// The `cmsghdr` header: length, level, type; the data follows, aligned to `usize`.
const CMSG_HEADER: usize = std::mem::size_of::<usize>() + 2 * std::mem::size_of::<c_int>();

/// Receives one message on a Unix socket and returns the first descriptor it carried
/// (`SCM_RIGHTS`), if any.
pub fn receive_fd(socket: BorrowedFd<'_>) -> io::Result<Option<OwnedFd>> {
    let mut data = [0u8; 4096];
    let mut iov = IoVec {
        base: data.as_mut_ptr().cast(),
        len: data.len(),
    };
    // u64s: the control buffer must be aligned for cmsghdr.
    let mut control = [0u64; 8];
    let mut message = MsgHdr {
        name: std::ptr::null_mut(),
        name_len: 0,
        iov: &mut iov,
        iov_len: 1,
        control: control.as_mut_ptr().cast(),
        control_len: std::mem::size_of_val(&control),
        flags: 0,
    };
    // SAFETY: every pointer in `message` points at a live local buffer of the stated length
    // (the data buffer through `iov`, the control buffer), exclusively borrowed here.
    let received = unsafe { recvmsg(socket.as_raw_fd(), &mut message, 0) };
    if received < 0 {
        return Err(io::Error::last_os_error());
    }
    let control_len = message.control_len.min(std::mem::size_of_val(&control));
    let bytes: Vec<u8> = control.iter().flat_map(|w| w.to_ne_bytes()).collect();
    let word = std::mem::size_of::<usize>();
    let int = std::mem::size_of::<c_int>();
    let usize_at =
        |at: usize| usize::from_ne_bytes(bytes[at..at + word].try_into().unwrap_or_default());
    let int_at =
        |at: usize| c_int::from_ne_bytes(bytes[at..at + int].try_into().unwrap_or_default());
    let mut received_fds = Vec::new();
    let mut offset = 0;
    while offset + CMSG_HEADER <= control_len {
        let (length, level, kind) = (
            usize_at(offset),
            int_at(offset + word),
            int_at(offset + word + int),
        );
        if length < CMSG_HEADER || offset + length > control_len {
            break;
        }
        if level == SOL_SOCKET && kind == SCM_RIGHTS {
            let mut at = offset + CMSG_HEADER;
            while at + int <= offset + length {
                let fd = int_at(at);
                // SAFETY: the kernel installed this descriptor in this process for this
                // message; nothing else refers to it.
                received_fds.push(unsafe { OwnedFd::from_raw_fd(fd) });
                at += int;
            }
        }
        offset += length.div_ceil(word) * word;
    }
    // The first is the terminal; any others close as they drop.
    Ok(received_fds.into_iter().next())
}

/// Points descriptor `target` (0, 1, 2) at `source`.
pub fn redirect(source: BorrowedFd<'_>, target: c_int) -> io::Result<()> {
    // SAFETY: dup2 on a borrowed, open descriptor; `target` is one of the standard streams,
    // which this process owns and std only uses through their numbers.
    check(unsafe { dup2(source.as_raw_fd(), target) }).map(drop)
}

#[repr(C)]
struct WinSize {
    rows: c_ushort,
    cols: c_ushort,
    x_pixels: c_ushort,
    y_pixels: c_ushort,
}

/// Sets a terminal's window size.
pub fn set_window_size(terminal: BorrowedFd<'_>, width: u16, height: u16) -> io::Result<()> {
    let size = WinSize {
        rows: height,
        cols: width,
        x_pixels: 0,
        y_pixels: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize struct, which `size` is, live for the call.
    check(unsafe { ioctl(terminal.as_raw_fd(), TIOCSWINSZ, &size as *const WinSize) }).map(drop)
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    /// Runs `sh -c script` and waits on its pidfd until it has ended (unreaped: `reap` is
    /// what the callers test). Returns its pid and whether the pidfd became readable.
    #[allow(clippy::zombie_processes)]
    fn ended_child(script: &str) -> (i32, Vec<bool>) {
        let child = std::process::Command::new("sh")
            .args(["-c", script])
            .spawn()
            .expect("run sh");
        let pid = i32::try_from(child.id()).expect("pid");
        let pidfd = pidfd_open(pid).expect("pidfd");
        let ready = poll_readable(&[pidfd.as_fd()], Some(10_000)).expect("poll");
        (pid, ready)
    }

    #[test]
    fn a_pidfd_says_when_a_child_ends_and_reap_reports_its_code() {
        let (pid, ready) = ended_child("exit 7");
        assert_eq!(ready, vec![true]);
        assert!(matches!(reap(pid), Reaped::Ended(7)));
        assert!(matches!(reap(pid), Reaped::NotChild));
    }

    #[test]
    fn a_killed_child_reports_128_plus_the_signal() {
        let (pid, _) = ended_child("kill -9 $$");
        assert!(matches!(reap(pid), Reaped::Ended(137)));
    }

    #[test]
    fn poll_times_out_with_nothing_ready() {
        let (reader, _writer) = std::io::pipe().expect("pipe");
        let ready = poll_readable(&[reader.as_fd()], Some(10)).expect("poll");
        assert_eq!(ready, vec![false]);
    }

    #[test]
    fn a_descriptor_passed_over_a_socket_arrives() {
        use std::io::{Read, Write};
        use std::os::unix::net::UnixStream;
        let (sender, receiver) = UnixStream::pair().expect("socket pair");
        let (pipe_reader, mut pipe_writer) = std::io::pipe().expect("pipe");
        send_fd(sender.as_fd(), pipe_reader.as_fd());
        drop(pipe_reader);
        let received = receive_fd(receiver.as_fd())
            .expect("recvmsg")
            .expect("a descriptor");
        pipe_writer.write_all(b"hi").expect("write");
        drop(pipe_writer);
        let mut text = String::new();
        std::fs::File::from(received)
            .read_to_string(&mut text)
            .expect("read");
        assert_eq!(text, "hi");
    }

    /// `sendmsg` with one descriptor, for the test above.
    fn send_fd(socket: BorrowedFd<'_>, fd: BorrowedFd<'_>) {
        unsafe extern "C" {
            fn sendmsg(fd: c_int, message: *const MsgHdr, flags: c_int) -> isize;
        }
        let mut data = *b"x";
        let mut iov = IoVec {
            base: data.as_mut_ptr().cast(),
            len: 1,
        };
        let mut control = [0u64; 3];
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(CMSG_HEADER + 4).to_ne_bytes());
        bytes.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
        bytes.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
        bytes.extend_from_slice(&fd.as_raw_fd().to_ne_bytes());
        bytes.resize(24, 0);
        for (word, chunk) in control.iter_mut().zip(bytes.chunks(8)) {
            *word = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
        }
        let message = MsgHdr {
            name: std::ptr::null_mut(),
            name_len: 0,
            iov: &mut iov,
            iov_len: 1,
            control: control.as_mut_ptr().cast(),
            control_len: 24,
            flags: 0,
        };
        // SAFETY: as in `receive_fd`: every pointer is to a live local buffer.
        let sent = unsafe { sendmsg(socket.as_raw_fd(), &message, 0) };
        assert_eq!(sent, 1);
    }

    #[test]
    fn window_size_applies_to_a_terminal_and_not_to_a_pipe() {
        let master = std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/ptmx")
            .expect("open a pseudo-terminal");
        set_window_size(master.as_fd(), 100, 30).expect("resize a terminal");
        let (reader, _writer) = std::io::pipe().expect("pipe");
        assert!(set_window_size(reader.as_fd(), 80, 24).is_err());
    }
}
