//! Pieces of the stored (JSON) form of the covariance decoders: matrices as
//! rows, feature standardisation, and the checks a record read from a file
//! must pass before a decoder is built from it.

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// Per-feature standardisation `(x − mean) / std` learned from training
/// features (population standard deviation; 1 for a constant feature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standardiser {
    /// Mean of each feature.
    pub mean: Vec<f64>,
    /// Standard deviation of each feature.
    pub std: Vec<f64>,
}

impl Standardiser {
    /// Learns the statistics of `features` (`[n, width]` row-major).
    #[must_use]
    pub fn fit(features: &[f64], width: usize) -> Self {
        let n = (features.len() / width.max(1)).max(1) as f64;
        let mut mean = vec![0.0; width];
        for row in features.chunks_exact(width) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / n;
            }
        }
        let mut std = vec![0.0; width];
        for row in features.chunks_exact(width) {
            for ((s, v), m) in std.iter_mut().zip(row).zip(&mean) {
                *s += (v - m).powi(2) / n;
            }
        }
        for s in &mut std {
            *s = if *s > 0.0 { s.sqrt() } else { 1.0 };
        }
        Self { mean, std }
    }

    /// Standardises one feature vector in place.
    pub fn apply(&self, x: &mut [f64]) {
        for ((v, m), s) in x.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = (*v - m) / s;
        }
    }

    /// Standardises every row of `features` in place.
    pub fn apply_all(&self, features: &mut [f64]) {
        for row in features.chunks_exact_mut(self.mean.len().max(1)) {
            self.apply(row);
        }
    }

    /// Checks the width and that every statistic is usable.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] otherwise.
    pub fn check(&self, width: usize) -> Result<(), DecodeError> {
        check_len("standardiser means", self.mean.len(), width)?;
        check_len("standardiser deviations", self.std.len(), width)?;
        let ok = self.mean.iter().all(|v| v.is_finite())
            && self.std.iter().all(|v| v.is_finite() && *v > 0.0);
        if ok {
            Ok(())
        } else {
            Err(inconsistent(
                "a standardiser statistic is not finite or positive",
            ))
        }
    }
}

/// A record whose parts do not fit together.
pub(crate) fn inconsistent(message: &str) -> DecodeError {
    DecodeError::Numerical {
        what: "decoder record",
        message: message.to_string(),
    }
}

/// Checks that `what` has `expected` entries.
pub(crate) fn check_len(what: &str, got: usize, expected: usize) -> Result<(), DecodeError> {
    if got == expected {
        Ok(())
    } else {
        Err(DecodeError::Numerical {
            what: "decoder record",
            message: format!("{what}: {got} where {expected} are needed"),
        })
    }
}

/// A matrix as its rows.
pub(crate) fn mat_rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

/// The matrix of `rows`, each `cols` long and finite.
pub(crate) fn mat_from_rows(
    what: &str,
    rows: &[Vec<f64>],
    cols: usize,
) -> Result<Mat<f64>, DecodeError> {
    for row in rows {
        check_len(what, row.len(), cols)?;
        if row.iter().any(|v| !v.is_finite()) {
            return Err(inconsistent(&format!("{what}: a value is not finite")));
        }
    }
    Ok(Mat::from_fn(rows.len(), cols, |i, j| rows[i][j]))
}

/// A square matrix from its rows (`n × n`), symmetric and finite.
pub(crate) fn square_from_rows(
    what: &str,
    rows: &[Vec<f64>],
    n: usize,
) -> Result<Mat<f64>, DecodeError> {
    check_len(what, rows.len(), n)?;
    let m = mat_from_rows(what, rows, n)?;
    for i in 0..n {
        for j in 0..i {
            let scale = m[(i, j)].abs().max(m[(j, i)].abs()).max(1e-300);
            if (m[(i, j)] - m[(j, i)]).abs() > 1e-9 * scale {
                return Err(inconsistent(&format!(
                    "{what}: not symmetric at ({i}, {j})"
                )));
            }
        }
    }
    Ok(m)
}
