//! Plain-Rust `f32` kernels of the inference forms.
//!
//! Every kernel works on caller-owned slices and never allocates. The
//! correlation kernels keep a block of outputs (rows × lanes) in local
//! accumulators and stream the inputs past them, so the inner loops are
//! fixed-length lane loops that the compiler turns into SIMD; on x86-64
//! machines with AVX2 and FMA a second copy of each kernel is compiled for
//! them and chosen at run time ([`Simd::detect`]).
//!
//! # Shapes
//! Signals are row-major `[rows, stride]`. A correlation computes
//! `ceil(len / LANES) * LANES` outputs per row, so output rows must hold
//! that many values and input rows that many plus `taps - 1`; the caller
//! keeps the extra input values at zero.

/// Instruction set of the kernels, chosen once at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// Baseline target features (SSE2 on x86-64).
    Base,
    /// AVX2 with fused multiply-add.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Simd {
    /// The best instruction set this machine supports.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd::Avx2Fma;
        }
        Simd::Base
    }
}

/// Time lanes of one bank block (rows share each input load).
pub(crate) const BANK_LANES: usize = 16;
/// Time lanes of one depthwise block (one row: more lanes hide FMA latency).
pub(crate) const DEPTH_LANES: usize = 64;

/// `len` rounded up to a multiple of `lanes`.
pub(crate) const fn padded(len: usize, lanes: usize) -> usize {
    len.div_ceil(lanes) * lanes
}

/// A filter bank over several input rows:
/// `out[o][t] = sum_i sum_k w[(o * n_in + i) * taps + k] * x[i][t + k]`
/// for `t < padded(len, BANK_LANES)`, every `o < n_out` (rows of `out` are
/// `out_stride` apart; rows of `x` are `x_stride` apart).
#[allow(clippy::too_many_arguments)]
pub(crate) fn bank(
    simd: Simd,
    x: &[f32],
    x_stride: usize,
    n_in: usize,
    w: &[f32],
    taps: usize,
    out: &mut [f32],
    out_stride: usize,
    n_out: usize,
    len: usize,
) {
    match simd {
        Simd::Base => bank_impl::<false>(x, x_stride, n_in, w, taps, out, out_stride, n_out, len),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Simd::Avx2Fma` is only constructed after detecting both features.
        Simd::Avx2Fma => unsafe {
            bank_avx2(x, x_stride, n_in, w, taps, out, out_stride, n_out, len);
        },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn bank_avx2(
    x: &[f32],
    x_stride: usize,
    n_in: usize,
    w: &[f32],
    taps: usize,
    out: &mut [f32],
    out_stride: usize,
    n_out: usize,
    len: usize,
) {
    bank_impl::<true>(x, x_stride, n_in, w, taps, out, out_stride, n_out, len);
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bank_impl<const FMA: bool>(
    x: &[f32],
    x_stride: usize,
    n_in: usize,
    w: &[f32],
    taps: usize,
    out: &mut [f32],
    out_stride: usize,
    n_out: usize,
    len: usize,
) {
    let span = n_in * taps;
    let blocks = len.div_ceil(BANK_LANES);
    let mut o = 0;
    while o + 4 <= n_out {
        let rows = [
            &w[o * span..(o + 1) * span],
            &w[(o + 1) * span..(o + 2) * span],
            &w[(o + 2) * span..(o + 3) * span],
            &w[(o + 3) * span..(o + 4) * span],
        ];
        for b in 0..blocks {
            let acc = block::<4, BANK_LANES, FMA>(x, x_stride, n_in, rows, taps, b * BANK_LANES);
            for (r, lane) in acc.iter().enumerate() {
                let at = (o + r) * out_stride + b * BANK_LANES;
                out[at..at + BANK_LANES].copy_from_slice(lane);
            }
        }
        o += 4;
    }
    for o in o..n_out {
        let rows = [&w[o * span..(o + 1) * span]];
        for b in 0..blocks {
            let acc = block::<1, BANK_LANES, FMA>(x, x_stride, n_in, rows, taps, b * BANK_LANES);
            let at = o * out_stride + b * BANK_LANES;
            out[at..at + BANK_LANES].copy_from_slice(&acc[0]);
        }
    }
}

/// A single-row correlation: `out[t] = sum_k w[k] * x[t + k]` for
/// `t < padded(len, DEPTH_LANES)`.
pub(crate) fn correlate(simd: Simd, x: &[f32], w: &[f32], out: &mut [f32], len: usize) {
    match simd {
        Simd::Base => correlate_impl::<false>(x, w, out, len),
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Simd::Avx2Fma` is only constructed after detecting both features.
        Simd::Avx2Fma => unsafe { correlate_avx2(x, w, out, len) },
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn correlate_avx2(x: &[f32], w: &[f32], out: &mut [f32], len: usize) {
    correlate_impl::<true>(x, w, out, len);
}

#[inline(always)]
fn correlate_impl<const FMA: bool>(x: &[f32], w: &[f32], out: &mut [f32], len: usize) {
    for b in 0..len.div_ceil(DEPTH_LANES) {
        let acc = block::<1, DEPTH_LANES, FMA>(x, 0, 1, [w], w.len(), b * DEPTH_LANES);
        out[b * DEPTH_LANES..(b + 1) * DEPTH_LANES].copy_from_slice(&acc[0]);
    }
}

/// One block of `R` output rows × `L` time lanes starting at `t0`.
#[inline(always)]
fn block<const R: usize, const L: usize, const FMA: bool>(
    x: &[f32],
    x_stride: usize,
    n_in: usize,
    rows: [&[f32]; R],
    taps: usize,
    t0: usize,
) -> [[f32; L]; R] {
    let mut acc = [[0.0_f32; L]; R];
    for i in 0..n_in {
        let input = &x[i * x_stride + t0..i * x_stride + t0 + taps - 1 + L];
        let weights: [&[f32]; R] = std::array::from_fn(|r| &rows[r][i * taps..(i + 1) * taps]);
        for k in 0..taps {
            let Ok(xs) = <&[f32; L]>::try_from(&input[k..k + L]) else {
                unreachable!("the input slice holds taps - 1 + L values")
            };
            for r in 0..R {
                let wv = weights[r][k];
                let a = &mut acc[r];
                for l in 0..L {
                    a[l] = if FMA {
                        wv.mul_add(xs[l], a[l])
                    } else {
                        a[l] + wv * xs[l]
                    };
                }
            }
        }
    }
    acc
}

/// ELU (alpha 1) in place, with a branch-free exponential that vectorises.
pub(crate) fn elu_in_place(values: &mut [f32]) {
    for v in values.iter_mut() {
        let e = exp_non_positive(v.min(0.0)) - 1.0;
        *v = if *v > 0.0 { *v } else { e };
    }
}

/// `exp(x)` for `x <= 0` (Cephes `expf` polynomial, about 1 ulp), branch-free.
#[inline(always)]
pub(crate) fn exp_non_positive(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer.
    let x = x.max(-87.0);
    let n = x * std::f32::consts::LOG2_E + MAGIC;
    let k = n.to_bits().wrapping_sub(MAGIC.to_bits()) as i32;
    let n = n - MAGIC;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let z = r * r;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let y = p * z + r + 1.0;
    y * f32::from_bits(((k + 127) as u32) << 23)
}

/// Sum of `values` with eight independent partial sums (vectorises).
#[inline]
pub(crate) fn sum(values: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Sum of squares of `values` with eight independent partial sums.
#[inline]
pub(crate) fn sum_squares(values: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for c in chunks {
        for l in 0..8 {
            acc[l] += c[l] * c[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Dot product with eight independent partial sums.
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0_f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Softmax of `logits` into `out` (same length), max-subtracted.
pub(crate) fn softmax(logits: &[f32], out: &mut [f32]) {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    let mut total = 0.0;
    for (o, l) in out.iter_mut().zip(logits) {
        *o = (l - max).exp();
        total += *o;
    }
    out.iter_mut().for_each(|o| *o /= total);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_std_on_the_negative_axis() {
        let mut worst = 0.0_f32;
        for i in 0..=20_000 {
            let x = -(i as f32) * 0.004;
            let rel = (exp_non_positive(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
        }
        assert!(worst < 4e-7, "relative error {worst}");
        assert!(exp_non_positive(-200.0) < 1e-37);
    }

    #[test]
    fn bank_matches_a_direct_sum() {
        let (n_in, taps, n_out, len) = (3, 5, 6, 37);
        let x_stride = padded(len, BANK_LANES) + taps - 1;
        let x: Vec<f32> = (0..n_in * x_stride)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let w: Vec<f32> = (0..n_out * n_in * taps)
            .map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0)
            .collect();
        let out_stride = padded(len, BANK_LANES);
        for simd in [Simd::Base, Simd::detect()] {
            let mut out = vec![0.0; n_out * out_stride];
            bank(
                simd, &x, x_stride, n_in, &w, taps, &mut out, out_stride, n_out, len,
            );
            for o in 0..n_out {
                for t in 0..len {
                    let mut want = 0.0;
                    for i in 0..n_in {
                        for k in 0..taps {
                            want += w[(o * n_in + i) * taps + k] * x[i * x_stride + t + k];
                        }
                    }
                    assert!((out[o * out_stride + t] - want).abs() < 1e-4, "{o} {t}");
                }
            }
        }
    }
}
