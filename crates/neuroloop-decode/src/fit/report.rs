//! What training reports: per epoch ([`EpochProgress`]) and at the end
//! ([`FitReport`]).

use serde::{Deserialize, Serialize};

/// One finished epoch, passed to the progress callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochProgress {
    /// Epoch just finished, 1-based.
    pub epoch: usize,
    /// Most epochs this run may take (it may stop earlier).
    pub max_epochs: usize,
    /// Mean cross-entropy over the epoch's training minibatches.
    pub train_loss: f32,
    /// Mean cross-entropy on the held-out epochs, if any.
    pub val_loss: Option<f32>,
    /// Accuracy on the held-out epochs, if any.
    pub val_accuracy: Option<f32>,
}

/// What training did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitReport {
    /// The architecture trained.
    pub architecture: String,
    /// The seed used.
    pub seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// Epoch (1-based) whose weights were kept.
    pub best_epoch: usize,
    /// Epochs trained on.
    pub n_train: usize,
    /// Epochs held out.
    pub n_validation: usize,
    /// Mean cross-entropy of the kept weights on the training epochs.
    pub train_loss: f32,
    /// Accuracy of the kept weights on the training epochs.
    pub train_accuracy: f32,
    /// Mean cross-entropy on the held-out epochs, if any.
    pub validation_loss: Option<f32>,
    /// Accuracy on the held-out epochs, if any.
    pub validation_accuracy: Option<f32>,
}
