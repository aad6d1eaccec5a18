//! Calibration feature sets: the seeded stratified split, standardisation
//! statistics, tensors for burn, and evaluation of a model on a set.

use burn::tensor::{Device, Tensor, TensorData};

use crate::synthetic::Rng;
use crate::{BandpowerModel, DecodeError};

/// Smallest standard deviation used for standardisation; flatter features
/// are only centred.
const MIN_STD: f64 = 1e-6;

/// Stratified split: per class, a seeded shuffle, then `fraction` of it
/// (rounded, leaving at least one training window) held out.
pub(crate) fn split(
    labels: &[usize],
    n_classes: usize,
    fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for class in 0..n_classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        for i in (1..idx.len()).rev() {
            idx.swap(i, rng.below(i + 1));
        }
        let n_val = ((idx.len() as f64 * fraction).round() as usize).min(idx.len() - 1);
        val.extend_from_slice(&idx[..n_val]);
        train.extend_from_slice(&idx[n_val..]);
    }
    train.sort_unstable();
    val.sort_unstable();
    (train, val)
}

/// Per-feature mean and standard deviation over the rows in `rows`.
pub(crate) fn standardisation(
    features: &[f32],
    n_features: usize,
    rows: &[usize],
) -> (Vec<f32>, Vec<f32>) {
    let n = rows.len() as f64;
    let mut mean = vec![0.0_f64; n_features];
    let mut var = vec![0.0_f64; n_features];
    for &r in rows {
        for (m, &f) in mean
            .iter_mut()
            .zip(&features[r * n_features..(r + 1) * n_features])
        {
            *m += f64::from(f) / n;
        }
    }
    for &r in rows {
        for ((v, m), &f) in var
            .iter_mut()
            .zip(&mean)
            .zip(&features[r * n_features..(r + 1) * n_features])
        {
            *v += (f64::from(f) - m).powi(2) / n;
        }
    }
    let std = var
        .iter()
        .map(|v| if v.sqrt() < MIN_STD { 1.0 } else { v.sqrt() } as f32)
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), std)
}

/// Rows of the feature matrix with their labels.
pub(crate) struct Subset {
    features: Vec<f32>,
    pub(crate) labels: Vec<usize>,
    n_features: usize,
}

impl Subset {
    pub(crate) fn new(
        features: &[f32],
        labels: &[usize],
        n_features: usize,
        rows: &[usize],
    ) -> Self {
        Self {
            features: rows
                .iter()
                .flat_map(|&r| &features[r * n_features..(r + 1) * n_features])
                .copied()
                .collect(),
            labels: rows.iter().map(|&r| labels[r]).collect(),
            n_features,
        }
    }

    pub(crate) fn tensor(&self, device: &Device) -> Tensor<2> {
        let data = TensorData::new(self.features.clone(), [self.labels.len(), self.n_features]);
        Tensor::from_data(data, device)
    }
}

/// Mean cross-entropy and accuracy of `model` on `x` (plain device).
pub(crate) fn evaluate(
    model: &BandpowerModel,
    x: Tensor<2>,
    labels: &[usize],
) -> Result<(f32, f32), DecodeError> {
    let logits = model
        .forward(x)
        .try_into_data()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))?;
    let logits = logits
        .as_slice::<f32>()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))?;
    let n_classes = logits.len() / labels.len().max(1);
    let (mut loss, mut correct) = (0.0_f64, 0_usize);
    for (row, &label) in logits.chunks_exact(n_classes).zip(labels) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let log_sum = row
            .iter()
            .map(|&z| f64::from(z - max).exp())
            .sum::<f64>()
            .ln();
        loss += log_sum - f64::from(row[label] - max);
        let argmax = row
            .iter()
            .enumerate()
            .fold(0, |best, (i, &z)| if z > row[best] { i } else { best });
        correct += usize::from(argmax == label);
    }
    let n = labels.len().max(1) as f64;
    Ok(((loss / n) as f32, (correct as f64 / n) as f32))
}
