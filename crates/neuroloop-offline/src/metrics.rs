//! Classification metrics: accuracy, balanced accuracy, confusion matrix,
//! rank-based ROC-AUC, chance levels, mean ± standard deviation.
//!
//! # Shapes
//! Probabilities are `[n, classes]` row-major; a confusion matrix is
//! `[classes][classes]`, rows the true class, columns the predicted one.

/// The index of the largest value of each row of `[n, classes]`
/// probabilities (the first on ties).
///
/// # Panics
/// If `classes == 0`.
#[must_use]
pub fn argmax_rows(probabilities: &[f32], classes: usize) -> Vec<usize> {
    probabilities
        .chunks_exact(classes)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (i, &p)| {
                    if p > best.1 { (i, p) } else { best }
                })
                .0
        })
        .collect()
}

/// Share of `predicted` equal to `labels`; 0 for no items.
#[must_use]
pub fn accuracy(labels: &[usize], predicted: &[usize]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let hits = labels.iter().zip(predicted).filter(|(a, b)| a == b).count();
    hits as f64 / labels.len() as f64
}

/// Mean over the classes present in `labels` of the share of their items
/// predicted correctly (per-class recall), scikit-learn's
/// `balanced_accuracy_score`: chance is `1 / classes` however unbalanced
/// the classes are (a P300's 1 target in 6). 0 for no items.
#[must_use]
pub fn balanced_accuracy(labels: &[usize], predicted: &[usize], classes: usize) -> f64 {
    let m = confusion(labels, predicted, classes);
    let recalls: Vec<f64> = m
        .iter()
        .enumerate()
        .filter_map(|(k, row)| {
            let n: usize = row.iter().sum();
            (n > 0).then(|| row[k] as f64 / n as f64)
        })
        .collect();
    if recalls.is_empty() {
        return 0.0;
    }
    recalls.iter().sum::<f64>() / recalls.len() as f64
}

/// Counts `[true][predicted]`; pairs with a class `>= classes` are left out.
#[must_use]
pub fn confusion(labels: &[usize], predicted: &[usize], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&t, &p) in labels.iter().zip(predicted) {
        if t < classes && p < classes {
            m[t][p] += 1;
        }
    }
    m
}

/// Area under the ROC curve of `scores` for telling `positive` items from
/// the rest: the Mann–Whitney statistic from ranks, tied scores sharing
/// their mean rank (a tie between a positive and a negative counts ½).
/// `None` when either group is empty or a score is NaN.
#[must_use]
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0
        || n_neg == 0
        || scores.len() != positive.len()
        || scores.iter().any(|s| s.is_nan())
    {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mean_rank = (i + j + 2) as f64 / 2.0;
        rank_sum += mean_rank * order[i..=j].iter().filter(|&&k| positive[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos * n_neg) as f64)
}

/// Accuracy of always predicting the most frequent class.
#[must_use]
pub fn majority_chance(class_counts: &[usize]) -> f64 {
    let total: usize = class_counts.iter().sum();
    if total == 0 {
        return 0.0;
    }
    *class_counts.iter().max().unwrap_or(&0) as f64 / total as f64
}

/// The smallest accuracy that guessing among `classes` equally likely
/// classes reaches on `n` items with probability at most `alpha`: the
/// binomial significance threshold for small test sets (Combrisson & Jerbi
/// 2015). 1 when even all-correct is not that unlikely (tiny `n`); `None`
/// for `n == 0` or `classes < 2`.
#[must_use]
pub fn chance_threshold(n: usize, classes: usize, alpha: f64) -> Option<f64> {
    if n == 0 || classes < 2 {
        return None;
    }
    let p = 1.0 / classes as f64;
    // P(X = k) in log space, summed from the top down.
    let ln_pmf = |k: usize| ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln();
    let mut tail = 0.0;
    for k in (0..=n).rev() {
        tail += ln_pmf(k).exp();
        if tail > alpha {
            return Some(((k + 1).min(n)) as f64 / n as f64);
        }
    }
    Some(0.0)
}

fn ln_choose(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (0..k)
        .map(|i| ((n - i) as f64).ln() - ((i + 1) as f64).ln())
        .sum()
}

/// Mean and sample standard deviation (`n - 1` in the denominator; 0 for
/// fewer than two values).
#[must_use]
pub fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, 0.0);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_of_ties() {
        let p = [0.2, 0.5, 0.3, 0.4, 0.4, 0.2, 0.1, 0.1, 0.8];
        assert_eq!(argmax_rows(&p, 3), vec![1, 0, 2]);
    }

    #[test]
    fn accuracy_and_confusion_by_hand() {
        let labels = [0, 0, 0, 1, 1, 2];
        let pred = [0, 1, 0, 1, 2, 2];
        assert!((accuracy(&labels, &pred) - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(
            confusion(&labels, &pred, 3),
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert_eq!(accuracy(&[], &[]), 0.0);
    }

    #[test]
    fn balanced_accuracy_by_hand() {
        // Class 0: 2 of 3 right; class 1: 1 of 2; class 2: 1 of 1.
        let labels = [0, 0, 0, 1, 1, 2];
        let pred = [0, 1, 0, 1, 2, 2];
        let want = (2.0 / 3.0 + 0.5 + 1.0) / 3.0;
        assert!((balanced_accuracy(&labels, &pred, 3) - want).abs() < 1e-12);
        // Always "non-target" on 5 : 1 scores 5/6 accuracy but 0.5 balanced.
        let labels = [0, 0, 0, 0, 0, 1];
        assert!((balanced_accuracy(&labels, &[0; 6], 2) - 0.5).abs() < 1e-12);
        // A class absent from the labels does not count.
        assert!((balanced_accuracy(&[1, 1], &[1, 0], 3) - 0.5).abs() < 1e-12);
        assert_eq!(balanced_accuracy(&[], &[], 2), 0.0);
    }

    #[test]
    fn auc_of_perfect_reversed_and_tied_scores() {
        let pos = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &pos), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &pos), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &pos), Some(0.5));
        assert_eq!(roc_auc(&[0.5; 4], &[true; 4]), None);
        assert_eq!(roc_auc(&[f64::NAN, 0.1], &[true, false]), None);
    }

    #[test]
    fn auc_counts_half_for_a_positive_negative_tie() {
        // Positives 0.4, 0.7; negatives 0.1, 0.4, 0.5.
        // Pairs (pos > neg): 0.4>0.1 (1), 0.4=0.4 (½), 0.4<0.5 (0),
        // 0.7 beats all three (3): 4.5 of 6.
        let scores = [0.1, 0.4, 0.5, 0.4, 0.7];
        let pos = [false, false, false, true, true];
        assert!((roc_auc(&scores, &pos).unwrap() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn chance_levels_by_hand() {
        assert!((majority_chance(&[3, 5, 2]) - 0.5).abs() < 1e-12);
        assert_eq!(majority_chance(&[]), 0.0);
        // n = 10, p = ½: P(X ≥ 9) = 11/1024 ≈ 0.0107 ≤ 0.05 and
        // P(X ≥ 8) = 56/1024 ≈ 0.055 > 0.05, so 9 of 10.
        assert_eq!(chance_threshold(10, 2, 0.05), Some(0.9));
        // n = 4, p = ½: P(X = 4) = 1/16 > 0.05: not even 4 of 4 suffices,
        // the threshold is reported as all correct.
        assert_eq!(chance_threshold(4, 2, 0.05), Some(1.0));
        assert_eq!(chance_threshold(0, 2, 0.05), None);
    }

    #[test]
    fn mean_and_sample_sd() {
        let (m, s) = mean_sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert!((m - 5.0).abs() < 1e-12);
        assert!((s - (32.0_f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!(mean_sd(&[3.0]), (3.0, 0.0));
    }
}
