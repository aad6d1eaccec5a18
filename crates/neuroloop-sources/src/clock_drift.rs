//! [`ClockDrift`]: how a live stream's clock offset moved during a session.
//!
//! A live LSL stream's timestamps are moved onto this machine's clock by
//! adding liblsl's time correction, measured again every
//! `time_correction_s`. The offsets' spread and their slope (the rate at
//! which the amplifier's clock runs against this machine's, in parts per
//! million) tell whether the transport delays in the latency report can be
//! trusted: a drift the corrections do not keep up with shows there as a
//! delay that grows through the session.

use serde::{Deserialize, Serialize};

/// The time corrections a source applied, summarised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ClockDrift {
    /// Corrections measured (one at connection, then one every
    /// `time_correction_s`).
    pub corrections: u64,
    /// The first offset, seconds added to the stream's timestamps.
    pub first_offset_s: f64,
    /// The last offset.
    pub last_offset_s: f64,
    /// The smallest offset.
    pub min_offset_s: f64,
    /// The largest offset.
    pub max_offset_s: f64,
    /// Seconds between the first and the last measurement.
    pub span_s: f64,
    /// `(last − first) / span` in µs per second: how much faster this
    /// machine's clock runs than the stream's. `None` with fewer than two
    /// corrections or under a second between them.
    pub drift_ppm: Option<f64>,
    #[serde(skip)]
    first_at: f64,
}

impl ClockDrift {
    /// Adds the offset measured at `measured_at` (process clock). Non-finite
    /// values are ignored.
    pub fn observe(&mut self, offset: f64, measured_at: f64) {
        if !offset.is_finite() || !measured_at.is_finite() {
            return;
        }
        if self.corrections == 0 {
            self.first_offset_s = offset;
            self.min_offset_s = offset;
            self.max_offset_s = offset;
            self.first_at = measured_at;
        }
        self.corrections += 1;
        self.last_offset_s = offset;
        self.min_offset_s = self.min_offset_s.min(offset);
        self.max_offset_s = self.max_offset_s.max(offset);
        self.span_s = (measured_at - self.first_at).max(0.0);
        self.drift_ppm = (self.corrections > 1 && self.span_s >= 1.0)
            .then(|| (self.last_offset_s - self.first_offset_s) / self.span_s * 1e6);
    }

    /// The summary if any correction was measured.
    #[must_use]
    pub fn measured(&self) -> Option<Self> {
        (self.corrections > 0).then_some(*self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_is_the_slope_of_the_offsets() {
        let mut d = ClockDrift::default();
        assert_eq!(d.measured(), None);
        d.observe(0.5, 100.0);
        assert_eq!(d.drift_ppm, None, "one correction has no slope");
        d.observe(0.500_01, 105.0);
        d.observe(f64::NAN, 107.0);
        d.observe(0.500_02, 110.0);
        let m = d.measured().expect("three corrections");
        assert_eq!(m.corrections, 3);
        assert!((m.span_s - 10.0).abs() < 1e-12);
        // 20 µs over 10 s: 2 ppm.
        assert!((m.drift_ppm.expect("a slope") - 2.0).abs() < 1e-6, "{m:?}");
        assert_eq!((m.min_offset_s, m.max_offset_s), (0.5, 0.500_02));
    }

    #[test]
    fn corrections_within_a_second_give_no_slope() {
        let mut d = ClockDrift::default();
        d.observe(0.1, 1.0);
        d.observe(0.2, 1.5);
        assert_eq!(d.drift_ppm, None);
        assert_eq!(d.last_offset_s, 0.2);
    }
}
