//! [`FitOptions`]: how to train, shared by every architecture.

use serde::{Deserialize, Serialize};

use crate::{ComputeDevice, DecodeError};

/// How to train.
///
/// `learning_rate` and `weight_decay` default to the architecture's own
/// value when `None` (bandpower: 0.05 and 1e-3, full batch; EEGNet and the
/// transformer: 1e-3 and 0; ShallowConvNet: 6.25e-4 and 0, braindecode's
/// values for these networks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOptions {
    /// Seed of the validation split, the weight initialisation, the
    /// minibatch order and dropout: the same data, spec and seed give the
    /// same weights.
    pub seed: u64,
    /// Most epochs (passes over the training epochs).
    pub max_epochs: usize,
    /// Epochs per minibatch (deep models; bandpower trains full-batch).
    pub batch_size: usize,
    /// Adam learning rate; `None` for the architecture's default.
    pub learning_rate: Option<f64>,
    /// L2 weight decay; `None` for the architecture's default.
    pub weight_decay: Option<f32>,
    /// Share of each class held out for validation and early stopping, in
    /// `[0, 0.5]`; 0 trains on everything for `max_epochs`.
    pub validation_fraction: f64,
    /// Epochs without improvement of the validation loss (the training loss
    /// when nothing is held out) before stopping; the best weights are kept.
    pub patience: usize,
    /// Deep models: the kept weights come from epoch `min_epochs` or later
    /// (capped at `max_epochs`), and early stopping cannot end training
    /// before it. On a few dozen trials the validation loss of the first,
    /// barely trained passes (near-uniform outputs, batch-norm running
    /// statistics not yet settled) is often the lowest, so without this the
    /// checkpoint is an untrained network. Bandpower ignores it.
    pub min_epochs: usize,
    /// Where the deep models train (`"cpu"`, the default, or `"wgpu"` /
    /// `"cuda"` in a build with that feature). The trained weights come back to the
    /// CPU: prediction, bundles and the real-time forms run there.
    /// Bandpower always trains on the CPU.
    pub device: ComputeDevice,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            max_epochs: 100,
            batch_size: 32,
            learning_rate: None,
            weight_decay: None,
            validation_fraction: 0.2,
            patience: 15,
            min_epochs: 20,
            device: ComputeDevice::Cpu,
        }
    }
}

impl FitOptions {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`DecodeError::TrainOptions`] naming the first bad option.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let bad = |field, message: String| Err(DecodeError::TrainOptions { field, message });
        if self.max_epochs == 0 {
            return bad("max_epochs", "must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if let Some(lr) = self.learning_rate
            && !(lr.is_finite() && lr > 0.0)
        {
            return bad("learning_rate", format!("{lr} is not positive"));
        }
        if let Some(wd) = self.weight_decay
            && !(wd.is_finite() && wd >= 0.0)
        {
            return bad("weight_decay", format!("{wd} is negative or not finite"));
        }
        if !(0.0..=0.5).contains(&self.validation_fraction) {
            return bad(
                "validation_fraction",
                format!("{} is outside [0, 0.5]", self.validation_fraction),
            );
        }
        if !self.device.is_built() {
            return self.device.burn_device().map(|_| ());
        }
        Ok(())
    }
}
