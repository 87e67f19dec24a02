//! `kubectl exec` on the agent: `GET /exec/<ns>/<pod>/<container>?command=…&stdin=…` upgraded
//! to a WebSocket speaking Kubernetes' channel protocol (`v5.channel.k8s.io`, or
//! `v4.channel.k8s.io`): each binary message starts with its channel — 0 stdin, 1 stdout,
//! 2 stderr, 3 the final Status, 4 resize, 255 close (v5: `[255, 0]` closes stdin). The
//! command runs with `runc exec` in the container; its exit code comes back as a Status
//! (`NonZeroExitCode` with the code as its cause), then a Close frame with code 1000.
//!
//! With a terminal (`-t`), runc gets the slave side of a pseudo-terminal pair as its stdio
//! (it makes the container's console and copies between the two); the master carries
//! channel 0 in and channel 1 out, and a resize (channel 4, `{"Width":…,"Height":…}`) sets
//! the master's window size and tells runc with SIGWINCH.

use std::process::Stdio;

use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

/// Subprotocols spoken, preferred first.
pub const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// What kubectl asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl ExecRequest {
    pub fn from_query(query: &str) -> ExecRequest {
        let mut request = ExecRequest::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = super::logs::percent_decode(value);
            let on = value == "1" || value == "true";
            match key {
                "command" => request.command.push(value),
                "stdin" => request.stdin = on,
                "stdout" => request.stdout = on,
                "stderr" => request.stderr = on,
                "tty" => request.tty = on,
                _ => {}
            }
        }
        request
    }
}

/// The `Sec-WebSocket-Accept` for a client's key (RFC 6455).
pub fn accept_key(key: &str) -> String {
    use base64::Engine;
    let mut input = key.trim().as_bytes().to_vec();
    input.extend_from_slice(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// The Status kubectl reads on channel 3 for an exit code.
pub fn status_for(command: &[String], code: Option<i32>) -> String {
    match code {
        Some(0) => json!({"metadata": {}, "status": "Success"}).to_string(),
        Some(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        })
        .to_string(),
        None => json!({"metadata": {}, "status": "Failure", "message": "the command ended without an exit code", "reason": "InternalError"}).to_string(),
    }
}

/// Runs `request` in container `id` over the upgraded connection `io`.
pub async fn run(
    io: hyper::upgrade::Upgraded,
    v5: bool,
    runc: std::path::PathBuf,
    runc_root: std::path::PathBuf,
    id: String,
    request: ExecRequest,
) {
    let ws = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
    let (mut sink, mut source) = ws.split();
    if request.tty {
        let code = match run_tty(&mut sink, &mut source, v5, &runc, &runc_root, &id, &request).await
        {
            Ok(code) => status_for(&request.command, code),
            Err(e) => json!({"metadata": {}, "status": "Failure", "message": format!("running runc exec with a terminal: {e}"), "reason": "InternalError"}).to_string(),
        };
        finish(&mut sink, &code).await;
        return;
    }
    let child = tokio::process::Command::new(&runc)
        .arg("--root")
        .arg(&runc_root)
        .arg("exec")
        .arg(&id)
        .args(&request.command)
        .stdin(if request.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            let status = json!({"metadata": {}, "status": "Failure", "message": format!("running runc exec: {e}"), "reason": "InternalError"}).to_string();
            finish(&mut sink, &status).await;
            return;
        }
    };
    let mut stdin = child.stdin.take();
    // stdout and stderr, each on its channel, through one queue to the socket.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let out_task = tokio::spawn(pump(child.stdout.take(), 1, tx.clone()));
    let err_task = tokio::spawn(pump(child.stderr.take(), 2, tx.clone()));
    drop(tx);
    let mut input_open = true;
    let mut output_open = true;
    loop {
        tokio::select! {
            message = source.next(), if input_open => match message {
                Some(Ok(Message::Binary(data))) if !data.is_empty() => match data[0] {
                    0 => {
                        if let Some(pipe) = stdin.as_mut()
                            && pipe.write_all(&data[1..]).await.is_err()
                        {
                            stdin = None;
                        }
                    }
                    255 if v5 && data.get(1) == Some(&0) => stdin = None,
                    _ => {}
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    input_open = false;
                    stdin = None;
                }
                _ => {}
            },
            chunk = rx.recv(), if output_open => match chunk {
                Some(frame) => {
                    if sink.send(Message::Binary(frame.into())).await.is_err() {
                        break;
                    }
                }
                None => output_open = false,
            },
            else => break,
        }
        if !output_open {
            break;
        }
    }
    drop(stdin);
    let _ = out_task.await;
    let _ = err_task.await;
    let code = child.wait().await.ok().and_then(|s| s.code());
    finish(&mut sink, &status_for(&request.command, code)).await;
}

/// A pseudo-terminal pair: (master, slave).
fn open_pty() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok((master, slave))
}

/// The window size in a resize message, `{"Width":80,"Height":24}`.
pub(super) fn parse_resize(data: &[u8]) -> Option<(u16, u16)> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Size {
        width: u16,
        height: u16,
    }
    let size: Size = serde_json::from_slice(data).ok()?;
    (size.width > 0 && size.height > 0).then_some((size.width, size.height))
}

/// Runs the command with a terminal; returns its exit code.
async fn run_tty<Sink, Source>(
    sink: &mut Sink,
    source: &mut Source,
    v5: bool,
    runc: &std::path::Path,
    runc_root: &std::path::Path,
    id: &str,
    request: &ExecRequest,
) -> std::io::Result<Option<i32>>
where
    Sink: futures_util::Sink<Message> + Unpin,
    Source:
        futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let (master, slave) = open_pty()?;
    let mut command = tokio::process::Command::new(runc);
    command
        .arg("--root")
        .arg(runc_root)
        .arg("exec")
        .arg("--tty")
        .arg(id)
        .args(&request.command)
        .stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave))
        .kill_on_drop(true);
    let mut child = command.spawn()?;
    // The slave's last copies in this process go with the command, so the master reads EOF
    // (EIO) once runc and the command are gone.
    drop(command);
    let pid = child.id();
    let master = std::fs::File::from(master);
    let mut input = tokio::fs::File::from_std(master.try_clone()?);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let output = tokio::spawn(pump(
        Some(tokio::fs::File::from_std(master.try_clone()?)),
        1,
        tx,
    ));
    let mut input_open = true;
    loop {
        tokio::select! {
            message = source.next(), if input_open => match message {
                Some(Ok(Message::Binary(data))) if !data.is_empty() => match data[0] {
                    0 => {
                        let written = input.write_all(&data[1..]).await.is_ok() && input.flush().await.is_ok();
                        input_open &= written;
                    }
                    4 => {
                        if let Some((width, height)) = parse_resize(&data[1..]) {
                            let _ = crate::runtime::set_window_size(&master, width, height);
                            if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
                                let _ = rustix::process::kill_process(pid, rustix::process::Signal::WINCH);
                            }
                        }
                    }
                    255 if v5 && data.get(1) == Some(&0) => input_open = false,
                    _ => {}
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => input_open = false,
                _ => {}
            },
            chunk = rx.recv() => match chunk {
                Some(frame) => {
                    if sink.send(Message::Binary(frame.into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
        }
    }
    let _ = output.await;
    Ok(child.wait().await.ok().and_then(|s| s.code()))
}

/// Sends the final Status on channel 3, then Close with code 1000 (kubectl reports any other
/// ending as a failure).
pub(super) async fn finish<S>(sink: &mut S, status: &str)
where
    S: futures_util::Sink<Message> + Unpin,
{
    let _ = sink
        .send(Message::Binary(channel(3, status.as_bytes()).into()))
        .await;
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
}

pub(super) fn channel(number: u8, data: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(data.len() + 1);
    frame.push(number);
    frame.extend_from_slice(data);
    frame
}

async fn pump<R: tokio::io::AsyncRead + Unpin>(
    pipe: Option<R>,
    number: u8,
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
) {
    let Some(mut pipe) = pipe else { return };
    let mut buffer = vec![0u8; 32 * 1024];
    while let Ok(n) = pipe.read(&mut buffer).await {
        if n == 0 || tx.send(channel(number, &buffer[..n])).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn queries_and_statuses() {
        let r = ExecRequest::from_query(
            "command=sh&command=-c&command=exit%203&stdout=true&stderr=true",
        );
        assert_eq!(r.command, vec!["sh", "-c", "exit 3"]);
        assert!(r.stdout && r.stderr && !r.stdin && !r.tty);
        assert!(status_for(&r.command, Some(3)).contains("\"message\":\"3\""));
        assert!(status_for(&r.command, Some(0)).contains("Success"));
    }

    #[test]
    fn resizes_parse() {
        assert_eq!(parse_resize(br#"{"Width":80,"Height":24}"#), Some((80, 24)));
        assert_eq!(parse_resize(br#"{"Width":0,"Height":0}"#), None);
        assert_eq!(parse_resize(b"garbage"), None);
    }
}
