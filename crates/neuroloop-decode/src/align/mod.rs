//! Euclidean alignment (He & Wu 2019) for the deep networks (`eegnet`,
//! `shallow_convnet`, `transformer`): a shift of the whole recording — new
//! electrode impedances, a cap placed a little differently — mixes the
//! channels by about the same matrix in every trial, and whitening each
//! recording by its own mean covariance takes much of it out before the
//! network sees the signal.
//!
//! * Fit (`train`): each recording's epochs (by [`EpochSet::recording`])
//!   become `x ← R_r^{-1/2} x`, `R_r` the arithmetic mean of that
//!   recording's epoch covariances (centred sample covariances), so that
//!   every training recording's mean covariance is the identity.
//! * Decode (`online`): a running arithmetic mean of the incoming windows'
//!   covariances, `R ← R + α (C − R)`, `α = max(1/(k + 1), 1/N)` for the
//!   `k`-th window, started at the mean of *all* training covariances
//!   before alignment (the starting reference counts as one window), so a
//!   decoder whitens with the training statistics at first and learns a
//!   new recording's as it decodes it. Each window costs one covariance
//!   (`C²T/2` products), one `C × C` symmetric eigendecomposition for
//!   `R^{-1/2}` (`O(C³)`) and the whitening (`C²T`, on the networks'
//!   SIMD kernel), in buffers allocated once.
//!
//! Hyperparameters of each network: `align` (bool, default
//! [`DEFAULT_ALIGN`]) and `align_memory` (`N` windows, default
//! [`DEFAULT_ALIGN_MEMORY`], within [`ONLINE_MEMORY_RANGE`]).
//!
//! [`EpochSet::recording`]: crate::fit::EpochSet::recording

mod online;
mod train;
mod whiten;

pub use online::RunningCovarianceMean;
pub(crate) use online::{Aligned, align_recordings};
pub use train::{AlignedEpochs, align_training};
pub use whiten::Whitener;

use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::DecodeError;
use crate::fit::Hyperparameters;
use crate::spd::ONLINE_MEMORY_RANGE;

/// Whether a network aligns when `align` is not given.
pub const DEFAULT_ALIGN: bool = false;
/// Memory `N` of the running mean when `align_memory` is not given, in
/// windows.
pub const DEFAULT_ALIGN_MEMORY: usize = 100;
/// The hyperparameter names alignment owns, beside each network's own.
pub const ALIGN_KEYS: [&str; 2] = ["align", "align_memory"];

/// The stored alignment of a network: what its decoder starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignRecord {
    /// Memory `N` of the running mean, in windows.
    pub memory: usize,
    /// The arithmetic mean of every training covariance before alignment,
    /// as rows (`channels × channels`).
    pub start: Vec<Vec<f64>>,
}

/// The alignment `hp` asks of `architecture`: `Some(memory)` when `align`
/// is on.
///
/// # Errors
/// [`DecodeError::Config`] naming `{architecture}.align` if it is not a
/// bool, or `{architecture}.align_memory` if it is not a whole number
/// within [`ONLINE_MEMORY_RANGE`].
pub fn alignment_of(
    architecture: &str,
    hp: &Hyperparameters,
) -> Result<Option<usize>, DecodeError> {
    let mut errors = Vec::new();
    let align = match hp.0.get("align") {
        None => DEFAULT_ALIGN,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(other) => {
            errors.push(ConfigError::new(
                format!("{architecture}.align"),
                format!("{other} is not true or false"),
            ));
            false
        }
    };
    let memory = match hp.0.get("align_memory") {
        None => DEFAULT_ALIGN_MEMORY,
        Some(v) => match v.as_u64().and_then(|m| usize::try_from(m).ok()) {
            Some(m) if ONLINE_MEMORY_RANGE.contains(&m) => m,
            _ => {
                errors.push(ConfigError::new(
                    format!("{architecture}.align_memory"),
                    format!(
                        "{v} is not a whole number within {}..={}",
                        ONLINE_MEMORY_RANGE.start(),
                        ONLINE_MEMORY_RANGE.end()
                    ),
                ));
                0
            }
        },
    };
    if errors.is_empty() {
        Ok(align.then_some(memory))
    } else {
        Err(DecodeError::Config(errors))
    }
}

/// `hp` without the alignment keys: what the network's own config reads.
pub(crate) fn network_hyperparameters(hp: &Hyperparameters) -> Hyperparameters {
    let mut rest = hp.clone();
    for key in ALIGN_KEYS {
        rest.0.remove(key);
    }
    rest
}
