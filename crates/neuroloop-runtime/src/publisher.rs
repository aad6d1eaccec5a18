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
//!
//! Each [`Line`] carries its publish time and, for class intents, its
//! expiry (`valid_until`), so that connections drop an expired intent
//! instead of sending it and can tell how old a client's backlog is.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_core::{Intent, clock};
use neuroloop_protocol::ServerMessage;
use tokio::sync::broadcast;

use crate::latency::LatencyHistograms;
use crate::server::{Hub, intent_line};

/// A serialised protocol line shared by every connection, with what the
/// connections need to know about it without parsing it.
#[derive(Debug, Clone)]
pub struct Line {
    bytes: Arc<[u8]>,
    /// When it was published (server clock, seconds).
    pub published: f64,
    /// For a class intent, when it expires (server clock); `None` for
    /// every other line.
    pub valid_until: Option<f64>,
    /// An intent or hold (skipped for a client that is behind); not the
    /// hello or the bye.
    pub droppable: bool,
    /// Sequence number of an intent or hold, else 0.
    pub seq: u64,
}

impl Line {
    /// A line published now that never expires (hello, bye).
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.into(),
            published: clock::now(),
            valid_until: None,
            droppable: false,
            seq: 0,
        }
    }

    /// Whether this is a class intent whose expiry has passed at `now`.
    #[must_use]
    pub fn expired(&self, now: f64) -> bool {
        self.valid_until.is_some_and(|v| now > v)
    }

    /// Whether this is a class intent.
    #[must_use]
    pub fn is_class_intent(&self) -> bool {
        self.valid_until.is_some()
    }
}

impl std::ops::Deref for Line {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Connection counters of the server.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Lines dropped for clients that fell behind.
    pub lagged_lines: AtomicU64,
    /// Connections open now.
    pub active: AtomicU64,
    /// Times a client's backlog exceeded `max_lag_ms` (each told `lagged`).
    pub lag_episodes: AtomicU64,
}

/// Forwards intents until the pipeline hangs up, then broadcasts `bye`.
/// Each intent, as published, is also sent to `tap` if there is one (an
/// unbounded channel: in-process consumers such as `neuroloop score` see
/// every intent). Returns the latency histograms of everything forwarded.
pub fn forward(
    intents: Receiver<Intent>,
    lines: broadcast::Sender<Line>,
    classes: Vec<String>,
    hub: Arc<Hub>,
    tap: Option<Sender<Intent>>,
) -> LatencyHistograms {
    let mut histograms = LatencyHistograms::new();
    let mut seq = 0u64;
    let mut buffer = Vec::with_capacity(512);
    while let Ok(mut intent) = intents.recv() {
        intent.times.publish = clock::now();
        seq += 1;
        hub.gate(&mut intent, seq);
        histograms.record(&intent);
        if let Some(tap) = &tap {
            // A consumer that hung up only stops receiving.
            let _ = tap.send(intent);
        }
        buffer.clear();
        let valid_until = intent_line(&intent, seq, &classes, hub.intent_max_age_s(), &mut buffer);
        // No receivers is fine: intents are not stored for later clients.
        let _ = lines.send(Line {
            bytes: buffer.as_slice().into(),
            published: intent.times.publish,
            valid_until,
            droppable: true,
            seq,
        });
    }
    buffer.clear();
    ServerMessage::Bye {
        reason: "session ended".into(),
    }
    .write_line(&mut buffer);
    let _ = lines.send(Line::new(&buffer));
    histograms
}
