//! The end-of-session report: JSON for machines, one screen for people.

use serde::Serialize;

use crate::filtered_outlet::FilteredOutletReport;
use crate::latency::LatencySummary;
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

/// Latency figures of the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencyReport {
    /// publish − arrival of the newest sample in the window.
    pub publish_minus_arrival: LatencySummary,
    /// The same over decoded windows only.
    pub decoded_publish_minus_arrival: LatencySummary,
    /// decode_end − decode_start.
    pub decode: LatencySummary,
    /// decode_end − arrival.
    pub pipeline: LatencySummary,
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
    /// NaN/Inf sample values seen by the filter chain (each clears its
    /// channel's filter state).
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
}

impl SessionReport {
    /// A one-screen human summary.
    #[must_use]
    pub fn summary(&self) -> String {
        let p = &self.pipeline;
        let l = &self.latency.decoded_publish_minus_arrival;
        let d = &self.latency.decode;
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
        let rates = rates.join(", ");
        let failed = self
            .source_error
            .as_deref()
            .map_or_else(String::new, |e| format!("\nsource failed   {e}"));
        let text = format!(
            "session {name} — {dur:.1} s\n\
             samples in      {samples} (produced {produced}, ring dropped {dropped} in {overflows} overflows, {non_finite} NaN/Inf values)\n\
             real time       {late} late pushes (source behind by more than {threshold} s), max lag {lag:.3} s; rate {rates}\n\
             gaps            {gaps} ({gap_samples} samples), {stalls} source stalls\n\
             source          {losses} streams lost, {found} found again, {refused} refused, {unaligned} unaligned samples\n\
             windows         {windows} ({calib} for calibration, {decoded} decoded, {artifacts} artifacts)\n\
             intents out     {intents} (queue drops {intent_drops}, lagged lines {lagged}, {conns} connections)\n\
             training        {training}\n\
             online accuracy {accuracy}\n\
             latency         publish−arrival (decoded windows) p50 {p50:.3} ms  p99 {p99:.3} ms  p99.9 {p999:.3} ms  max {max:.3} ms  (n={n})\n\
             decode          p50 {dp50:.3} ms  p99 {dp99:.3} ms  max {dmax:.3} ms\n\
             actuator acks   round trip p50 {ap50:.3} ms  p99 {ap99:.3} ms  (n={an}); {estops} e-stops, {errors} error replies",
            name = self.session,
            dur = self.duration_s,
            samples = p.samples,
            produced = self.samples_produced,
            dropped = self.ring_dropped,
            overflows = self.ring_overflows,
            non_finite = self.non_finite_samples,
            late = self.overruns.late_pushes,
            threshold = self.overruns.threshold_s,
            lag = self.overruns.max_lag_s,
            rates = rates,
            gaps = p.gaps,
            gap_samples = p.gap_samples,
            stalls = p.stalls,
            losses = self.source.losses,
            found = self.source.reresolutions,
            refused = self.source.refused,
            unaligned = self.source.unaligned,
            windows = p.windows,
            calib = p.calibration_windows,
            decoded = p.decoded,
            artifacts = p.artifacts,
            intents = p.intents,
            intent_drops = p.intents_dropped,
            lagged = self.lagged_lines,
            conns = self.connections,
            p50 = l.p50_ms,
            p99 = l.p99_ms,
            p999 = l.p999_ms,
            max = l.max_ms,
            n = l.count,
            dp50 = d.p50_ms,
            dp99 = d.p99_ms,
            dmax = d.max_ms,
            ap50 = self.protocol.ack_rtt.p50_ms,
            ap99 = self.protocol.ack_rtt.p99_ms,
            an = self.protocol.ack_rtt.count,
            estops = self.protocol.estops,
            errors = self.protocol.errors_sent,
        );
        let e = &p.events;
        let events = if e.markers > 0 {
            format!(
                "\nevents          {} markers: {} windows locked, {} missed, {} overflowed",
                e.markers, e.locked, e.missed, e.overflowed
            )
        } else {
            String::new()
        };
        format!("{text}{events}\n{}{failed}", self.artifacts.summary_line())
    }
}
