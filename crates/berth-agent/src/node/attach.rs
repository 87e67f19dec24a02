//! `kubectl attach` (and `kubectl run -i -t`) on the agent: `GET /attach/<ns>/<pod>/<container>
//! ?stdin=…&stdout=…&stderr=…&tty=…` upgraded to the exec channel protocol
//! ([`super::exec`]). Output is what the container writes from then on, followed in its CRI
//! log (channels 1 and 2; a terminal's output is all stdout); input goes to the stdin FIFO
//! the container's shim keeps; a resize (channel 4) goes to the shim's resize FIFO. The
//! session ends with a Success Status and Close 1000 when the container exits, or when
//! the client goes away (the container keeps running).

use std::path::PathBuf;

use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::exec::{ExecRequest, channel, finish, status_for};
use crate::runtime::Runtime;

/// What one attach session works with.
pub struct AttachTarget {
    pub runtime: Runtime,
    /// The container's runtime ID.
    pub id: String,
    /// Its CRI log file.
    pub log: PathBuf,
    /// Its bundle, where the shim keeps the `stdin` and `resize` FIFOs.
    pub bundle: PathBuf,
}

/// Serves one attach session over the upgraded connection `io`.
pub async fn run(
    io: hyper::upgrade::Upgraded,
    v5: bool,
    target: AttachTarget,
    request: ExecRequest,
) {
    tracing::info!(container = %target.id, log = %target.log.display(), tty = request.tty, "attach session started");
    let ws = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    // Without a follower the session ends at once, as when the container has exited.
    let follower = match super::logs::Follower::open(
        &target.log,
        None,
        target.runtime.clone(),
        target.id.clone(),
    )
    .await
    {
        Ok(follower) => Some(tokio::spawn(follow(
            follower,
            request.tty,
            request.stdout,
            request.stderr,
            tx,
        ))),
        Err(e) => {
            tracing::warn!(log = %target.log.display(), error = %e, "attach cannot follow the container's log");
            drop(tx);
            None
        }
    };
    let mut stdin = if request.stdin {
        open_fifo(target.bundle.join("stdin")).await
    } else {
        None
    };
    let mut exited = false;
    let mut sent = 0usize;
    loop {
        tokio::select! {
            message = source.next() => match message {
                Some(Ok(Message::Binary(data))) if !data.is_empty() => match data[0] {
                    0 => {
                        if let Some(pipe) = stdin.as_mut() {
                            let written = pipe.write_all(&data[1..]).await.is_ok() && pipe.flush().await.is_ok();
                            if !written {
                                stdin = None;
                            }
                        }
                    }
                    4 => {
                        if let Some((width, height)) = super::exec::parse_resize(&data[1..])
                            && let Some(mut resize) = open_fifo(target.bundle.join("resize")).await
                        {
                            let _ = resize.write_all(format!("{width} {height}\n").as_bytes()).await;
                        }
                    }
                    255 if v5 && data.get(1) == Some(&0) => stdin = None,
                    _ => {}
                },
                // The client went away: the container goes on.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            },
            chunk = rx.recv() => match chunk {
                Some(frame) => {
                    sent += frame.len();
                    if sink.send(Message::Binary(frame.into())).await.is_err() {
                        break;
                    }
                }
                None => {
                    exited = true;
                    break;
                }
            },
        }
    }
    if let Some(follower) = follower {
        follower.abort();
    }
    tracing::info!(container = %target.id, sent, exited, "attach session ended");
    if exited {
        // As the kubelet: the attach itself succeeded (`kubectl run` reads the exit code
        // from the pod's status).
        finish(&mut sink, &status_for(&[], Some(0))).await;
    }
}

/// A FIFO of the container's shim, for writing; `None` if the shim is gone (opening without
/// O_NONBLOCK would wait for a reader forever).
async fn open_fifo(path: PathBuf) -> Option<tokio::fs::File> {
    tokio::fs::OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .await
        .ok()
}

/// Sends what the container writes to its log from now on, until it exits.
async fn follow(
    mut follower: super::logs::Follower,
    tty: bool,
    stdout: bool,
    stderr: bool,
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
) {
    let mut pending = Vec::new();
    loop {
        let Some(appended) = follower.next_until(tx.closed()).await else {
            return;
        };
        pending.extend_from_slice(&appended);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            if let Some((stream, content)) = parse_line(&line[..line.len() - 1]) {
                let number = if tty || stream == "stdout" { 1 } else { 2 };
                let wanted = if number == 1 { stdout } else { stderr };
                if wanted && tx.send(channel(number, &content)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A CRI log line's stream and content (with its newline back for a full line).
fn parse_line(line: &[u8]) -> Option<(&str, Vec<u8>)> {
    let mut parts = line.splitn(4, |b| *b == b' ');
    let _time = parts.next()?;
    let stream = std::str::from_utf8(parts.next()?).ok()?;
    let tag = parts.next()?;
    let mut content = parts.next().unwrap_or_default().to_vec();
    if tag == b"F" {
        content.push(b'\n');
    }
    Some((stream, content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cri_lines_give_stream_and_content() {
        assert_eq!(
            parse_line(b"2026-01-01T00:00:00.1Z stderr F oops"),
            Some(("stderr", b"oops\n".to_vec()))
        );
        assert_eq!(
            parse_line(b"2026-01-01T00:00:00.1Z stdout P part"),
            Some(("stdout", b"part".to_vec()))
        );
        assert_eq!(parse_line(b"garbage"), None);
    }
}
