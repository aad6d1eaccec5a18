//! Within-session stratified k-fold cross-validation.
//!
//! Epochs are dealt into `k` folds class by class after a seeded shuffle,
//! so every fold holds each class in (nearly) the session's proportions
//! and the same seed always gives the same folds. For each fold a model
//! is fitted on the other `k - 1` folds and predicts the held-out one; the
//! held-out predictions of all folds together give the pooled scores.
//!
//! # Shapes
//! The `fit_predict` callback returns `[n_test, classes]` probabilities,
//! row-major, in the order of the test epochs it was given.

use neuroloop_decode::fit::EpochSet;
use serde::Serialize;

use crate::OfflineError;
use crate::metrics::{
    accuracy, argmax_rows, balanced_accuracy, chance_threshold, confusion, majority_chance,
    mean_sd, roc_auc,
};

/// The scores of one held-out fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldResult {
    /// Fold index, from 0.
    pub fold: usize,
    /// Epochs trained on.
    pub n_train: usize,
    /// Epochs held out.
    pub n_test: usize,
    /// Accuracy on the held-out epochs.
    pub accuracy: f64,
    /// Balanced accuracy (mean per-class recall) on the held-out epochs.
    pub balanced_accuracy: f64,
    /// ROC-AUC of the second class's probability (two classes only).
    pub auc: Option<f64>,
}

/// The result of a cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossValidation {
    /// Class names.
    pub classes: Vec<String>,
    /// Number of folds.
    pub k: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    /// Per-fold scores.
    pub folds: Vec<FoldResult>,
    /// Mean of the per-fold accuracies.
    pub accuracy_mean: f64,
    /// Sample standard deviation of the per-fold accuracies.
    pub accuracy_sd: f64,
    /// Accuracy over every held-out prediction together.
    pub accuracy_pooled: f64,
    /// Mean and sample standard deviation of the per-fold balanced accuracies.
    pub balanced_accuracy_mean_sd: (f64, f64),
    /// Balanced accuracy over every held-out prediction together.
    pub balanced_accuracy_pooled: f64,
    /// Mean and sample standard deviation of the per-fold ROC-AUCs (two classes).
    pub auc_mean_sd: Option<(f64, f64)>,
    /// `[true][predicted]` counts over every held-out prediction.
    pub confusion: Vec<Vec<usize>>,
    /// Epochs per class.
    pub class_counts: Vec<usize>,
    /// Accuracy of always predicting the most frequent class.
    pub chance_majority: f64,
    /// Smallest accuracy that guessing reaches with probability at most 5 %
    /// on this many epochs (binomial, equally likely classes).
    pub chance_threshold_p05: Option<f64>,
    /// Fold of each epoch.
    pub fold_of: Vec<usize>,
    /// Held-out prediction of each epoch.
    pub predicted: Vec<usize>,
}

/// Assigns each epoch to one of `k` folds, stratified by class.
///
/// # Errors
/// [`OfflineError::Option`] for `k < 2` or a label `>= classes`;
/// [`OfflineError::TooFewEpochs`] when a class has fewer than `k` epochs.
pub fn stratified_folds(
    labels: &[usize],
    class_names: &[String],
    k: usize,
    seed: u64,
) -> Result<Vec<usize>, OfflineError> {
    if k < 2 {
        return Err(OfflineError::Option {
            what: "folds",
            message: format!("{k}; at least 2 are needed"),
        });
    }
    if let Some(&l) = labels.iter().find(|&&l| l >= class_names.len()) {
        return Err(OfflineError::Option {
            what: "labels",
            message: format!("label {l} with {} classes", class_names.len()),
        });
    }
    let mut rng = SplitMix(seed);
    let mut fold_of = vec![0; labels.len()];
    let mut next = 0;
    for (class, name) in class_names.iter().enumerate() {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        if idx.len() < k {
            return Err(OfflineError::TooFewEpochs {
                class: name.clone(),
                got: idx.len(),
                needed: k,
            });
        }
        for i in (1..idx.len()).rev() {
            idx.swap(i, rng.below(i + 1));
        }
        for &i in &idx {
            fold_of[i] = next;
            next = (next + 1) % k;
        }
    }
    Ok(fold_of)
}

/// Cross-validates `fit_predict` over `k` stratified folds of `epochs`.
///
/// `fit_predict(train, test)` fits a fresh model on `train` and returns its
/// probabilities for `test` (see the module's `# Shapes`).
///
/// # Errors
/// As [`stratified_folds`]; whatever `fit_predict` returns; and
/// [`OfflineError::Option`] when it returns the wrong number of
/// probabilities.
pub fn cross_validate<F>(
    epochs: &EpochSet,
    k: usize,
    seed: u64,
    mut fit_predict: F,
) -> Result<CrossValidation, OfflineError>
where
    F: FnMut(&EpochSet, &EpochSet) -> Result<Vec<f32>, OfflineError>,
{
    let n_classes = epochs.classes.len();
    let fold_of = stratified_folds(&epochs.labels, &epochs.classes, k, seed)?;
    let mut predicted = vec![0; epochs.len()];
    let mut folds = Vec::with_capacity(k);
    for fold in 0..k {
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..epochs.len()).partition(|&i| fold_of[i] == fold);
        let test_set = epochs.subset(&test)?;
        let probs = fit_predict(&epochs.subset(&train)?, &test_set)?;
        if probs.len() != test.len() * n_classes {
            return Err(OfflineError::Option {
                what: "model",
                message: format!(
                    "{} probabilities for {} epochs of {n_classes} classes",
                    probs.len(),
                    test.len()
                ),
            });
        }
        let pred = argmax_rows(&probs, n_classes);
        for (&i, &p) in test.iter().zip(&pred) {
            predicted[i] = p;
        }
        let auc = (n_classes == 2)
            .then(|| {
                let scores: Vec<f64> = probs.chunks_exact(2).map(|r| f64::from(r[1])).collect();
                let positive: Vec<bool> = test_set.labels.iter().map(|&l| l == 1).collect();
                roc_auc(&scores, &positive)
            })
            .flatten();
        folds.push(FoldResult {
            fold,
            n_train: train.len(),
            n_test: test.len(),
            accuracy: accuracy(&test_set.labels, &pred),
            balanced_accuracy: balanced_accuracy(&test_set.labels, &pred, n_classes),
            auc,
        });
    }
    let accs: Vec<f64> = folds.iter().map(|f| f.accuracy).collect();
    let (accuracy_mean, accuracy_sd) = mean_sd(&accs);
    let aucs: Vec<f64> = folds.iter().filter_map(|f| f.auc).collect();
    let class_counts = epochs.class_counts();
    Ok(CrossValidation {
        classes: epochs.classes.clone(),
        k,
        seed,
        accuracy_mean,
        accuracy_sd,
        accuracy_pooled: accuracy(&epochs.labels, &predicted),
        balanced_accuracy_mean_sd: mean_sd(
            &folds
                .iter()
                .map(|f| f.balanced_accuracy)
                .collect::<Vec<_>>(),
        ),
        balanced_accuracy_pooled: balanced_accuracy(&epochs.labels, &predicted, n_classes),
        auc_mean_sd: (aucs.len() == k).then(|| mean_sd(&aucs)),
        confusion: confusion(&epochs.labels, &predicted, n_classes),
        chance_majority: majority_chance(&class_counts),
        chance_threshold_p05: chance_threshold(epochs.len(), n_classes, 0.05),
        class_counts,
        folds,
        fold_of,
        predicted,
    })
}

/// SplitMix64: a small, seeded, portable generator for fold shuffles.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by rejection.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("c{i}")).collect()
    }

    #[test]
    fn folds_are_stratified_balanced_and_seeded() {
        // 12 of class 0, 8 of class 1, interleaved.
        let labels: Vec<usize> = (0..20).map(|i| usize::from(i % 5 >= 3)).collect();
        let folds = stratified_folds(&labels, &names(2), 4, 7).unwrap();
        for f in 0..4 {
            let c0 = (0..20).filter(|&i| folds[i] == f && labels[i] == 0).count();
            let c1 = (0..20).filter(|&i| folds[i] == f && labels[i] == 1).count();
            assert_eq!((c0, c1), (3, 2), "fold {f}");
        }
        assert_eq!(folds, stratified_folds(&labels, &names(2), 4, 7).unwrap());
        assert_ne!(folds, stratified_folds(&labels, &names(2), 4, 8).unwrap());
    }

    #[test]
    fn fold_sizes_differ_by_at_most_one() {
        let labels: Vec<usize> = (0..23).map(|i| i % 3).collect();
        let folds = stratified_folds(&labels, &names(3), 5, 0).unwrap();
        let sizes: Vec<usize> = (0..5)
            .map(|f| folds.iter().filter(|&&x| x == f).count())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 23);
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
    }

    #[test]
    fn too_few_epochs_and_bad_k_are_errors() {
        let labels = [0, 0, 0, 1, 1];
        assert!(matches!(
            stratified_folds(&labels, &names(2), 3, 0),
            Err(OfflineError::TooFewEpochs {
                got: 2,
                needed: 3,
                ..
            })
        ));
        assert!(matches!(
            stratified_folds(&labels, &names(2), 1, 0),
            Err(OfflineError::Option { .. })
        ));
        assert!(matches!(
            stratified_folds(&[0, 2], &names(2), 2, 0),
            Err(OfflineError::Option { .. })
        ));
    }
}
