//! The end of a session: every thread joined in data-flow order (the
//! source, the pipeline draining its ring, the forwarder publishing the
//! rest, the outlets, the trainer), then the report.

use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use neuroloop_sources::{SourceReport, StreamRate};

use super::RunningSession;
use crate::error::RuntimeError;
use crate::filtered_outlet::FilteredOutletReport;
use crate::latency::LatencyHistograms;
use crate::report::{LatencyReport, OverrunReport, ProtocolReport, SessionReport, TrainingSummary};

/// How long the connections get to write the last lines and the bye.
const LAST_LINES: Duration = Duration::from_secs(1);
/// How long the I/O runtime gets to shut down after that.
const IO_SHUTDOWN: Duration = Duration::from_millis(200);

/// What the joined threads returned.
struct Joined {
    source: SourceReport,
    source_error: Option<String>,
    histograms: LatencyHistograms,
    filtered_outlet: Option<FilteredOutletReport>,
    training: Option<TrainingSummary>,
    record: Option<crate::recorder::RecordReport>,
}

/// Joins `thread` if it has not been joined yet (`Ok(None)` then).
fn join<T>(thread: Option<JoinHandle<T>>, name: &'static str) -> Result<Option<T>, RuntimeError> {
    thread
        .map(|t| t.join().map_err(|_| RuntimeError::Thread(name)))
        .transpose()
}

impl RunningSession {
    /// Stops (if not yet stopped), drains every stage and reports. A
    /// source that failed (e.g. a stream that changed its channel count)
    /// ends the session like a stop; its error is in the report
    /// (`source_error`).
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if a thread panicked.
    pub fn finish(mut self) -> Result<SessionReport, RuntimeError> {
        self.stop();
        let joined = self.join_all()?;
        let deadline = Instant::now() + LAST_LINES;
        while self.open_connections() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(self.report(joined))
    }

    /// Joins every thread, in data-flow order.
    fn join_all(&mut self) -> Result<Joined, RuntimeError> {
        let threads = &mut self.threads;
        let source = join(threads.source.take(), "source")?;
        join(threads.pipeline.take(), "pipeline")?;
        let histograms = join(threads.forwarder.take(), "forwarder")?.unwrap_or_default();
        // The watch goes first: it would keep the outlet open.
        let lsl_outlet = self.publishers.lsl_outlet.take().map(|o| o.thread);
        join(lsl_outlet, "lsl outlet")?;
        let filtered_outlet = join(
            self.publishers.filtered_outlet.take(),
            "lsl filtered outlet",
        )?;
        let training = join(threads.trainer.take(), "trainer")?.flatten();
        let record = join(threads.recorder.take(), "recorder")?;
        let (source, source_error) = match source {
            Some(Ok(report)) => (report, None),
            None => (SourceReport::default(), None),
            Some(Err(e)) => (
                SourceReport {
                    samples: self.ring.pushed() + self.ring.dropped(),
                    ..Default::default()
                },
                Some(e.to_string()),
            ),
        };
        Ok(Joined {
            source,
            source_error,
            histograms,
            filtered_outlet,
            training,
            record,
        })
    }

    /// The report of a session whose threads are joined.
    fn report(self, joined: Joined) -> SessionReport {
        let Joined {
            source,
            source_error,
            histograms,
            filtered_outlet,
            training,
            record,
        } = joined;
        self.publishers.runtime.shutdown_timeout(IO_SHUTDOWN);
        let (server, hub) = (&self.publishers.server, &self.publishers.hub);
        let timing = self.ring.timing();
        let mut streams = vec![StreamRate::new(
            self.stream.0.clone(),
            self.stream.1,
            timing.measured_rate(),
        )];
        streams.extend(source.streams.iter().cloned());
        let pipeline = self.stats.snapshot();
        let artifacts = self.stats.artifact.snapshot();
        SessionReport {
            session: self.name.clone(),
            duration_s: self.started.elapsed().as_secs_f64(),
            samples_produced: source.samples,
            ring_dropped: self.ring.dropped(),
            ring_overflows: self.ring.overflows(),
            // The artifact detector replaces NaN/Inf before the filters; the
            // filters count any that reach them still.
            non_finite_samples: self
                .non_finite
                .get()
                .saturating_add(artifacts.samples.non_finite),
            overruns: OverrunReport {
                late_pushes: timing.late_pushes(),
                max_lag_s: timing.max_lag_s(),
                threshold_s: neuroloop_core::ring::OVERRUN_LAG_S,
            },
            streams,
            source_error,
            source: source.clone(),
            filtered_outlet,
            record,
            online_accuracy: pipeline.online_accuracy(),
            pipeline,
            training,
            connections: server.connections.load(Ordering::Relaxed),
            lagged_lines: server.lagged_lines.load(Ordering::Relaxed),
            protocol: ProtocolReport {
                ack_rtt: hub.rtt_summary(),
                estops: hub.estops.load(Ordering::Relaxed),
                errors_sent: hub.errors_sent.load(Ordering::Relaxed),
                stalled_clients: hub.stalled.load(Ordering::Relaxed),
                refused_connections: hub.refused.load(Ordering::Relaxed),
                stale_intents_dropped: hub.stale_intents_dropped.load(Ordering::Relaxed),
                lag_episodes: server.lag_episodes.load(Ordering::Relaxed),
            },
            latency: LatencyReport::new(&histograms, hub.written_summary(), source.clock),
            artifacts,
        }
    }
}
