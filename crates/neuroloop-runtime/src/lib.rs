//! The neuroloop session runtime: one job — assembling and running a live
//! closed-loop session from a validated config.
//!
//! A session is built from named parts in the order data flows
//! ([`session::assemble`], then [`session::SessionParts::launch`]): the
//! source (from the [`source_registry`]) on its own thread, the lock-free
//! rings, the [`pipeline`] thread (artifacts → filters → [`windowing`] →
//! [`decoding`] → [`policy`]), calibration on a trainer thread, the
//! publishers (the protocol [`server`] with its forwarder, the LSL outlets)
//! and the [`recorder`]. Real-time work never touches tokio; tokio never
//! waits on the pipeline.
//!
//! * [`config`]: the session TOML, validated all at once with paths, into a
//!   [`ValidatedSession`] of part configs; [`config::Registries`] (sources,
//!   filter stages, decoder architectures) make it extensible.
//! * [`profile`]: hardware profiles.
//! * [`session`]: the parts, start, stop, drain; [`report`]: what a session
//!   reports ([`SessionReport`]).
//! * [`server`]: the actuator protocol over TCP, Unix sockets and
//!   WebSocket, and the forwarder that feeds it.
//! * [`recorder`]: the session written to XDF as it runs.
//! * [`decode_worker`], [`offload`]: a network decoder on a GPU
//!   (`[decoder] device = "wgpu"` or `"cuda"`, cargo feature of that name): the worker thread
//!   and the pipeline's lock-free hand-off to it, with `late` holds.
//! * [`labels`], [`stats`]: the pipeline's label timeline and counters
//!   (public for tests that drive a pipeline step by step).

#![warn(clippy::too_many_lines)]

mod artifacts;
mod background;
pub mod channel_kinds;
pub mod config;
pub mod decode_worker;
pub mod decoding;
mod error;
mod filtered_outlet;
pub mod labels;
mod latency;
mod latency_report;
mod lsl_config;
pub mod lsl_outlet;
pub mod offload;
pub mod pipeline;
pub mod policy;
pub mod profile;
pub mod profile_lsl;
pub mod recorder;
pub mod report;
pub mod server;
pub mod session;
pub mod source_registry;
pub mod stats;
mod trainer;
pub mod windowing;

pub use artifacts::{ArtifactReport, ArtifactStats, ReasonCounts};
pub use config::{ValidatedSession, load, parse};
pub use error::RuntimeError;
pub use filtered_outlet::FilteredOutletReport;
pub use latency::{LatencyHistograms, LatencySummary, Stage, is_decided};
pub use lsl_config::LslSection;
pub use report::SessionReport;
pub use session::{RunningSession, StartOptions, start};
