//! Filter design that reproduces scipy exactly.
//!
//! * [`butter`] = `scipy.signal.butter(order, Wn, btype, fs=fs, output='sos')`:
//!   analog prototype (`buttap`), frequency pre-warping, `lp2lp/lp2hp/lp2bp/
//!   lp2bs_zpk`, `bilinear_zpk`, then [`zpk2sos`].
//! * [`iirnotch`] = `scipy.signal.iirnotch(w0, Q, fs)` as one section.
//! * [`notch_harmonics`]: one notch section per multiple of the mains
//!   frequency below Nyquist.
//!
//! Coefficients agree with scipy to ~1e-12 (tests assert 1e-6 against
//! fixtures written by `tools/dsp/make_fixtures.py`).

use std::f64::consts::PI;

use neuroloop_core::{Error, ErrorKind};

use crate::complex::Complex;
use crate::zpk2sos::zpk2sos;

/// One second-order section `[b0, b1, b2, a0, a1, a2]` with `a0 == 1`
/// (scipy's `sos` row layout).
pub type Section = [f64; 6];

/// Highest Butterworth order accepted.
pub const MAX_ORDER: usize = 16;

/// Band type and cutoff frequencies in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Band {
    /// Pass below the cutoff.
    Lowpass(f64),
    /// Pass above the cutoff.
    Highpass(f64),
    /// Pass between `low` and `high`.
    Bandpass(f64, f64),
    /// Reject between `low` and `high`.
    Bandstop(f64, f64),
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// Designs a digital Butterworth filter as second-order sections.
///
/// `order` is scipy's `N` (band filters get `2·N` poles, `N` sections).
///
/// # Errors
/// [`ErrorKind::Config`] when `order` is 0 or above [`MAX_ORDER`], when
/// `fs` is not positive and finite, or when a cutoff is not strictly between
/// 0 and Nyquist, or `low >= high`.
pub fn butter(order: usize, band: Band, fs: f64) -> Result<Vec<Section>, Error> {
    if order == 0 || order > MAX_ORDER {
        return Err(config_error(format!(
            "order {order} is outside 1..={MAX_ORDER}"
        )));
    }
    if !(fs.is_finite() && fs > 0.0) {
        return Err(config_error(format!("sample rate {fs} must be positive")));
    }
    let nyq = fs / 2.0;
    let check = |f: f64| {
        if f.is_finite() && f > 0.0 && f < nyq {
            Ok(f / nyq)
        } else {
            Err(config_error(format!(
                "cutoff {f} Hz must be strictly between 0 and Nyquist ({nyq} Hz)"
            )))
        }
    };
    // Pre-warp as scipy: fs = 2, warped = 2 * fs * tan(pi * Wn / fs).
    let warp = |wn: f64| 4.0 * (PI * wn / 2.0).tan();

    // Analog prototype: no zeros, poles -exp(i*pi*m/(2N)), m = -N+1, -N+3, ..., N-1.
    let n = order as f64;
    let p: Vec<Complex> = (0..order)
        .map(|i| {
            // numpy: (1j * pi * m) / (2 * N), a complex division that
            // multiplies by the reciprocal.
            let m = -n + 1.0 + 2.0 * i as f64;
            -Complex::cis((PI * m) * (1.0 / (2.0 * n)))
        })
        .collect();

    let (z, p, k) = match band {
        Band::Lowpass(f) => {
            let wo = warp(check(f)?);
            lp2lp(&p, wo)
        }
        Band::Highpass(f) => {
            let wo = warp(check(f)?);
            lp2hp(&p, wo)
        }
        Band::Bandpass(lo, hi) | Band::Bandstop(lo, hi) => {
            let (wl, wh) = (check(lo)?, check(hi)?);
            if wl >= wh {
                return Err(config_error(format!(
                    "low cutoff {lo} Hz must be below high cutoff {hi} Hz"
                )));
            }
            let (w0, w1) = (warp(wl), warp(wh));
            let bw = w1 - w0;
            let wo = (w0 * w1).sqrt();
            if matches!(band, Band::Bandpass(..)) {
                lp2bp(&p, wo, bw)
            } else {
                lp2bs(&p, wo, bw)
            }
        }
    };
    let (z, p, k) = bilinear(&z, &p, k, 2.0);
    Ok(zpk2sos(&z, &p, k))
}

type Zpk = (Vec<Complex>, Vec<Complex>, f64);

/// `lp2lp_zpk` for a prototype without zeros.
fn lp2lp(p: &[Complex], wo: f64) -> Zpk {
    let p: Vec<Complex> = p.iter().map(|&x| x * wo).collect();
    let k = wo.powf(p.len() as f64);
    (Vec::new(), p, k)
}

/// `lp2hp_zpk` for a prototype without zeros.
fn lp2hp(p: &[Complex], wo: f64) -> Zpk {
    let wo_c = Complex::real(wo);
    let ph: Vec<Complex> = p.iter().map(|&x| wo_c / x).collect();
    let z = vec![Complex::default(); p.len()];
    let prod = p.iter().fold(Complex::real(1.0), |acc, &x| acc * -x);
    let k = (Complex::real(1.0) / prod).re;
    (z, ph, k)
}

/// Shifts each root `x` to `x ± sqrt(x² - wo²)` (both halves, `+` first).
fn shift(v: &[Complex], wo: f64) -> Vec<Complex> {
    let wo2 = Complex::real(wo * wo);
    let plus = v.iter().map(|&x| x + (x * x - wo2).sqrt());
    let minus = v.iter().map(|&x| x - (x * x - wo2).sqrt());
    plus.chain(minus).collect()
}

/// `lp2bp_zpk` for a prototype without zeros.
fn lp2bp(p: &[Complex], wo: f64, bw: f64) -> Zpk {
    let degree = p.len();
    let plp: Vec<Complex> = p.iter().map(|&x| x * (bw / 2.0)).collect();
    let pb = shift(&plp, wo);
    let z = vec![Complex::default(); degree];
    (z, pb, bw.powf(degree as f64))
}

/// `lp2bs_zpk` for a prototype without zeros.
fn lp2bs(p: &[Complex], wo: f64, bw: f64) -> Zpk {
    let degree = p.len();
    let half = Complex::real(bw / 2.0);
    let php: Vec<Complex> = p.iter().map(|&x| half / x).collect();
    let pb = shift(&php, wo);
    let mut z = vec![Complex::new(0.0, wo); degree];
    z.extend(std::iter::repeat_n(Complex::new(0.0, -wo), degree));
    let prod = p.iter().fold(Complex::real(1.0), |acc, &x| acc * -x);
    let k = (Complex::real(1.0) / prod).re;
    (z, pb, k)
}

/// `bilinear_zpk`.
fn bilinear(z: &[Complex], p: &[Complex], k: f64, fs: f64) -> Zpk {
    let fs2 = Complex::real(2.0 * fs);
    let degree = p.len() - z.len();
    let mut zz: Vec<Complex> = z.iter().map(|&x| (fs2 + x) / (fs2 - x)).collect();
    zz.extend(std::iter::repeat_n(Complex::real(-1.0), degree));
    let pz: Vec<Complex> = p.iter().map(|&x| (fs2 + x) / (fs2 - x)).collect();
    let num = z.iter().fold(Complex::real(1.0), |acc, &x| acc * (fs2 - x));
    let den = p.iter().fold(Complex::real(1.0), |acc, &x| acc * (fs2 - x));
    (zz, pz, k * (num / den).re)
}

/// Designs a second-order IIR notch at `freq` Hz with quality factor `q`
/// (`scipy.signal.iirnotch(freq, q, fs)`, -3 dB bandwidth `freq / q`).
///
/// # Errors
/// [`ErrorKind::Config`] when `q <= 0`, `fs <= 0`, or `freq` is not strictly
/// between 0 and Nyquist.
pub fn iirnotch(freq: f64, q: f64, fs: f64) -> Result<Section, Error> {
    if !(fs.is_finite() && fs > 0.0) {
        return Err(config_error(format!("sample rate {fs} must be positive")));
    }
    if !(q.is_finite() && q > 0.0) {
        return Err(config_error(format!("Q {q} must be positive")));
    }
    let nyq = fs / 2.0;
    if !(freq.is_finite() && freq > 0.0 && freq < nyq) {
        return Err(config_error(format!(
            "notch frequency {freq} Hz must be strictly between 0 and Nyquist ({nyq} Hz)"
        )));
    }
    let w0 = 2.0 * freq / fs;
    let bw = w0 / q * PI;
    let w0 = w0 * PI;
    let beta = (bw / 2.0).tan();
    let gain = 1.0 / (1.0 + beta);
    let c = -2.0 * w0.cos();
    Ok([gain, gain * c, gain, 1.0, gain * c, 2.0 * gain - 1.0])
}

/// Notch sections at `freq`, `2·freq`, … `harmonics·freq`, skipping the
/// multiples at or above Nyquist; each with the same `q`.
///
/// # Errors
/// As [`iirnotch`] for the fundamental; `harmonics == 0` is an error.
pub fn notch_harmonics(
    freq: f64,
    q: f64,
    harmonics: usize,
    fs: f64,
) -> Result<Vec<Section>, Error> {
    if harmonics == 0 {
        return Err(config_error("harmonics must be at least 1".into()));
    }
    let mut out = vec![iirnotch(freq, q, fs)?];
    for h in 2..=harmonics {
        let f = freq * h as f64;
        if f >= fs / 2.0 {
            break;
        }
        out.push(iirnotch(f, q, fs)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[Section], b: &[Section]) -> bool {
        a.len() == b.len()
            && a.iter()
                .flatten()
                .zip(b.iter().flatten())
                .all(|(x, y)| (x - y).abs() < 1e-9)
    }

    #[test]
    fn second_order_lowpass_matches_scipy() {
        // scipy.signal.butter(2, 40, 'lowpass', fs=250, output='sos')
        let sos = butter(2, Band::Lowpass(40.0), 250.0).unwrap();
        let want = [[
            0.145_323_883_877_042_4,
            0.290_647_767_754_084_8,
            0.145_323_883_877_042_4,
            1.0,
            -0.671_029_090_774_096_1,
            0.252_324_626_282_265_8,
        ]];
        assert!(close(&sos, &want), "{sos:?}");
    }

    #[test]
    fn notch_matches_scipy() {
        // scipy.signal.iirnotch(50, 30, 250)
        let s = iirnotch(50.0, 30.0, 250.0).unwrap();
        let want = [[
            0.979_482_760_981_449_5,
            -0.605_353_637_681_125_2,
            0.979_482_760_981_449_5,
            1.0,
            -0.605_353_637_681_125_2,
            0.958_965_521_962_899,
        ]];
        assert!(close(&[s], &want), "{s:?}");
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(butter(0, Band::Lowpass(10.0), 250.0).is_err());
        assert!(butter(17, Band::Lowpass(10.0), 250.0).is_err());
        assert!(butter(4, Band::Lowpass(125.0), 250.0).is_err());
        assert!(butter(4, Band::Bandpass(30.0, 8.0), 250.0).is_err());
        assert!(iirnotch(50.0, 0.0, 250.0).is_err());
        assert_eq!(notch_harmonics(50.0, 30.0, 5, 250.0).unwrap().len(), 2);
    }
}
