//! The figures of a score: accuracy with its chance bar, confusion matrix,
//! ROC-AUC (binary, or macro one-vs-rest), and Wolpaw's information
//! transfer rate.
//!
//! # Shapes
//! Probabilities are `[n][classes]` (one row per item); labels are class
//! indices; a confusion matrix is `[true][predicted]`.

use neuroloop_offline::metrics::{
    accuracy, argmax_rows, chance_threshold, confusion, majority_chance, roc_auc,
};
use serde::Serialize;

/// Significance level of the chance bar.
pub(super) const CHANCE_ALPHA: f64 = 0.05;

/// Classification figures of one set of items (windows or trials).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Scores {
    /// Items scored.
    pub n: usize,
    /// Share of items whose most probable class is the true one.
    pub accuracy: f64,
    /// ROC-AUC: binary, of the second class's probability; more classes,
    /// the mean of each class's one-vs-rest AUC. `None` when a class has
    /// no item.
    pub auc: Option<f64>,
    /// `[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
    /// Accuracy of always answering the most frequent true class.
    pub chance_majority: f64,
    /// The accuracy guessing reaches with probability at most 0.05 on `n`
    /// items (binomial, equal classes).
    pub chance_threshold_p05: Option<f64>,
}

impl Scores {
    /// Scores `probabilities` against `labels` for `classes` classes.
    pub(super) fn of(probabilities: &[Vec<f32>], labels: &[usize], classes: usize) -> Self {
        let flat: Vec<f32> = probabilities.iter().flatten().copied().collect();
        let predicted = if classes == 0 {
            Vec::new()
        } else {
            argmax_rows(&flat, classes)
        };
        let mut counts = vec![0; classes];
        for &l in labels.iter().filter(|&&l| l < classes) {
            counts[l] += 1;
        }
        Self {
            n: labels.len(),
            accuracy: accuracy(labels, &predicted),
            auc: auc(probabilities, labels, classes),
            confusion: confusion(labels, &predicted, classes),
            chance_majority: majority_chance(&counts),
            chance_threshold_p05: chance_threshold(labels.len(), classes, CHANCE_ALPHA),
        }
    }
}

/// ROC-AUC as scikit-learn's `roc_auc_score`: binary, the score is the
/// second class's probability; more classes, `multi_class="ovr",
/// average="macro"`. `None` when a class has no item (or none of the
/// others).
pub(super) fn auc(probabilities: &[Vec<f32>], labels: &[usize], classes: usize) -> Option<f64> {
    let one_vs_rest = |c: usize| {
        let scores: Vec<f64> = probabilities
            .iter()
            .map(|p| f64::from(p.get(c).copied().unwrap_or(f32::NAN)))
            .collect();
        let positive: Vec<bool> = labels.iter().map(|&l| l == c).collect();
        roc_auc(&scores, &positive)
    };
    match classes {
        0 | 1 => None,
        2 => one_vs_rest(1),
        _ => {
            let each: Option<Vec<f64>> = (0..classes).map(one_vs_rest).collect();
            each.map(|a| a.iter().sum::<f64>() / classes as f64)
        }
    }
}

/// Wolpaw's bits per selection among `classes` equally likely choices at
/// accuracy `p`: `log2 N + p log2 p + (1 − p) log2((1 − p)/(N − 1))`, taken
/// as 0 at or below chance (`p ≤ 1/N`, where the formula stops meaning
/// information) and `None` for fewer than two classes or `p` outside [0, 1].
pub(super) fn wolpaw_bits(classes: usize, p: f64) -> Option<f64> {
    if classes < 2 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let n = classes as f64;
    if p <= 1.0 / n {
        return Some(0.0);
    }
    let mut bits = n.log2() + p * p.log2();
    if p < 1.0 {
        bits += (1.0 - p) * ((1.0 - p) / (n - 1.0)).log2();
    }
    Some(bits)
}

/// Information transfer rate in bits per minute: `bits` per selection, one
/// selection every `seconds_per_selection`.
pub(super) fn bits_per_minute(bits: f64, seconds_per_selection: f64) -> Option<f64> {
    (seconds_per_selection > 0.0 && seconds_per_selection.is_finite())
        .then(|| bits * 60.0 / seconds_per_selection)
}

/// The median of `values` (mean of the middle two for an even count);
/// `None` when empty.
pub(super) fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

#[cfg(test)]
mod tests;
