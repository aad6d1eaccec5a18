//! The server's settings from `[publish]`: the hello every connection
//! receives first, and the limits and timeouts the connections apply.

use std::time::Duration;

use neuroloop_protocol::{Auth, Hello, Limits, PROTOCOL_NAME, PROTOCOL_VERSION, ServerMessage};

use super::line::Line;
use crate::config::PublishSection;

/// Protocol versions this server speaks.
pub(crate) const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// Server settings from `[publish]`.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    /// The hello every connection receives first.
    pub(crate) hello: Hello,
    /// Heartbeat interval.
    pub(crate) heartbeat: Duration,
    /// Token every client must present, if set.
    pub(crate) token: Option<String>,
    /// Most simultaneous connections.
    pub(crate) max_connections: usize,
    /// Longest client line.
    pub(crate) max_line_bytes: usize,
    /// Sustained client messages per second (also the burst).
    pub(crate) max_msgs_per_s: u32,
    /// How long a required client hello may take.
    pub(crate) hello_timeout: Duration,
    /// A client that accepts no bytes for this long is disconnected.
    pub(crate) stall_timeout: Duration,
    /// A client whose unread lines are older than this is behind.
    pub(crate) max_lag: Duration,
}

impl ServerConfig {
    /// Settings and hello of a session.
    #[must_use]
    pub(crate) fn new(publish: &PublishSection, session: &str, classes: &[String]) -> Self {
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
