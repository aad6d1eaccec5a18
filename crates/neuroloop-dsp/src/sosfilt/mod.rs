//! Streaming cascaded second-order-section filtering of interleaved blocks.
//!
//! [`SosFilter`] is `scipy.signal.sosfilt` with its `zi` carried between
//! calls: transposed direct form II, the same operation order, any block
//! length (including 1), no allocation after [`SosFilter::new`].
//!
//! # Shapes
//! Blocks are channel-interleaved, `data[s * channels + ch]`. The state is
//! laid out `[section][z1 | z2][channel]`. Blocks are filtered in tiles of
//! 64 samples; with AVX2 (selected at run time) a tile runs through all
//! sections per sample for 4 channels at a time with the state in registers
//! (see `avx2`), otherwise (and for blocks of 1–3 samples) the inner loop
//! runs over channels with every operand contiguous and is vectorised across
//! channels. Both give the same bits.
//!
//! # Precision
//! Coefficients, state and arithmetic are `f64`; samples are converted from
//! and to `f32` once per filter. A band-pass at 8–30 Hz sampled at 1 kHz has
//! poles within ~0.03 of the unit circle; in `f32` the TDF-II state would
//! carry relative errors of ~1e-5 that the feedback amplifies, while `f64`
//! keeps the output equal to scipy's (which runs in `f64`) to the `f32`
//! rounding of the result. The `f64` lanes halve the vector width but the
//! filter stays well above real-time needs (see `docs/benchmarks.md`).
//!
//! # Non-finite input
//! A NaN or ±Inf input value is passed through to the output unchanged and
//! counted ([`SosFilter::non_finite_count`]); it does not enter the filter
//! memory: that channel's state is cleared right after the sample, so the
//! channel restarts from rest (like after [`SosFilter::reset`]) and every
//! other channel is unaffected. Blocks without non-finite values take the
//! fast path; the check is one vectorised pass over the block.

use crate::design::Section;

/// A sample type the filter reads and writes (`f32` in the pipeline, `f64`
/// for reference comparisons).
pub trait Sample: Copy {
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// Narrows from `f64`.
    fn from_f64(v: f64) -> Self;
    /// Whether the value is neither NaN nor infinite.
    fn finite(self) -> bool;
}

impl Sample for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    #[allow(clippy::cast_possible_truncation)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn finite(self) -> bool {
        self.is_finite()
    }
}

impl Sample for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn finite(self) -> bool {
        self.is_finite()
    }
}

/// A cascade of second-order sections applied independently to every
/// channel of an interleaved stream.
#[derive(Debug, Clone)]
pub struct SosFilter {
    channels: usize,
    /// `[b0, b1, b2, a1, a2]` per section, normalised by `a0`.
    coeffs: Vec<[f64; 5]>,
    /// `[section][z1 | z2][channel]`.
    state: Vec<f64>,
    /// One sample of every channel, widened to `f64`.
    frame: Vec<f64>,
    /// Inputs of the current sample, for the non-finite path.
    held: Vec<f64>,
    non_finite: u64,
    wide: bool,
}

impl SosFilter {
    /// Builds a filter for `channels` channels from scipy-layout sections
    /// (`[b0, b1, b2, a0, a1, a2]`; each is normalised by its `a0`).
    #[must_use]
    pub fn new(sections: &[Section], channels: usize) -> Self {
        let coeffs = sections
            .iter()
            .map(|s| {
                let a0 = s[3];
                [s[0] / a0, s[1] / a0, s[2] / a0, s[4] / a0, s[5] / a0]
            })
            .collect::<Vec<_>>();
        Self {
            channels,
            state: vec![0.0; coeffs.len() * 2 * channels],
            frame: vec![0.0; channels],
            held: vec![0.0; channels],
            coeffs,
            non_finite: 0,
            wide: wide_vectors(),
        }
    }

    /// Number of channels.
    #[must_use]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Number of second-order sections.
    #[must_use]
    pub fn sections(&self) -> usize {
        self.coeffs.len()
    }

    /// Non-finite input values seen since construction (not cleared by
    /// [`Self::reset`]).
    #[must_use]
    pub fn non_finite_count(&self) -> u64 {
        self.non_finite
    }

    /// Clears the filter memory of every channel (as after a gap).
    pub fn reset(&mut self) {
        self.state.fill(0.0);
    }

    /// Filters interleaved samples in place.
    ///
    /// # Shapes
    /// `data.len()` must be a multiple of the channel count; a trailing
    /// partial sample is left untouched.
    pub fn process<T: Sample>(&mut self, data: &mut [T]) {
        if self.channels == 0 || self.coeffs.is_empty() {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is true only when the CPU supports AVX2 and FMA
            // (checked by `wide_vectors` at construction).
            unsafe { self.process_avx2(data) };
            return;
        }
        self.process_tiles(data, run);
    }

    /// [`Self::process_tiles`] compiled for AVX2: small blocks take the
    /// channel-inner kernel, larger ones the register-resident cascade.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn process_avx2<T: Sample>(&mut self, data: &mut [T]) {
        let c = self.channels;
        if data.len() < CASCADE_MIN_SAMPLES * c {
            self.process_tiles(data, |coeffs, state, frame, tile| {
                run_avx2(coeffs, state, frame, tile);
            });
        } else {
            self.process_tiles(data, |coeffs, state, _frame, tile| {
                avx2::cascade_tile(coeffs, state, c, tile);
            });
        }
    }

    /// Splits `data` into tiles of [`TILE`] samples; each tile is checked
    /// for non-finite values and filtered by `fast` (or sample by sample
    /// when it holds one) while it is still in L1.
    #[inline(always)]
    fn process_tiles<T: Sample>(
        &mut self,
        data: &mut [T],
        fast: impl Fn(&[[f64; 5]], &mut [f64], &mut [f64], &mut [T]),
    ) {
        let c = self.channels;
        let whole = data.len() - data.len() % c;
        let (data, partial) = data.split_at_mut(whole);
        self.non_finite += count_non_finite(partial);
        for tile in data.chunks_mut(TILE * c) {
            let bad = count_non_finite(tile);
            if bad == 0 {
                fast(&self.coeffs, &mut self.state, &mut self.frame, tile);
            } else {
                self.non_finite += bad;
                self.run_guarded(tile);
            }
        }
    }

    /// Sample by sample; clears the state of channels whose input is not
    /// finite and passes that value through.
    #[inline(always)]
    fn run_guarded<T: Sample>(&mut self, data: &mut [T]) {
        let c = self.channels;
        for sample in data.chunks_exact_mut(c) {
            for (h, &x) in self.held.iter_mut().zip(sample.iter()) {
                *h = x.to_f64();
            }
            run(&self.coeffs, &mut self.state, &mut self.frame, sample);
            for (ch, &x) in self.held.iter().enumerate() {
                if !x.is_finite() {
                    sample[ch] = T::from_f64(x);
                    for st in self.state.chunks_exact_mut(c) {
                        st[ch] = 0.0;
                    }
                }
            }
        }
    }
}

/// Samples per tile: 64 samples of 64 `f32` channels are 16 KiB, so a tile
/// stays in L1 between the non-finite check and the filter.
const TILE: usize = 64;

/// Blocks shorter than this many samples take the channel-inner kernel
/// ([`run`]); loading and storing the register-resident state of every
/// channel group costs more than it saves there.
#[cfg(target_arch = "x86_64")]
const CASCADE_MIN_SAMPLES: usize = 4;

/// Counts in `u32` lanes (8 per AVX2 vector instead of 4 for `u64`); a
/// tile holds far fewer than `u32::MAX` values, longer slices are counted
/// in pieces.
#[inline(always)]
pub(crate) fn count_non_finite<T: Sample>(data: &[T]) -> u64 {
    data.chunks(1 << 30)
        .map(|piece| u64::from(piece.iter().map(|v| u32::from(!v.finite())).sum::<u32>()))
        .sum()
}

fn wide_vectors() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`run`] compiled for AVX2 as a function of its own (inlined into a
/// larger caller the channel loop was left scalar). No `mul_add` is written
/// and Rust never contracts `a * b + c` on its own, so results are
/// bit-identical to [`run`]'s.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[inline(never)]
fn run_avx2<T: Sample>(coeffs: &[[f64; 5]], state: &mut [f64], frame: &mut [f64], data: &mut [T]) {
    run(coeffs, state, frame, data);
}

#[cfg(target_arch = "x86_64")]
mod avx2;

/// The TDF-II kernel: samples outer, sections middle, channels inner.
/// On return `frame` holds the last sample's outputs.
#[inline(always)]
fn run<T: Sample>(coeffs: &[[f64; 5]], state: &mut [f64], frame: &mut [f64], data: &mut [T]) {
    let c = frame.len();
    for sample in data.chunks_exact_mut(c) {
        for (f, &x) in frame.iter_mut().zip(sample.iter()) {
            *f = x.to_f64();
        }
        for (&[b0, b1, b2, a1, a2], st) in coeffs.iter().zip(state.chunks_exact_mut(2 * c)) {
            let (z1, z2) = st.split_at_mut(c);
            for ((x, z1), z2) in frame.iter_mut().zip(z1.iter_mut()).zip(z2.iter_mut()) {
                let xi = *x;
                let y = b0 * xi + *z1;
                *z1 = b1 * xi - a1 * y + *z2;
                *z2 = b2 * xi - a2 * y;
                *x = y;
            }
        }
        for (out, &y) in sample.iter_mut().zip(frame.iter()) {
            *out = T::from_f64(y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{Band, butter};

    #[test]
    fn impulse_response_matches_direct_recurrence() {
        let sos = [[0.5, 0.25, 0.125, 1.0, -0.5, 0.25]];
        let mut f = SosFilter::new(&sos, 1);
        let mut x = [1.0f64, 0.0, 0.0, 0.0];
        f.process(&mut x);
        // y0 = .5; y1 = .25 + .5*.5 = .5; y2 = .125 + .5*.5 - .25*.5 = .25
        assert_eq!(&x[..3], &[0.5, 0.5, 0.25]);
    }

    #[test]
    fn nan_is_passed_through_and_clears_only_its_channel() {
        let sos = butter(2, Band::Lowpass(10.0), 100.0).unwrap();
        let mut f = SosFilter::new(&sos, 2);
        let mut a = vec![1.0f32; 20];
        f.process(&mut a);
        let mut b = [f32::NAN, 1.0, 1.0, 1.0];
        f.process(&mut b);
        assert!(b[0].is_nan());
        assert!(b[1].is_finite() && b[3].is_finite() && b[2].is_finite());
        assert_eq!(f.non_finite_count(), 1);
        let mut fresh = SosFilter::new(&sos, 1);
        let mut one = [1.0f32];
        fresh.process(&mut one);
        assert_eq!(b[2], one[0], "channel 0 restarted from rest");
    }

    /// Every kernel (channel-inner for short blocks, register-resident
    /// cascade with 1, 2, 5 and 9 sections, 4-group notch path, scalar tail
    /// channels) gives the same bits.
    #[test]
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    fn all_kernels_are_bit_identical() {
        let mut sos = butter(8, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
        sos.push(crate::design::iirnotch(50.0, 30.0, 250.0).unwrap());
        let channels = 19;
        let x: Vec<f32> = (0..300 * channels)
            .map(|i| (20.0 * ((i * 7919 % 1013) as f64 * 0.37).sin()) as f32)
            .collect();
        for n in [1usize, 2, 5, 9] {
            let sections = &sos[sos.len() - n..];
            let mut whole = x.clone();
            SosFilter::new(sections, channels).process(&mut whole);
            let mut f = SosFilter::new(sections, channels);
            let mut one = x.clone();
            for s in one.chunks_mut(channels) {
                f.process(s);
            }
            assert!(
                whole
                    .iter()
                    .zip(&one)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{n} sections"
            );
            let mut w64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let mut o64 = w64.clone();
            SosFilter::new(sections, channels).process(&mut w64);
            let mut f = SosFilter::new(sections, channels);
            for s in o64.chunks_mut(channels) {
                f.process(s);
            }
            assert!(
                w64.iter()
                    .zip(&o64)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{n} sections, f64"
            );
        }
    }
}
