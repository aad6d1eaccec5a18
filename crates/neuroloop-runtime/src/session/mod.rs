//! A session: built from its parts ([`assemble`]: source, pipeline,
//! calibration, publishers, recorder), started, and shut down in order.
//!
//! ```text
//! source thread ──ring──▶ pipeline thread ──crossbeam──▶ forwarder thread ──broadcast──▶ protocol server ──▶ clients
//!                             │   ▲      │ record tap                    ├──▶ LSL intents outlet
//!              calibration set ▼   │      ▼                               └──▶ recorder thread ──▶ XDF file
//!                          trainer thread   recorder thread
//! ```
//!
//! Shutdown drains: [`RunningSession::stop`] tells the source to stop; its
//! ring closes; the pipeline finishes what is in the ring and hangs up; the
//! forwarder publishes the rest and a `bye`; the server closes connections.

mod calibration;
mod finish;
mod parts;
mod pipeline_part;
mod publishers;
mod source_part;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use neuroloop_core::ring::RingStats;
use neuroloop_dsp::NonFiniteCounter;
use neuroloop_sources::{SourceError, SourceReport};

pub use calibration::CalibrationPart;
pub use parts::{SessionParts, assemble};
pub use pipeline_part::{CalibrationEnds, DeviceEnd, PIPELINE_BLOCK, PipelinePart};
pub use publishers::Publishers;
pub use source_part::SourcePart;

use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::latency::LatencyHistograms;
use crate::report::TrainingSummary;
use crate::server::Hub;
use crate::stats::PipelineStats;

/// Overrides for tests and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Listen here instead of `publish.tcp` (e.g. port 0 in tests).
    pub listen: Option<SocketAddr>,
    /// Stop the source after this many samples.
    pub sample_limit: Option<u64>,
    /// Start the source only once this many clients are connected.
    pub wait_for_clients: usize,
    /// Also send every published intent here (in-process consumers; see
    /// [`crate::server::forward`]).
    pub intent_tap: Option<crossbeam_channel::Sender<neuroloop_core::Intent>>,
    /// Leave out the per-stage times (three clock reads per window on the
    /// pipeline thread, six histogram records per intent on the
    /// forwarder): only to measure what they cost.
    pub without_stage_timing: bool,
}

/// A session whose threads are running.
pub struct RunningSession {
    name: String,
    started: Instant,
    stop: Arc<AtomicBool>,
    stats: Arc<PipelineStats>,
    ring: Arc<RingStats>,
    non_finite: NonFiniteCounter,
    stream: (String, f64),
    threads: Threads,
    publishers: Publishers,
}

/// The threads of a running session, taken one by one as they are joined.
#[derive(Default)]
struct Threads {
    source: Option<JoinHandle<Result<SourceReport, SourceError>>>,
    pipeline: Option<JoinHandle<()>>,
    forwarder: Option<JoinHandle<LatencyHistograms>>,
    trainer: Option<JoinHandle<Option<TrainingSummary>>>,
    recorder: Option<JoinHandle<crate::recorder::RecordReport>>,
}

/// Builds and starts a session: [`assemble`] then [`SessionParts::launch`].
///
/// # Errors
/// [`RuntimeError::Bind`] if the intent port is taken, [`RuntimeError::Build`]
/// if a stage cannot be built, [`RuntimeError::Source`] if the source cannot
/// open. Nothing keeps running after an error.
pub fn start(cfg: ValidatedSession, options: StartOptions) -> Result<RunningSession, RuntimeError> {
    assemble(&cfg, options)?.launch()
}

impl RunningSession {
    /// Where clients connect.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.publishers.local_addr
    }

    /// Where WebSocket clients connect, if `publish.websocket` is set.
    #[must_use]
    pub fn websocket_addr(&self) -> Option<SocketAddr> {
        self.publishers.websocket_addr
    }

    /// Live pipeline counters.
    #[must_use]
    pub fn stats(&self) -> Arc<PipelineStats> {
        Arc::clone(&self.stats)
    }

    /// Protocol connections open now.
    #[must_use]
    pub fn open_connections(&self) -> u64 {
        self.publishers.server.active.load(Ordering::Relaxed)
    }

    /// Tasks alive on the I/O runtime (the server and one per connection).
    #[must_use]
    pub fn io_tasks(&self) -> usize {
        self.publishers.runtime.metrics().num_alive_tasks()
    }

    /// The protocol server's shared state (output state, counters).
    #[must_use]
    pub fn hub(&self) -> Arc<Hub> {
        Arc::clone(&self.publishers.hub)
    }

    /// Waits up to `timeout` for an LSL inlet to connect to the intents
    /// outlet (`[lsl] intents_outlet`): liblsl registers an inlet on the
    /// outlet's side after the inlet's `open_stream` returned, and intents
    /// pushed before that do not reach it. Whether one is connected (always
    /// `false` without the outlet).
    #[must_use]
    pub fn wait_for_lsl_intent_inlet(&self, timeout: std::time::Duration) -> bool {
        self.publishers
            .lsl_outlet
            .as_ref()
            .is_some_and(|o| o.consumers.wait_for_consumers(timeout.as_secs_f64()))
    }

    /// Asks the source to stop; the rest drains after it.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the source has ended (its own limit, or after [`Self::stop`]).
    #[must_use]
    pub fn source_finished(&self) -> bool {
        self.threads
            .source
            .as_ref()
            .is_none_or(JoinHandle::is_finished)
    }

    /// A handle for async code (signal handling) to run on.
    #[must_use]
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.publishers.runtime
    }
}
