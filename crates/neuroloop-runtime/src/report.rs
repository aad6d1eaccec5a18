//! The end-of-session report: JSON for machines, one screen for people.

use serde::Serialize;

use crate::filtered_outlet::FilteredOutletReport;
use crate::latency::LatencySummary;
pub use crate::latency_report::{LatencyReport, StageLatency, TransportLatency};
use crate::stats::StatsSnapshot;

/// How calibration training went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrainingSummary {
    /// Labelled windows trained on (incl. validation).
    pub windows: usize,
    /// Epochs run.
    pub epochs: usize,
    /// Accuracy on the training windows.
    pub train_accuracy: f32,
    /// Accuracy on the held-out validation windows, if any were held out.
    pub validation_accuracy: Option<f32>,
    /// Seconds spent training (on the trainer thread).
    pub seconds: f64,
    /// Why the last fit failed, if it did.
    pub error: Option<String>,
    /// Fits tried (a calibration that cannot be fitted is extended and
    /// tried again).
    pub attempts: usize,
    /// Why the last failed fit failed, when a later one succeeded.
    pub last_failure: Option<String>,
}

/// Actuator protocol figures of the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProtocolReport {
    /// Round trip publish → actuator → `ack` received, over every ack.
    pub ack_rtt: LatencySummary,
    /// Emergency stops received.
    pub estops: u64,
    /// `error` replies sent to clients.
    pub errors_sent: u64,
    /// Clients disconnected because they accepted no bytes.
    pub stalled_clients: u64,
    /// Connections refused at the connection limit.
    pub refused_connections: u64,
    /// Class intents not sent because they had expired (`valid_until`
    /// passed before a connection could write them), counted per connection.
    pub stale_intents_dropped: u64,
    /// Times a client's unread lines grew older than `max_lag_ms` (each
    /// time it was told `lagged` and skipped intents until it caught up).
    pub lag_episodes: u64,
}

/// Whether the source kept up with real time.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OverrunReport {
    /// Pushes into the ring whose newest sample was older than
    /// `threshold_s` on arrival: the source was behind real time.
    pub late_pushes: u64,
    /// The largest such lag (arrival − newest sample time), seconds.
    pub max_lag_s: f64,
    /// The lag above which a push counts as late, seconds.
    pub threshold_s: f64,
}

/// Everything a finished session reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionReport {
    /// Session name.
    pub session: String,
    /// Wall-clock seconds from start to the end of the drain.
    pub duration_s: f64,
    /// Samples the source produced.
    pub samples_produced: u64,
    /// Samples dropped because the ring was full.
    pub ring_dropped: u64,
    /// Pushes that found the ring full (each dropped samples).
    pub ring_overflows: u64,
    /// NaN/Inf samples: the time points the artifact detector found with a
    /// non-finite value (replaced before the filters) plus any value that
    /// still reached the filter chain (with artifact detection off; each
    /// clears its channel's filter state).
    pub non_finite_samples: u64,
    /// Source behind real time.
    pub overruns: OverrunReport,
    /// Nominal and measured rate of every stream: the ring's, then each
    /// further LSL inlet.
    pub streams: Vec<neuroloop_sources::StreamRate>,
    /// Why the source failed, if it did (the session then ended early).
    pub source_error: Option<String>,
    /// The source's own counts (live-stream losses, re-resolutions,
    /// refused streams, unaligned samples).
    pub source: neuroloop_sources::SourceReport,
    /// The filtered-signal LSL outlet, if one ran.
    pub filtered_outlet: Option<FilteredOutletReport>,
    /// Pipeline counters.
    pub pipeline: StatsSnapshot,
    /// Online accuracy of the decoder on labelled windows after calibration.
    pub online_accuracy: Option<f64>,
    /// Calibration training.
    pub training: Option<TrainingSummary>,
    /// Client connections accepted.
    pub connections: u64,
    /// Lines dropped for clients that fell behind.
    pub lagged_lines: u64,
    /// Actuator protocol figures.
    pub protocol: ProtocolReport,
    /// Latency percentiles.
    pub latency: LatencyReport,
    /// Artifacts and rejected decoder outputs.
    pub artifacts: crate::artifacts::ArtifactReport,
    /// The recording (`[record]`), if any.
    pub record: Option<crate::recorder::RecordReport>,
}

impl SessionReport {
    /// A one-screen human summary.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut out = format!("session {} — {:.1} s\n", self.session, self.duration_s);
        self.write_input(&mut out);
        self.write_decisions(&mut out);
        self.write_latency(&mut out);
        let e = &self.pipeline.events;
        if e.markers > 0 {
            out.push_str(&format!(
                "\nevents          {} markers: {} windows locked, {} missed, {} overflowed",
                e.markers, e.locked, e.missed, e.overflowed
            ));
        }
        out.push('\n');
        out.push_str(&self.artifacts.summary_line());
        if let Some(r) = &self.record {
            out.push_str(&format!(
                "\nrecord          {} samples, {} markers, {} intents, {} clock offsets to {} ({} bytes; dropped {} samples, {} markers, {} intents){}",
                r.samples,
                r.markers,
                r.intents,
                r.clock_offsets,
                r.path,
                r.bytes,
                r.samples_dropped,
                r.markers_dropped,
                r.intents_dropped,
                r.error.as_deref().map_or_else(String::new, |e| format!("; FAILED: {e}")),
            ));
        }
        if let Some(e) = &self.source_error {
            out.push_str(&format!("\nsource failed   {e}"));
        }
        out
    }

    /// Samples in, real time, rates, gaps, the source's own figures.
    fn write_input(&self, out: &mut String) {
        let p = &self.pipeline;
        let o = &self.overruns;
        let rates: Vec<String> = self
            .streams
            .iter()
            .map(|r| {
                let measured = r
                    .measured_hz
                    .map_or_else(|| "?".into(), |m| format!("{m:.1}"));
                let off = if r.off_nominal { " OFF NOMINAL" } else { "" };
                format!("{} {measured}/{} Hz{off}", r.stream, r.nominal_hz)
            })
            .collect();
        let s = &self.source;
        out.push_str(&format!(
            "samples in      {} (produced {}, ring dropped {} in {} overflows, {} NaN/Inf values)\n\
             real time       {} late pushes (source behind by more than {} s), max lag {:.3} s; rate {}\n\
             gaps            {} ({} samples), {} source stalls\n\
             source          {} streams lost, {} found again, {} refused, {} unaligned samples\n",
            p.samples,
            self.samples_produced,
            self.ring_dropped,
            self.ring_overflows,
            self.non_finite_samples,
            o.late_pushes,
            o.threshold_s,
            o.max_lag_s,
            rates.join(", "),
            p.gaps,
            p.gap_samples,
            p.stalls,
            s.losses,
            s.reresolutions,
            s.refused,
            s.unaligned,
        ));
    }

    /// Windows, intents, training and online accuracy.
    fn write_decisions(&self, out: &mut String) {
        let p = &self.pipeline;
        let accuracy = self.online_accuracy.map_or_else(
            || "n/a".to_string(),
            |a| format!("{:.1} % of {} labelled windows", a * 100.0, p.labelled),
        );
        let training = match &self.training {
            Some(t) if t.error.is_none() => format!(
                "{} windows, {} epochs, train acc {:.1} %, {:.2} s",
                t.windows,
                t.epochs,
                t.train_accuracy * 100.0,
                t.seconds
            ),
            Some(t) => format!("failed: {}", t.error.as_deref().unwrap_or("?")),
            None => "not run".into(),
        };
        out.push_str(&format!(
            "windows         {} ({} for calibration, {} decoded, {} artifacts)\n\
             intents out     {} (queue drops {}, lagged lines {}, {} connections)\n\
             training        {training}\n\
             online accuracy {accuracy}\n",
            p.windows,
            p.calibration_windows,
            p.decoded,
            p.artifacts,
            p.intents,
            p.intents_dropped,
            self.lagged_lines,
            self.connections,
        ));
    }

    /// End-to-end and decode latency, actuator round trips.
    fn write_latency(&self, out: &mut String) {
        let l = &self.latency.decoded_publish_minus_arrival;
        let d = &self.latency.decode;
        let a = &self.protocol.ack_rtt;
        out.push_str(&format!(
            "latency         publish−arrival (decoded windows) p50 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms  (n={})\n\
             decode          p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms\n\
             {}\n\
             actuator acks   round trip p50 {:.3} ms  p99 {:.3} ms  (n={}); {} e-stops, {} error replies",
            l.p50_ms,
            l.p99_ms,
            l.p999_ms,
            l.max_ms,
            l.count,
            d.p50_ms,
            d.p99_ms,
            d.max_ms,
            self.latency.stage_lines(),
            a.p50_ms,
            a.p99_ms,
            a.count,
            self.protocol.estops,
            self.protocol.errors_sent,
        ));
    }
}
