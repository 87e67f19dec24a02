//! The shim: one small process per container, between the agent and runc.
//!
//! It runs the container with `runc run --detach` (one runc process rather than `create`
//! then `start`; its stdout and stderr are pipes the shim holds), reports `{"pid":N}` or
//! `{"error":…,"reason":…}` on its own stdout (one line, then stdout is closed so the
//! agent's read ends), and from then on lives on its own: it writes the container's output
//! to a CRI-format log file ([`cri_log`]), waits for the container's exit (it is the child
//! subreaper, and a pidfd says when), records the exit code and time in `status.json`
//! ([`state`]), deletes the runc container and exits.
//!
//! It has no runtime and no threads: one `poll` over the two pipes and the pidfd. Because it
//! is not the agent's child for long (it is in a process group of its own, and is re-parented
//! when the agent dies), an agent restart leaves containers and their logs untouched.
//!
//! A container that asked for stdin (`--stdin`) reads a FIFO the shim keeps open
//! (`<bundle>/stdin`), which `kubectl attach -i` writes to. A container with a terminal
//! (`--tty`) gets runc's console: runc hands the shim its master through a console socket;
//! the shim logs what the terminal shows, copies the stdin FIFO to it, and applies window
//! sizes written to `<bundle>/resize` (`<width> <height>` lines).
//!
//! **How it is built.** There is one shim per container, so its memory is multiplied by the
//! number of containers. This crate has no dependencies, and `berth-agent`'s build script
//! compiles this file on its own into a statically linked, position-dependent program that
//! the `berth` binary carries and the agent installs in its data directory (as k3s carries
//! containerd's shim). A static program maps no shared libraries and applies no relocations:
//! its resident memory is the few pages of code it runs (about 1 MiB, where the whole
//! `berth` binary run as a shim took about 5 MiB). The crate is also an ordinary library of
//! the workspace, which is how its unit tests and lints run.
//!
//! Invariant: `status.json` is replaced atomically; once it has `exitCode` it never changes.

pub mod cri_log;
pub mod json;
pub mod state;
mod sys;
pub mod time;

use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cri_log::Log;
use state::State;

/// Where the shim's inputs are; its command line, flag by flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `--id`: the runc container.
    pub id: String,
    /// `--bundle`: `config.json` and `rootfs/`; also where `status.json` and runc's log go.
    pub bundle: PathBuf,
    /// `--runc` (default `runc`).
    pub runc: PathBuf,
    /// `--runc-root`.
    pub runc_root: PathBuf,
    /// `--log`: the CRI log file.
    pub log: PathBuf,
    /// `--tty`: the container's stdio is a terminal.
    pub tty: bool,
    /// `--stdin`: the container reads a FIFO the shim holds.
    pub stdin: bool,
}

impl Config {
    /// The arguments an agent passes (after the program's name).
    pub fn args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec![
            "--id".into(),
            self.id.clone().into(),
            "--bundle".into(),
            self.bundle.clone().into(),
            "--runc".into(),
            self.runc.clone().into(),
            "--runc-root".into(),
            self.runc_root.clone().into(),
            "--log".into(),
            self.log.clone().into(),
        ];
        if self.tty {
            args.push("--tty".into());
        }
        if self.stdin {
            args.push("--stdin".into());
        }
        args
    }

    /// Parses [`Config::args`] back; an error names the flag.
    pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Config, String> {
        let (mut id, mut bundle, mut runc_root, mut log) = (None, None, None, None);
        let mut runc = PathBuf::from("runc");
        let (mut tty, mut stdin) = (false, false);
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let flag = flag
                .into_string()
                .map_err(|f| format!("unknown argument {f:?}"))?;
            match flag.as_str() {
                "--tty" => tty = true,
                "--stdin" => stdin = true,
                "--id" | "--bundle" | "--runc" | "--runc-root" | "--log" => {
                    let value = args.next().ok_or(format!("{flag} needs a value"))?;
                    match flag.as_str() {
                        "--id" => {
                            id = Some(value.into_string().map_err(|_| "--id is not UTF-8")?);
                        }
                        "--bundle" => bundle = Some(PathBuf::from(value)),
                        "--runc" => runc = PathBuf::from(value),
                        "--runc-root" => runc_root = Some(PathBuf::from(value)),
                        _ => log = Some(PathBuf::from(value)),
                    }
                }
                _ => return Err(format!("unknown argument {flag:?}")),
            }
        }
        Ok(Config {
            id: id.ok_or("--id is required")?,
            bundle: bundle.ok_or("--bundle is required")?,
            runc,
            runc_root: runc_root.ok_or("--runc-root is required")?,
            log: log.ok_or("--log is required")?,
            tty,
            stdin,
        })
    }
}

/// The program's entry point (see the crate's top for how it is built).
pub fn main() -> ExitCode {
    let config = match Config::parse(std::env::args_os().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("berth-shim: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("berth-shim: container {}: {e}", config.id);
            ExitCode::FAILURE
        }
    }
}

/// Runs the shim to the container's end. Errors are reported on stdout (before start) and
/// in `status.json`.
pub fn run(config: &Config) -> io::Result<()> {
    let _ = sys::set_child_subreaper();
    let runc_log = config.bundle.join("runc.log");
    let stdin = if config.stdin {
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
    let output = if config.tty {
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
    if pid <= 0 {
        return Err(io::Error::other(format!("runc wrote pid {pid}")));
    }
    // The container may have ended already: as the subreaper the shim inherited it from
    // runc, so it is at worst a zombie here, and its pidfd says it ended.
    let pidfd = sys::pidfd_open(pid)?;
    let mut state = State {
        pid: Some(pid),
        shim_pid: Some(std::process::id()),
        started_at: Some(time::now()),
        ..State::default()
    };
    state.write(&config.bundle)?;
    report(&format!("{{\"pid\":{pid}}}"));

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
    state.finished_at = Some(time::now());
    state.reason = Some(if exit_code == 0 { "Completed" } else { "Error" }.into());
    state.write(&config.bundle)?;
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
    sys::make_fifo(path)?;
    File::options().read(true).write(true).open(path)
}

/// The terminal master runc sends over the console socket, unless runc ends first.
fn receive_console(
    listener: &std::os::unix::net::UnixListener,
    runc: &std::process::Child,
) -> Option<OwnedFd> {
    let runc_fd = sys::pidfd_open(i32::try_from(runc.id()).ok()?).ok()?;
    let ready = sys::poll_readable(&[listener.as_fd(), runc_fd.as_fd()], None).ok()?;
    if !ready[0] {
        return None;
    }
    let (connection, _) = listener.accept().ok()?;
    sys::receive_fd(connection.as_fd()).ok()?
}

/// One `poll` over the descriptors that can still say something, by slot: a closed pipe
/// reports POLLHUP and an exited process's pidfd stays readable, either of which would make
/// poll spin, so those are left out. When `draining` (the exit is known), `None` after 2 s
/// of silence: a descendant that escaped with the output open must not keep the shim alive.
fn poll_slots<const N: usize>(
    slots: [Option<BorrowedFd<'_>>; N],
    draining: bool,
) -> io::Result<Option<[bool; N]>> {
    let which: Vec<usize> = (0..N).filter(|i| slots[*i].is_some()).collect();
    let fds: Vec<BorrowedFd<'_>> = slots.iter().flatten().copied().collect();
    let ready = sys::poll_readable(&fds, draining.then_some(2_000))?;
    if !ready.iter().any(|r| *r) {
        return Ok(None);
    }
    let mut by_slot = [false; N];
    for (i, r) in which.iter().zip(ready) {
        by_slot[*i] = r;
    }
    Ok(Some(by_slot))
}

/// The exit code of the container's init (128 + signal for a signal), once it has ended.
fn reap(pid: i32) -> Option<i32> {
    match sys::reap(pid) {
        sys::Reaped::Running => None,
        sys::Reaped::Ended(code) => Some(code),
        // Not our child (should not happen as subreaper): the pidfd said it ended.
        sys::Reaped::NotChild => Some(255),
    }
}

/// Copies the container's output to the log until it exits and its pipes close; returns the
/// exit code (128 + signal for a signal).
fn pump(
    log: &mut Log,
    mut stdout: io::PipeReader,
    mut stderr: io::PipeReader,
    pidfd: &OwnedFd,
    pid: i32,
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
        let Some(ready) = poll_slots(slots, exit.is_some())? else {
            break;
        };
        for (i, stream) in ["stdout", "stderr"].into_iter().enumerate() {
            if !open[i] || !ready[i] {
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
        if exit.is_none() && ready[2] {
            exit = reap(pid);
        }
    }
    for (i, stream) in ["stdout", "stderr"].into_iter().enumerate() {
        log.flush_partial(stream, &mut buffers[i])?;
    }
    Ok(exit.unwrap_or(255))
}

/// Like [`pump`] for a container with a terminal: the master's output is logged as stdout;
/// the stdin FIFO is copied to the master; `<width> <height>` lines on the resize FIFO set
/// its window size.
fn pump_terminal(
    log: &mut Log,
    mut master: File,
    mut stdin: Option<File>,
    mut resize: File,
    pidfd: &OwnedFd,
    pid: i32,
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
        let Some(ready) = poll_slots(slots, exit.is_some())? else {
            break;
        };
        if open && ready[0] {
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
        if ready[1]
            && let Ok(n) = resize.read(&mut chunk)
        {
            let text = String::from_utf8_lossy(&chunk[..n]).into_owned();
            if let Some((width, height)) = text.lines().rev().find_map(parse_size) {
                let _ = sys::set_window_size(master.as_fd(), width, height);
            }
        }
        if ready[3]
            && let Some(input) = stdin.as_mut()
        {
            match input.read(&mut chunk) {
                Ok(n) if n > 0 => {
                    let _ = master.write_all(&chunk[..n]);
                }
                _ => stdin = None,
            }
        }
        if exit.is_none() && ready[2] {
            exit = reap(pid);
        }
    }
    log.flush_partial("stdout", &mut buffer)?;
    Ok(exit.unwrap_or(255))
}

/// `<width> <height>`.
fn parse_size(line: &str) -> Option<(u16, u16)> {
    let (w, h) = line.trim().split_once(' ')?;
    let (w, h) = (w.parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// `runc delete --force`: what runc keeps of the container goes (best effort).
fn delete(config: &Config) {
    let _ = runc(config)
        .args(["delete", "--force", &config.id])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn runc(config: &Config) -> Command {
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
fn fail(config: &Config, reason: &str, message: &str) -> io::Result<()> {
    let state = State {
        exit_code: Some(128),
        finished_at: Some(time::now()),
        reason: Some(reason.into()),
        message: Some(message.into()),
        shim_pid: Some(std::process::id()),
        ..State::default()
    };
    state.write(&config.bundle)?;
    report(&format!(
        "{{\"error\":{},\"reason\":{}}}",
        json::string(message),
        json::string(reason)
    ));
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
        let _ = sys::redirect(null.as_fd(), 1);
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
    last_error(io::BufReader::new(file).lines().map_while(Result::ok))
        .unwrap_or_else(|| "runc failed".into())
}

/// The `msg` of the last line whose `level` is `error` or `fatal`.
fn last_error(lines: impl Iterator<Item = String>) -> Option<String> {
    lines
        .filter_map(|line| json::string_members(&line))
        .filter(|members| {
            members
                .iter()
                .any(|(k, v)| k == "level" && matches!(v.as_str(), "error" | "fatal"))
        })
        .filter_map(|members| {
            members
                .into_iter()
                .find(|(k, _)| k == "msg")
                .map(|(_, v)| v)
        })
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_round_trips() {
        let mut config = Config {
            id: "pod_app_0".into(),
            bundle: "/var/lib/berth/agent/containers/pod_app_0".into(),
            runc: "/usr/sbin/runc".into(),
            runc_root: "/var/lib/berth/agent/runc".into(),
            log: "/var/log/pods/ns_pod_uid/app/0.log".into(),
            tty: false,
            stdin: true,
        };
        assert_eq!(Config::parse(config.args()), Ok(config.clone()));
        config.tty = true;
        config.stdin = false;
        assert_eq!(Config::parse(config.args()), Ok(config));
    }

    #[test]
    fn a_bad_command_line_names_the_flag() {
        let args = |list: &[&str]| list.iter().map(|s| s.into()).collect::<Vec<_>>();
        assert_eq!(
            Config::parse(args(&["--id", "x", "--bundle", "b", "--log", "l"])),
            Err("--runc-root is required".into())
        );
        assert_eq!(
            Config::parse(args(&["--id"])),
            Err("--id needs a value".into())
        );
        assert_eq!(
            Config::parse(args(&["--color"])),
            Err("unknown argument \"--color\"".into())
        );
    }

    #[test]
    fn the_last_runc_error_is_the_reason() {
        let log = [
            r#"{"level":"warning","msg":"cgroup v1 is deprecated","time":"t"}"#,
            r#"{"level":"error","msg":"first","time":"t"}"#,
            "not JSON",
            r#"{"level":"fatal","msg":"exec: \"nope\": executable file not found in $PATH","time":"t"}"#,
            r#"{"level":"info","msg":"later","time":"t"}"#,
        ];
        assert_eq!(
            last_error(log.iter().map(|s| s.to_string())),
            Some("exec: \"nope\": executable file not found in $PATH".into())
        );
        assert_eq!(last_error(std::iter::empty()), None);
    }

    #[test]
    fn window_sizes() {
        assert_eq!(parse_size("80 24\n"), Some((80, 24)));
        assert_eq!(parse_size("0 24"), None);
        assert_eq!(parse_size("80"), None);
        assert_eq!(parse_size("x y"), None);
    }
}
