//! Linear discriminant analysis with Ledoit–Wolf shrinkage, as
//! scikit-learn's `LinearDiscriminantAnalysis(solver="lsqr",
//! shrinkage="auto")`:
//!
//! * class means `m_k` and priors `π_k = n_k / n`;
//! * within-class covariance `Σ = Σ_k π_k S_k`, each `S_k` the Ledoit–Wolf
//!   covariance of the class's features standardised by their (population)
//!   standard deviations, scaled back: `S_k = D L D` with `D` the standard
//!   deviations (1 where a feature is constant);
//! * weights `w_k = Σ⁻¹ m_k` (Cholesky), offsets
//!   `b_k = −½ m_k·w_k + ln π_k`; two classes keep `w_1 − w_0`, `b_1 − b_0`.

use faer::{Mat, Side};

use super::model::{LinearModel, check_training};
use crate::DecodeError;
use crate::spd::{CovarianceWorkspace, Estimator};

/// Fits shrinkage LDA on `features` (`[n, d]` row-major) with `labels` in
/// `0..classes`.
///
/// # Errors
/// [`DecodeError::Numerical`] for inconsistent sizes, non-finite features,
/// a class with fewer than 2 samples, or a singular covariance.
pub fn fit_lda(
    features: &[f64],
    labels: &[usize],
    classes: usize,
) -> Result<LinearModel, DecodeError> {
    let d = check_training("shrinkage LDA", features, labels, classes)?;
    let n = labels.len();
    let bad = |message: String| DecodeError::Numerical {
        what: "shrinkage LDA",
        message,
    };
    let mut means = Mat::<f64>::zeros(d, classes);
    let mut within = Mat::<f64>::zeros(d, d);
    let mut priors = vec![0.0; classes];
    for k in 0..classes {
        let rows: Vec<&[f64]> = (0..n)
            .filter(|&i| labels[i] == k)
            .map(|i| &features[i * d..(i + 1) * d])
            .collect();
        if rows.len() < 2 {
            return Err(bad(format!(
                "class {k} has {} samples, 2 needed",
                rows.len()
            )));
        }
        priors[k] = rows.len() as f64 / n as f64;
        let (mu, s) = class_covariance(&rows, d)?;
        for (j, v) in mu.iter().enumerate() {
            means[(j, k)] = *v;
        }
        within += &s * faer::Scale(priors[k]);
    }
    let llt = within
        .llt(Side::Lower)
        .map_err(|e| bad(format!("the within-class covariance is singular ({e:?})")))?;
    let weights = faer::linalg::solvers::Solve::solve(&llt, &means);
    let mut coef = vec![0.0; classes * d];
    let mut intercept = vec![0.0; classes];
    for k in 0..classes {
        let mut m_dot_w = 0.0;
        for j in 0..d {
            coef[k * d + j] = weights[(j, k)];
            m_dot_w += means[(j, k)] * weights[(j, k)];
        }
        intercept[k] = -0.5 * m_dot_w + priors[k].ln();
    }
    if classes == 2 {
        let (w0, w1) = coef.split_at(d);
        coef = w1.iter().zip(w0).map(|(a, b)| a - b).collect();
        intercept = vec![intercept[1] - intercept[0]];
    }
    let model = LinearModel {
        classes,
        features: d,
        coef,
        intercept,
    };
    model.validate()?;
    Ok(model)
}

/// The class mean and the rescaled Ledoit–Wolf covariance of
/// standardised features.
fn class_covariance(rows: &[&[f64]], d: usize) -> Result<(Vec<f64>, Mat<f64>), DecodeError> {
    let m = rows.len();
    let mut mu = vec![0.0; d];
    for r in rows {
        for (a, b) in mu.iter_mut().zip(r.iter()) {
            *a += b / m as f64;
        }
    }
    let mut std = vec![0.0; d];
    for r in rows {
        for j in 0..d {
            std[j] += (r[j] - mu[j]).powi(2) / m as f64;
        }
    }
    for s in &mut std {
        *s = if *s > 0.0 { s.sqrt() } else { 1.0 };
    }
    // Feature-major (the estimator's channel-major) standardised data.
    let mut standardised = vec![0.0; d * m];
    for (i, r) in rows.iter().enumerate() {
        for j in 0..d {
            standardised[j * m + i] = (r[j] - mu[j]) / std[j];
        }
    }
    let mut s = Mat::zeros(d, d);
    CovarianceWorkspace::new(d, m).estimate(Estimator::Lwf, &standardised, s.as_mut())?;
    let cov = Mat::from_fn(d, d, |i, j| std[i] * s[(i, j)] * std[j]);
    Ok((mu, cov))
}
