//! Sample timestamps from host arrival times: a least-squares line of
//! arrival time on sample index over a sliding window, so the timestamps
//! follow the board's clock (its rate and phase) rather than when the USB
//! scheduler happened to hand a packet over.
//!
//! Until the window holds [`MIN_FIT_POINTS`] arrivals the slope is the
//! nominal period and only the offset is fitted. Preallocated; no
//! allocation per sample.
//!
//! A packet only ever arrives late (the transport or a busy host held it
//! up), never before it was sampled: an arrival more than [`LATE_CLIP_S`]
//! after the current line enters the fit as that bound, so that a host
//! that stalls for tens of milliseconds and then reads a burst moves the
//! line by a fraction of a millisecond instead of bending it by several
//! (least squares gives the newest point the most weight). Arrivals early
//! against the line enter as they are, so the line follows a faster clock
//! or a shorter transport delay at once, and a longer one within the
//! window.

/// Arrivals needed before the slope is fitted too.
pub const MIN_FIT_POINTS: usize = 32;

/// How far after the line an arrival may enter the fit (seconds).
pub const LATE_CLIP_S: f64 = 0.004;

/// The sliding-window fit.
#[derive(Debug)]
pub struct Dejitter {
    period: f64,
    /// `(sample index, arrival)` ring.
    points: Box<[(f64, f64)]>,
    next: usize,
    len: usize,
    /// The line after the last arrival: `(time at index x0, slope, x0)`.
    line: Option<(f64, f64, f64)>,
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
            line: None,
        }
    }

    /// Forgets every arrival (the board was re-initialised).
    pub fn reset(&mut self) {
        self.len = 0;
        self.next = 0;
        self.line = None;
    }

    /// Records that sample `index` arrived at `arrival` and returns its
    /// timestamp on the fitted line.
    pub fn stamp(&mut self, index: u64, arrival: f64) -> f64 {
        let x = index as f64;
        let bounded = match self.line {
            Some((t0, slope, x0)) => {
                let latest = t0 + slope * (x - x0) + LATE_CLIP_S;
                if latest.is_finite() {
                    arrival.min(latest)
                } else {
                    arrival
                }
            }
            None => arrival,
        };
        self.points[self.next] = (x, bounded);
        self.next = (self.next + 1) % self.points.len();
        self.len = (self.len + 1).min(self.points.len());
        let (offset, slope) = self.fit();
        let x0 = self.points_origin();
        let t = offset + slope * (x - x0);
        if t.is_finite() {
            self.line = Some((offset, slope, x0));
            t
        } else {
            self.line = None;
            arrival
        }
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

    /// A host that polls every 2 ms and, now and then, stalls for 20–80 ms
    /// and then reads the burst: the stamps stay on the line within a
    /// fraction of a millisecond (plain least squares strayed by more
    /// than 1 ms step to step on the same arrivals).
    #[test]
    fn a_stalled_host_does_not_bend_the_line() {
        let period = 0.004;
        let mut d = Dejitter::new(250.0, 1000);
        let mut rng = 0x2545_F491_u32;
        let mut uniform = || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            f64::from(rng) / f64::from(u32::MAX)
        };
        let (mut host, mut k) = (0.0, 0u64);
        let mut stamps = Vec::new();
        let mut stalls = 0;
        while k < 1500 {
            host += 0.002 + 0.001 * uniform();
            if uniform() < 0.01 {
                host += 0.02 + 0.06 * uniform();
                stalls += 1;
            }
            while k < 1500 && k as f64 * period <= host {
                stamps.push(d.stamp(k, host));
                k += 1;
            }
        }
        assert!(stalls >= 5, "{stalls} stalls");
        let worst = stamps[100..]
            .windows(2)
            .map(|w| (w[1] - w[0] - period).abs())
            .fold(0.0, f64::max);
        assert!(worst < 3e-4, "a step strays {worst} s from the period");
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
