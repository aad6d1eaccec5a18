//! The deep-model training loop: burn autodiff and Adam on the flex CPU
//! backend, shuffled minibatches, a stratified validation split, early
//! stopping on the validation loss keeping the best weights.
//!
//! Everything random (the split, the weight initialisation, the minibatch
//! order, dropout) is drawn from the seed. The backend's random generator
//! is process-wide, so seeded training runs one at a time under a lock:
//! the same data, spec and seed give the same weights even when other
//! threads train too.

use std::sync::Mutex;

use burn::optim::{AdamConfig, GradientsParams, decay::WeightDecayConfig};
use burn::tensor::Device;
use burn::tensor::activation::log_softmax;

use super::net::{Net, batch_tensor, metrics, onehot, probabilities, values};
use super::{EpochProgress, EpochSet, FitOptions, FitReport};
use crate::DecodeError;
use crate::dataset::split;
use crate::synthetic::Rng;

/// Default Adam learning rate of EEGNet and the transformer (braindecode's
/// EEGNet examples).
pub(crate) const DEEP_LEARNING_RATE: f64 = 1e-3;
/// Default learning rate of ShallowConvNet: braindecode's `0.0625 * 0.01`
/// for ShallowFBCSPNet.
pub(crate) const SHALLOW_LEARNING_RATE: f64 = 0.0625 * 0.01;

/// Serialises seeded training (the backend RNG is global).
static SEEDED: Mutex<()> = Mutex::new(());

/// A trained network with its input scale and report.
pub(crate) struct TrainedNet<M> {
    pub(crate) model: M,
    pub(crate) scale: f32,
    pub(crate) report: FitReport,
}

/// Trains the network `init` builds.
///
/// # Errors
/// [`DecodeError::TooFewWindows`] / [`DecodeError::EmptyClass`] without two
/// epochs per class, [`DecodeError::Diverged`] if a loss becomes
/// non-finite, [`DecodeError::Backend`] if the backend fails.
pub(crate) fn fit_net<M: Net>(
    architecture: &str,
    init: impl FnOnce(&Device) -> Result<M, DecodeError>,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<TrainedNet<M>, DecodeError> {
    super::check_trainable(data)?;
    let n_classes = data.classes.len();
    let (train_idx, val_idx) = split(&data.labels, n_classes, opts.validation_fraction, opts.seed);
    let scale = super::net::input_scale(data, &train_idx);
    let criterion_rows = if val_idx.is_empty() {
        &train_idx
    } else {
        &val_idx
    };

    let guard = SEEDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let plain = opts.device.burn_device()?;
    plain.seed(opts.seed);
    let device = plain.clone().autodiff();
    let mut model = init(&device)?.train();
    let mut adam = AdamConfig::new();
    let weight_decay = opts.weight_decay.unwrap_or(0.0);
    if weight_decay > 0.0 {
        adam = adam.with_weight_decay(Some(WeightDecayConfig::new(weight_decay)));
    }
    let mut optimizer = adam.init();
    let lr = opts
        .learning_rate
        .unwrap_or(if architecture == "shallow_convnet" {
            SHALLOW_LEARNING_RATE
        } else {
            DEEP_LEARNING_RATE
        });
    // The first epoch whose weights may be kept.
    let first_candidate = opts.min_epochs.clamp(1, opts.max_epochs);

    let mut rng = Rng::new(opts.seed ^ 0x5DEE_CE66_D1CE_F00D);
    let mut order = train_idx.clone();
    let mut best: Option<(f32, usize, M)> = None;
    let mut epochs = 0;
    for epoch in 1..=opts.max_epochs {
        epochs = epoch;
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let (mut loss_sum, mut seen) = (0.0_f64, 0_usize);
        for batch in order.chunks(opts.batch_size) {
            let x = batch_tensor(data, batch, scale, &device);
            let y = onehot(data, batch, &device);
            let loss = (log_softmax(model.logits(x), 1) * y)
                .sum_dim(1)
                .mean()
                .neg();
            let value = values(loss.clone())?.first().copied().unwrap_or(f32::NAN);
            if !value.is_finite() {
                return Err(DecodeError::Diverged { epoch });
            }
            loss_sum += f64::from(value) * batch.len() as f64;
            seen += batch.len();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(lr, model, grads);
        }

        let snapshot = model.valid();
        let p = probabilities(&snapshot, data, criterion_rows, scale, &plain)?;
        let (criterion, accuracy) = metrics(&p, data, criterion_rows);
        if !criterion.is_finite() {
            return Err(DecodeError::Diverged { epoch });
        }
        let held_out = !val_idx.is_empty();
        on_epoch(&EpochProgress {
            epoch,
            max_epochs: opts.max_epochs,
            train_loss: (loss_sum / seen.max(1) as f64) as f32,
            val_loss: held_out.then_some(criterion),
            val_accuracy: held_out.then_some(accuracy),
        });
        if epoch < first_candidate {
            continue;
        }
        match &best {
            Some((best_loss, best_epoch, _)) if criterion >= best_loss - 1e-6 => {
                if epoch - best_epoch >= opts.patience {
                    break;
                }
            }
            _ => best = Some((criterion, epoch, snapshot)),
        }
    }
    drop(guard);
    let (_, best_epoch, model) = best.ok_or(DecodeError::Diverged { epoch: 0 })?;
    // Prediction, bundles and the real-time forms run on the CPU.
    let cpu = Device::flex();
    let model = model.to_device(&cpu);

    let p = probabilities(&model, data, &train_idx, scale, &cpu)?;
    let (train_loss, train_accuracy) = metrics(&p, data, &train_idx);
    let validation = if val_idx.is_empty() {
        None
    } else {
        let p = probabilities(&model, data, &val_idx, scale, &cpu)?;
        Some(metrics(&p, data, &val_idx))
    };
    Ok(TrainedNet {
        model,
        scale,
        report: FitReport {
            architecture: architecture.to_string(),
            seed: opts.seed,
            epochs,
            best_epoch,
            n_train: train_idx.len(),
            n_validation: val_idx.len(),
            train_loss,
            train_accuracy,
            validation_loss: validation.map(|v| v.0),
            validation_accuracy: validation.map(|v| v.1),
        },
    })
}
