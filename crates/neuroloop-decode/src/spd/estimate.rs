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

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
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
    /// The window with channel means removed, `T × C` column-major (each
    /// channel's samples contiguous).
    centered: Vec<f64>,
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
            centered: vec![0.0; samples * channels],
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
        self.center(data)?;
        let centered = MatRef::from_column_major_slice(&self.centered, t, c);
        // Only the lower triangle of `X Xᵀ` is computed (half the products),
        // then mirrored.
        triangular::matmul(
            out.rb_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            centered.transpose(),
            BlockStructure::Rectangular,
            centered,
            BlockStructure::Rectangular,
            1.0 / t as f64,
            Par::Seq,
        );
        for j in 0..c {
            for i in j + 1..c {
                out[(j, i)] = out[(i, j)];
            }
        }
        let tf = t as f64;
        let shrinkage = match estimator {
            Estimator::Lwf => self.ledoit_wolf(out.rb()),
            Estimator::Oas => oas(out.rb(), tf),
            Estimator::Scm => 0.0,
        };
        shrink(out, shrinkage);
        Ok(shrinkage)
    }

    /// Removes each channel's mean into `centered` and accumulates the
    /// per-sample squared norms `Σ_c x_ct²` (Ledoit–Wolf) in the same pass.
    fn center<T: Copy + Into<f64>>(&mut self, data: &[T]) -> Result<(), DecodeError> {
        let t = self.samples;
        self.sample_norms.fill(0.0);
        for (ch, (row, column)) in data
            .chunks_exact(t)
            .zip(self.centered.chunks_exact_mut(t))
            .enumerate()
        {
            for (dst, &v) in column.iter_mut().zip(row) {
                *dst = v.into();
            }
            let mean = sum(column) / t as f64;
            if !mean.is_finite() {
                return Err(DecodeError::Numerical {
                    what: "covariance",
                    message: format!("channel {ch} holds a non-finite value"),
                });
            }
            for (x, n) in column.iter_mut().zip(&mut self.sample_norms) {
                *x -= mean;
                *n += *x * *x;
            }
        }
        Ok(())
    }

    /// Ledoit–Wolf's shrinkage for the biased covariance `emp` of the
    /// centred window.
    fn ledoit_wolf(&self, emp: MatRef<'_, f64>) -> f64 {
        let (c, t) = (self.channels as f64, self.samples as f64);
        let mu = trace(emp) / c;
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

/// The sum of `x` over four interleaved partial sums (vectorised).
fn sum(x: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let chunks = x.chunks_exact(4);
    let rest: f64 = chunks.remainder().iter().sum();
    for q in chunks {
        for (a, v) in acc.iter_mut().zip(q) {
            *a += v;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// OAS shrinkage for the biased covariance `emp` of `t` samples.
fn oas(emp: MatRef<'_, f64>, t: f64) -> f64 {
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
    if s != 0.0 {
        scale(a.rb_mut(), 1.0 - s);
    }
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

fn trace(a: MatRef<'_, f64>) -> f64 {
    (0..a.nrows()).map(|i| a[(i, i)]).sum()
}

fn frobenius2(a: MatRef<'_, f64>) -> f64 {
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
