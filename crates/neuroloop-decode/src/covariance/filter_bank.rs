//! [`FilterBank`]: a window band-passed into several bands, each by a
//! Butterworth filter (scipy-exact design from `neuroloop-dsp`) run forward
//! and backward over the window alone (zero phase), after extending the
//! window at both ends by its odd reflection and starting each pass in the
//! steady state of its first sample, as scipy's `sosfiltfilt` does.
//!
//! The filtering depends on the window only, never on earlier samples, so
//! offline epochs and live windows of the same samples give the same
//! features. Every buffer is allocated at construction.

use neuroloop_dsp::{Band, butter};

use crate::DecodeError;

/// Channels filtered together, one per lane: the recursive filter of one
/// channel is a chain of dependent multiply-adds, and four independent
/// chains keep the floating-point units busy (and vectorise).
const LANES: usize = 4;

/// Band-passes `channels × samples` windows into `bands` copies; with no
/// bands, one copy of the window as it is (widened to `f64`).
#[derive(Debug, Clone)]
pub struct FilterBank {
    channels: usize,
    samples: usize,
    pad: usize,
    /// Per band, the sections `[b0, b1, b2, a1, a2]` (`a0 = 1`).
    sections: Vec<Vec<[f64; 5]>>,
    /// `LANES` padded channels, interleaved sample by sample.
    lines: Vec<[f64; LANES]>,
    /// `[band, channel, sample]`.
    out: Vec<f64>,
}

impl FilterBank {
    /// Designs an order-`order` Butterworth band-pass for each band
    /// `[low, high]` Hz at `sample_rate`.
    ///
    /// # Errors
    /// [`DecodeError::Config`] (at `path`) if a band is not inside
    /// `(0, Nyquist)` with `low < high`, or the order is out of range.
    pub fn new(
        bands_hz: &[[f64; 2]],
        order: usize,
        sample_rate: f64,
        channels: usize,
        samples: usize,
        path: &str,
    ) -> Result<Self, DecodeError> {
        let mut sections = Vec::with_capacity(bands_hz.len());
        for (i, [low, high]) in bands_hz.iter().enumerate() {
            let sos = butter(order, Band::Bandpass(*low, *high), sample_rate).map_err(|e| {
                DecodeError::Config(vec![neuroloop_core::ConfigError::new(
                    format!("{path}.bands_hz[{i}]"),
                    e.to_string(),
                )])
            })?;
            sections.push(
                sos.iter()
                    .map(|s| {
                        [
                            s[0] / s[3],
                            s[1] / s[3],
                            s[2] / s[3],
                            s[4] / s[3],
                            s[5] / s[3],
                        ]
                    })
                    .collect(),
            );
        }
        let pad = (3 * (2 * order + 1)).min(samples.saturating_sub(1));
        Ok(Self {
            channels,
            samples,
            pad,
            sections,
            lines: vec![[0.0; LANES]; samples + 2 * pad],
            out: vec![0.0; bands_hz.len().max(1) * channels * samples],
        })
    }

    /// Number of bands (1 without a filter bank).
    #[must_use]
    pub fn bands(&self) -> usize {
        self.sections.len().max(1)
    }

    /// Filters the channel-major window `data` into every band. No
    /// allocation. `data` must be `channels × samples` long (checked by the
    /// decoder before).
    pub fn apply(&mut self, data: &[f32]) {
        if self.sections.is_empty() {
            for (dst, src) in self.out.iter_mut().zip(data) {
                *dst = f64::from(*src);
            }
            return;
        }
        let (t, pad) = (self.samples, self.pad);
        for (b, sections) in self.sections.iter().enumerate() {
            for first_channel in (0..self.channels).step_by(LANES) {
                let lanes = LANES.min(self.channels - first_channel);
                for lane in 0..LANES {
                    // A lane past the last channel repeats it (discarded).
                    let ch = first_channel + lane.min(lanes - 1);
                    let x = &data[ch * t..(ch + 1) * t];
                    let (first, last) = (f64::from(x[0]), f64::from(x[t - 1]));
                    for i in 0..pad {
                        self.lines[i][lane] = 2.0 * first - f64::from(x[pad - i]);
                        self.lines[pad + t + i][lane] = 2.0 * last - f64::from(x[t - 2 - i]);
                    }
                    for (dst, src) in self.lines[pad..pad + t].iter_mut().zip(x) {
                        dst[lane] = f64::from(*src);
                    }
                }
                filter_forward(sections, &mut self.lines);
                self.lines.reverse();
                filter_forward(sections, &mut self.lines);
                self.lines.reverse();
                for lane in 0..lanes {
                    let start = (b * self.channels + first_channel + lane) * t;
                    for (dst, src) in self.out[start..start + t]
                        .iter_mut()
                        .zip(&self.lines[pad..pad + t])
                    {
                        *dst = src[lane];
                    }
                }
            }
        }
    }

    /// Every band of the last [`apply`](Self::apply) stacked as one
    /// `[bands · channels, samples]` signal (band-major, then channel).
    #[must_use]
    pub fn stacked(&self) -> &[f64] {
        &self.out
    }

    /// Band `b` of the last [`apply`](Self::apply), channel-major.
    #[must_use]
    pub fn band(&self, b: usize) -> &[f64] {
        let len = self.channels * self.samples;
        &self.out[b * len..(b + 1) * len]
    }
}

/// Cascaded second-order sections (transposed direct form II) over `x`
/// in place, each starting in the steady state of a constant input equal
/// to its first input (scipy's `sosfilt_zi` scaled by the first sample, as
/// `sosfiltfilt` starts), so that an offset does not ring.
fn filter_forward(sections: &[[f64; 5]], x: &mut [[f64; LANES]]) {
    for [b0, b1, b2, a1, a2] in sections {
        let x0 = x.first().copied().unwrap_or([0.0; LANES]);
        let gain = (b0 + b1 + b2) / (1.0 + a1 + a2);
        let (mut z1, mut z2) = ([0.0; LANES], [0.0; LANES]);
        for l in 0..LANES {
            let y0 = gain * x0[l];
            z2[l] = b2 * x0[l] - a2 * y0;
            z1[l] = b1 * x0[l] - a1 * y0 + z2[l];
        }
        for v in x.iter_mut() {
            for l in 0..LANES {
                let y = b0 * v[l] + z1[l];
                z1[l] = b1 * v[l] - a1 * y + z2[l];
                z2[l] = b2 * v[l] - a2 * y;
                v[l] = y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: f64, samples: usize, phase: f64) -> Vec<f32> {
        (0..samples)
            .map(|t| (2.0 * std::f64::consts::PI * freq * t as f64 / rate + phase).sin() as f32)
            .collect()
    }

    #[test]
    fn channels_filtered_together_equal_each_filtered_alone() {
        let (c, t, rate) = (5, 200, 250.0);
        let bands = [[8.0, 12.0], [20.0, 30.0]];
        let data: Vec<f32> = (0..c)
            .flat_map(|ch| sine(5.0 + 4.0 * ch as f64, rate, t, ch as f64))
            .collect();
        let mut bank = FilterBank::new(&bands, 4, rate, c, t, "test").unwrap();
        bank.apply(&data);
        let mut alone = FilterBank::new(&bands, 4, rate, 1, t, "test").unwrap();
        for ch in 0..c {
            alone.apply(&data[ch * t..(ch + 1) * t]);
            for b in 0..bands.len() {
                assert_eq!(
                    &bank.band(b)[ch * t..(ch + 1) * t],
                    alone.band(b),
                    "channel {ch}, band {b}"
                );
            }
        }
    }

    #[test]
    fn a_band_passes_its_frequency_and_stops_others() {
        let (t, rate) = (500, 250.0);
        let mut bank = FilterBank::new(&[[8.0, 12.0]], 4, rate, 2, t, "test").unwrap();
        let data = [sine(10.0, rate, t, 0.3), sine(30.0, rate, t, 0.3)].concat();
        bank.apply(&data);
        let peak = |x: &[f64]| x[100..400].iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let (pass, stop) = (peak(&bank.band(0)[..t]), peak(&bank.band(0)[t..]));
        assert!(
            (pass - 1.0).abs() < 0.1,
            "10 Hz in 8-12 Hz: amplitude {pass}"
        );
        assert!(stop < 0.01, "30 Hz in 8-12 Hz: amplitude {stop}");
    }
}
