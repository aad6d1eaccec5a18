//! Latency histograms (HDR, microsecond resolution) of the data path: end
//! to end, and per stage.
//!
//! The stages are the differences of an intent's consecutive
//! [`IntentTimes`] stamps, so for every intent they add up to its
//! `publish − arrival` exactly; the stage means add up to the end-to-end
//! mean within the histograms' resolution (1 µs rounding of each value,
//! three significant digits). Percentiles do not add up: the p99 of a sum
//! is not the sum of the stages' p99s.
//!
//! Recording is a few subtractions and histogram increments per intent, on
//! the forwarder thread: nothing is added to the pipeline thread but the
//! clock reads that stamp each block and window.

use hdrhistogram::Histogram;
use neuroloop_core::{HoldReason, Intent, IntentTimes};
use serde::{Deserialize, Serialize};

/// Percentiles of one latency, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of values.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Standard deviation (for a transport delay: its jitter).
    pub stdev_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest value.
    pub max_ms: f64,
}

/// The stages of the data path, in order, each between two consecutive
/// stamps of [`IntentTimes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `wake − arrival`: in the ring until the pipeline thread took it.
    Ring,
    /// `filtered − wake`: artifact detection and the filter chain.
    Filter,
    /// `decode_start − filtered`: cutting the window, and the windows the
    /// same block completed before it.
    Window,
    /// `decode_end − decode_start`: the decoder (or, on a GPU, submission
    /// to result).
    Decode,
    /// `decided − decode_end`: the intent policy (on a GPU, also the wait
    /// for earlier windows' results).
    Policy,
    /// `publish − decided`: the queue to the publisher thread (and, for a
    /// window decided on the CPU behind GPU windows, the wait for those).
    Handoff,
}

impl Stage {
    /// Every stage, in data-path order.
    pub const ALL: [Stage; 6] = [
        Stage::Ring,
        Stage::Filter,
        Stage::Window,
        Stage::Decode,
        Stage::Policy,
        Stage::Handoff,
    ];

    /// The stage's duration in `t`, seconds.
    #[must_use]
    pub fn of(self, t: &IntentTimes) -> f64 {
        match self {
            Stage::Ring => t.wake - t.arrival,
            Stage::Filter => t.filtered - t.wake,
            Stage::Window => t.decode_start - t.filtered,
            Stage::Decode => t.decode_end - t.decode_start,
            Stage::Policy => t.decided - t.decode_end,
            Stage::Handoff => t.publish - t.decided,
        }
    }
}

/// Whether `intent` is a decided window: every intent and hold but the
/// calibration holds and the signal-loss holds (no window was decided).
/// The stage, transport and `decoded_end_to_end` figures cover these.
#[must_use]
pub fn is_decided(intent: &Intent) -> bool {
    !matches!(
        intent.hold_reason,
        HoldReason::Calibrating | HoldReason::SignalLoss
    )
}

/// Transport delays above this are not delays but timestamps on another
/// clock (a replayed file's), seconds.
pub const MAX_TRANSPORT_S: f64 = 10.0;

/// The histograms the publisher keeps.
#[derive(Debug, Clone)]
pub struct LatencyHistograms {
    /// publish − arrival of the newest sample (end to end inside neuroloop).
    pub end_to_end: Histogram<u64>,
    /// The same, only for windows the decoder classified (not calibration
    /// holds or gap holds).
    pub decoded_end_to_end: Histogram<u64>,
    /// Each [`Stage`] of the decided windows (those of
    /// `decoded_end_to_end`), in [`Stage::ALL`] order.
    pub stages: [Histogram<u64>; 6],
    /// decode_end − decode_start.
    pub decode: Histogram<u64>,
    /// decode_end − arrival (pipeline thread share).
    pub pipeline: Histogram<u64>,
    /// arrival − sample time of the decided windows' newest samples: the
    /// transport from the amplifier (a live LSL stream's after time
    /// correction).
    pub transport: Histogram<u64>,
    /// Decided windows whose transport delay was negative or above
    /// [`MAX_TRANSPORT_S`] (timestamps not on this machine's clock).
    pub transport_out_of_range: u64,
}

impl Default for LatencyHistograms {
    fn default() -> Self {
        Self::new()
    }
}

/// An empty histogram of 0 µs .. 100 s at 3 significant digits.
#[must_use]
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("static histogram bounds are valid")
}

/// `seconds` as whole microseconds within the histograms' range.
#[must_use]
pub fn micros(seconds: f64) -> u64 {
    (seconds * 1e6).round().clamp(0.0, 100_000_000.0) as u64
}

impl LatencyHistograms {
    /// Empty histograms.
    #[must_use]
    pub fn new() -> Self {
        Self {
            end_to_end: histogram(),
            decoded_end_to_end: histogram(),
            stages: std::array::from_fn(|_| histogram()),
            decode: histogram(),
            pipeline: histogram(),
            transport: histogram(),
            transport_out_of_range: 0,
        }
    }

    /// Records one published intent.
    pub fn record(&mut self, intent: &Intent) {
        let t = &intent.times;
        let end_to_end = micros(t.publish - t.arrival);
        self.end_to_end.saturating_record(end_to_end);
        self.decode
            .saturating_record(micros(t.decode_end - t.decode_start));
        self.pipeline
            .saturating_record(micros(t.decode_end - t.arrival));
        if !is_decided(intent) {
            return;
        }
        self.decoded_end_to_end.saturating_record(end_to_end);
        // Without stage timing the pipeline leaves the stage stamps NaN.
        if t.wake.is_finite() {
            for (h, stage) in self.stages.iter_mut().zip(Stage::ALL) {
                h.saturating_record(micros(stage.of(t)));
            }
        }
        let transport = t.arrival - t.sample_time;
        if (0.0..=MAX_TRANSPORT_S).contains(&transport) {
            self.transport.saturating_record(micros(transport));
        } else {
            self.transport_out_of_range += 1;
        }
    }

    /// The histogram of `stage`.
    #[must_use]
    pub fn stage(&self, stage: Stage) -> &Histogram<u64> {
        &self.stages[stage as usize]
    }

    /// Summarises a histogram.
    #[must_use]
    pub fn summary(h: &Histogram<u64>) -> LatencySummary {
        if h.is_empty() {
            return LatencySummary::default();
        }
        let ms = |v: u64| v as f64 / 1000.0;
        LatencySummary {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            stdev_ms: h.stdev() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.5)),
            p90_ms: ms(h.value_at_quantile(0.9)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

#[cfg(test)]
mod tests;
