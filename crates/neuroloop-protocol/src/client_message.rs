//! Client messages: the client hello, commands, and their parser.

use serde::{Deserialize, Serialize};

use crate::message::{ErrorCode, Role};

/// A client's hello. Members other than these are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // Unknown members of a hello are refused like those of any message.
        assert_eq!(
            code(br#"{"type":"hello","versions":[1],"role":"actuator","tokn":"x"}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(br#"{"type":"hello","versions":[1],"role":"actuator","token":12345}"#),
            ErrorCode::InvalidMessage
        );
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
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }
}
