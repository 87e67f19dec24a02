//! `kubectl port-forward` on the agent: `GET /portForward/<ns>/<pod>` upgraded to a WebSocket
//! with subprotocol `SPDY/3.1+portforward.k8s.io`, whose binary messages carry SPDY/3.1
//! frames ([`super::spdy`]) split anywhere. For every local connection kubectl opens two
//! streams with the same `requestID`: `streamType: error` and `streamType: data`, both
//! naming the `port`. The data stream is piped to `localhost:<port>` inside the pod's
//! network namespace (IPv4, then IPv6), as the kubelet does; a failure is written as text on
//! the error stream, which kubectl prints.
//!
//! Invariant: every stream opened gets a SYN_REPLY, and every data stream ends with a FIN
//! from this side (after the pod side closed, or at once when it could not connect).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::spdy::{Decoder, Encoder, Frame, RST_CANCEL, header};

pub const PROTOCOL: &str = "SPDY/3.1+portforward.k8s.io";

/// How long connecting to the pod's port may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the pod's ports are.
#[derive(Debug, Clone)]
pub struct PodNetwork {
    /// `namespace/name`, for messages.
    pub pod: String,
    pub uid: String,
    /// The pod's network namespace; `None` for a pod on the host's network.
    pub netns: Option<PathBuf>,
}

/// What the client sends on a data stream.
enum Inbound {
    Data(Bytes),
    /// The client finished sending (FIN).
    Fin,
}

/// Serves one port-forward connection until kubectl goes away.
pub async fn run(io: hyper::upgrade::Upgraded, network: PodNetwork) {
    let socket = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
    let (mut sink, mut messages) = socket.split();
    let (out, mut outgoing) = mpsc::channel::<Frame>(64);
    let writer = tokio::spawn(async move {
        let mut encoder = Encoder::default();
        while let Some(frame) = outgoing.recv().await {
            let Ok(bytes) = encoder.encode(&frame) else {
                continue;
            };
            if sink.send(Message::Binary(bytes)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut decoder = Decoder::default();
    // requestID → its error stream; data stream → what feeds its connection.
    let mut error_streams: HashMap<String, u32> = HashMap::new();
    let mut data_streams: HashMap<u32, (mpsc::Sender<Inbound>, tokio::task::AbortHandle)> =
        HashMap::new();
    'session: while let Some(Ok(message)) = messages.next().await {
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Close(_) => break,
            _ => continue,
        };
        decoder.feed(&bytes);
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(pod = %network.pod, error = %e, "port-forward: bad SPDY input");
                    let _ = out
                        .send(Frame::GoAway {
                            last_stream: 0,
                            status: 1,
                        })
                        .await;
                    break 'session;
                }
            };
            match frame {
                Frame::SynStream {
                    stream, headers, ..
                } => {
                    let _ = out
                        .send(Frame::SynReply {
                            stream,
                            fin: false,
                            headers: Vec::new(),
                        })
                        .await;
                    let request = header(&headers, "requestid")
                        .unwrap_or_default()
                        .to_string();
                    match header(&headers, "streamtype") {
                        Some("error") => {
                            error_streams.insert(request, stream);
                        }
                        Some("data") => {
                            let error_stream = error_streams.get(&request).copied();
                            let port = header(&headers, "port").unwrap_or_default().to_string();
                            let (feed, inbound) = mpsc::channel(16);
                            let task = tokio::spawn(forward(
                                network.clone(),
                                port,
                                stream,
                                error_stream,
                                inbound,
                                out.clone(),
                            ));
                            data_streams.insert(stream, (feed, task.abort_handle()));
                        }
                        other => {
                            tracing::debug!(stream_type = ?other, "port-forward: unknown stream type");
                            let _ = out
                                .send(Frame::RstStream {
                                    stream,
                                    status: RST_CANCEL,
                                })
                                .await;
                        }
                    }
                }
                Frame::Data { stream, fin, data } => {
                    let Some((feed, _)) = data_streams.get(&stream) else {
                        continue;
                    };
                    if !data.is_empty() && feed.send(Inbound::Data(data)).await.is_err() {
                        data_streams.remove(&stream);
                        continue;
                    }
                    if fin {
                        let _ = feed.send(Inbound::Fin).await;
                    }
                }
                Frame::RstStream { stream, .. } => {
                    if let Some((_, task)) = data_streams.remove(&stream) {
                        task.abort();
                    }
                    error_streams.retain(|_, s| *s != stream);
                }
                Frame::Ping { id } => {
                    let _ = out.send(Frame::Ping { id }).await;
                }
                Frame::GoAway { .. } => break 'session,
                _ => {}
            }
        }
    }
    for (_, (_, task)) in data_streams {
        task.abort();
    }
    drop(out);
    let _ = writer.await;
}

/// Pipes one data stream to the pod's port; reports a failure on the error stream.
async fn forward(
    network: PodNetwork,
    port: String,
    stream: u32,
    error_stream: Option<u32>,
    mut inbound: mpsc::Receiver<Inbound>,
    out: mpsc::Sender<Frame>,
) {
    let finish = |stream: u32| Frame::Data {
        stream,
        fin: true,
        data: Bytes::new(),
    };
    let connected = match port.parse::<u16>() {
        Ok(p) if p > 0 => connect(&network, p).await,
        _ => Err(format!("invalid port {port:?}")),
    };
    let tcp = match connected {
        Ok(tcp) => tcp,
        Err(why) => {
            let message = format!(
                "error forwarding port {port} to pod {}, uid {}: {why}",
                network.pod, network.uid
            );
            if let Some(error_stream) = error_stream {
                let _ = out
                    .send(Frame::Data {
                        stream: error_stream,
                        fin: false,
                        data: Bytes::from(message),
                    })
                    .await;
                let _ = out.send(finish(error_stream)).await;
            }
            let _ = out.send(finish(stream)).await;
            return;
        }
    };
    let (mut from_pod, mut to_pod) = tcp.into_split();
    let upstream = async {
        while let Some(inbound) = inbound.recv().await {
            match inbound {
                Inbound::Data(bytes) => {
                    if to_pod.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                Inbound::Fin => break,
            }
        }
        let _ = to_pod.shutdown().await;
        // Only the pod's side ends the forward (below).
        std::future::pending::<()>().await;
    };
    let downstream = async {
        let mut buffer = vec![0u8; 32 * 1024];
        loop {
            match from_pod.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let frame = Frame::Data {
                        stream,
                        fin: false,
                        data: Bytes::copy_from_slice(&buffer[..n]),
                    };
                    if out.send(frame).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = out.send(finish(stream)).await;
    };
    // The pod closing its side ends the forward: kubectl closes the local connection only
    // once the error stream ends. The client finishing only half-closes towards the pod.
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
    if let Some(error_stream) = error_stream {
        let _ = out.send(finish(error_stream)).await;
    }
}

/// A connection to `localhost:<port>` in the pod's network namespace, made on a thread of
/// its own that enters the namespace (and ends, so no pooled thread is left in it).
async fn connect(network: &PodNetwork, port: u16) -> Result<tokio::net::TcpStream, String> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let netns = network.netns.clone();
    std::thread::Builder::new()
        .name("berth-portfwd".into())
        .spawn(move || {
            let _ = reply.send(connect_in(netns, port));
        })
        .map_err(|e| format!("starting a thread: {e}"))?;
    let stream = answer
        .await
        .map_err(|_| "the connecting thread ended".to_string())??;
    stream.set_nonblocking(true).map_err(|e| e.to_string())?;
    tokio::net::TcpStream::from_std(stream).map_err(|e| e.to_string())
}

fn connect_in(netns: Option<PathBuf>, port: u16) -> Result<std::net::TcpStream, String> {
    let place = match &netns {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| format!("opening network namespace {}: {e}", path.display()))?;
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&file),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .map_err(|e| format!("entering network namespace {}: {e}", path.display()))?;
            format!("inside namespace {:?}", path.display().to_string())
        }
        None => "on the host network".to_string(),
    };
    let v4 = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let v6 = std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    std::net::TcpStream::connect_timeout(&v4, CONNECT_TIMEOUT).or_else(|e4| {
        std::net::TcpStream::connect_timeout(&v6, CONNECT_TIMEOUT).map_err(|e6| {
            format!("failed to connect to localhost:{port} {place}, IPv4: {e4} IPv6: {e6}")
        })
    })
}
