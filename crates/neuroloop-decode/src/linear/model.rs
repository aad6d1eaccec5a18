//! [`LinearModel`]: class scores `W x + b` turned into probabilities, the
//! form both convex classifiers ([`fit_logistic`](super::fit_logistic),
//! [`fit_lda`](super::fit_lda)) produce.

use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// A fitted linear classifier over `features` inputs.
///
/// Two classes use one row of weights (the score of class 1 against class
/// 0, through a sigmoid), as scikit-learn does; more classes use one row
/// per class and a softmax.
///
/// # Shapes
/// `coef` is `[rows, features]` row-major, `intercept` `[rows]`, with
/// `rows = 1` for two classes and `rows = classes` otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearModel {
    /// Number of classes.
    pub classes: usize,
    /// Number of input features.
    pub features: usize,
    /// Weights, row-major.
    pub coef: Vec<f64>,
    /// Offsets, one per row.
    pub intercept: Vec<f64>,
}

impl LinearModel {
    /// Rows of weights: 1 for two classes, else one per class.
    #[must_use]
    pub fn rows_for(classes: usize) -> usize {
        if classes == 2 { 1 } else { classes }
    }

    /// Checks the shapes and that every weight is finite (a model read
    /// from a file).
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] naming the inconsistency.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let rows = Self::rows_for(self.classes);
        let ok = self.classes >= 2
            && self.features > 0
            && Some(self.coef.len()) == rows.checked_mul(self.features)
            && self.intercept.len() == rows
            && self
                .coef
                .iter()
                .chain(&self.intercept)
                .all(|v| v.is_finite());
        if ok {
            Ok(())
        } else {
            Err(DecodeError::Numerical {
                what: "linear model",
                message: format!(
                    "{} classes × {} features with {} weights and {} offsets, or a non-finite weight",
                    self.classes,
                    self.features,
                    self.coef.len(),
                    self.intercept.len()
                ),
            })
        }
    }

    /// Writes the class probabilities of feature vector `x` into `out`
    /// (`classes` entries). No allocation.
    ///
    /// # Shapes
    /// `x` has `features` values, `out` `classes`.
    pub fn probabilities(&self, x: &[f64], out: &mut [f64]) {
        let d = self.features;
        if self.classes == 2 {
            let z = dot(&self.coef[..d], x) + self.intercept[0];
            let p = sigmoid(z);
            out[0] = 1.0 - p;
            out[1] = p;
            return;
        }
        for (k, o) in out.iter_mut().enumerate().take(self.classes) {
            *o = dot(&self.coef[k * d..(k + 1) * d], x) + self.intercept[k];
        }
        softmax_in_place(&mut out[..self.classes]);
    }
}

/// Checks classifier training data: `features` is `[n, d]` row-major with
/// `n = labels.len() > 0`, labels in `0..classes`, every value finite.
/// Returns `d`.
///
/// # Errors
/// [`DecodeError::Numerical`] naming `what` and the problem.
pub(crate) fn check_training(
    what: &'static str,
    features: &[f64],
    labels: &[usize],
    classes: usize,
) -> Result<usize, DecodeError> {
    let n = labels.len();
    let bad = |message: String| Err(DecodeError::Numerical { what, message });
    if n == 0
        || classes < 2
        || !features.len().is_multiple_of(n)
        || labels.iter().any(|&l| l >= classes)
    {
        return bad(format!(
            "{} feature values for {n} labels of {classes} classes",
            features.len()
        ));
    }
    if features.iter().any(|v| !v.is_finite()) {
        return bad("a feature is not finite".into());
    }
    Ok(features.len() / n)
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Softmax in place, stable for large scores.
pub(crate) fn softmax_in_place(z: &mut [f64]) {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}
