//! Synthetic labelled EEG-like windows for tests, benchmarks and demos.
//!
//! Two-class motor imagery: every channel carries 1/f-like background
//! noise, white sensor noise and an alpha/mu rhythm (9.5–11.5 Hz) whose
//! amplitude varies from trial to trial. Imagining class 0 desynchronises
//! (attenuates) the rhythm on `erd_channels[0]`, class 1 on
//! `erd_channels[1]`. Seeded and deterministic.
//!
//! # Shapes
//! [`MotorImagery::generate`] returns `n × channels × samples` values,
//! channel-major within each window, and `n` labels.

use std::f64::consts::PI;

/// Parameters of the synthetic two-class motor-imagery data.
#[derive(Debug, Clone, PartialEq)]
pub struct MotorImagery {
    /// Channels per window.
    pub channels: usize,
    /// Samples per window.
    pub samples: usize,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Channels whose rhythm class 0 and class 1 attenuate.
    pub erd_channels: [usize; 2],
    /// Rhythm amplitude factor on the attenuated channel (0..1).
    pub erd_factor: f64,
    /// Mean rhythm amplitude.
    pub rhythm_amplitude: f64,
    /// Log-normal spread of the rhythm amplitude across trials and channels.
    pub rhythm_spread: f64,
    /// Standard deviation of the background (1/f-like) noise.
    pub background: f64,
}

impl MotorImagery {
    /// Defaults: ERD on channels 3 and 5 (0 and 1 with fewer than 6
    /// channels), rhythm halved by imagery, background noise comparable to
    /// the rhythm.
    #[must_use]
    pub fn new(channels: usize, samples: usize, sample_rate: f64) -> Self {
        let erd_channels = if channels >= 6 { [3, 5] } else { [0, 1] };
        Self {
            channels,
            samples,
            sample_rate,
            erd_channels,
            erd_factor: 0.5,
            rhythm_amplitude: 2.0,
            rhythm_spread: 0.25,
            background: 1.0,
        }
    }

    /// Generates `n` windows with alternating labels 0, 1, 0, …
    ///
    /// # Panics
    /// If fewer than two channels are configured.
    #[must_use]
    pub fn generate(&self, n: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
        assert!(self.channels >= 2, "at least two channels");
        let mut rng = Rng::new(seed);
        let mut data = Vec::with_capacity(n * self.channels * self.samples);
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        for &label in &labels {
            let trial_gain = (self.rhythm_spread * rng.normal()).exp();
            for ch in 0..self.channels {
                let mut amplitude = self.rhythm_amplitude
                    * trial_gain
                    * (0.5 * self.rhythm_spread * rng.normal()).exp();
                if ch == self.erd_channels[label] {
                    amplitude *= self.erd_factor;
                }
                let freq = 9.5 + 2.0 * rng.uniform();
                let phase = 2.0 * PI * rng.uniform();
                // AR(1) background, started in its stationary distribution.
                let a = 0.95_f64;
                let sigma = self.background * (1.0 - a * a).sqrt();
                let mut pink = self.background * rng.normal();
                for t in 0..self.samples {
                    pink = a * pink + sigma * rng.normal();
                    let s = t as f64 / self.sample_rate;
                    let rhythm = amplitude * (2.0 * PI * freq * s + phase).sin();
                    let white = 0.5 * self.background * rng.normal();
                    data.push((pink + rhythm + white) as f32);
                }
            }
        }
        (data, labels)
    }
}

/// SplitMix64 with Box–Muller normals: small, fast, reproducible.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform index in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n
    }

    /// Standard normal.
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data() {
        let g = MotorImagery::new(4, 50, 250.0);
        let (a, la) = g.generate(4, 7);
        let (b, lb) = g.generate(4, 7);
        let (c, _) = g.generate(4, 8);
        assert_eq!(a.len(), 4 * 4 * 50);
        assert_eq!((a.clone(), la), (b, lb));
        assert_ne!(a, c);
    }
}
