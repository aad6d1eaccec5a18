//! The actuator protocol server (`docs/protocol.md`) over TCP, Unix sockets
//! and WebSocket, and the forwarder thread that feeds it.
//!
//! The dependency goes one way: the pipeline's intents reach the
//! [`forward`]er (a plain OS thread, the producer side of the server),
//! which gates them with the [`Hub`], serialises each once into a typed
//! [`Line`] and broadcasts it; the listeners' connection tasks (tokio) are
//! the consumers. The line type, the hub and the forwarder all live here,
//! so nothing in this module depends on a module that depends on it; the
//! LSL intents outlet subscribes to the same broadcast from outside.
//!
//! Every connection gets the hello, then (once admitted: immediately
//! without a token, after a client hello with the token otherwise) the
//! broadcast intent/hold lines, its own heartbeats every `heartbeat_ms`,
//! and a `status` whenever the output state changes. Client lines are
//! framed with a size limit, rate limited, parsed and checked against the
//! client's role; every refusal is an `error` with a code.
//!
//! The output state (running / paused / estop) lives in the [`Hub`]: the
//! forwarder reads it with one atomic load per intent and turns class
//! intents into holds while paused or stopped; each connection also drops
//! class intents still queued for it when a pause or stop arrives, by the
//! kind the forwarder gave the line. Nothing here waits on the pipeline,
//! and the pipeline never sees any of it.
//!
//! * `start`: [`ProtocolServer`], the part a session starts: binds and
//!   spawns every listener of `[publish]`.
//! * `forward`: the forwarder thread.
//! * `line`: [`Line`] and its kind.
//! * `output`: the [`Hub`] (output state, e-stop gate, acks, counters).
//! * `settings`: the hello and limits from `[publish]`.
//! * `accept`: binding, and the accept loop TCP, Unix and WebSocket share.
//! * `websocket`: the WebSocket handshake and its bridge to a connection.
//! * `admit`: admission of a new connection, or refusal at the limit.
//! * `connection`: the per-connection loop and its writes.
//! * `client`: handling of each client line.
//! * `backlog` and `lag`: how old a client's unread lines are, and what
//!   happens above `max_lag_ms`.

use std::sync::atomic::AtomicU64;

mod accept;
mod admit;
mod backlog;
mod client;
mod connection;
mod forward;
mod lag;
mod line;
mod output;
mod settings;
mod start;
mod websocket;

pub use forward::{Taps, forward};
pub use line::Line;
pub use output::Hub;
pub use start::ProtocolServer;

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
