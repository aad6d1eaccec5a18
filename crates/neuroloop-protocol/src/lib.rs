//! The neuroloop actuator protocol.
//!
//! Newline-delimited JSON over a byte stream (TCP on loopback by default).
//! The server speaks first with a versioned [`Hello`]; then each line is one
//! [`ServerMessage`]. Every intent carries a sequence number and the
//! timestamps of the data path, all in seconds on the server's process clock
//! (monotonic, liblsl `local_clock` domain).
//!
//! * [`message`]: the message types and their JSON form.
//! * [`intent`]: intents and holds, with their expiry (`valid_until`).
//! * [`number`]: the only floating-point types on the wire (never NaN or
//!   ±∞).
//! * [`framing`]: line framing with a size limit; parse errors are typed.
//! * [`client`]: a blocking Rust client with a heartbeat watchdog.
//!
//! The full specification is `docs/protocol.md`.

pub mod client;
mod client_message;
mod commands;
pub mod framing;
pub mod intent;
pub mod message;
pub mod number;
pub mod server_clock;

pub use client::{Client, ClientOptions};
pub use framing::{LineReader, LineSplitter, MAX_LINE_BYTES, Split};
pub use intent::{IntentMessage, IntentTimestamps, hold_reason_name};
pub use message::{
    Actor, Auth, ClientHello, ClientMessage, ErrorCode, Hello, Limits, OutputState, PROTOCOL_NAME,
    PROTOCOL_VERSION, ParseError, Role, ServerMessage, constant_time_eq,
};
pub use number::{Finite, Probabilities, Probability};

use neuroloop_core::ErrorKind;

/// What went wrong while speaking the protocol.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// A line exceeded the size limit.
    #[error("line of more than {limit} bytes")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A line is not valid JSON or not a known message.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The peer speaks a protocol or version this side does not support.
    #[error("unsupported protocol {protocol:?} version {version}")]
    UnsupportedVersion {
        /// Protocol name the peer sent.
        protocol: String,
        /// Version the peer sent.
        version: u32,
    },
    /// The connection closed.
    #[error("connection closed")]
    Closed,
    /// The server refused something this client sent.
    #[error("server error {code}: {message}")]
    Server {
        /// The code.
        code: String,
        /// Detail.
        message: String,
    },
    /// No heartbeat within the deadman time: an actuator must stop.
    #[error("deadman: no heartbeat for {silent_ms} ms (limit {limit_ms} ms)")]
    Deadman {
        /// Milliseconds since the last heartbeat.
        silent_ms: u64,
        /// The deadman time from the hello.
        limit_ms: u64,
    },
    /// Socket error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl ProtocolError {
    /// The general kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProtocolError::LineTooLong { .. } | ProtocolError::InvalidMessage(_) => {
                ErrorKind::InvalidData
            }
            ProtocolError::UnsupportedVersion { .. } | ProtocolError::Server { .. } => {
                ErrorKind::Config
            }
            ProtocolError::Closed | ProtocolError::Deadman { .. } => ErrorKind::Unavailable,
            ProtocolError::Io(_) => ErrorKind::Io,
        }
    }

    /// Whether reconnecting may help.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}
