//! The latency part of the session report: end to end, per stage, the
//! socket writes and the transport from the amplifier.

use neuroloop_sources::ClockDrift;
use serde::{Deserialize, Serialize};

use crate::latency::{LatencyHistograms, LatencySummary, Stage};

/// Latency figures of the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LatencyReport {
    /// publish − arrival of the newest sample in the window.
    pub publish_minus_arrival: LatencySummary,
    /// The same without calibration and signal-loss holds: every decided
    /// window (intents, and holds for low confidence, dwell, artifacts,
    /// decoder errors).
    pub decoded_publish_minus_arrival: LatencySummary,
    /// decode_end − decode_start.
    pub decode: LatencySummary,
    /// decode_end − arrival.
    pub pipeline: LatencySummary,
    /// Each stage of the decided windows, arrival to publish; their means
    /// add up to `decoded_publish_minus_arrival`'s.
    pub stages: StageLatency,
    /// publish → the line fully written to a client's socket, over every
    /// intent and hold line of every connection.
    pub socket_write: LatencySummary,
    /// The amplifier to neuroloop.
    pub transport: TransportLatency,
}

/// One summary per [`Stage`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StageLatency {
    /// In the ring until the pipeline thread took the block.
    pub ring: LatencySummary,
    /// Artifact detection and filters.
    pub filter: LatencySummary,
    /// Cutting the window (and the block's earlier windows).
    pub window: LatencySummary,
    /// The decoder.
    pub decode: LatencySummary,
    /// The intent policy.
    pub policy: LatencySummary,
    /// The queue to the publisher.
    pub handoff: LatencySummary,
}

impl StageLatency {
    /// The stages with their names, in data-path order.
    #[must_use]
    pub fn named(&self) -> [(&'static str, &LatencySummary); 6] {
        [
            ("ring", &self.ring),
            ("filter", &self.filter),
            ("window", &self.window),
            ("decode", &self.decode),
            ("policy", &self.policy),
            ("handoff", &self.handoff),
        ]
    }
}

/// arrival − sample time of the decided windows' newest samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportLatency {
    /// The delay; its `stdev_ms` is the jitter.
    pub delay: LatencySummary,
    /// Windows whose sample time was after their arrival or more than
    /// 10 s before it: timestamps on another clock (a replayed file's),
    /// left out of `delay`.
    pub out_of_range: u64,
    /// The time corrections of a live stream's clock, if it has them.
    pub clock: Option<ClockDrift>,
}

impl LatencyReport {
    /// The report of the forwarder's histograms, the hub's socket writes
    /// and the source's clock corrections.
    #[must_use]
    pub fn new(
        h: &LatencyHistograms,
        socket_write: LatencySummary,
        clock: Option<ClockDrift>,
    ) -> Self {
        let summary = LatencyHistograms::summary;
        let stage = |s| summary(h.stage(s));
        Self {
            publish_minus_arrival: summary(&h.end_to_end),
            decoded_publish_minus_arrival: summary(&h.decoded_end_to_end),
            decode: summary(&h.decode),
            pipeline: summary(&h.pipeline),
            stages: StageLatency {
                ring: stage(Stage::Ring),
                filter: stage(Stage::Filter),
                window: stage(Stage::Window),
                decode: stage(Stage::Decode),
                policy: stage(Stage::Policy),
                handoff: stage(Stage::Handoff),
            },
            socket_write,
            transport: TransportLatency {
                delay: summary(&h.transport),
                out_of_range: h.transport_out_of_range,
                clock,
            },
        }
    }

    /// The stage means and the transport, two lines for the one-screen
    /// summary.
    #[must_use]
    pub fn stage_lines(&self) -> String {
        let stages: Vec<String> = self
            .stages
            .named()
            .iter()
            .map(|(name, s)| format!("{name} {:.3}", s.mean_ms))
            .collect();
        let sum: f64 = self.stages.named().iter().map(|(_, s)| s.mean_ms).sum();
        let w = &self.socket_write;
        let mut out = format!(
            "stages (mean)   {} = {sum:.3} ms; socket write p50 {:.3} ms  p99 {:.3} ms\n",
            stages.join("  "),
            w.p50_ms,
            w.p99_ms,
        );
        let t = &self.transport;
        out.push_str(&format!(
            "transport       arrival−sample p50 {:.3} ms  p99 {:.3} ms  jitter (sd) {:.3} ms  (n={}, {} on another clock)",
            t.delay.p50_ms, t.delay.p99_ms, t.delay.stdev_ms, t.delay.count, t.out_of_range
        ));
        if let Some(c) = &t.clock {
            let drift = c
                .drift_ppm
                .map_or_else(|| "n/a".to_string(), |d| format!("{d:.2} ppm"));
            out.push_str(&format!(
                "; clock offset {:.6} → {:.6} s over {} corrections, drift {drift}",
                c.first_offset_s, c.last_offset_s, c.corrections
            ));
        }
        out
    }
}
