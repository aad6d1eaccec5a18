//! The bandpower fit: log band power per channel and band, standardised,
//! then an L2 logistic regression fitted to convergence
//! ([`crate::linear::fit_logistic`], the classifier of the covariance
//! decoders) on *all* the epochs: the problem is convex, so there is
//! nothing to stop early and no reason to leave data out. When a
//! validation share is asked for, a second fit on the rest scores the
//! held-out epochs; that figure is reported, and the decoder is still the
//! one fitted on everything. The split is drawn from the seed.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::{EpochSet, FitReport};
use crate::dataset::{Subset, evaluate, split, standardisation};
use crate::linear::{LinearModel, LogisticOptions, fit_logistic};
use crate::{
    BandpowerConfig, BandpowerDecoder, BandpowerFeatures, BandpowerModel, BandpowerModelConfig,
    DecodeError,
};

/// Fits the decoder of `config` on `data` (checked: shapes, labels,
/// finite samples, two epochs per class) with inverse regularisation `c`,
/// holding out `validation_fraction` of each class (drawn from `seed`)
/// only to estimate accuracy.
///
/// # Errors
/// * [`DecodeError::Config`] for an invalid config.
/// * [`DecodeError::TrainOptions`] for `c` outside `1e-6..=1e6`.
/// * [`DecodeError::Diverged`] / [`DecodeError::Numerical`] if the
///   regression cannot be fitted.
pub(crate) fn train_bandpower(
    config: &BandpowerConfig,
    data: &EpochSet,
    seed: u64,
    validation_fraction: f64,
    c: f64,
) -> Result<(BandpowerDecoder, FitReport), DecodeError> {
    config.validate("decoder").map_err(DecodeError::Config)?;
    if !(c.is_finite() && (1e-6..=1e6).contains(&c)) {
        return Err(DecodeError::TrainOptions {
            field: "c",
            message: format!("{c} is outside 1e-6..=1e6"),
        });
    }
    let labels = &data.labels;
    let n_classes = config.classes.len();
    let window_len = config.channels * config.samples;
    let mut extractor = BandpowerFeatures::new(config);
    let n_features = extractor.len();
    let mut features = vec![0.0_f32; labels.len() * n_features];
    for (x, f) in data
        .data
        .chunks_exact(window_len)
        .zip(features.chunks_exact_mut(n_features))
    {
        extractor.compute(x, f);
    }

    let all: Vec<usize> = (0..labels.len()).collect();
    let (train_idx, val_idx) = split(labels, n_classes, validation_fraction, seed);
    let plain = Device::flex();
    let validation = if val_idx.is_empty() {
        None
    } else {
        let model = fit_rows(&features, labels, n_features, n_classes, &train_idx, c)?;
        let held_out = Subset::new(&features, labels, n_features, &val_idx);
        Some(evaluate(&model, held_out.tensor(&plain), &held_out.labels)?)
    };
    let model = fit_rows(&features, labels, n_features, n_classes, &all, c)?;
    let everything = Subset::new(&features, labels, n_features, &all);
    let (train_loss, train_accuracy) = evaluate(&model, everything.tensor(&plain), labels)?;
    let report = FitReport {
        architecture: "bandpower".into(),
        seed,
        epochs: 1 + usize::from(validation.is_some()),
        best_epoch: 1,
        n_train: labels.len(),
        n_validation: val_idx.len(),
        train_loss,
        train_accuracy,
        validation_loss: validation.map(|v| v.0),
        validation_accuracy: validation.map(|v| v.1),
    };
    Ok((BandpowerDecoder::from_model(config.clone(), model)?, report))
}

/// Standardises the features of `rows` with their own statistics and fits
/// the logistic regression; returns it as the burn model.
fn fit_rows(
    features: &[f32],
    labels: &[usize],
    n_features: usize,
    n_classes: usize,
    rows: &[usize],
    c: f64,
) -> Result<BandpowerModel, DecodeError> {
    let (mean, std) = standardisation(features, n_features, rows);
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&r| {
            let row = &features[r * n_features..(r + 1) * n_features];
            row.iter()
                .zip(&mean)
                .zip(&std)
                .map(|((f, m), s)| f64::from((f - m) / s))
        })
        .collect();
    let y: Vec<usize> = rows.iter().map(|&r| labels[r]).collect();
    let options = LogisticOptions {
        c,
        ..LogisticOptions::default()
    };
    let linear = fit_logistic(&x, &y, n_classes, &options)?;
    let device = Device::flex();
    let model = BandpowerModelConfig::new(n_features, n_classes)
        .init(&device)
        .with_standardization(&mean, &std);
    Ok(BandpowerModel {
        linear: burn_linear(&linear, &device),
        ..model
    })
}

/// The logistic regression as a burn linear layer (`[features, classes]`):
/// two classes get a zero column for class 0 (softmax of `(0, z)` is the
/// sigmoid of `z`).
fn burn_linear(model: &LinearModel, device: &Device) -> Linear {
    let (d, k) = (model.features, model.classes);
    let mut weight = vec![0.0_f32; d * k];
    let mut bias = vec![0.0_f32; k];
    let rows = LinearModel::rows_for(k);
    for r in 0..rows {
        let class = if k == 2 { 1 } else { r };
        for j in 0..d {
            weight[j * k + class] = model.coef[r * d + j] as f32;
        }
        bias[class] = model.intercept[r] as f32;
    }
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(weight, [d, k]), device)),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(bias, [k]),
            device,
        ))),
    }
}
