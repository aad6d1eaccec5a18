//! Common spatial patterns: spatial filters from the generalized
//! eigenproblem of class covariances, and log-variance features.
//!
//! Two classes: the eigenvectors of `C₀ x = λ (C₀ + C₁) x` with the
//! `pairs` smallest and `pairs` largest eigenvalues (the filters whose
//! output variance differs most between the classes). More classes: one
//! problem per class against the mean of the others (one-vs-rest),
//! `2 · pairs` filters each. `C_k` is the mean of the class's trial
//! covariances.
//!
//! The problems are solved in the subspace the data span (as MNE's
//! `restr_type="restricting"`): a common-average reference removes one
//! dimension, where shrunk covariances hold only their shrinkage target and
//! the eigenvalue of that direction says nothing about the classes. The
//! subspace is spanned by the eigenvectors of the mean sample covariance
//! whose eigenvalues exceed `1e-8` of the largest.

use faer::Mat;

use crate::DecodeError;
use crate::spd::{SymEigen, generalized_eigh, normalise_signs};

/// Fits CSP filters on trial covariances `covs` with `labels` in
/// `0..classes`; returns them as the rows of a `[filters, channels]`
/// matrix.
///
/// # Errors
/// [`DecodeError::Numerical`] if a class has no trial, `2 · pairs`
/// exceeds the channel count, or a class covariance sum is singular.
pub fn fit_csp(
    covs: &[Mat<f64>],
    sample_covs: &[Mat<f64>],
    labels: &[usize],
    classes: usize,
    pairs: usize,
) -> Result<Mat<f64>, DecodeError> {
    let channels = covs.first().map_or(0, Mat::nrows);
    let basis = data_subspace(sample_covs, channels)?;
    let c = basis.ncols();
    if pairs == 0 || 2 * pairs > c {
        return Err(DecodeError::Numerical {
            what: "CSP",
            message: format!(
                "{pairs} filter pairs for data of rank {c} ({channels} channels; 1..={} allowed)",
                c / 2
            ),
        });
    }
    let restricted: Vec<Mat<f64>> = covs
        .iter()
        .map(|m| basis.transpose() * m * &basis)
        .collect();
    let means = class_means(&restricted, labels, classes)?;
    let problems = if classes == 2 { 1 } else { classes };
    let mut filters = Mat::zeros(problems * 2 * pairs, channels);
    for k in 0..problems {
        let mut rest = Mat::<f64>::zeros(c, c);
        for (j, m) in means.iter().enumerate() {
            if j != k {
                rest += m * faer::Scale(1.0 / (classes - 1) as f64);
            }
        }
        let total = &means[k] + &rest;
        let eig = generalized_eigh(means[k].as_ref(), total.as_ref())?;
        let mut full = &basis * &eig.vectors;
        normalise_signs(&mut full);
        let picks = (0..pairs).chain(c - pairs..c);
        for (row, col) in picks.enumerate() {
            for ch in 0..channels {
                filters[(k * 2 * pairs + row, ch)] = full[(ch, col)];
            }
        }
    }
    Ok(filters)
}

/// An orthonormal basis (`channels × rank`) of the space the data span.
fn data_subspace(sample_covs: &[Mat<f64>], channels: usize) -> Result<Mat<f64>, DecodeError> {
    let mut mean = Mat::<f64>::zeros(channels, channels);
    for m in sample_covs {
        mean += m * faer::Scale(1.0 / sample_covs.len().max(1) as f64);
    }
    let mut eig = SymEigen::new(channels, true);
    eig.compute(mean.as_ref())?;
    let largest = eig.values().last().copied().unwrap_or(0.0);
    let keep: Vec<usize> = (0..channels)
        .filter(|&j| eig.values()[j] > 1e-8 * largest)
        .collect();
    Ok(Mat::from_fn(channels, keep.len(), |i, j| {
        eig.vectors()[(i, keep[j])]
    }))
}

fn class_means(
    covs: &[Mat<f64>],
    labels: &[usize],
    classes: usize,
) -> Result<Vec<Mat<f64>>, DecodeError> {
    let c = covs.first().map_or(0, Mat::nrows);
    let mut means = vec![Mat::<f64>::zeros(c, c); classes];
    let mut counts = vec![0_usize; classes];
    for (cov, &l) in covs.iter().zip(labels) {
        means[l] += cov;
        counts[l] += 1;
    }
    for (k, (m, n)) in means.iter_mut().zip(&counts).enumerate() {
        if *n == 0 {
            return Err(DecodeError::Numerical {
                what: "CSP",
                message: format!("class {k} has no trial"),
            });
        }
        *m *= faer::Scale(1.0 / *n as f64);
    }
    Ok(means)
}

/// Log-variance of each spatially filtered signal: for filter row `w`,
/// `ln var(wᵀ x)` (unbiased variance over the window's samples), written
/// into `out`. No allocation.
///
/// # Shapes
/// `signal` is channel-major `[channels, samples]`; `filters` is
/// `[filters, channels]`; `out` has `filters` entries.
pub fn log_variance(filters: &Mat<f64>, signal: &[f64], samples: usize, out: &mut [f64]) {
    let channels = filters.ncols();
    for (f, o) in out.iter_mut().enumerate().take(filters.nrows()) {
        let (mut sum, mut sum2) = (0.0, 0.0);
        for t in 0..samples {
            let mut z = 0.0;
            for ch in 0..channels {
                z += filters[(f, ch)] * signal[ch * samples + t];
            }
            sum += z;
            sum2 += z * z;
        }
        let n = samples as f64;
        let var = (sum2 - sum * sum / n) / (n - 1.0).max(1.0);
        *o = var.max(f64::MIN_POSITIVE).ln();
    }
}
