//! A minimal `f64` complex number: exactly the operations filter design
//! needs, with numpy's conventions (principal square root, Smith division).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// A complex number `re + i·im`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// `re + i·im`.
    #[must_use]
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// A real number.
    #[must_use]
    pub const fn real(re: f64) -> Self {
        Self { re, im: 0.0 }
    }

    /// Modulus `|z|`.
    #[must_use]
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    /// Modulus as numpy's vectorised `np.abs` computes it for arrays
    /// (`larger * sqrt(fma(ratio, ratio, 1))`, on CPUs with FMA, which is
    /// where the fixtures come from). scipy's `zpk2sos` ranks poles and
    /// zeros with it, and for mirror-symmetric designs (e.g. a band-stop
    /// centred on fs/4) its last bit decides ties, so section order only
    /// matches scipy's when this is reproduced exactly.
    #[must_use]
    pub fn abs_np(self) -> f64 {
        let (re, im) = (self.re.abs(), self.im.abs());
        if re.is_nan() || im.is_nan() {
            return if re.is_infinite() || im.is_infinite() {
                f64::INFINITY
            } else {
                f64::NAN
            };
        }
        let larger = re.max(im);
        let smaller = re.min(im);
        if larger == 0.0 || smaller.is_infinite() {
            return larger;
        }
        let ratio = smaller / larger;
        ratio.mul_add(ratio, 1.0).sqrt() * larger
    }

    /// Complex conjugate.
    #[must_use]
    pub fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }

    /// Whether the imaginary part is exactly zero (numpy's `isreal`).
    #[must_use]
    pub fn is_real(self) -> bool {
        self.im == 0.0
    }

    /// `e^(i·theta)`.
    #[must_use]
    pub fn cis(theta: f64) -> Self {
        Self::new(theta.cos(), theta.sin())
    }

    /// Principal square root, with glibc `csqrt`'s formulas (numpy calls
    /// the C library's), so results agree to the last bit for ordinary
    /// magnitudes.
    #[must_use]
    pub fn sqrt(self) -> Self {
        let (x, y) = (self.re, self.im);
        if y == 0.0 {
            return if x < 0.0 {
                Self::new(0.0, (-x).sqrt().copysign(y))
            } else {
                Self::new(x.sqrt().abs(), 0.0f64.copysign(y))
            };
        }
        if x == 0.0 {
            let r = (0.5 * y.abs()).sqrt();
            return Self::new(r, r.copysign(y));
        }
        let d = x.hypot(y);
        let (r, s) = if x > 0.0 {
            let r = (0.5 * (d + x)).sqrt();
            (r, 0.5 * (y / r))
        } else {
            let s = (0.5 * (d - x)).sqrt();
            ((0.5 * (y / s)).abs(), s)
        };
        Self::new(r, s.copysign(y))
    }
}

impl Add for Complex {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }
}

impl Sub for Complex {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }
}

impl Neg for Complex {
    type Output = Self;
    fn neg(self) -> Self {
        Self::new(-self.re, -self.im)
    }
}

impl Mul for Complex {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

impl Mul<f64> for Complex {
    type Output = Self;
    fn mul(self, k: f64) -> Self {
        Self::new(self.re * k, self.im * k)
    }
}

impl Div for Complex {
    type Output = Self;
    /// Smith's algorithm with numpy's exact operation order.
    fn div(self, o: Self) -> Self {
        if o.re.abs() >= o.im.abs() {
            if o.re == 0.0 && o.im == 0.0 {
                return Self::new(self.re / o.re.abs(), self.im / o.re.abs());
            }
            let rat = o.im / o.re;
            let scl = 1.0 / (o.re + o.im * rat);
            Self::new(
                (self.re + self.im * rat) * scl,
                (self.im - self.re * rat) * scl,
            )
        } else {
            let rat = o.re / o.im;
            let scl = 1.0 / (o.im + o.re * rat);
            Self::new(
                (self.re * rat + self.im) * scl,
                (self.im * rat - self.re) * scl,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqrt_is_principal_branch() {
        let s = Complex::new(-4.0, 0.0).sqrt();
        assert_eq!(s, Complex::new(0.0, 2.0));
        let s = Complex::new(-4.0, -0.0).sqrt();
        assert_eq!(s, Complex::new(0.0, -2.0));
        let z = Complex::new(3.0, -7.0);
        let r = z.sqrt();
        let back = r * r;
        assert!((back - z).abs() < 1e-12);
        assert!(r.re >= 0.0);
    }

    #[test]
    fn division_inverts_multiplication() {
        let a = Complex::new(1.5, -2.0);
        let b = Complex::new(-0.25, 4.0);
        assert!(((a * b) / b - a).abs() < 1e-12);
        assert!(((a * b) / a - b).abs() < 1e-12);
    }
}
