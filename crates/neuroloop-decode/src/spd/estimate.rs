//! Covariance estimators for one window: the sample covariance and the
//! Ledoit–Wolf and OAS shrinkage estimators, as scikit-learn and pyriemann
//! define them, computed without allocation from a preallocated
//! [`CovarianceWorkspace`].
//!
//! For a window `X` (`C` channels × `T` samples) with channel means
//! removed, `S = X Xᵀ`:
//! * `scm`: `S / T` (pyriemann's `scm`: centred, divisor `T`);
//! * `lwf`: `(1 − s) S/T + s μ I` with `μ = tr(S/T)/C` and Ledoit–Wolf's
//!   `s = min(β, δ)/δ`, `δ = ‖S/T − μI‖²_F / C`,
//!   `β = (Σ_t (Σ_c x_ct²)² / T − ‖S/T‖²_F) / (C T)` (scikit-learn's
//!   `ledoit_wolf`);
//! * `oas`: `(1 − s) S/T + s μ I` with `α = mean((S/T)²)` and
//!   `s = min((α + μ²) / ((T + 1)(α − μ²/C)), 1)` (scikit-learn's `oas`).
//!
//! The shrinkage estimators stay positive definite when the window is
//! rank-deficient (a common-average reference in the chain removes one
//! dimension), which is why they are the default.

use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, Par};
use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// Which covariance estimator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// Sample covariance (centred, divisor `T`).
    Scm,
    /// Ledoit–Wolf shrinkage towards a scaled identity.
    #[default]
    Lwf,
    /// Oracle approximating shrinkage towards a scaled identity.
    Oas,
}

/// Buffers for estimating `channels × channels` covariances of
/// `channels × samples` windows.
#[derive(Debug, Clone)]
pub struct CovarianceWorkspace {
    channels: usize,
    samples: usize,
    /// The window with channel means removed, `T × C` (each channel's
    /// samples contiguous).
    centered: Mat<f64>,
    /// `Σ_c x_ct²` per sample (Ledoit–Wolf).
    sample_norms: Vec<f64>,
}

impl CovarianceWorkspace {
    /// Buffers for windows of `channels × samples`.
    #[must_use]
    pub fn new(channels: usize, samples: usize) -> Self {
        Self {
            channels,
            samples,
            centered: Mat::zeros(samples, channels),
            sample_norms: vec![0.0; samples],
        }
    }

    /// Estimates the covariance of the channel-major window `data`
    /// (`data[c * samples + t]`, `f32` or `f64`) into `out` and returns the shrinkage used
    /// (0 for `scm`). No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if `data` or `out` has the wrong size,
    /// the window has fewer than 2 samples, or a value is not finite.
    pub fn estimate<T: Copy + Into<f64>>(
        &mut self,
        estimator: Estimator,
        data: &[T],
        mut out: MatMut<'_, f64>,
    ) -> Result<f64, DecodeError> {
        let (c, t) = (self.channels, self.samples);
        if data.len() != c * t || out.nrows() != c || out.ncols() != c || t < 2 {
            return Err(DecodeError::Numerical {
                what: "covariance",
                message: format!(
                    "{} values for a {c}×{t} window into a {}×{} matrix",
                    data.len(),
                    out.nrows(),
                    out.ncols()
                ),
            });
        }
        for (ch, row) in data.chunks_exact(t).enumerate() {
            let mean = row.iter().map(|&v| v.into()).sum::<f64>() / t as f64;
            if !mean.is_finite() {
                return Err(DecodeError::Numerical {
                    what: "covariance",
                    message: format!("channel {ch} holds a non-finite value"),
                });
            }
            let column = self.centered.col_mut(ch).try_as_col_major_mut();
            for (dst, &v) in column.into_iter().flat_map(|c| c.as_slice_mut()).zip(row) {
                *dst = v.into() - mean;
            }
        }
        matmul(
            out.rb_mut(),
            Accum::Replace,
            self.centered.transpose(),
            self.centered.as_ref(),
            1.0,
            Par::Seq,
        );
        let tf = t as f64;
        scale(out.rb_mut(), 1.0 / tf);
        let shrinkage = match estimator {
            Estimator::Lwf => self.ledoit_wolf(out.rb()),
            Estimator::Oas => oas(out.rb(), tf),
            Estimator::Scm => 0.0,
        };
        shrink(out, shrinkage);
        Ok(shrinkage)
    }

    /// Ledoit–Wolf's shrinkage for the biased covariance `emp` of the
    /// centred window.
    fn ledoit_wolf(&mut self, emp: faer::MatRef<'_, f64>) -> f64 {
        let (c, t) = (self.channels as f64, self.samples as f64);
        let mu = trace(emp) / c;
        self.sample_norms.fill(0.0);
        for ch in 0..self.channels {
            let column = self.centered.col(ch).try_as_col_major();
            for (n, x) in self
                .sample_norms
                .iter_mut()
                .zip(column.into_iter().flat_map(|c| c.as_slice()))
            {
                *n += x * x;
            }
        }
        let beta_sum: f64 = self.sample_norms.iter().map(|n| n * n).sum();
        let frob2 = frobenius2(emp);
        let delta = (frob2 - 2.0 * mu * trace(emp) + c * mu * mu) / c;
        let beta = ((beta_sum / t - frob2) / (c * t)).min(delta);
        if beta == 0.0 || delta == 0.0 {
            0.0
        } else {
            beta / delta
        }
    }
}

/// OAS shrinkage for the biased covariance `emp` of `t` samples.
fn oas(emp: faer::MatRef<'_, f64>, t: f64) -> f64 {
    let c = emp.nrows() as f64;
    let mu = trace(emp) / c;
    let alpha = frobenius2(emp) / (c * c);
    let num = alpha + mu * mu;
    let den = (t + 1.0) * (alpha - mu * mu / c);
    if den == 0.0 {
        1.0
    } else {
        (num / den).min(1.0)
    }
}

/// `(1 − s) a + s μ I` in place, `μ = tr(a)/n`.
fn shrink(mut a: MatMut<'_, f64>, s: f64) {
    let n = a.nrows();
    let mu = trace(a.rb()) / n as f64;
    scale(a.rb_mut(), 1.0 - s);
    for i in 0..n {
        a[(i, i)] += s * mu;
    }
}

fn scale(mut a: MatMut<'_, f64>, k: f64) {
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            a[(i, j)] *= k;
        }
    }
}

fn trace(a: faer::MatRef<'_, f64>) -> f64 {
    (0..a.nrows()).map(|i| a[(i, i)]).sum()
}

fn frobenius2(a: faer::MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * a[(i, j)];
        }
    }
    s
}

/// The covariance of every epoch (`[n, channels, samples]`, channel-major),
/// allocating (fitting code).
///
/// # Errors
/// As [`CovarianceWorkspace::estimate`].
pub fn covariances<T: Copy + Into<f64>>(
    estimator: Estimator,
    data: &[T],
    channels: usize,
    samples: usize,
) -> Result<Vec<Mat<f64>>, DecodeError> {
    let mut ws = CovarianceWorkspace::new(channels, samples);
    data.chunks_exact(channels * samples)
        .map(|epoch| {
            let mut out = Mat::zeros(channels, channels);
            ws.estimate(estimator, epoch, out.as_mut())?;
            Ok(out)
        })
        .collect()
}
