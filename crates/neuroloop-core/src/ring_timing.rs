//! How late and how fast samples reach a ring: every push records the lag
//! of its newest sample (arrival − source time) and its arrival time, in
//! relaxed atomics (no lock, no allocation), so a source that falls behind
//! real time (an overrun) or delivers at the wrong rate shows in the report.

use std::sync::atomic::{AtomicU64, Ordering};

/// A push whose newest sample is older than this when it arrives is late:
/// the source is behind real time (an overrun).
pub const OVERRUN_LAG_S: f64 = 0.25;

/// Lag and rate figures of a ring's pushes; read from any thread.
#[derive(Debug, Default)]
pub struct PushTiming {
    late: AtomicU64,
    max_lag_us: AtomicU64,
    first_arrival: AtomicU64,
    first_count: AtomicU64,
    last_arrival: AtomicU64,
    samples: AtomicU64,
}

impl PushTiming {
    /// Pushes whose newest sample was more than [`OVERRUN_LAG_S`] old on
    /// arrival (the source behind real time).
    pub fn late_pushes(&self) -> u64 {
        self.late.load(Ordering::Relaxed)
    }

    /// The largest lag seen, seconds: arrival minus the newest sample's
    /// time, over every push (0 if no push was behind).
    pub fn max_lag_s(&self) -> f64 {
        self.max_lag_us.load(Ordering::Relaxed) as f64 * 1e-6
    }

    /// Samples per second by arrival time: the samples after the first
    /// push over the time from the first push to the last; `None` until
    /// pushes span 0.5 s.
    pub fn measured_rate(&self) -> Option<f64> {
        let first = f64::from_bits(self.first_arrival.load(Ordering::Relaxed));
        let last = f64::from_bits(self.last_arrival.load(Ordering::Relaxed));
        let after_first = self
            .samples
            .load(Ordering::Relaxed)
            .saturating_sub(self.first_count.load(Ordering::Relaxed));
        let span = last - first;
        (span >= 0.5).then(|| after_first as f64 / span)
    }

    /// Records one push of `n` samples (accepted or dropped) whose newest
    /// has source time `newest`, arrived at `arrival`. Only the writer
    /// calls this.
    pub(crate) fn record(&self, n: usize, newest: f64, arrival: f64) {
        if self.first_arrival.load(Ordering::Relaxed) == 0 {
            self.first_arrival
                .store(arrival.to_bits(), Ordering::Relaxed);
            self.first_count.store(n as u64, Ordering::Relaxed);
        }
        self.last_arrival
            .store(arrival.to_bits(), Ordering::Relaxed);
        self.samples.fetch_add(n as u64, Ordering::Relaxed);
        let lag = arrival - newest;
        if lag > OVERRUN_LAG_S {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        if lag > 0.0 && lag.is_finite() {
            // `as` saturates: any lag is a valid count.
            self.max_lag_us
                .fetch_max((lag * 1e6) as u64, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_pushes_and_rate_are_measured() {
        let t = PushTiming::default();
        // 100 samples per push, every 0.1 s: 1000 Hz; the last two are late.
        for i in 0..10 {
            let arrival = 100.0 + f64::from(i) * 0.1;
            let lag = if i >= 8 { 0.5 } else { 0.001 };
            t.record(100, arrival - lag, arrival);
        }
        assert_eq!(t.late_pushes(), 2);
        assert!((t.max_lag_s() - 0.5).abs() < 1e-6);
        let rate = t.measured_rate().unwrap_or(0.0);
        assert!((rate - 1000.0).abs() < 1.0, "{rate}");
    }
}
