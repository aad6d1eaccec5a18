//! Sample timestamps from host arrival times: a least-squares line of
//! arrival time on sample index over a sliding window, so the timestamps
//! follow the board's clock (its rate and phase) rather than when the USB
//! scheduler happened to hand a packet over.
//!
//! Until the window holds [`MIN_FIT_POINTS`] arrivals the slope is the
//! nominal period and only the offset is fitted. Preallocated; no
//! allocation per sample.

/// Arrivals needed before the slope is fitted too.
pub const MIN_FIT_POINTS: usize = 32;

/// The sliding-window fit.
#[derive(Debug)]
pub struct Dejitter {
    period: f64,
    /// `(sample index, arrival)` ring.
    points: Box<[(f64, f64)]>,
    next: usize,
    len: usize,
}

impl Dejitter {
    /// A fit over the last `window` arrivals of a stream with nominal rate
    /// `rate_hz`.
    ///
    /// # Panics
    /// Never; a `window` of 0 is taken as 1.
    #[must_use]
    pub fn new(rate_hz: f64, window: usize) -> Self {
        Self {
            period: 1.0 / rate_hz,
            points: vec![(0.0, 0.0); window.max(1)].into_boxed_slice(),
            next: 0,
            len: 0,
        }
    }

    /// Forgets every arrival (the board was re-initialised).
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
    }

    /// Records that sample `index` arrived at `arrival` and returns its
    /// timestamp on the fitted line.
    pub fn stamp(&mut self, index: u64, arrival: f64) -> f64 {
        let x = index as f64;
        self.points[self.next] = (x, arrival);
        self.next = (self.next + 1) % self.points.len();
        self.len = (self.len + 1).min(self.points.len());
        let (offset, slope) = self.fit();
        let t = offset + slope * (x - self.points_origin());
        if t.is_finite() { t } else { arrival }
    }

    /// The index the fit is centred on (the oldest in the window), to keep
    /// the sums well conditioned.
    fn points_origin(&self) -> f64 {
        let oldest = (self.next + self.points.len() - self.len) % self.points.len();
        self.points[oldest].0
    }

    /// `(time at the origin index, seconds per sample)`.
    fn fit(&self) -> (f64, f64) {
        let n = self.len as f64;
        let x0 = self.points_origin();
        let t0 = self.points[(self.next + self.points.len() - 1) % self.points.len()].1;
        let (mut sx, mut st, mut sxx, mut sxt) = (0.0, 0.0, 0.0, 0.0);
        for &(x, t) in self.window() {
            let (x, t) = (x - x0, t - t0);
            sx += x;
            st += t;
            sxx += x * x;
            sxt += x * t;
        }
        let denominator = n * sxx - sx * sx;
        let slope = if self.len >= MIN_FIT_POINTS && denominator > 0.0 {
            (n * sxt - sx * st) / denominator
        } else {
            self.period
        };
        let offset = (st - slope * sx) / n;
        (t0 + offset, slope)
    }

    fn window(&self) -> &[(f64, f64)] {
        if self.len < self.points.len() {
            &self.points[..self.len]
        } else {
            &self.points
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dejitter;

    /// Arrivals of a 250 Hz board whose clock runs 0.1 % fast, delivered
    /// in bursts (every fourth packet waits for the next USB frame): the
    /// stamps are back on the board's line.
    #[test]
    fn bursty_arrivals_are_put_back_on_the_boards_line() {
        let period = 1.0 / 250.0 / 1.001;
        let mut d = Dejitter::new(250.0, 500);
        let (mut fitted, mut raw) = (Vec::new(), Vec::new());
        for k in 0..2000u64 {
            let true_time = 10.0 + k as f64 * period;
            let usb = 0.004 * ((k % 4) as f64) / 4.0;
            let delay = 0.001 + usb + 0.0005 * ((k * 7919) % 13) as f64 / 13.0;
            let stamp = d.stamp(k, true_time + delay);
            if k >= 500 {
                fitted.push(stamp - true_time);
                raw.push(delay);
            }
        }
        // The line sits a constant (the mean delay) above the true times;
        // what matters is how far each stamp strays from that constant.
        let spread = |v: &[f64]| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            v.iter().map(|e| (e - mean).abs()).fold(0.0, f64::max)
        };
        assert!(spread(&fitted) < 1e-4, "stamps stray {} s", spread(&fitted));
        assert!(spread(&raw) > 1.5e-3, "arrivals stray {} s", spread(&raw));
    }

    #[test]
    fn the_first_stamp_is_its_arrival_and_gaps_keep_the_rate() {
        let mut d = Dejitter::new(250.0, 64);
        assert_eq!(d.stamp(0, 5.0), 5.0);
        let s1 = d.stamp(1, 5.004);
        assert!((s1 - 5.004).abs() < 1e-12, "{s1}");
        // 100 samples later, exactly on time: still on the line.
        let s = d.stamp(101, 5.404);
        assert!((s - 5.404).abs() < 1e-9, "{s}");
        d.reset();
        assert_eq!(d.stamp(7, 1.0), 1.0, "a reset forgets the line");
    }
}
