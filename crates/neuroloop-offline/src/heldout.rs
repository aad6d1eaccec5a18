//! Cross-recording evaluation: a model fitted on the epochs of some
//! recordings and scored on the epochs of others (another run or session
//! of the same subject), as a user who trained yesterday decodes today.
//!
//! # Shapes
//! The `fit_predict` callback returns `[test.len(), classes]`
//! probabilities, row-major, in the order of the test epochs.

use neuroloop_decode::fit::EpochSet;
use serde::Serialize;

use crate::OfflineError;
use crate::metrics::{
    accuracy, argmax_rows, balanced_accuracy, chance_threshold, confusion, majority_chance, roc_auc,
};

/// The scores of a model on held-out recordings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOutScore {
    /// Class names.
    pub classes: Vec<String>,
    /// Epochs trained on.
    pub n_train: usize,
    /// Epochs of the held-out recordings.
    pub n_test: usize,
    /// Accuracy on the held-out epochs.
    pub accuracy: f64,
    /// Balanced accuracy (mean per-class recall) on the held-out epochs.
    pub balanced_accuracy: f64,
    /// ROC-AUC of the second class's probability (two classes only).
    pub auc: Option<f64>,
    /// `[true][predicted]` counts on the held-out epochs.
    pub confusion: Vec<Vec<usize>>,
    /// Held-out epochs per class.
    pub class_counts: Vec<usize>,
    /// Accuracy of always predicting the most frequent held-out class.
    pub chance_majority: f64,
    /// Smallest accuracy that guessing reaches with probability at most
    /// 5 % on this many held-out epochs.
    pub chance_threshold_p05: Option<f64>,
    /// Prediction of each held-out epoch.
    pub predicted: Vec<usize>,
}

/// Fits on `train`, predicts `test`, and scores the predictions.
///
/// # Errors
/// [`OfflineError::Option`] if the two sets differ in classes,
/// channels, samples or rate, or `fit_predict` returns the wrong number of
/// probabilities; whatever `fit_predict` returns.
pub fn score_held_out<F>(
    train: &EpochSet,
    test: &EpochSet,
    fit_predict: F,
) -> Result<HeldOutScore, OfflineError>
where
    F: FnOnce(&EpochSet, &EpochSet) -> Result<Vec<f32>, OfflineError>,
{
    let same = train.classes == test.classes
        && train.channels == test.channels
        && train.channel_labels == test.channel_labels
        && train.samples == test.samples
        && train.sample_rate == test.sample_rate;
    if !same {
        return Err(OfflineError::Option {
            what: "test-recording",
            message: format!(
                "the held-out epochs ({:?}, {} channels × {} samples at {} Hz) differ from the \
                 training epochs ({:?}, {} channels × {} samples at {} Hz)",
                test.classes,
                test.channels,
                test.samples,
                test.sample_rate,
                train.classes,
                train.channels,
                train.samples,
                train.sample_rate
            ),
        });
    }
    let k = train.classes.len();
    let probs = fit_predict(train, test)?;
    if probs.len() != test.len() * k {
        return Err(OfflineError::Option {
            what: "model",
            message: format!(
                "{} probabilities for {} epochs of {k} classes",
                probs.len(),
                test.len()
            ),
        });
    }
    let predicted = argmax_rows(&probs, k);
    let auc = (k == 2)
        .then(|| {
            let scores: Vec<f64> = probs.chunks_exact(2).map(|r| f64::from(r[1])).collect();
            let positive: Vec<bool> = test.labels.iter().map(|&l| l == 1).collect();
            roc_auc(&scores, &positive)
        })
        .flatten();
    let class_counts = test.class_counts();
    Ok(HeldOutScore {
        classes: test.classes.clone(),
        n_train: train.len(),
        n_test: test.len(),
        accuracy: accuracy(&test.labels, &predicted),
        balanced_accuracy: balanced_accuracy(&test.labels, &predicted, k),
        auc,
        confusion: confusion(&test.labels, &predicted, k),
        chance_majority: majority_chance(&class_counts),
        chance_threshold_p05: chance_threshold(test.len(), k, 0.05),
        class_counts,
        predicted,
    })
}
