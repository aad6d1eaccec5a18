//! The intent publisher: pipeline → TCP clients.
//!
//! Two halves:
//! * the **forwarder** (a plain OS thread) blocks on the pipeline's bounded
//!   crossbeam channel, stamps each intent's publish time and sequence
//!   number, serialises it once, records latency histograms, and broadcasts
//!   the line;
//! * the **server** (tokio) accepts connections on loopback, sends the hello,
//!   then relays broadcast lines. Each connection has a bounded queue (the
//!   broadcast capacity); a client that falls behind loses the oldest lines
//!   (counted and logged), so a slow client never stalls the pipeline or the
//!   other clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::Receiver;
use neuroloop_core::{Intent, clock};
use neuroloop_protocol::{Hello, IntentMessage, ServerMessage};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

use crate::latency::LatencyHistograms;

/// A serialised protocol line shared by every connection.
pub type Line = Arc<[u8]>;

/// Connection counters of the server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Lines dropped for clients that fell behind.
    pub lagged_lines: AtomicU64,
    /// Connections open now.
    pub active: AtomicU64,
}

/// Accepts clients until the forwarder (the only strong sender of `lines`)
/// is gone.
pub async fn serve(
    listener: TcpListener,
    hello: Hello,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
) {
    let mut hello_line = Vec::new();
    ServerMessage::Hello(hello).write_line(&mut hello_line);
    let hello_line: Line = hello_line.into();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let Some(sender) = lines.upgrade() else { break };
        let rx = sender.subscribe();
        drop(sender);
        stats.connections.fetch_add(1, Ordering::Relaxed);
        stats.active.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(serve_client(
            stream,
            peer,
            Arc::clone(&hello_line),
            rx,
            Arc::clone(&stats),
        ));
    }
}

async fn serve_client(
    stream: TcpStream,
    peer: SocketAddr,
    hello: Line,
    rx: broadcast::Receiver<Line>,
    stats: Arc<ServerStats>,
) {
    relay(stream, peer, hello, rx, &stats).await;
    stats.active.fetch_sub(1, Ordering::Relaxed);
}

async fn relay(
    mut stream: TcpStream,
    peer: SocketAddr,
    hello: Line,
    mut rx: broadcast::Receiver<Line>,
    stats: &ServerStats,
) {
    let _ = stream.set_nodelay(true);
    tracing::info!(%peer, "client connected");
    if stream.write_all(&hello).await.is_err() {
        return;
    }
    loop {
        match rx.recv().await {
            Ok(line) => {
                if let Err(e) = stream.write_all(&line).await {
                    tracing::info!(%peer, error = %e, "client gone");
                    return;
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                stats.lagged_lines.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(%peer, dropped = n, "client too slow; oldest intents dropped");
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    let _ = stream.shutdown().await;
    tracing::info!(%peer, "client closed by server");
}

/// Forwards intents until the pipeline hangs up, then broadcasts `bye`.
/// Returns the latency histograms of everything forwarded.
pub fn forward(
    intents: Receiver<Intent>,
    lines: broadcast::Sender<Line>,
    classes: Vec<String>,
) -> LatencyHistograms {
    let mut histograms = LatencyHistograms::new();
    let mut seq = 0u64;
    let mut buffer = Vec::with_capacity(512);
    while let Ok(mut intent) = intents.recv() {
        intent.times.publish = clock::now();
        seq += 1;
        histograms.record(&intent);
        buffer.clear();
        ServerMessage::Intent(IntentMessage::from_intent(&intent, seq, &classes))
            .write_line(&mut buffer);
        // No receivers is fine: intents are not stored for later clients.
        let _ = lines.send(Line::from(buffer.as_slice()));
    }
    buffer.clear();
    ServerMessage::Bye {
        reason: "session ended".into(),
    }
    .write_line(&mut buffer);
    let _ = lines.send(Line::from(buffer.as_slice()));
    histograms
}
