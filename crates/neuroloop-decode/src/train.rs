//! Calibration training of a [`BandpowerDecoder`].
//!
//! Features are computed once in plain Rust; the model is then fitted
//! full-batch with burn autodiff and Adam on the flex CPU backend. The
//! weights start at zero (the loss is convex in them) and the data split is
//! drawn from `seed`, so the same inputs and seed give the same weights.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, decay::WeightDecayConfig};
use burn::tensor::Device;
use burn::tensor::activation::log_softmax;
use serde::{Deserialize, Serialize};

use crate::dataset::{Subset, evaluate, split, standardisation};
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
    /// Most full-batch epochs.
    pub max_epochs: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Share of each class held out for validation and early stopping, in
    /// `[0, 0.5]`; 0 trains on everything for `max_epochs`.
    pub validation_fraction: f64,
    /// Epochs without improvement of the validation loss (the training loss
    /// when nothing is held out) before stopping.
    pub patience: usize,
    /// L2 penalty on the linear weights; 0 disables it.
    pub weight_decay: f32,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            max_epochs: 300,
            learning_rate: 0.05,
            validation_fraction: 0.2,
            patience: 30,
            weight_decay: 1e-3,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// Epochs run.
    pub epochs: usize,
    /// Epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
    /// Windows trained on.
    pub n_train: usize,
    /// Windows held out.
    pub n_validation: usize,
    /// Accuracy of the kept weights on the training windows.
    pub train_accuracy: f32,
    /// Mean cross-entropy of the kept weights on the training windows.
    pub train_loss: f32,
    /// Accuracy on the held-out windows, if any.
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

    let (train_idx, val_idx) = split(labels, n_classes, options.validation_fraction, options.seed);
    let (mean, std) = standardisation(&features, n_features, &train_idx);
    let train_set = Subset::new(&features, labels, n_features, &train_idx);
    let val_set = Subset::new(&features, labels, n_features, &val_idx);

    let plain = Device::flex();
    let device = plain.clone().autodiff();
    let x_train = train_set.tensor(&device);
    let onehot = train_set.onehot(n_classes, &device);
    let x_train_eval = train_set.tensor(&plain);
    let x_val = (!val_idx.is_empty()).then(|| val_set.tensor(&plain));

    let mut model = BandpowerModelConfig::new(n_features, n_classes)
        .init(&device)
        .with_standardization(&mean, &std);
    let mut adam = AdamConfig::new();
    if options.weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(options.weight_decay)));
    }
    let mut optimizer = adam.init();

    let mut best: Option<(f32, usize, BandpowerModel)> = None;
    let mut epochs = 0;
    for epoch in 1..=options.max_epochs {
        epochs = epoch;
        let logits = model.forward(x_train.clone());
        let loss = (log_softmax(logits, 1) * onehot.clone())
            .sum_dim(1)
            .mean()
            .neg();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(options.learning_rate, model, grads);

        let snapshot = model.valid();
        let criterion = match &x_val {
            Some(x) => evaluate(&snapshot, x.clone(), &val_set.labels)?.0,
            None => evaluate(&snapshot, x_train_eval.clone(), &train_set.labels)?.0,
        };
        if !criterion.is_finite() {
            return Err(DecodeError::Diverged { epoch });
        }
        match &best {
            Some((best_loss, best_epoch, _)) if criterion >= best_loss - 1e-6 => {
                if epoch - best_epoch >= options.patience {
                    break;
                }
            }
            _ => best = Some((criterion, epoch, snapshot)),
        }
    }
    let (_, best_epoch, model) = best.ok_or(DecodeError::Diverged { epoch: 0 })?;

    let (train_loss, train_accuracy) = evaluate(&model, x_train_eval, &train_set.labels)?;
    let validation = x_val
        .map(|x| evaluate(&model, x, &val_set.labels))
        .transpose()?;
    let report = TrainReport {
        epochs,
        best_epoch,
        n_train: train_idx.len(),
        n_validation: val_idx.len(),
        train_accuracy,
        train_loss,
        validation_accuracy: validation.map(|v| v.1),
        validation_loss: validation.map(|v| v.0),
    };
    Ok((BandpowerDecoder::from_model(config.clone(), model)?, report))
}

fn check_options(o: &TrainOptions) -> Result<(), DecodeError> {
    let bad = |field, message: String| Err(DecodeError::TrainOptions { field, message });
    if o.max_epochs == 0 {
        return bad("max_epochs", "must be at least 1".into());
    }
    if !(o.learning_rate.is_finite() && o.learning_rate > 0.0) {
        return bad(
            "learning_rate",
            format!("{} is not positive", o.learning_rate),
        );
    }
    if !(0.0..=0.5).contains(&o.validation_fraction) {
        return bad(
            "validation_fraction",
            format!("{} is outside [0, 0.5]", o.validation_fraction),
        );
    }
    if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
        return bad(
            "weight_decay",
            format!("{} is negative or not finite", o.weight_decay),
        );
    }
    Ok(())
}
