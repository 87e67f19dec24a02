//! `berth shim`: one small process per container, between the agent and runc.
//!
//! It creates the container with `runc create` (its stdout and stderr are pipes the shim
//! holds), starts it, reports `{"pid":N}` or `{"error":…}` on its own stdout (one line, then
//! stdout is closed so the agent's read ends), and from then on lives on its own: it writes
//! the container's output to a CRI-format log file, waits for the container's exit (it is the
//! child subreaper, and a pidfd says when), records the exit code and time in
//! `status.json`, deletes the runc container and exits.
//!
//! It has no runtime and no threads: one `poll` over the two pipes and the pidfd. Because it
//! is not the agent's child for long (it is in a process group of its own, and is re-parented
//! when the agent dies), an agent restart leaves containers and their logs untouched.
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
    let (stdout_r, stdout_w) = io::pipe()?;
    let (stderr_r, stderr_w) = io::pipe()?;
    let pid_file = config.bundle.join("pid");
    let created = runc(config)
        .args(["create", "--bundle"])
        .arg(&config.bundle)
        .arg("--pid-file")
        .arg(&pid_file)
        .arg(&config.id)
        .stdin(Stdio::null())
        .stdout(stdout_w)
        .stderr(stderr_w)
        .status();
    if let Some(message) = failure_of(created, &runc_log) {
        return fail(config, "CreateContainerError", &message);
    }
    let pid: i32 = std::fs::read_to_string(&pid_file)?
        .trim()
        .parse()
        .map_err(|_| io::Error::other("runc wrote no pid"))?;
    let pid = Pid::from_raw(pid).ok_or_else(|| io::Error::other("runc wrote pid 0"))?;
    let pidfd = rustix::process::pidfd_open(pid, PidfdFlags::empty())?;
    let started = runc(config)
        .args(["start", &config.id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Some(message) = failure_of(started, &runc_log) {
        let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
        return fail(config, "StartError", &message);
    }
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
    let exit_code = pump(&mut log, stdout_r, stderr_r, &pidfd, pid)?;
    state.exit_code = Some(exit_code);
    state.finished_at = Some(jiff::Timestamp::now());
    state.reason = Some(if exit_code == 0 { "Completed" } else { "Error" }.into());
    write_state(&config.bundle, &state)?;
    delete(config);
    Ok(())
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
        let mut fds = vec![
            PollFd::new(&stdout, PollFlags::IN),
            PollFd::new(&stderr, PollFlags::IN),
            PollFd::new(pidfd, PollFlags::IN),
        ];
        // After the exit, the pipes get a moment to drain; a descendant that escaped with
        // them open must not keep the shim alive.
        let timeout = exit.map(|_| rustix::time::Timespec {
            tv_sec: 2,
            tv_nsec: 0,
        });
        let ready = match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        if ready == 0 {
            break;
        }
        let revents: Vec<PollFlags> = fds.iter().map(|f| f.revents()).collect();
        drop(fds);
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
            match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    exit = Some(
                        status
                            .exit_status()
                            .or_else(|| status.terminating_signal().map(|s| 128 + s))
                            .unwrap_or(255),
                    );
                }
                Ok(None) => {}
                // Not our child (should not happen as subreaper): the pidfd said it ended.
                Err(_) => exit = Some(255),
            }
        }
        if !open[0] && !open[1] && exit.is_none() {
            // Both pipes closed but the process lives (it closed its stdio): wait for it.
            let _ = rustix::event::poll(&mut [PollFd::new(pidfd, PollFlags::IN)], None);
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
