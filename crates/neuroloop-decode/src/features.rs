//! Log band power per channel and band, in plain Rust.
//!
//! Only the DFT bins inside the configured bands are computed, each as two
//! dot products of the mean-removed channel with precomputed (tapered)
//! cosine and sine rows. For the usual few dozen bins this is cheaper than a
//! full FFT and needs no scratch beyond one channel.

use std::f64::consts::PI;

use crate::{BandpowerConfig, Taper};

/// Added to band power before the logarithm, so a flat channel gives a
/// finite feature.
const POWER_FLOOR: f32 = 1e-12;

/// Precomputed DFT tables and scratch for one [`BandpowerConfig`].
///
/// # Shapes
/// Input: one channel-major window, `channels × samples` values.
/// Output: `channels × bands` log band powers, channel-major
/// (`out[ch * bands + b]`), natural log of the one-sided power in the band
/// (input units squared).
#[derive(Debug, Clone)]
pub struct BandpowerFeatures {
    channels: usize,
    samples: usize,
    n_bands: usize,
    /// Per bin: tapered cosine row then tapered sine row, `2 × samples` each.
    table: Vec<f32>,
    /// Band index of each bin, in table order.
    bin_band: Vec<usize>,
    /// Scale from `|X_k|²` to power in the band (one-sided PSD × bin width).
    scale: f32,
    /// One mean-removed channel.
    scratch: Vec<f32>,
    /// Linear band powers of one channel.
    band_power: Vec<f32>,
}

impl BandpowerFeatures {
    /// Builds the tables for `config`, which must be valid
    /// ([`BandpowerConfig::validate`]).
    #[must_use]
    pub fn new(config: &BandpowerConfig) -> Self {
        let n = config.samples;
        let taper: Vec<f64> = (0..n)
            .map(|t| match config.taper {
                Taper::Hann => 0.5 - 0.5 * (2.0 * PI * t as f64 / n as f64).cos(),
                Taper::Rectangular => 1.0,
            })
            .collect();
        let mut table = Vec::new();
        let mut bin_band = Vec::new();
        for b in 0..config.bands.len() {
            for k in config.band_bins(b) {
                // k·t reduced modulo n keeps the trig argument in [0, 2π).
                let angle = |t: usize| 2.0 * PI * ((k * t) % n) as f64 / n as f64;
                table.extend((0..n).map(|t| (taper[t] * angle(t).cos()) as f32));
                table.extend((0..n).map(|t| (taper[t] * angle(t).sin()) as f32));
                bin_band.push(b);
            }
        }
        let taper_energy: f64 = taper.iter().map(|w| w * w).sum();
        // One-sided PSD: 2|X|²/(fs·Σw²); times the bin width fs/N.
        let scale = 2.0 / (taper_energy * n as f64);
        Self {
            channels: config.channels,
            samples: n,
            n_bands: config.bands.len(),
            table,
            bin_band,
            scale: scale as f32,
            scratch: vec![0.0; n],
            band_power: vec![0.0; config.bands.len()],
        }
    }

    /// Number of features (`channels × bands`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.channels * self.n_bands
    }

    /// Whether there are no features (never, for a valid config).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of DFT bins evaluated per channel.
    #[must_use]
    pub fn n_bins(&self) -> usize {
        self.bin_band.len()
    }

    /// Computes the log band powers of one window into `out`. Allocates nothing.
    ///
    /// Non-finite input gives non-finite features; callers check first
    /// ([`check_finite`](crate::check_finite)).
    ///
    /// # Panics
    /// If `window.len() != channels × samples` or `out.len() != self.len()`;
    /// callers check the shape first ([`check_window`](crate::check_window)).
    pub fn compute(&mut self, window: &[f32], out: &mut [f32]) {
        assert_eq!(window.len(), self.channels * self.samples, "window length");
        assert_eq!(out.len(), self.len(), "feature buffer length");
        let n = self.samples;
        for (x, feats) in window
            .chunks_exact(n)
            .zip(out.chunks_exact_mut(self.n_bands))
        {
            let mean = x.iter().sum::<f32>() / n as f32;
            for (s, v) in self.scratch.iter_mut().zip(x) {
                *s = v - mean;
            }
            self.band_power.fill(0.0);
            for (rows, &b) in self.table.chunks_exact(2 * n).zip(&self.bin_band) {
                let (cos, sin) = rows.split_at(n);
                let (re, im) = dot2(&self.scratch, cos, sin);
                self.band_power[b] += re * re + im * im;
            }
            for (f, p) in feats.iter_mut().zip(&self.band_power) {
                *f = (p * self.scale + POWER_FLOOR).ln();
            }
        }
    }
}

/// `(Σ x·c, Σ x·s)` with eight independent accumulators so the loop vectorises.
fn dot2(x: &[f32], c: &[f32], s: &[f32]) -> (f32, f32) {
    const L: usize = 8;
    let mut re = [0.0_f32; L];
    let mut im = [0.0_f32; L];
    let xs = x.chunks_exact(L);
    let cs = c.chunks_exact(L);
    let ss = s.chunks_exact(L);
    let (xr, cr, sr) = (xs.remainder(), cs.remainder(), ss.remainder());
    for ((xv, cv), sv) in xs.zip(cs).zip(ss) {
        for i in 0..L {
            re[i] += xv[i] * cv[i];
            im[i] += xv[i] * sv[i];
        }
    }
    let mut r: f32 = re.iter().sum();
    let mut m: f32 = im.iter().sum();
    for ((xv, cv), sv) in xr.iter().zip(cr).zip(sr) {
        r += xv * cv;
        m += xv * sv;
    }
    (r, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(taper: Taper) -> BandpowerConfig {
        let mut c = BandpowerConfig::new(
            2,
            250,
            250.0,
            vec![[8.0, 13.0], [13.0, 30.0]],
            vec!["a".into(), "b".into()],
        );
        c.taper = taper;
        c
    }

    /// Channel 0: 10 Hz sine of amplitude 2 (power 2); channel 1: 20 Hz, amplitude 1.
    fn two_tones() -> Vec<f32> {
        let mut w = vec![0.0_f32; 500];
        for t in 0..250 {
            let s = t as f64 / 250.0;
            w[t] = (5.0 + 2.0 * (2.0 * PI * 10.0 * s).sin()) as f32;
            w[250 + t] = (1.0 * (2.0 * PI * 20.0 * s + 0.3).sin()) as f32;
        }
        w
    }

    #[test]
    fn sine_power_lands_in_its_band_with_the_right_magnitude() {
        for taper in [Taper::Hann, Taper::Rectangular] {
            let mut f = BandpowerFeatures::new(&config(taper));
            assert_eq!(f.n_bins(), 5 + 17);
            let mut out = [0.0_f32; 4];
            f.compute(&two_tones(), &mut out);
            let p: Vec<f32> = out.iter().map(|v| v.exp()).collect();
            // A sine of amplitude A has power A²/2, whatever the DC offset.
            assert!((p[0] - 2.0).abs() < 0.02, "{taper:?}: {p:?}");
            assert!((p[3] - 0.5).abs() < 0.01, "{taper:?}: {p:?}");
            // The other band of each channel sees almost nothing.
            assert!(p[1] < 1e-3 && p[2] < 1e-3, "{taper:?}: {p:?}");
        }
    }

    #[test]
    fn flat_channels_give_finite_features() {
        let mut f = BandpowerFeatures::new(&config(Taper::Hann));
        let mut out = [0.0_f32; 4];
        f.compute(&[3.0; 500], &mut out);
        assert!(out.iter().all(|v| v.is_finite()), "{out:?}");
    }
}
