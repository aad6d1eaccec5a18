//! The neuroloop session runtime.
//!
//! Wires a session from a validated config: the source on its own thread,
//! the lock-free ring, the [`pipeline`] thread (filters → windows → decoder →
//! [`policy`]), the calibration [`trainer`], and the protocol [`server`] (a
//! forwarder thread plus tokio listeners). Real-time work never touches
//! tokio; tokio never waits on the pipeline.
//!
//! * [`config`]: the session TOML, validated all at once with paths.
//! * [`profile`]: hardware profiles.
//! * [`artifacts`]: the artifact limits of a session and their counters.
//! * [`session`]: start, stop, drain, report.
//! * [`server`]: the actuator protocol over TCP, Unix sockets and
//!   WebSocket, and the forwarder that feeds it.

pub mod artifacts;
pub mod config;
pub mod decoding;
pub mod error;
pub mod filtered_outlet;
pub mod labels;
pub mod latency;
pub mod lsl_config;
pub mod lsl_outlet;
pub mod pipeline;
pub mod policy;
pub mod profile;
pub mod recorder;
pub mod report;
pub mod server;
pub mod session;
pub mod source_registry;
pub mod stats;
pub mod trainer;
pub mod windowing;

pub use config::{ValidatedSession, load, parse};
pub use error::RuntimeError;
pub use report::SessionReport;
pub use session::{RunningSession, StartOptions, start};
