//! The actuator protocol over WebSocket (`[publish] websocket`, `ws://`).
//!
//! Each WebSocket connection is bridged to the line-based connection of
//! the server (`connection`) through an in-memory pipe, so the handshake, roles,
//! token, limits, heartbeats, e-stop and slow-client handling are the same
//! code as on TCP: every client text frame becomes one line, every server
//! line becomes one text frame. A text frame holding a newline (which could
//! carry two messages) closes the connection with close code 1008 (policy
//! violation), a binary frame with 1003 (unsupported data); a text frame
//! longer than `max_line_bytes` is answered `line_too_long` like a long line.
//!
//! Browsers send an `Origin` header: a handshake whose origin is not listed
//! in `[publish] websocket_origins` is refused with HTTP 403, so that an
//! arbitrary web page cannot drive the session. Handshakes without an
//! `Origin` header (programs, not pages) are accepted.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::accept::accept_loop;
use super::admit::Shared;
use super::backlog::Probe;

/// Bytes buffered between a connection and its WebSocket; when full, the
/// connection's writes wait and its stall timeout applies as on TCP.
const PIPE_BYTES: usize = 8 * 1024;
/// Frames are read up to this many times `max_line_bytes` (so that a long
/// one gets `line_too_long`); longer ones end the connection.
const FRAME_SLACK: usize = 4;
/// How long the closing handshake may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// What every WebSocket connection shares.
struct Context {
    shared: Shared,
    origins: Arc<[String]>,
}

/// Accepts WebSocket clients until the forwarder (the only strong sender of
/// the lines) is gone. `listener` comes from `accept::bind`.
pub(super) async fn serve(listener: TcpListener, origins: Vec<String>, shared: Shared) {
    let context = Arc::new(Context {
        shared,
        origins: origins.into(),
    });
    accept_loop(listener, &context.shared, |stream, peer| {
        tokio::spawn(connection(stream, peer, Arc::clone(&context)));
    })
    .await;
}

async fn connection(stream: TcpStream, peer: String, context: Arc<Context>) {
    let origins = Arc::clone(&context.origins);
    let refused_peer = peer.clone();
    // The error type is tungstenite's handshake callback signature.
    #[allow(clippy::result_large_err)]
    let check_origin = move |request: &Request, response: Response| {
        let Some(origin) = request.headers().get("origin") else {
            return Ok(response);
        };
        if origins.iter().any(|o| o.as_bytes() == origin.as_bytes()) {
            return Ok(response);
        }
        tracing::warn!(peer = %refused_peer, ?origin, "WebSocket origin not in publish.websocket_origins; refused");
        let mut refused = ErrorResponse::new(Some("origin not allowed".into()));
        *refused.status_mut() = StatusCode::FORBIDDEN;
        Err(refused)
    };
    let frame_limit = context
        .shared
        .config
        .max_line_bytes
        .saturating_mul(FRAME_SLACK);
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(frame_limit))
        .max_frame_size(Some(frame_limit));
    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(stream, check_origin, Some(ws_config));
    let mut ws = match tokio::time::timeout(context.shared.config.hello_timeout, handshake).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "WebSocket handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "WebSocket handshake timed out");
            return;
        }
    };
    let (server_side, bridge_side) = tokio::io::duplex(PIPE_BYTES);
    let (read, write) = tokio::io::split(server_side);
    if !context
        .shared
        .admit(read, write, format!("ws:{peer}"), Probe::None)
    {
        let away = CloseFrame {
            code: CloseCode::Away,
            reason: "session over".into(),
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, ws.close(Some(away))).await;
        return;
    }
    bridge(ws, bridge_side).await;
}

/// Moves frames to lines and lines to frames until either side ends, then
/// closes the WebSocket.
async fn bridge(ws: WebSocketStream<TcpStream>, pipe: DuplexStream) {
    let (mut sink, mut frames) = ws.split();
    let (read, mut write) = tokio::io::split(pipe);
    let mut read = BufReader::new(read);
    let mut line = Vec::new();
    let close = loop {
        tokio::select! {
            // Server → client. `read_until` keeps partial lines in `line`
            // when the other branch wins.
            n = read.read_until(b'\n', &mut line) => {
                if !matches!(n, Ok(n) if n > 0) {
                    break Some(close_frame(CloseCode::Normal, ""));
                }
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                let Ok(text) = Utf8Bytes::try_from(std::mem::take(&mut line)) else {
                    continue;
                };
                if sink.send(Message::Text(text)).await.is_err() {
                    break None;
                }
            }
            // Client → server.
            frame = frames.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    if text.as_bytes().contains(&b'\n') {
                        break Some(close_frame(CloseCode::Policy, "one message per text frame; newline found"));
                    }
                    let mut bytes = Vec::with_capacity(text.len() + 1);
                    bytes.extend_from_slice(text.as_bytes());
                    bytes.push(b'\n');
                    if write.write_all(&bytes).await.is_err() {
                        break Some(close_frame(CloseCode::Normal, ""));
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    break Some(close_frame(CloseCode::Unsupported, "binary frames are not part of the protocol"));
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                Some(Ok(_)) => {}
            }
        }
    };
    // The connection ends (or has ended) before the WebSocket is closed.
    drop((read, write));
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async move {
        if let Some(frame) = close {
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        let _ = sink.close().await;
        // Wait for the client's close frame so the TCP connection ends cleanly.
        while let Some(Ok(_)) = frames.next().await {}
    })
    .await;
}

fn close_frame(code: CloseCode, reason: &'static str) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.into(),
    }
}
