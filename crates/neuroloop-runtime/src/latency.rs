//! Latency histograms (HDR, microsecond resolution) of the data path.

use hdrhistogram::Histogram;
use neuroloop_core::{HoldReason, Intent};
use serde::Serialize;

/// Percentiles of one latency, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of values.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// Largest value.
    pub max_ms: f64,
}

/// The histograms the publisher keeps.
#[derive(Debug, Clone)]
pub struct LatencyHistograms {
    /// publish − arrival of the newest sample (end to end inside neuroloop).
    pub end_to_end: Histogram<u64>,
    /// The same, only for windows the decoder classified (not calibration
    /// holds or gap holds).
    pub decoded_end_to_end: Histogram<u64>,
    /// decode_end − decode_start.
    pub decode: Histogram<u64>,
    /// decode_end − arrival (pipeline thread share).
    pub pipeline: Histogram<u64>,
}

impl Default for LatencyHistograms {
    fn default() -> Self {
        Self::new()
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 100 s at 3 significant digits.
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("static histogram bounds are valid")
}

fn micros(seconds: f64) -> u64 {
    (seconds * 1e6).round().clamp(1.0, 100_000_000.0) as u64
}

impl LatencyHistograms {
    /// Empty histograms.
    #[must_use]
    pub fn new() -> Self {
        Self {
            end_to_end: histogram(),
            decoded_end_to_end: histogram(),
            decode: histogram(),
            pipeline: histogram(),
        }
    }

    /// Records one published intent.
    pub fn record(&mut self, intent: &Intent) {
        let t = &intent.times;
        let end_to_end = micros(t.publish - t.arrival);
        self.end_to_end.saturating_record(end_to_end);
        if !matches!(
            intent.hold_reason,
            HoldReason::Calibrating | HoldReason::SignalLoss
        ) {
            self.decoded_end_to_end.saturating_record(end_to_end);
        }
        self.decode
            .saturating_record(micros(t.decode_end - t.decode_start));
        self.pipeline
            .saturating_record(micros(t.decode_end - t.arrival));
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
            p50_ms: ms(h.value_at_quantile(0.5)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuroloop_core::{HoldReason, IntentKind, IntentTimes, MAX_CLASSES};

    #[test]
    fn records_differences_of_timestamps() {
        let mut h = LatencyHistograms::new();
        for i in 0..100 {
            let base = 10.0 + f64::from(i);
            h.record(&Intent {
                window: 0,
                kind: IntentKind::Hold,
                hold_reason: HoldReason::Dwell,
                class: 0,
                confidence: 0.0,
                probabilities: [0.0; MAX_CLASSES],
                n_classes: 2,
                times: IntentTimes {
                    sample_time: base,
                    arrival: base,
                    decode_start: base + 0.0001,
                    decode_end: base + 0.0003,
                    publish: base + 0.0005 + f64::from(i) * 1e-5,
                },
            });
        }
        let e2e = LatencyHistograms::summary(&h.end_to_end);
        assert_eq!(e2e.count, 100);
        assert!((e2e.p50_ms - 0.995).abs() < 0.01, "{e2e:?}");
        assert!((e2e.max_ms - 1.49).abs() < 0.01, "{e2e:?}");
        assert_eq!(
            h.decoded_end_to_end.len(),
            100,
            "dwell holds are decoded windows"
        );
        let d = LatencyHistograms::summary(&h.decode);
        assert!((d.p50_ms - 0.2).abs() < 0.005, "{d:?}");
    }
}
