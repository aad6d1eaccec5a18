//! The output state (running / paused / estop) and its gate on intents,
//! publish times for acks, and the protocol counters: the [`Hub`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use hdrhistogram::Histogram;
use neuroloop_core::{HoldReason, Intent, IntentKind};
use neuroloop_protocol::{Actor, ClientMessage, OutputState};
use tokio::sync::watch;

use crate::latency::LatencySummary;

/// Intents whose publish time is remembered for acks.
const PUBLISH_RING: usize = 4096;

const PAUSED: u8 = 1;
const ESTOP: u8 = 2;

/// The output state, its change notifications, publish times for acks and
/// the protocol counters, shared by the forwarder and every connection.
pub struct Hub {
    flags: AtomicU8,
    pub(super) status: watch::Sender<Status>,
    seqs: Box<[AtomicU64]>,
    publish_bits: Box<[AtomicU64]>,
    last_seq: AtomicU64,
    rtt_us: Mutex<Histogram<u64>>,
    written_us: Mutex<Histogram<u64>>,
    /// Error replies sent.
    pub errors_sent: AtomicU64,
    /// Connections closed because they accepted no bytes.
    pub stalled: AtomicU64,
    /// Connections refused at the connection limit.
    pub refused: AtomicU64,
    /// Emergency stops received.
    pub estops: AtomicU64,
    /// Class intents dropped because they expired before they were sent
    /// (once per connection that would have sent it).
    pub stale_intents_dropped: AtomicU64,
    /// Seconds after its newest sample's arrival at which an intent expires.
    intent_max_age_s: f64,
    /// Connection ids handed out.
    pub(super) next_client: AtomicU64,
}

/// The output state as told to clients.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Status {
    /// Running, paused or estop.
    pub(crate) state: OutputState,
    /// Who changed it last.
    pub(crate) by: Option<Actor>,
    /// With what reason.
    pub(crate) reason: Option<String>,
}

impl Default for Hub {
    fn default() -> Self {
        let age_ms = crate::config::FALLBACK_INTENT_MAX_AGE_MS;
        Self::with_intent_max_age(age_ms as f64 / 1e3)
    }
}

impl Hub {
    /// The hub of a session with these `[publish]` settings.
    #[must_use]
    pub(crate) fn new(publish: &crate::config::PublishSection) -> Self {
        match publish.intent_max_age_ms {
            Some(ms) => Self::with_intent_max_age(ms as f64 / 1e3),
            None => Self::default(),
        }
    }

    /// A hub whose intents expire `seconds` after their newest sample
    /// arrived.
    #[must_use]
    pub(crate) fn with_intent_max_age(seconds: f64) -> Self {
        Self {
            flags: AtomicU8::new(0),
            status: watch::channel(Status::default()).0,
            seqs: (0..PUBLISH_RING).map(|_| AtomicU64::new(0)).collect(),
            publish_bits: (0..PUBLISH_RING).map(|_| AtomicU64::new(0)).collect(),
            last_seq: AtomicU64::new(0),
            rtt_us: Mutex::new(crate::latency::histogram()),
            written_us: Mutex::new(crate::latency::histogram()),
            errors_sent: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            estops: AtomicU64::new(0),
            stale_intents_dropped: AtomicU64::new(0),
            intent_max_age_s: seconds,
            next_client: AtomicU64::new(0),
        }
    }

    /// Seconds after its newest sample's arrival at which an intent expires.
    #[must_use]
    pub(crate) fn intent_max_age_s(&self) -> f64 {
        self.intent_max_age_s
    }
}

impl Hub {
    /// The output state now (one atomic load).
    #[must_use]
    pub fn state(&self) -> OutputState {
        let flags = self.flags.load(Ordering::Acquire);
        if flags & ESTOP != 0 {
            OutputState::Estop
        } else if flags & PAUSED != 0 {
            OutputState::Paused
        } else {
            OutputState::Running
        }
    }

    /// Forwarder side: turns a class intent into a hold while paused or
    /// stopped, and remembers its publish time for acks.
    pub(crate) fn gate(&self, intent: &mut Intent, seq: u64) {
        let reason = match self.state() {
            OutputState::Running => None,
            OutputState::Paused => Some(HoldReason::Paused),
            OutputState::Estop => Some(HoldReason::Estop),
        };
        if let Some(reason) = reason {
            intent.kind = IntentKind::Hold;
            intent.hold_reason = reason;
        }
        let i = (seq as usize) % PUBLISH_RING;
        self.publish_bits[i].store(intent.times.publish.to_bits(), Ordering::Relaxed);
        self.seqs[i].store(seq, Ordering::Release);
        self.last_seq.store(seq, Ordering::Relaxed);
    }

    /// Publish time of intent `seq`, if still remembered.
    #[must_use]
    pub(crate) fn publish_time(&self, seq: u64) -> Option<f64> {
        let i = (seq as usize) % PUBLISH_RING;
        if seq == 0 || self.seqs[i].load(Ordering::Acquire) != seq {
            return None;
        }
        let t = f64::from_bits(self.publish_bits[i].load(Ordering::Relaxed));
        (self.seqs[i].load(Ordering::Acquire) == seq).then_some(t)
    }

    /// Newest sequence number published.
    #[must_use]
    pub(crate) fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Relaxed)
    }

    /// Applies a command and tells every connection.
    pub(crate) fn command(&self, message: &ClientMessage, by: Actor) {
        let (set, clear, reason) = match message {
            ClientMessage::Estop { reason } => (ESTOP, 0, reason.clone()),
            ClientMessage::Clear {} => (0, ESTOP, None),
            ClientMessage::Pause {} => (PAUSED, 0, None),
            ClientMessage::Resume {} => (0, PAUSED, None),
            _ => return,
        };
        if set == ESTOP {
            self.estops.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self
            .flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some((f | set) & !clear)
            });
        let state = self.state();
        tracing::warn!(client = by.client, role = ?by.role, ?state, "output state changed");
        self.status.send_replace(Status {
            state,
            by: Some(by),
            reason,
        });
    }

    /// Records an ack's round trip (publish → client → ack received).
    pub(crate) fn record_rtt(&self, seconds: f64) {
        record(&self.rtt_us, seconds);
    }

    /// Round trips of every ack so far.
    #[must_use]
    pub(crate) fn rtt_summary(&self) -> LatencySummary {
        summary(&self.rtt_us)
    }

    /// Records how long after its publication an intent or hold line was
    /// fully written to a client's socket.
    pub(crate) fn record_written(&self, seconds: f64) {
        record(&self.written_us, seconds);
    }

    /// Publish → written, over every intent line of every connection.
    #[must_use]
    pub(crate) fn written_summary(&self) -> LatencySummary {
        summary(&self.written_us)
    }
}

fn record(histogram: &Mutex<Histogram<u64>>, seconds: f64) {
    if let Ok(mut h) = histogram.lock() {
        h.saturating_record(crate::latency::micros(seconds));
    }
}

fn summary(histogram: &Mutex<Histogram<u64>>) -> LatencySummary {
    histogram
        .lock()
        .map(|h| crate::latency::LatencyHistograms::summary(&h))
        .unwrap_or_default()
}
