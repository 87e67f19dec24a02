//! `berth shim`: one small process per container, between the agent and runc.
//!
//! It runs the container with `runc run --detach` (one runc process rather than `create`
//! then `start`; its stdout and stderr are pipes the shim holds), reports `{"pid":N}` or `{"error":…}` on its own stdout (one line, then
//! stdout is closed so the agent's read ends), and from then on lives on its own: it writes
//! the container's output to a CRI-format log file, waits for the container's exit (it is the
//! child subreaper, and a pidfd says when), records the exit code and time in
//! `status.json`, deletes the runc container and exits.
//!
//! It has no runtime and no threads: one `poll` over the two pipes and the pidfd. Because it
//! is not the agent's child for long (it is in a process group of its own, and is re-parented
//! when the agent dies), an agent restart leaves containers and their logs untouched.
//!
//! A container that asked for stdin (`stdin: true`) reads a FIFO the shim keeps open
//! (`<bundle>/stdin`), which `kubectl attach -i` writes to. A container with a terminal
//! (`tty: true`) gets runc's console: runc hands the shim its master through a console
//! socket; the shim logs what the terminal shows, copies the stdin FIFO to it, and applies
//! window sizes written to `<bundle>/resize` (`<width> <height>` lines).
//!
//! Invariant: `status.json` is replaced atomically; once it has `exitCode` it never changes.

use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rustix::event::{PollFd, PollFlags};
use rustix::process::{Pid, PidfdFlags, WaitOptions};

use super::status::{ContainerState, write_state};

/// Where the shim's inputs are.
#[derive(Debug, Clone)]
pub struct ShimConfig {
    pub id: String,
    /// The bundle (`config.json`, `rootfs/`); also where `status.json` and runc's log go.
    pub bundle: PathBuf,
    pub runc: PathBuf,
    pub runc_root: PathBuf,
    /// The CRI log file.
    pub log: PathBuf,
}

/// A CRI log line's maximum content before it is split into partial (`P`) lines.
const MAX_LINE: usize = 16 * 1024;

/// Runs the shim to the container's end. Errors are reported on stdout (before start) and
/// in `status.json`.
pub fn run(config: &ShimConfig) -> io::Result<()> {
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
    let runc_log = config.bundle.join("runc.log");
    let oci: serde_json::Value = std::fs::read(config.bundle.join("config.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let tty = oci["process"]["terminal"].as_bool() == Some(true);
    let stdin = if oci["annotations"][super::spec::ANNOTATION_STDIN] == "true" {
        Some(fifo(&config.bundle.join("stdin"))?)
    } else {
        None
    };
    let pid_file = config.bundle.join("pid");
    let mut launch = runc(config);
    launch
        .args(["run", "--detach", "--bundle"])
        .arg(&config.bundle)
        .arg("--pid-file")
        .arg(&pid_file);
    let output = if tty {
        let resize = fifo(&config.bundle.join("resize"))?;
        let socket =
            std::env::temp_dir().join(format!("berth-console-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        let listener = std::os::unix::net::UnixListener::bind(&socket)?;
        let child = launch
            .arg("--console-socket")
            .arg(&socket)
            .arg(&config.id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        drop(launch);
        let (created, master) = match child {
            Ok(mut child) => {
                let master = receive_console(&listener, &child);
                (child.wait(), master)
            }
            Err(e) => (Err(e), None),
        };
        let _ = std::fs::remove_file(&socket);
        if let Some(message) = failure_of(created, &runc_log) {
            return fail(config, "StartError", &message);
        }
        let Some(master) = master else {
            return fail(config, "StartError", "runc sent no terminal");
        };
        Output::Terminal {
            master: File::from(master),
            stdin,
            resize,
        }
    } else {
        let (stdout_r, stdout_w) = io::pipe()?;
        let (stderr_r, stderr_w) = io::pipe()?;
        let input = match &stdin {
            Some(fifo) => Stdio::from(fifo.try_clone()?),
            None => Stdio::null(),
        };
        let created = launch
            .arg(&config.id)
            .stdin(input)
            .stdout(stdout_w)
            .stderr(stderr_w)
            .status();
        // The command holds the pipes' write ends: they must go, or the output never ends.
        drop(launch);
        // As upstream (containerd creates and starts the runc container in StartContainer),
        // a failure here — a missing program, a bad mount — is a `StartError`.
        if let Some(message) = failure_of(created, &runc_log) {
            return fail(config, "StartError", &message);
        }
        // The shim's own copy of the stdin FIFO stays open (held below) so the container
        // never reads an end of input while nobody is attached.
        Output::Pipes {
            stdout: stdout_r,
            stderr: stderr_r,
            _stdin: stdin,
        }
    };
    let pid: i32 = std::fs::read_to_string(&pid_file)?
        .trim()
        .parse()
        .map_err(|_| io::Error::other("runc wrote no pid"))?;
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::other("runc wrote pid 0"))?;
    // The container may have ended already: as the subreaper the shim inherited it from
    // runc, so it is at worst a zombie here, and its pidfd says it ended.
    let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty())?;
    let started_at = jiff::Timestamp::now();
    let mut state = ContainerState {
        pid: Some(pid.as_raw_nonzero().get()),
        shim_pid: Some(std::process::id()),
        started_at: Some(started_at),
        ..ContainerState::default()
    };
    write_state(&config.bundle, &state)?;
    report(&format!("{{\"pid\":{}}}", pid.as_raw_nonzero()));

    let mut log = Log::open(&config.log)?;
    let exit_code = match output {
        Output::Pipes { stdout, stderr, .. } => pump(&mut log, stdout, stderr, &pidfd, pid)?,
        Output::Terminal {
            master,
            stdin,
            resize,
        } => pump_terminal(&mut log, master, stdin, resize, &pidfd, pid)?,
    };
    state.exit_code = Some(exit_code);
    state.finished_at = Some(jiff::Timestamp::now());
    state.reason = Some(if exit_code == 0 { "Completed" } else { "Error" }.into());
    write_state(&config.bundle, &state)?;
    delete(config);
    Ok(())
}

/// Where the container's output comes from.
enum Output {
    Pipes {
        stdout: io::PipeReader,
        stderr: io::PipeReader,
        _stdin: Option<File>,
    },
    Terminal {
        master: File,
        stdin: Option<File>,
        resize: File,
    },
}

/// A FIFO at `path`, opened for reading and writing (so opening never blocks, and reading
/// never sees an end while the shim holds it).
fn fifo(path: &Path) -> io::Result<File> {
    let _ = std::fs::remove_file(path);
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )?;
    File::options().read(true).write(true).open(path)
}

/// The terminal master runc sends over the console socket, unless runc ends first.
fn receive_console(
    listener: &std::os::unix::net::UnixListener,
    runc: &std::process::Child,
) -> Option<std::os::fd::OwnedFd> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let runc_pid = Pid::from_raw(i32::try_from(runc.id()).ok()?)?;
    let runc_fd = rustix::process::pidfd_open(runc_pid, PidfdFlags::empty()).ok()?;
    loop {
        let mut fds = [
            PollFd::new(listener, PollFlags::IN),
            PollFd::new(&runc_fd, PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return None,
        }
        if !fds[0].revents().is_empty() {
            break;
        }
        if !fds[1].revents().is_empty() {
            return None;
        }
    }
    let (connection, _) = listener.accept().ok()?;
    let mut space = [std::mem::MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut ancillary = RecvAncillaryBuffer::new(&mut space);
    let mut name = [0u8; 4096];
    recvmsg(
        &connection,
        &mut [io::IoSliceMut::new(&mut name)],
        &mut ancillary,
        RecvFlags::empty(),
    )
    .ok()?;
    let mut master = None;
    for message in ancillary.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = message {
            for fd in fds {
                master.get_or_insert(fd);
            }
        }
    }
    master
}

/// Like [`pump`] for a container with a terminal: the master's output is logged as stdout;
/// the stdin FIFO is copied to the master; `<width> <height>` lines on the resize FIFO set
/// its window size.
fn pump_terminal(
    log: &mut Log,
    mut master: File,
    mut stdin: Option<File>,
    mut resize: File,
    pidfd: &std::os::fd::OwnedFd,
    pid: Pid,
) -> io::Result<i32> {
    let mut open = true;
    let mut exit: Option<i32> = None;
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        if exit.is_some() && !open {
            break;
        }
        let slots = [
            open.then(|| master.as_fd()),
            Some(resize.as_fd()),
            exit.is_none().then(|| pidfd.as_fd()),
            stdin.as_ref().map(|f| f.as_fd()),
        ];
        let Some(revents) = poll_slots(slots, exit.is_some())? else {
            break;
        };
        if open && !revents[0].is_empty() {
            match master.read(&mut chunk) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // EIO: every process holding the terminal is gone.
                Ok(0) | Err(_) => {
                    open = false;
                    log.flush_partial("stdout", &mut buffer)?;
                }
                Ok(n) => {
                    buffer.extend_from_slice(&chunk[..n]);
                    log.write_lines("stdout", &mut buffer)?;
                }
            }
        }
        if !revents[1].is_empty()
            && let Ok(n) = resize.read(&mut chunk)
        {
            let text = String::from_utf8_lossy(&chunk[..n]).into_owned();
            if let Some((width, height)) = text.lines().rev().find_map(parse_size) {
                let _ = super::set_window_size(&master, width, height);
            }
        }
        if !revents[3].is_empty()
            && let Some(input) = stdin.as_mut()
        {
            match input.read(&mut chunk) {
                Ok(n) if n > 0 => {
                    let _ = master.write_all(&chunk[..n]);
                }
                _ => stdin = None,
            }
        }
        if exit.is_none() && !revents[2].is_empty() {
            exit = reap(pid);
        }
    }
    log.flush_partial("stdout", &mut buffer)?;
    Ok(exit.unwrap_or(255))
}

/// One `poll` over the descriptors that can still say something, by slot: a closed pipe
/// reports POLLHUP and an exited process's pidfd stays readable, either of which would make
/// poll spin, so those are left out. When `draining` (the exit is known), `None` after 2 s
/// of silence: a descendant that escaped with the output open must not keep the shim alive.
fn poll_slots<const N: usize>(
    slots: [Option<std::os::fd::BorrowedFd<'_>>; N],
    draining: bool,
) -> io::Result<Option<[PollFlags; N]>> {
    let mut fds = Vec::with_capacity(N);
    let mut which = Vec::with_capacity(N);
    for (i, fd) in slots.iter().enumerate() {
        if let Some(fd) = fd {
            fds.push(PollFd::from_borrowed_fd(*fd, PollFlags::IN));
            which.push(i);
        }
    }
    let timeout = draining.then_some(rustix::time::Timespec {
        tv_sec: 2,
        tv_nsec: 0,
    });
    loop {
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let mut revents = [PollFlags::empty(); N];
    for (fd, i) in fds.iter().zip(&which) {
        revents[*i] = fd.revents();
    }
    Ok(Some(revents))
}

/// The exit code of the container's init (128 + signal for a signal), once it has ended.
fn reap(pid: Pid) -> Option<i32> {
    match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
        Ok(Some((_, status))) => Some(
            status
                .exit_status()
                .or_else(|| status.terminating_signal().map(|s| 128 + s))
                .unwrap_or(255),
        ),
        Ok(None) => None,
        // Not our child (should not happen as subreaper): the pidfd said it ended.
        Err(_) => Some(255),
    }
}

/// `<width> <height>`.
fn parse_size(line: &str) -> Option<(u16, u16)> {
    let (w, h) = line.trim().split_once(' ')?;
    let (w, h) = (w.parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// `runc delete --force`: what runc keeps of the container goes (best effort).
fn delete(config: &ShimConfig) {
    let _ = runc(config)
        .args(["delete", "--force", &config.id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn runc(config: &ShimConfig) -> Command {
    let mut command = Command::new(&config.runc);
    command
        .arg("--root")
        .arg(&config.runc_root)
        .arg("--log")
        .arg(config.bundle.join("runc.log"))
        .args(["--log-format", "json"]);
    command
}

/// Records a failure to create or start, reports it, and removes what runc left.
fn fail(config: &ShimConfig, reason: &str, message: &str) -> io::Result<()> {
    let state = ContainerState {
        exit_code: Some(128),
        finished_at: Some(jiff::Timestamp::now()),
        reason: Some(reason.into()),
        message: Some(message.into()),
        shim_pid: Some(std::process::id()),
        ..ContainerState::default()
    };
    write_state(&config.bundle, &state)?;
    report(&serde_json::json!({"error": message, "reason": reason}).to_string());
    delete(config);
    Ok(())
}

/// Writes one line to stdout, then points stdout at /dev/null so the reader sees the end.
fn report(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    drop(out);
    if let Ok(null) = File::options().write(true).open("/dev/null") {
        let _ = rustix::stdio::dup2_stdout(null.as_fd());
    }
}

/// Why a runc command failed, if it did: its last logged error.
fn failure_of(result: io::Result<std::process::ExitStatus>, runc_log: &Path) -> Option<String> {
    match result {
        Ok(status) if status.success() => None,
        Ok(_) => Some(runc_error(runc_log)),
        Err(e) => Some(format!("running runc: {e}")),
    }
}

/// The last error runc logged (its JSON log has `level` and `msg`).
fn runc_error(log: &Path) -> String {
    let Ok(file) = File::open(log) else {
        return "runc failed without a log".into();
    };
    io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
        .filter(|entry| matches!(entry["level"].as_str(), Some("error" | "fatal")))
        .filter_map(|entry| entry["msg"].as_str().map(str::to_string))
        .last()
        .unwrap_or_else(|| "runc failed".into())
}

/// Copies the container's output to the log until it exits and its pipes close; returns the
/// exit code (128 + signal for a signal).
fn pump(
    log: &mut Log,
    mut stdout: io::PipeReader,
    mut stderr: io::PipeReader,
    pidfd: &std::os::fd::OwnedFd,
    pid: Pid,
) -> io::Result<i32> {
    let mut open = [true, true];
    let mut exit: Option<i32> = None;
    let mut buffers = [Vec::new(), Vec::new()];
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        if exit.is_some() && !open[0] && !open[1] {
            break;
        }
        let slots = [
            open[0].then(|| stdout.as_fd()),
            open[1].then(|| stderr.as_fd()),
            exit.is_none().then(|| pidfd.as_fd()),
        ];
        let Some(revents) = poll_slots(slots, exit.is_some())? else {
            break;
        };
        for (i, stream) in ["stdout", "stderr"].into_iter().enumerate() {
            if !open[i] || revents[i].is_empty() {
                continue;
            }
            let reader: &mut io::PipeReader = if i == 0 { &mut stdout } else { &mut stderr };
            match reader.read(&mut chunk) {
                Ok(0) => {
                    open[i] = false;
                    log.flush_partial(stream, &mut buffers[i])?;
                }
                Ok(n) => {
                    buffers[i].extend_from_slice(&chunk[..n]);
                    log.write_lines(stream, &mut buffers[i])?;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => open[i] = false,
            }
        }
        if exit.is_none() && !revents[2].is_empty() {
            exit = reap(pid);
        }
    }
    for (i, stream) in ["stdout", "stderr"].into_iter().enumerate() {
        log.flush_partial(stream, &mut buffers[i])?;
    }
    Ok(exit.unwrap_or(255))
}

/// A CRI-format log: `<RFC 3339 time> <stream> <F|P> <content>` per line.
struct Log {
    file: File,
}

impl Log {
    fn open(path: &Path) -> io::Result<Log> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = File::options().create(true).append(true).open(path)?;
        Ok(Log { file })
    }

    fn line(&mut self, stream: &str, tag: char, content: &[u8]) -> io::Result<()> {
        let mut out = Vec::with_capacity(content.len() + 48);
        write!(out, "{} {stream} {tag} ", jiff::Timestamp::now())?;
        out.extend_from_slice(content);
        out.push(b'\n');
        self.file.write_all(&out)
    }

    /// Writes the complete lines in `buffer` (and partial ones beyond the line limit).
    fn write_lines(&mut self, stream: &str, buffer: &mut Vec<u8>) -> io::Result<()> {
        let mut start = 0;
        while let Some(newline) = buffer[start..].iter().position(|&b| b == b'\n') {
            let end = start + newline;
            let mut line_start = start;
            while end - line_start > MAX_LINE {
                self.line(stream, 'P', &buffer[line_start..line_start + MAX_LINE])?;
                line_start += MAX_LINE;
            }
            self.line(stream, 'F', &buffer[line_start..end])?;
            start = end + 1;
        }
        while buffer.len() - start > MAX_LINE {
            self.line(stream, 'P', &buffer[start..start + MAX_LINE])?;
            start += MAX_LINE;
        }
        buffer.drain(..start);
        Ok(())
    }

    fn flush_partial(&mut self, stream: &str, buffer: &mut Vec<u8>) -> io::Result<()> {
        if !buffer.is_empty() {
            self.line(stream, 'F', buffer)?;
            buffer.clear();
        }
        Ok(())
    }
}
