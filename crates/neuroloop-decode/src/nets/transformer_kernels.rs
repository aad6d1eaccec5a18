//! Plain f32 kernels of the transformer's real-time form.
//!
//! Every kernel works on caller-owned slices and allocates nothing. Inner
//! loops run over contiguous memory with independent accumulators so that
//! the compiler vectorises them; `exp` and `erf` are branch-free polynomial
//! forms for the same reason (the standard library's are scalar calls).
//! Every kernel is `#[inline(always)]`, so that a caller compiled for AVX2
//! (see `TransformerInference`) gets AVX2 copies of all of them.

/// Lanes of the independent accumulators in reductions.
const LANES: usize = 32;

/// `a * b + c`, one fused multiply-add when `F`. Only code compiled for
/// FMA may set `F` (elsewhere `mul_add` is a slow library call).
#[inline(always)]
pub(crate) fn madd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F { a.mul_add(b, c) } else { a * b + c }
}

/// `out[r] += a[r] · w` for every row `r`: `a` is `[rows, k]`, `w` is
/// `[k, n]`, `out` is `[rows, n]`, all row-major. `out` holds the bias (or
/// a bias table) on entry.
#[inline(always)]
pub(crate) fn matmul_acc<const F: bool>(a: &[f32], k: usize, w: &[f32], n: usize, out: &mut [f32]) {
    for (a_row, o) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
        for (&x, w_row) in a_row.iter().zip(w.chunks_exact(n)) {
            for (o, &w) in o.iter_mut().zip(w_row) {
                *o = madd::<F>(x, w, *o);
            }
        }
    }
}

/// `out = bias + a · w` for one row `a` (`[k]`), `w` `[k, n]`.
#[inline(always)]
pub(crate) fn vecmat_bias<const F: bool>(a: &[f32], w: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    matmul_acc::<F>(a, a.len(), w, out.len(), out);
}

/// Attention scores of one query over all keys: `scores[j] = Σ_k q[k]
/// kt[k][j]` with `kt` `[q.len(), n]`; returns their maximum. Blocks of
/// [`LANES`] scores stay in registers while the `q.len()` key rows stream
/// past.
#[inline(always)]
pub(crate) fn scores<const F: bool>(q: &[f32], kt: &[f32], n: usize, scores: &mut [f32]) -> f32 {
    let mut max = [f32::NEG_INFINITY; LANES];
    let blocks = n / LANES;
    for b in 0..blocks {
        let j0 = b * LANES;
        let mut acc = [0.0_f32; LANES];
        for (&qk, k_row) in q.iter().zip(kt.chunks_exact(n)) {
            let k_row = &k_row[j0..j0 + LANES];
            for i in 0..LANES {
                acc[i] = madd::<F>(qk, k_row[i], acc[i]);
            }
        }
        scores[j0..j0 + LANES].copy_from_slice(&acc);
        for i in 0..LANES {
            max[i] = if acc[i] > max[i] { acc[i] } else { max[i] };
        }
    }
    let mut m = max.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    for j in blocks * LANES..n {
        let s: f32 = q
            .iter()
            .zip(kt.chunks_exact(n))
            .map(|(&qk, k)| qk * k[j])
            .sum();
        scores[j] = s;
        m = m.max(s);
    }
    m
}

/// Dot product with [`LANES`] independent partial sums.
#[inline(always)]
pub(crate) fn dot<const F: bool>(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0_f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] = madd::<F>(x[i], y[i], acc[i]);
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Layer normalisation of each `d`-wide row of `x` into `out`, without the
/// affine part (folded into the next matmul): `(x - mean) / sqrt(var + eps)`
/// with the biased variance.
#[inline(always)]
pub(crate) fn normalize_rows(x: &[f32], d: usize, eps: f32, out: &mut [f32]) {
    let inv_d = 1.0 / d as f32;
    for (x, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let mean = x.iter().sum::<f32>() * inv_d;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() * inv_d;
        let inv_std = 1.0 / (var + eps).sqrt();
        for (o, &v) in o.iter_mut().zip(x) {
            *o = (v - mean) * inv_std;
        }
    }
}

/// Replaces `x` with `exp(x - max)` and returns the sum of the results, so
/// that `x[i] / sum` is the softmax; `max` is the maximum of `x`, so
/// nothing overflows.
#[inline(always)]
pub(crate) fn exp_shifted(x: &mut [f32], max: f32) -> f32 {
    let mut acc = [0.0_f32; LANES];
    let mut chunks = x.chunks_exact_mut(LANES);
    for c in &mut chunks {
        for i in 0..LANES {
            c[i] = exp(c[i] - max);
            acc[i] += c[i];
        }
    }
    let mut tail = 0.0;
    for v in chunks.into_remainder() {
        *v = exp(*v - max);
        tail += *v;
    }
    acc.iter().sum::<f32>() + tail
}

/// Softmax of `logits` into `out` (same length), computed stably.
#[inline(always)]
pub(crate) fn softmax(logits: &[f32], out: &mut [f32]) {
    out.copy_from_slice(logits);
    let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let inv = 1.0 / exp_shifted(out, max);
    for p in out {
        *p *= inv;
    }
}

/// Exact (erf) GELU in place: `0.5 x (1 + erf(x / √2))`.
#[inline(always)]
pub(crate) fn gelu(x: &mut [f32]) {
    for v in x {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `e^x` for `x ≤ 88`, within a few ulp; inputs below -87 give `e^-87`
/// (≈ 1.6e-38, nothing next to the softmax maximum's 1).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 · 2^23: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + SHIFTER;
    let n = t - SHIFTER;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let k = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let scale = f32::from_bits(((k + 127) as u32) << 23);
    e * scale
}

/// The error function, within 5e-7 (absolute) of the exact value: a
/// rational approximation on `[-4, 4]`, ±1 beyond.
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 - 2.101_024e-6;
    p = p * x2 - 5.692_506_4e-5;
    p = p * x2 - 7.349_906_3e-4;
    p = p * x2 - 2.954_6e-3;
    p = p * x2 - 1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 - 2.133_740_6e-4;
    q = q * x2 - 1.682_827e-3;
    q = q * x2 - 7.373_329e-3;
    q = q * x2 - 1.426_474e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series in f64 (exact enough for |x| ≤ 4).
    fn erf_reference(x: f64) -> f64 {
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_matches_std_within_a_few_ulp() {
        for i in -8700..=8800 {
            let x = i as f32 * 0.01;
            let (got, want) = (exp(x), f64::from(x).exp());
            let rel = ((f64::from(got) - want) / want).abs();
            assert!(rel < 4e-7, "exp({x}) = {got}, want {want}");
        }
        assert!(exp(-1000.0) < 1e-37);
    }

    #[test]
    fn erf_matches_the_series() {
        let mut worst = 0.0_f64;
        for i in -500..=500 {
            let x = i as f32 * 0.01;
            let want = if x.abs() > 4.0 {
                x.signum() as f64
            } else {
                erf_reference(f64::from(x))
            };
            let got = f64::from(erf(x));
            worst = worst.max((got - want).abs());
            assert!((got - want).abs() < 5e-7, "erf({x}) = {got}, want {want}");
        }
        eprintln!("erf: worst absolute error {worst:e}");
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let logits = [1000.0_f32, 999.0, -1000.0, 0.0];
        let mut p = [0.0; 4];
        softmax(&logits, &mut p);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let e = (-1.0_f32).exp();
        assert!((p[0] - 1.0 / (1.0 + e)).abs() < 1e-6, "{p:?}");
        assert_eq!(p[2], p[3].min(p[2]));
    }

    #[test]
    fn matmul_and_norm_agree_with_naive_loops() {
        let (rows, k, n) = (3, 5, 7);
        let a: Vec<f32> = (0..rows * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let w: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let mut out = vec![0.5_f32; rows * n];
        matmul_acc::<false>(&a, k, &w, n, &mut out);
        for r in 0..rows {
            for c in 0..n {
                let want: f32 = 0.5 + (0..k).map(|j| a[r * k + j] * w[j * n + c]).sum::<f32>();
                assert!((out[r * n + c] - want).abs() < 1e-5);
            }
        }
        let x: Vec<f32> = (0..40).map(|i| i as f32).collect();
        assert!((dot::<false>(&x, &x) - (0..40).map(|i| (i * i) as f32).sum::<f32>()).abs() < 1e-2);
        let mut z = vec![0.0; 40];
        normalize_rows(&x, 20, 0.0, &mut z);
        let row = &z[20..];
        assert!(row.iter().sum::<f32>().abs() < 1e-4);
        assert!((row.iter().map(|v| v * v).sum::<f32>() / 20.0 - 1.0).abs() < 1e-4);
    }
}
