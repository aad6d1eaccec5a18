//! Protocol messages and their JSON form.

use neuroloop_core::{HoldReason, Intent, IntentKind};
use serde::{Deserialize, Serialize};

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
        (self.heartbeat_ms > 0 && self.deadman_missed > 0)
            .then(|| self.heartbeat_ms * u64::from(self.deadman_missed))
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

/// Timestamps of an intent, seconds on the server's process clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntentTimestamps {
    /// Source time of the newest sample in the decoded window.
    pub sample: f64,
    /// Arrival of that sample in the runtime.
    pub arrival: f64,
    /// Decoder start.
    pub decode_start: f64,
    /// Decoder end.
    pub decode_end: f64,
    /// Handed to the connections.
    pub publish: f64,
}

/// One decoded intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentMessage {
    /// Per-session sequence number, starting at 1, +1 per intent.
    pub seq: u64,
    /// `class` (act on `class`) or `hold` (do nothing new).
    pub kind: IntentKind,
    /// Label of the most probable class (also when holding).
    pub class: String,
    /// Index of `class` in the hello's `classes`.
    pub class_index: u8,
    /// Smoothed probability of `class`.
    pub confidence: f32,
    /// Smoothed probabilities in class order.
    pub probabilities: Vec<f32>,
    /// Why the intent holds (`none` for class intents).
    pub hold_reason: HoldReason,
    /// Index of the decoded window.
    pub window: u64,
    /// Data-path timestamps.
    pub t: IntentTimestamps,
}

impl IntentMessage {
    /// Builds the message for `intent` with sequence number `seq`.
    #[must_use]
    pub fn from_intent(intent: &Intent, seq: u64, classes: &[String]) -> Self {
        Self {
            seq,
            kind: intent.kind,
            class: classes
                .get(usize::from(intent.class))
                .cloned()
                .unwrap_or_default(),
            class_index: intent.class,
            confidence: intent.confidence,
            probabilities: intent.probabilities().to_vec(),
            hold_reason: intent.hold_reason,
            window: intent.window,
            t: IntentTimestamps {
                sample: intent.times.sample_time,
                arrival: intent.times.arrival,
                decode_start: intent.times.decode_start,
                decode_end: intent.times.decode_end,
                publish: intent.times.publish,
            },
        }
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
        t: f64,
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

/// A client's hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientHello {
    /// Protocol versions the client speaks.
    pub versions: Vec<u32>,
    /// The role asked for.
    pub role: Role,
    /// The session token, when the server requires one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Free-form client name for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Every line a client may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Role, versions and token.
    Hello(ClientHello),
    /// An actuator received (and acted on) intent `seq`.
    Ack {
        /// The intent's sequence number.
        seq: u64,
    },
    /// Emergency stop for every client.
    Estop {
        /// Free text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Lift an emergency stop (operator).
    Clear {},
    /// Turn every intent into a hold (operator).
    Pause {},
    /// Undo `pause` (operator).
    Resume {},
    /// Client liveness; no reply.
    Heartbeat {},
    /// The client is leaving.
    Bye {
        /// Why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// Message types a client may send.
pub const CLIENT_TYPES: &[&str] = &[
    "hello",
    "ack",
    "estop",
    "clear",
    "pause",
    "resume",
    "heartbeat",
    "bye",
];

/// Why a client line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The code to reply with.
    pub code: ErrorCode,
    /// Detail.
    pub message: String,
}

impl ClientMessage {
    /// Parses one client line (without its newline). Never panics.
    ///
    /// # Errors
    /// `invalid_json`, `invalid_message` (no string `type`, bad fields) or
    /// `unknown_type`.
    pub fn parse(line: &[u8]) -> Result<Self, ParseError> {
        let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| ParseError {
            code: ErrorCode::InvalidJson,
            message: e.to_string(),
        })?;
        let Some(kind) = value.get("type").and_then(serde_json::Value::as_str) else {
            return Err(ParseError {
                code: ErrorCode::InvalidMessage,
                message: "a message is a JSON object with a string \"type\"".into(),
            });
        };
        if !CLIENT_TYPES.contains(&kind) {
            return Err(ParseError {
                code: ErrorCode::UnknownType,
                message: format!("unknown type {kind:?} (known: {})", CLIENT_TYPES.join(", ")),
            });
        }
        serde_json::from_value(value).map_err(|e| ParseError {
            code: ErrorCode::InvalidMessage,
            message: e.to_string(),
        })
    }

    /// Appends the JSON line (with its `\n`) to `out`.
    ///
    /// # Panics
    /// Never: these types always serialise.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("protocol messages always serialise");
        out.push(b'\n');
    }
}

/// Compares two secrets in time independent of where they differ.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
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
    use neuroloop_core::{IntentTimes, MAX_CLASSES};

    #[test]
    fn intent_round_trips_through_json() {
        let mut probabilities = [0.0; MAX_CLASSES];
        probabilities[..2].copy_from_slice(&[0.25, 0.75]);
        let intent = Intent {
            window: 9,
            kind: IntentKind::Class,
            hold_reason: HoldReason::None,
            class: 1,
            confidence: 0.75,
            probabilities,
            n_classes: 2,
            times: IntentTimes {
                sample_time: 1.0,
                arrival: 1.001,
                decode_start: 1.002,
                decode_end: 1.003,
                publish: 1.004,
            },
        };
        let classes = vec!["left".to_string(), "right".to_string()];
        let msg = ServerMessage::Intent(IntentMessage::from_intent(&intent, 5, &classes));
        let mut line = Vec::new();
        msg.write_line(&mut line);
        let text = std::str::from_utf8(&line).unwrap();
        assert!(
            text.starts_with(r#"{"type":"intent","seq":5,"kind":"class","class":"right""#),
            "{text}"
        );
        assert!(text.ends_with('\n'));
        let back: ServerMessage = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn client_lines_parse_with_codes() {
        assert_eq!(
            ClientMessage::parse(br#"{"type":"ack","seq":7}"#),
            Ok(ClientMessage::Ack { seq: 7 })
        );
        assert_eq!(
            ClientMessage::parse(
                br#"{"type":"hello","versions":[1],"role":"operator","token":"t"}"#
            ),
            Ok(ClientMessage::Hello(ClientHello {
                versions: vec![1],
                role: Role::Operator,
                token: Some("t".into()),
                name: None,
            }))
        );
        assert_eq!(
            ClientMessage::parse(br#"{"type":"clear"}"#),
            Ok(ClientMessage::Clear {})
        );
        let code = |l: &[u8]| ClientMessage::parse(l).unwrap_err().code;
        assert_eq!(code(b"{nope"), ErrorCode::InvalidJson);
        assert_eq!(code(b"\xff"), ErrorCode::InvalidJson);
        assert_eq!(code(b"[1,2]"), ErrorCode::InvalidMessage);
        assert_eq!(code(br#"{"type":3}"#), ErrorCode::InvalidMessage);
        assert_eq!(code(br#"{"type":"ack"}"#), ErrorCode::InvalidMessage);
        assert_eq!(
            code(br#"{"type":"ack","seq":1,"x":2}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(code(br#"{"type":"launch"}"#), ErrorCode::UnknownType);
    }

    #[test]
    fn roles_gate_messages() {
        let estop = ClientMessage::Estop { reason: None };
        assert!(!Role::Observer.may_send(&estop));
        assert!(Role::Actuator.may_send(&estop));
        assert!(Role::Operator.may_send(&estop));
        assert!(!Role::Actuator.may_send(&ClientMessage::Clear {}));
        assert!(Role::Operator.may_send(&ClientMessage::Clear {}));
        assert!(!Role::Observer.may_send(&ClientMessage::Ack { seq: 1 }));
        assert!(Role::Observer.may_send(&ClientMessage::Heartbeat {}));
    }

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
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
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
