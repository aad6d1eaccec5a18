//! Narrow-band random processes: white noise through a two-pole resonator,
//! scaled to unit variance. Models rhythms such as alpha, mu and beta, whose
//! amplitude and phase wander like real EEG rather than a pure sine.

/// A unit-variance AR(2) process centred on `freq_hz` with bandwidth `bw_hz`.
#[derive(Debug, Clone)]
pub struct Resonator {
    a1: f64,
    a2: f64,
    y1: f64,
    y2: f64,
    input_scale: f64,
}

impl Resonator {
    /// Creates the process for a stream sampled at `fs`.
    #[must_use]
    pub fn new(freq_hz: f64, bw_hz: f64, fs: f64) -> Self {
        let r = (-std::f64::consts::PI * bw_hz / fs).exp();
        let theta = std::f64::consts::TAU * freq_hz / fs;
        let a1 = 2.0 * r * theta.cos();
        let a2 = -r * r;
        // Stationary variance of y = a1 y1 + a2 y2 + e for unit-variance e.
        let variance = (1.0 - a2) / ((1.0 + a2) * ((1.0 - a2).powi(2) - a1 * a1));
        Self {
            a1,
            a2,
            y1: 0.0,
            y2: 0.0,
            input_scale: 1.0 / variance.sqrt(),
        }
    }

    /// Advances one sample driven by the standard-normal draw `e`.
    pub fn step(&mut self, e: f64) -> f64 {
        let y = self.a1 * self.y1 + self.a2 * self.y2 + e * self.input_scale;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    #[test]
    fn output_has_unit_variance() {
        let mut rng = Rng::new(5);
        let mut res = Resonator::new(10.0, 2.0, 250.0);
        for _ in 0..5000 {
            res.step(rng.normal());
        }
        let n = 200_000;
        let var = (0..n).map(|_| res.step(rng.normal()).powi(2)).sum::<f64>() / n as f64;
        assert!((var - 1.0).abs() < 0.1, "variance {var}");
    }
}
