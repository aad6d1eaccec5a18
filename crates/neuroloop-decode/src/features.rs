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
    /// One block of mean-removed channels, `BLOCK × samples`.
    scratch: Vec<f32>,
    /// Linear band powers of one block of channels, `BLOCK × bands`.
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
            scratch: vec![0.0; BLOCK * n],
            band_power: vec![0.0; BLOCK * config.bands.len()],
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
        let nb = self.n_bands;
        // Channels go through the DFT in blocks of `BLOCK`, so each table
        // row loaded from memory serves several channels.
        for (xs, feats) in window.chunks(BLOCK * n).zip(out.chunks_mut(BLOCK * nb)) {
            let present = xs.len() / n;
            for (row, x) in self.scratch.chunks_exact_mut(n).zip(xs.chunks_exact(n)) {
                let mean = x.iter().sum::<f32>() / n as f32;
                for (s, v) in row.iter_mut().zip(x) {
                    *s = v - mean;
                }
            }
            // Rows past `present` keep stale data; their results are unused.
            self.band_power.fill(0.0);
            for (rows, &b) in self.table.chunks_exact(2 * n).zip(&self.bin_band) {
                let (cos, sin) = rows.split_at(n);
                let parts = dot2_block(&self.scratch, cos, sin);
                for (k, (re, im)) in parts.iter().enumerate() {
                    self.band_power[k * nb + b] += re * re + im * im;
                }
            }
            for (f, p) in feats.iter_mut().zip(&self.band_power[..present * nb]) {
                *f = (p * self.scale + POWER_FLOOR).ln();
            }
        }
    }
}

/// Channels per DFT block.
const BLOCK: usize = 4;
/// Accumulator lanes per channel (independent sums so the loop vectorises).
const LANES: usize = 8;

/// `(Σ x_k·c, Σ x_k·s)` for the `BLOCK` rows `x_k` of `x` (`BLOCK × c.len()`).
fn dot2_block(x: &[f32], c: &[f32], s: &[f32]) -> [(f32, f32); BLOCK] {
    let n = c.len();
    let body = n / LANES * LANES;
    let mut re = [[0.0_f32; LANES]; BLOCK];
    let mut im = [[0.0_f32; LANES]; BLOCK];
    let mut t = 0;
    while t < body {
        let cv: &[f32; LANES] = c[t..t + LANES].try_into().expect("lane chunk");
        let sv: &[f32; LANES] = s[t..t + LANES].try_into().expect("lane chunk");
        for k in 0..BLOCK {
            let xv: &[f32; LANES] = x[k * n + t..k * n + t + LANES]
                .try_into()
                .expect("lane chunk");
            for i in 0..LANES {
                re[k][i] += xv[i] * cv[i];
                im[k][i] += xv[i] * sv[i];
            }
        }
        t += LANES;
    }
    let mut out = [(0.0, 0.0); BLOCK];
    for (k, o) in out.iter_mut().enumerate() {
        let mut r: f32 = re[k].iter().sum();
        let mut m: f32 = im[k].iter().sum();
        for j in body..n {
            r += x[k * n + j] * c[j];
            m += x[k * n + j] * s[j];
        }
        *o = (r, m);
    }
    out
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

    #[test]
    fn every_channel_of_a_block_matches_a_single_channel_run() {
        let (channels, n) = (6, 250);
        let window: Vec<f32> = (0..channels * n)
            .map(|i| ((i * 7919) % 1013) as f32 / 100.0 + (i as f32 * 0.3).sin())
            .collect();
        let mut many = config(Taper::Hann);
        many.channels = channels;
        let mut all = vec![0.0_f32; channels * 2];
        BandpowerFeatures::new(&many).compute(&window, &mut all);
        let mut one = config(Taper::Hann);
        one.channels = 1;
        let mut single = BandpowerFeatures::new(&one);
        for ch in 0..channels {
            let mut f = [0.0_f32; 2];
            single.compute(&window[ch * n..(ch + 1) * n], &mut f);
            assert_eq!(&all[ch * 2..ch * 2 + 2], &f, "channel {ch}");
        }
    }
}
