//! Zero-pole-gain to second-order sections, reproducing
//! `scipy.signal.zpk2sos(z, p, k, pairing='nearest')` for digital filters:
//! the same conjugate-pair splitting (`_cplxreal`), the same pole/zero
//! pairing and the same section order (poles nearest the unit circle last),
//! so the coefficients match scipy's to rounding.

use crate::complex::Complex;
use crate::design::Section;

/// Splits `z` into conjugate-pair representatives (positive imaginary part)
/// and real values, sorted exactly as scipy's `_cplxreal` does; returns
/// `complex ++ real` (scipy concatenates them the same way).
///
/// Values whose conjugate is missing are kept as they are (scipy raises; the
/// designs in this crate never produce them).
fn cplxreal(mut z: Vec<Complex>) -> Vec<Complex> {
    if z.is_empty() {
        return z;
    }
    let tol = 100.0 * f64::EPSILON;
    // Sort by real part, then by |imag| (numpy lexsort is stable).
    z.sort_by(|a, b| {
        a.re.total_cmp(&b.re)
            .then(a.im.abs().total_cmp(&b.im.abs()))
    });
    let is_real = |c: &Complex| c.im.abs() <= tol * c.abs_np();
    let reals: Vec<Complex> = z
        .iter()
        .filter(|c| is_real(c))
        .map(|c| Complex::real(c.re))
        .collect();
    let mut zp: Vec<Complex> = z
        .iter()
        .filter(|c| !is_real(c) && c.im > 0.0)
        .copied()
        .collect();
    let mut zn: Vec<Complex> = z
        .iter()
        .filter(|c| !is_real(c) && c.im < 0.0)
        .copied()
        .collect();
    // Runs of (approximately) equal real part are sorted by |imag|.
    let mut start = 0;
    while start < zp.len() {
        let mut stop = start + 1;
        while stop < zp.len() && zp[stop].re - zp[stop - 1].re <= tol * zp[stop - 1].abs_np() {
            stop += 1;
        }
        if stop - start > 1 {
            zp[start..stop].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
            let end = stop.min(zn.len());
            if start < end {
                zn[start..end].sort_by(|a, b| a.im.abs().total_cmp(&b.im.abs()));
            }
        }
        start = stop;
    }
    let mut out: Vec<Complex> = zp
        .iter()
        .zip(&zn)
        .map(|(&a, &b)| (a + b.conj()) * 0.5)
        .collect();
    out.extend(zp.iter().skip(zn.len()));
    out.extend(zn.iter().skip(zp.len()).map(|c| c.conj()));
    out.extend(reals);
    out
}

/// Index of the first minimum of `key` over `v` (numpy `argmin`).
fn argmin_by(v: &[Complex], key: impl Fn(Complex) -> f64) -> usize {
    let mut best = 0;
    let mut best_key = f64::INFINITY;
    for (i, &c) in v.iter().enumerate() {
        let k = key(c);
        if k < best_key {
            best = i;
            best_key = k;
        }
    }
    best
}

/// The digital "worst" pole: the one closest to the unit circle.
fn idx_worst(p: &[Complex]) -> usize {
    argmin_by(p, |c| (1.0 - c.abs_np()).abs())
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Real,
    Complex,
    Any,
}

/// scipy's `_nearest_real_complex_idx`: the nearest element of `fro` to `to`
/// that is real, complex, or either.
fn nearest(fro: &[Complex], to: Complex, which: Which) -> usize {
    let mut order: Vec<usize> = (0..fro.len()).collect();
    order.sort_by(|&a, &b| (fro[a] - to).abs_np().total_cmp(&(fro[b] - to).abs_np()));
    order
        .into_iter()
        .find(|&i| match which {
            Which::Any => true,
            Which::Real => fro[i].is_real(),
            Which::Complex => !fro[i].is_real(),
        })
        .unwrap_or(0)
}

/// Monic polynomial with the given roots, real part (numpy `poly`).
fn poly(roots: &[Complex]) -> Vec<f64> {
    let mut a = vec![Complex::real(1.0)];
    for &r in roots {
        let mut next = vec![Complex::default(); a.len() + 1];
        for (i, &ai) in a.iter().enumerate() {
            next[i] = next[i] + ai;
            next[i + 1] = next[i + 1] + ai * (-r);
        }
        a = next;
    }
    a.into_iter().map(|c| c.re).collect()
}

/// scipy's `_single_zpksos` with unit gain: coefficients right-aligned.
fn single_section(z: &[Complex], p: &[Complex]) -> Section {
    let mut s = [0.0; 6];
    let b = poly(z);
    let a = poly(p);
    s[3 - b.len()..3].copy_from_slice(&b);
    s[6 - a.len()..6].copy_from_slice(&a);
    s
}

/// Converts digital zeros, poles and gain to second-order sections exactly as
/// `scipy.signal.zpk2sos(z, p, k)` (pairing `nearest`).
///
/// # Shapes
/// Returns `ceil(max(len(z), len(p)) / 2)` sections `[b0, b1, b2, 1, a1, a2]`;
/// the gain is folded into the first section's numerator.
#[must_use]
pub fn zpk2sos(z: &[Complex], p: &[Complex], k: f64) -> Vec<Section> {
    if z.is_empty() && p.is_empty() {
        return vec![[k, 0.0, 0.0, 1.0, 0.0, 0.0]];
    }
    let mut z = z.to_vec();
    let mut p = p.to_vec();
    while p.len() < z.len() {
        p.push(Complex::default());
    }
    while z.len() < p.len() {
        z.push(Complex::default());
    }
    let n_sections = p.len().div_ceil(2);
    if p.len() % 2 == 1 {
        p.push(Complex::default());
        z.push(Complex::default());
    }
    let mut z = cplxreal(z);
    let mut p = cplxreal(p);
    let zero = Complex::default();
    let mut sos = vec![[0.0; 6]; n_sections];
    for si in (0..n_sections).rev() {
        let p1 = p.remove(idx_worst(&p));
        let real_poles_left = p.iter().filter(|c| c.is_real()).count();
        if p1.is_real() && real_poles_left == 0 {
            // Last remaining real pole: pair with the nearest real zero.
            let z1 = z.remove(nearest(&z, p1, Which::Real));
            sos[si] = single_section(&[z1, zero], &[p1, zero]);
        } else if p.len() + 1 == z.len()
            && !p1.is_real()
            && real_poles_left == 1
            && z.iter().filter(|c| c.is_real()).count() == 1
        {
            // One real pole and one real zero left: must take a complex zero.
            let z1 = z.remove(nearest(&z, p1, Which::Complex));
            sos[si] = single_section(&[z1, z1.conj()], &[p1, p1.conj()]);
        } else {
            let p2 = if p1.is_real() {
                let real_idx: Vec<usize> = (0..p.len()).filter(|&i| p[i].is_real()).collect();
                let reals: Vec<Complex> = real_idx.iter().map(|&i| p[i]).collect();
                p.remove(real_idx[idx_worst(&reals)])
            } else {
                p1.conj()
            };
            if z.is_empty() {
                sos[si] = single_section(&[], &[p1, p2]);
            } else {
                let z1 = z.remove(nearest(&z, p1, Which::Any));
                if !z1.is_real() {
                    sos[si] = single_section(&[z1, z1.conj()], &[p1, p2]);
                } else if z.is_empty() {
                    sos[si] = single_section(&[z1], &[p1, p2]);
                } else {
                    let z2 = z.remove(nearest(&z, p1, Which::Real));
                    sos[si] = single_section(&[z1, z2], &[p1, p2]);
                }
            }
        }
    }
    for c in &mut sos[0][..3] {
        *c *= k;
    }
    sos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_docstring_example() {
        // scipy.signal.zpk2sos([-1, -0.5-0.5j, -0.5+0.5j], [0.75, 0.8+0.1j, 0.8-0.1j], 1)
        let z = [
            Complex::real(-1.0),
            Complex::new(-0.5, -0.5),
            Complex::new(-0.5, 0.5),
        ];
        let p = [
            Complex::real(0.75),
            Complex::new(0.8, 0.1),
            Complex::new(0.8, -0.1),
        ];
        let sos = zpk2sos(&z, &p, 1.0);
        let want = [
            [1.0, 1.0, 0.5, 1.0, -0.75, 0.0],
            [1.0, 1.0, 0.0, 1.0, -1.6, 0.65],
        ];
        for (got, want) in sos.iter().zip(&want) {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-12, "{sos:?}");
            }
        }
    }
}
