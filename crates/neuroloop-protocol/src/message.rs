//! Protocol messages and their JSON form.

use serde::{Deserialize, Serialize};

pub use crate::client_message::{
    CLIENT_TYPES, ClientHello, ClientMessage, ParseError, constant_time_eq,
};
use crate::intent::IntentMessage;
use crate::number::Finite;

/// Protocol name sent in the hello.
pub const PROTOCOL_NAME: &str = "neuroloop";
/// Protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The server's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`PROTOCOL_NAME`].
    pub protocol: String,
    /// The highest protocol version the server speaks; a client refuses
    /// versions it does not know unless `versions` offers one it knows.
    pub version: u32,
    /// Every version the server speaks.
    #[serde(default)]
    pub versions: Vec<u32>,
    /// Identifier of this session.
    pub session: String,
    /// Class labels; intents name one of them.
    pub classes: Vec<String>,
    /// The clock all timestamps are in.
    pub clock: String,
    /// Interval between the server's heartbeats, milliseconds (0: none).
    #[serde(default)]
    pub heartbeat_ms: u64,
    /// An actuator stops after this many heartbeat intervals without one.
    #[serde(default)]
    pub deadman_missed: u32,
    /// Milliseconds after the arrival of its newest sample at which an
    /// intent expires (its `valid_until`); 0 from servers older than this
    /// member.
    #[serde(default)]
    pub intent_max_age_ms: u64,
    /// `none` (a client that sends nothing is an observer) or `token` (a
    /// client hello with the token is required before anything else).
    #[serde(default)]
    pub auth: Auth,
    /// Limits the server enforces on client messages.
    #[serde(default)]
    pub limits: Limits,
}

impl Hello {
    /// Milliseconds without a heartbeat after which an actuator must stop
    /// (`None` when the server sends no heartbeats).
    #[must_use]
    pub fn deadman_ms(&self) -> Option<u64> {
        (self.heartbeat_ms > 0 && self.deadman_missed > 0).then(|| {
            self.heartbeat_ms
                .saturating_mul(u64::from(self.deadman_missed))
        })
    }
}

/// What a client must send before it receives anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// Nothing: a silent client is an observer.
    #[default]
    None,
    /// A client hello with the session token.
    Token,
}

/// Limits on what a client sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Longest line accepted from a client, bytes (including the newline).
    pub max_line_bytes: usize,
    /// Messages per second a client may send (sustained).
    pub max_msgs_per_s: u32,
    /// Milliseconds the server waits for a required client hello.
    pub hello_timeout_ms: u64,
    /// A client whose unread lines are older than this many milliseconds
    /// is sent `lagged` and skips intents until it catches up (0 from
    /// servers older than this member).
    #[serde(default)]
    pub max_lag_ms: u64,
}

/// A client's role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read-only: receives everything, may send only hello/heartbeat/bye.
    #[default]
    Observer,
    /// A device: receives intents, may `ack` them and send `estop`.
    Actuator,
    /// A supervisor: may `pause`, `resume`, `estop` and `clear`.
    Operator,
}

impl Role {
    /// Whether this role may send `message`.
    #[must_use]
    pub fn may_send(self, message: &ClientMessage) -> bool {
        match message {
            ClientMessage::Hello(_) | ClientMessage::Heartbeat {} | ClientMessage::Bye { .. } => {
                true
            }
            ClientMessage::Ack { .. } => self == Role::Actuator,
            ClientMessage::Estop { .. } => matches!(self, Role::Actuator | Role::Operator),
            ClientMessage::Clear {} | ClientMessage::Pause {} | ClientMessage::Resume {} => {
                self == Role::Operator
            }
        }
    }
}

/// What the session's output is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputState {
    /// Intents flow.
    #[default]
    Running,
    /// An operator paused output: every intent is a hold (`paused`).
    Paused,
    /// Emergency stop: every intent is a hold (`estop`) until an operator
    /// clears it.
    Estop,
}

/// Error codes of `error` messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The line is not JSON (or not UTF-8).
    InvalidJson,
    /// JSON without a string `type`, or a known type with wrong fields.
    InvalidMessage,
    /// A `type` this version does not know.
    UnknownType,
    /// The line exceeded `limits.max_line_bytes`; it was discarded.
    LineTooLong,
    /// No version in the client's `versions` is spoken here (connection
    /// closes).
    UnsupportedVersion,
    /// Token missing or wrong, or no hello in time (connection closes).
    Unauthorized,
    /// The client's role may not send this message.
    Forbidden,
    /// The message is not valid now (e.g. a second hello).
    InvalidState,
    /// More messages than `limits.max_msgs_per_s`; the message was ignored.
    RateLimited,
    /// The client read too slowly; `dropped` intents were skipped.
    Lagged,
    /// The server is at its connection limit (connection closes).
    TooManyConnections,
    /// The `ack` names a sequence number the server no longer knows.
    UnknownSeq,
}

impl ErrorCode {
    /// The code's wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::LineTooLong => "line_too_long",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Lagged => "lagged",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::UnknownSeq => "unknown_seq",
        }
    }

    /// Whether the server closes the connection after this error.
    #[must_use]
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            ErrorCode::UnsupportedVersion | ErrorCode::Unauthorized | ErrorCode::TooManyConnections
        )
    }
}

/// Every line the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First line of a connection.
    Hello(Hello),
    /// Answer to a client hello: the negotiated version and the role.
    Welcome {
        /// Version used from now on.
        version: u32,
        /// The client's role.
        role: Role,
        /// Connection identifier (in logs and `status`).
        client: u64,
    },
    /// A class intent: act on `class`.
    Intent(IntentMessage),
    /// A hold: do nothing new (`hold_reason` says why).
    Hold(IntentMessage),
    /// Liveness of the server, every `heartbeat_ms`.
    Heartbeat {
        /// Heartbeats sent on this connection, from 1.
        n: u64,
        /// Server clock, seconds.
        t: Finite,
        /// The output state now.
        state: OutputState,
        /// Sequence number of the newest intent or hold published.
        last_seq: u64,
    },
    /// The output state changed (sent to every client), or the reply to a
    /// command.
    Status {
        /// The output state now.
        state: OutputState,
        /// Who caused the latest change (`client` id and role).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
        /// Free text given with the command.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Something the client sent was refused, or lines were dropped.
    Error {
        /// Machine-readable code.
        code: ErrorCode,
        /// Human-readable detail.
        message: String,
        /// For `lagged`: how many lines were dropped for this client.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dropped: Option<u64>,
    },
    /// The session is ending; the server closes the connection after this.
    Bye {
        /// Why.
        reason: String,
    },
}

/// Who changed the output state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Connection identifier.
    pub client: u64,
    /// Its role.
    pub role: Role,
}

impl ServerMessage {
    /// Appends the JSON line (with its `\n`) to `out`.
    ///
    /// # Panics
    /// Never: these types always serialise.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("protocol messages always serialise");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialise_as_their_names() {
        for code in [
            ErrorCode::InvalidJson,
            ErrorCode::Forbidden,
            ErrorCode::TooManyConnections,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn an_old_hello_still_parses() {
        let old = r#"{"type":"hello","protocol":"neuroloop","version":1,"session":"demo","classes":["left","right"],"clock":"process-monotonic-seconds"}"#;
        let ServerMessage::Hello(h) = serde_json::from_str(old).unwrap() else {
            panic!("hello")
        };
        assert_eq!(h.deadman_ms(), None);
        assert_eq!(h.auth, Auth::None);
    }
}
