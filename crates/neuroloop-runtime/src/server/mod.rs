//! The actuator protocol server (tokio side of the publisher).
//!
//! Every connection gets the hello, then (once admitted: immediately
//! without a token, after a client hello with the token otherwise) the
//! broadcast intent/hold lines, its own heartbeats every `heartbeat_ms`,
//! and a `status` whenever the output state changes. Client lines are
//! framed with a size limit, rate limited, parsed and checked against the
//! client's role; every refusal is an `error` with a code.
//!
//! The output state (running / paused / estop) lives in the [`Hub`]: the
//! forwarder thread reads it with one atomic load per intent and turns class
//! intents into holds while paused or stopped; each connection also drops
//! class intents still queued for it when a stop arrives. Nothing here waits
//! on the pipeline, and the pipeline never sees any of it.
//!
//! * `output`: the [`Hub`] (output state, e-stop gate, acks, counters).
//! * `accept`: binding, and the accept loop TCP, Unix and WebSocket share.
//! * `admit`: admission of a new connection, or refusal at the limit.
//! * `connection`: the per-connection loop and its writes.
//! * `client`: handling of each client line.
//! * `backlog` and `lag`: how old a client's unread lines are, and what
//!   happens above `max_lag_ms`.

use std::time::Duration;

use neuroloop_protocol::{Auth, Hello, Limits, PROTOCOL_NAME, PROTOCOL_VERSION, ServerMessage};

use crate::config::PublishSection;
use crate::publisher::Line;

mod accept;
mod admit;
mod backlog;
mod client;
mod connection;
mod lag;
mod output;

pub(crate) use accept::accept_loop;
pub use accept::{bind, bind_unix, serve, serve_unix};
pub(crate) use admit::Shared;
pub(crate) use backlog::Probe;
pub use output::{Hub, Status, intent_line};

/// Protocol versions this server speaks.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// Server settings from `[publish]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The hello every connection receives first.
    pub hello: Hello,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Token every client must present, if set.
    pub token: Option<String>,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Longest client line.
    pub max_line_bytes: usize,
    /// Sustained client messages per second (also the burst).
    pub max_msgs_per_s: u32,
    /// How long a required client hello may take.
    pub hello_timeout: Duration,
    /// A client that accepts no bytes for this long is disconnected.
    pub stall_timeout: Duration,
    /// A client whose unread lines are older than this is behind.
    pub max_lag: Duration,
}

impl ServerConfig {
    /// Settings and hello of a session.
    #[must_use]
    pub fn new(publish: &PublishSection, session: &str, classes: &[String]) -> Self {
        let hello = Hello {
            protocol: PROTOCOL_NAME.into(),
            version: PROTOCOL_VERSION,
            versions: SUPPORTED_VERSIONS.to_vec(),
            session: session.into(),
            classes: classes.to_vec(),
            clock: "process-monotonic-seconds".into(),
            heartbeat_ms: publish.heartbeat_ms,
            deadman_missed: publish.deadman_missed,
            intent_max_age_ms: publish
                .intent_max_age_ms
                .unwrap_or(crate::config::FALLBACK_INTENT_MAX_AGE_MS),
            auth: if publish.token.is_some() {
                Auth::Token
            } else {
                Auth::None
            },
            limits: Limits {
                max_line_bytes: publish.max_line_bytes,
                max_msgs_per_s: publish.max_msgs_per_s,
                hello_timeout_ms: publish.hello_timeout_ms,
                max_lag_ms: max_lag_ms(publish),
            },
        };
        Self {
            hello,
            heartbeat: Duration::from_millis(publish.heartbeat_ms.max(1)),
            token: publish.token.clone(),
            max_connections: publish.max_connections,
            max_line_bytes: publish.max_line_bytes,
            max_msgs_per_s: publish.max_msgs_per_s.max(1),
            hello_timeout: Duration::from_millis(publish.hello_timeout_ms),
            stall_timeout: Duration::from_millis(publish.stall_timeout_ms),
            max_lag: Duration::from_millis(max_lag_ms(publish)),
        }
    }
}

fn max_lag_ms(publish: &PublishSection) -> u64 {
    publish
        .max_lag_ms
        .unwrap_or(crate::config::DEFAULT_MAX_LAG_MS)
}

pub(crate) fn hello_line(config: &ServerConfig) -> Line {
    let mut line = Vec::new();
    ServerMessage::Hello(config.hello.clone()).write_line(&mut line);
    Line::new(&line)
}
