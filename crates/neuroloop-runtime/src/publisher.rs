//! The intent publisher: pipeline → TCP clients.
//!
//! Two halves:
//! * the **forwarder** (a plain OS thread) blocks on the pipeline's bounded
//!   crossbeam channel, stamps each intent's publish time and sequence
//!   number, serialises it once, records latency histograms, and broadcasts
//!   the line;
//! * the **server** ([`crate::server`], tokio) speaks the actuator protocol
//!   (`docs/protocol.md`): hello, roles, heartbeats, holds, e-stop, acks.
//!   Each connection has a bounded queue (the broadcast capacity); a client
//!   that falls behind loses the oldest lines (counted and told to it), so a
//!   slow client never stalls the pipeline or the other clients.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crossbeam_channel::Receiver;
use neuroloop_core::{Intent, clock};
use neuroloop_protocol::ServerMessage;
use tokio::sync::broadcast;

use crate::latency::LatencyHistograms;
use crate::server::{Hub, intent_line};

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

/// Forwards intents until the pipeline hangs up, then broadcasts `bye`.
/// Returns the latency histograms of everything forwarded.
pub fn forward(
    intents: Receiver<Intent>,
    lines: broadcast::Sender<Line>,
    classes: Vec<String>,
    hub: Arc<Hub>,
) -> LatencyHistograms {
    let mut histograms = LatencyHistograms::new();
    let mut seq = 0u64;
    let mut buffer = Vec::with_capacity(512);
    while let Ok(mut intent) = intents.recv() {
        intent.times.publish = clock::now();
        seq += 1;
        hub.gate(&mut intent, seq);
        histograms.record(&intent);
        buffer.clear();
        intent_line(&intent, seq, &classes, &mut buffer);
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
