//! The register-resident cascade, in AVX2 intrinsics.
//!
//! For a group of 4 channels (one `__m256d`), every sample of a tile runs
//! through up to 4 sections in turn while their `z1`/`z2` stay in
//! registers; the state is loaded once per tile and stored once. More than
//! 4 sections are taken in batches of 4 with the intermediate values of the
//! tile kept in an `f64` buffer on the stack. A single section (a notch)
//! runs 4 channel groups side by side so the per-sample recurrence of one
//! group does not leave the multipliers idle. Channels past the last whole
//! group run a scalar cascade. The operations and their order are those of
//! the portable kernel `run` (`mul`, `add`, `sub`, never fused), so the results are
//! bit-identical to it; the one exception is a multiplication by a
//! coefficient equal to 1 (`b0`, `b2` of the sections after the first in
//! Butterworth band-/high-pass designs), which is left out because it is
//! exact.

use std::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
    _mm256_storeu_pd, _mm256_sub_pd,
};

use super::{Sample, TILE};

/// `[b0, b1, b2, a1, a2]` of one section, each in all 4 lanes.
type Coeffs = [__m256d; 5];

#[target_feature(enable = "avx2,fma")]
fn broadcast(k: &[f64; 5]) -> Coeffs {
    k.map(|v| _mm256_set1_pd(v))
}

/// Filters the whole samples of `data` (`c` channels, at most [`TILE`]
/// samples, all finite) with `coeffs`, carrying `state`
/// (`[section][z1 | z2][channel]`).
#[target_feature(enable = "avx2,fma")]
pub(super) fn cascade_tile<T: Sample>(
    coeffs: &[[f64; 5]],
    state: &mut [f64],
    c: usize,
    data: &mut [T],
) {
    let n = data.len() / c;
    let sections = coeffs.len();
    assert!(n <= TILE && state.len() == sections * 2 * c && sections > 0);
    let groups = c / 4;
    let st = state.as_mut_ptr();
    let d = data.as_mut_ptr();
    let mut buf = [_mm256_setzero_pd(); TILE];
    let mut g = 0;
    if sections == 1 {
        let k = [broadcast(&coeffs[0])];
        while g + 4 <= groups {
            // SAFETY: groups g..g+4 are channels 4g..4g+16 <= c, so every
            // state and data offset below is in bounds (n <= TILE).
            unsafe {
                cascade::<T, 1, 4, 0, true, true>(&k, st.add(4 * g), c, d.add(4 * g), &mut buf, n);
            };
            g += 4;
        }
    }
    while g < groups {
        let mut s0 = 0;
        while s0 < sections {
            let m = (sections - s0).min(4);
            let (first, last) = (s0 == 0, s0 + m == sections);
            let k = |i: usize| broadcast(&coeffs[s0 + i.min(m - 1)]);
            // SAFETY: sections s0..s0+m < sections and channels
            // 4g..4g+4 <= c, so every state and data offset is in bounds.
            unsafe {
                let st = st.add(s0 * 2 * c + 4 * g);
                let d = d.add(4 * g);
                // Sections after the first whose numerator has b0 = b2 = 1
                // (Butterworth band-pass and high-pass sections past the
                // first) skip those two multiplications: `1.0 * x == x`
                // exactly, so the results keep their bits.
                let tail = ((1u32 << m) - 1) & !1;
                let units = (0..m)
                    .filter(|&i| coeffs[s0 + i][0] == 1.0 && coeffs[s0 + i][2] == 1.0)
                    .fold(0u32, |acc, i| acc | 1 << i);
                let unit_tail = tail != 0 && units & tail == tail;
                macro_rules! go {
                    ($s:literal, $u:literal) => {{
                        let k: [Coeffs; $s] = std::array::from_fn(k);
                        match (first, last) {
                            (true, true) => {
                                cascade::<T, $s, 1, $u, true, true>(&k, st, c, d, &mut buf, n)
                            }
                            (true, false) => {
                                cascade::<T, $s, 1, $u, true, false>(&k, st, c, d, &mut buf, n)
                            }
                            (false, true) => {
                                cascade::<T, $s, 1, $u, false, true>(&k, st, c, d, &mut buf, n)
                            }
                            (false, false) => {
                                cascade::<T, $s, 1, $u, false, false>(&k, st, c, d, &mut buf, n)
                            }
                        }
                    }};
                    ($s:literal) => {{
                        if unit_tail {
                            go!($s, 0b1110)
                        } else {
                            go!($s, 0)
                        }
                    }};
                }
                match m {
                    1 => go!(1),
                    2 => go!(2),
                    3 => go!(3),
                    _ => go!(4),
                }
            }
            s0 += m;
        }
        g += 1;
    }
    for ch in 4 * groups..c {
        for t in 0..n {
            let mut x = data[t * c + ch].to_f64();
            for (&[b0, b1, b2, a1, a2], z) in coeffs.iter().zip(state.chunks_exact_mut(2 * c)) {
                let y = b0 * x + z[ch];
                z[ch] = b1 * x - a1 * y + z[c + ch];
                z[c + ch] = b2 * x - a2 * y;
                x = y;
            }
            data[t * c + ch] = T::from_f64(x);
        }
    }
}

/// `S` sections over `n` samples of `G` adjacent channel groups starting
/// at `d` (row stride `c`), state at `st` (`z1` of section `s` at
/// `st + s * 2c`, `z2` at `+ c`). The input comes from `d` when `FIRST`
/// (else from `buf`), the output goes to `d` when `LAST` (else to
/// `buf`); `buf` is only used with `G == 1`. Bit `s` of `U` set: section
/// `s` has `b0 = b2 = 1` and those two products are `x` itself.
///
/// # Safety
/// `st` must be valid for `S` sections of `2c` values from the group's
/// first channel, `d` for `n` rows of `c` values, with `4G` channels
/// from `d` inside each row; `n <= TILE`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn cascade<
    T: Sample,
    const S: usize,
    const G: usize,
    const U: u32,
    const FIRST: bool,
    const LAST: bool,
>(
    k: &[Coeffs; S],
    st: *mut f64,
    c: usize,
    d: *mut T,
    buf: &mut [__m256d; TILE],
    n: usize,
) {
    debug_assert!(G == 1 || (FIRST && LAST));
    let mut z1 = [[_mm256_setzero_pd(); G]; S];
    let mut z2 = [[_mm256_setzero_pd(); G]; S];
    for s in 0..S {
        for g in 0..G {
            // SAFETY: in bounds per the contract.
            unsafe {
                z1[s][g] = _mm256_loadu_pd(st.add(s * 2 * c + 4 * g));
                z2[s][g] = _mm256_loadu_pd(st.add(s * 2 * c + c + 4 * g));
            }
        }
    }
    for (t, slot) in buf.iter_mut().enumerate().take(n) {
        for g in 0..G {
            // SAFETY: row t < n, channels 4g..4g+4 inside the row.
            let p = unsafe { d.add(t * c + 4 * g) };
            let mut x = if FIRST { unsafe { load4(p) } } else { *slot };
            for s in 0..S {
                let [b0, b1, b2, a1, a2] = k[s];
                let unit = (U >> s) & 1 == 1;
                let b0x = if unit { x } else { _mm256_mul_pd(b0, x) };
                let y = _mm256_add_pd(b0x, z1[s][g]);
                z1[s][g] = _mm256_add_pd(
                    _mm256_sub_pd(_mm256_mul_pd(b1, x), _mm256_mul_pd(a1, y)),
                    z2[s][g],
                );
                let b2x = if unit { x } else { _mm256_mul_pd(b2, x) };
                z2[s][g] = _mm256_sub_pd(b2x, _mm256_mul_pd(a2, y));
                x = y;
            }
            if LAST {
                // SAFETY: as for the load.
                unsafe { store4(p, x) };
            } else {
                *slot = x;
            }
        }
    }
    for s in 0..S {
        for g in 0..G {
            // SAFETY: in bounds per the contract.
            unsafe {
                _mm256_storeu_pd(st.add(s * 2 * c + 4 * g), z1[s][g]);
                _mm256_storeu_pd(st.add(s * 2 * c + c + 4 * g), z2[s][g]);
            }
        }
    }
}

/// Four samples widened to `f64` (one `vcvtps2pd` for `f32`).
///
/// # Safety
/// `p` must be valid for reading 4 values.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn load4<T: Sample>(p: *const T) -> __m256d {
    // SAFETY: per the contract.
    let v = unsafe { p.cast::<[T; 4]>().read_unaligned() };
    let wide = v.map(Sample::to_f64);
    // SAFETY: `wide` holds 4 values.
    unsafe { _mm256_loadu_pd(wide.as_ptr()) }
}

/// Four lanes narrowed and written (one `vcvtpd2ps` for `f32`).
///
/// # Safety
/// `p` must be valid for writing 4 values.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn store4<T: Sample>(p: *mut T, v: __m256d) {
    let mut lanes = [0.0f64; 4];
    // SAFETY: `lanes` holds 4 values.
    unsafe { _mm256_storeu_pd(lanes.as_mut_ptr(), v) };
    // SAFETY: per the contract.
    unsafe { p.cast::<[T; 4]>().write_unaligned(lanes.map(T::from_f64)) };
}
