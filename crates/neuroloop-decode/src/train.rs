//! Calibration training of a [`BandpowerDecoder`].
//!
//! Log band power per channel and band, standardised, then an L2 logistic
//! regression fitted to convergence ([`crate::linear::fit_logistic`], the
//! classifier of the covariance decoders) on *all* the windows: the problem
//! is convex, so there is nothing to stop early and no reason to leave data
//! out. When a validation share is asked for, a second fit on the rest
//! scores the held-out windows; that figure is reported, and the decoder
//! is still the one fitted on everything. The split is drawn from `seed`.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::dataset::{Subset, evaluate, split, standardisation};
use crate::linear::{LinearModel, LogisticOptions, fit_logistic};
use crate::{
    BandpowerConfig, BandpowerDecoder, BandpowerFeatures, BandpowerModel, BandpowerModelConfig,
    DecodeError,
};

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainOptions {
    /// Seed of the train/validation split.
    pub seed: u64,
    /// Share of each class held out to *estimate* accuracy, in `[0, 0.5]`;
    /// the decoder is fitted on every window either way.
    pub validation_fraction: f64,
    /// Inverse L2 regularisation strength of the logistic regression.
    pub c: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            validation_fraction: 0.2,
            c: 1.0,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// Fits run: 1, or 2 with a validation estimate.
    pub epochs: usize,
    /// Always 1: the decoder is the fit on every window.
    pub best_epoch: usize,
    /// Windows the decoder was fitted on (all of them).
    pub n_train: usize,
    /// Windows held out for the validation estimate.
    pub n_validation: usize,
    /// Accuracy of the decoder on its training windows.
    pub train_accuracy: f32,
    /// Mean cross-entropy of the decoder on its training windows.
    pub train_loss: f32,
    /// Accuracy on the held-out windows of the fit without them, if any.
    pub validation_accuracy: Option<f32>,
    /// Mean cross-entropy on the held-out windows, if any.
    pub validation_loss: Option<f32>,
}

/// Trains a decoder on calibration windows.
///
/// # Shapes
/// `windows` holds `labels.len()` windows of `channels × samples` values,
/// each channel-major (`windows[(i * channels + ch) * samples + t]`);
/// `labels[i]` is the class index of window `i`.
///
/// # Errors
/// * [`DecodeError::Config`] for an invalid config,
///   [`DecodeError::TrainOptions`] for out-of-range options.
/// * [`DecodeError::TrainingShape`] if `windows` has the wrong length.
/// * [`DecodeError::TooFewWindows`] with fewer than two windows per class.
/// * [`DecodeError::LabelOutOfRange`], [`DecodeError::EmptyClass`],
///   [`DecodeError::NonFiniteTraining`] for bad labels or samples.
/// * [`DecodeError::Diverged`] if the loss becomes non-finite.
pub fn train(
    config: &BandpowerConfig,
    windows: &[f32],
    labels: &[usize],
    options: &TrainOptions,
) -> Result<(BandpowerDecoder, TrainReport), DecodeError> {
    config.validate("decoder").map_err(DecodeError::Config)?;
    check_options(options)?;
    let n_classes = config.classes.len();
    let window_len = config.channels * config.samples;
    if Some(windows.len()) != labels.len().checked_mul(window_len) {
        return Err(DecodeError::TrainingShape {
            expected: labels.len().saturating_mul(window_len),
            got: windows.len(),
            windows: labels.len(),
        });
    }
    if labels.len() < 2 * n_classes {
        return Err(DecodeError::TooFewWindows {
            got: labels.len(),
            needed: 2 * n_classes,
        });
    }
    if let Some((window, &label)) = labels.iter().enumerate().find(|(_, l)| **l >= n_classes) {
        return Err(DecodeError::LabelOutOfRange {
            window,
            label,
            classes: n_classes,
        });
    }
    if let Some(class) = (0..n_classes).find(|c| !labels.contains(c)) {
        return Err(DecodeError::EmptyClass {
            class,
            name: config.classes[class].clone(),
        });
    }
    for (window, x) in windows.chunks_exact(window_len).enumerate() {
        if let Err(DecodeError::NonFinite { channel, sample }) =
            crate::check_finite(x, config.samples)
        {
            return Err(DecodeError::NonFiniteTraining {
                window,
                channel,
                sample,
            });
        }
    }

    let mut extractor = BandpowerFeatures::new(config);
    let n_features = extractor.len();
    let mut features = vec![0.0_f32; labels.len() * n_features];
    for (x, f) in windows
        .chunks_exact(window_len)
        .zip(features.chunks_exact_mut(n_features))
    {
        extractor.compute(x, f);
    }

    let all: Vec<usize> = (0..labels.len()).collect();
    let (train_idx, val_idx) = split(labels, n_classes, options.validation_fraction, options.seed);
    let plain = Device::flex();
    let validation = if val_idx.is_empty() {
        None
    } else {
        let model = fit_rows(
            &features, labels, n_features, n_classes, &train_idx, options.c,
        )?;
        let held_out = Subset::new(&features, labels, n_features, &val_idx);
        Some(evaluate(&model, held_out.tensor(&plain), &held_out.labels)?)
    };
    let model = fit_rows(&features, labels, n_features, n_classes, &all, options.c)?;
    let everything = Subset::new(&features, labels, n_features, &all);
    let (train_loss, train_accuracy) = evaluate(&model, everything.tensor(&plain), labels)?;
    let report = TrainReport {
        epochs: 1 + usize::from(validation.is_some()),
        best_epoch: 1,
        n_train: labels.len(),
        n_validation: val_idx.len(),
        train_accuracy,
        train_loss,
        validation_accuracy: validation.map(|v| v.1),
        validation_loss: validation.map(|v| v.0),
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

fn check_options(o: &TrainOptions) -> Result<(), DecodeError> {
    let bad = |field, message: String| Err(DecodeError::TrainOptions { field, message });
    if !(0.0..=0.5).contains(&o.validation_fraction) {
        return bad(
            "validation_fraction",
            format!("{} is outside [0, 0.5]", o.validation_fraction),
        );
    }
    if !(o.c.is_finite() && (1e-6..=1e6).contains(&o.c)) {
        return bad("c", format!("{} is outside 1e-6..=1e6", o.c));
    }
    Ok(())
}
