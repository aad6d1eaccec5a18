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

/// Band-passes `channels × samples` windows into `bands` copies; with no
/// bands, one copy of the window as it is (widened to `f64`).
#[derive(Debug, Clone)]
pub struct FilterBank {
    channels: usize,
    samples: usize,
    pad: usize,
    /// Per band, the sections `[b0, b1, b2, a1, a2]` (`a0 = 1`).
    sections: Vec<Vec<[f64; 5]>>,
    /// One padded channel.
    line: Vec<f64>,
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
            line: vec![0.0; samples + 2 * pad],
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
            for ch in 0..self.channels {
                let x = &data[ch * t..(ch + 1) * t];
                let (first, last) = (f64::from(x[0]), f64::from(x[t - 1]));
                for i in 0..pad {
                    self.line[i] = 2.0 * first - f64::from(x[pad - i]);
                    self.line[pad + t + i] = 2.0 * last - f64::from(x[t - 2 - i]);
                }
                for (dst, src) in self.line[pad..pad + t].iter_mut().zip(x) {
                    *dst = f64::from(*src);
                }
                filter_forward(sections, &mut self.line);
                self.line.reverse();
                filter_forward(sections, &mut self.line);
                self.line.reverse();
                let start = (b * self.channels + ch) * t;
                self.out[start..start + t].copy_from_slice(&self.line[pad..pad + t]);
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
fn filter_forward(sections: &[[f64; 5]], x: &mut [f64]) {
    for [b0, b1, b2, a1, a2] in sections {
        let x0 = x.first().copied().unwrap_or(0.0);
        let gain = (b0 + b1 + b2) / (1.0 + a1 + a2);
        let y0 = gain * x0;
        let mut z2 = b2 * x0 - a2 * y0;
        let mut z1 = b1 * x0 - a1 * y0 + z2;
        for v in x.iter_mut() {
            let y = b0 * *v + z1;
            z1 = b1 * *v - a1 * y + z2;
            z2 = b2 * *v - a2 * y;
            *v = y;
        }
    }
}
