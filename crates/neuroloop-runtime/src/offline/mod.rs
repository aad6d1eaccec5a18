//! Offline evaluation of decoders on recorded sessions.
//!
//! * [`options`]: the event → class mapping ([`EventMap`]) and short
//!   filter-chain texts ([`parse_filters`], [`filters_from_session`]).
//! * [`epochs`]: labelled epochs ([`Epochs`]) and the window and channels
//!   to cut ([`EpochOptions`]).
//! * [`cut`]: epochs cut around events after the session's filter chain
//!   ran causally over each whole recording ([`cut_epochs`]).
//! * [`crossval`]: seeded stratified k-fold cross-validation
//!   ([`cross_validate`]) around any fit-and-predict function, e.g.
//!   [`fit_predict`] of any [`ModelSpec`].
//! * [`metrics`]: accuracy, balanced accuracy, confusion matrix,
//!   rank-based ROC-AUC, chance levels.
//! * [`heldout`]: a model fitted on some recordings and scored on others
//!   ([`score_held_out`]).
//! * [`export`]: the epochs and folds as NumPy files for reference tools
//!   ([`export_epochs`]).
//!
//! ```no_run
//! use neuroloop_runtime::offline::{EpochOptions, EventMap, cut_epochs, parse_filters};
//!
//! let rec = neuroloop_formats::read_recording("S001R06.edf").unwrap();
//! let options = EpochOptions {
//!     events: EventMap::parse("T1=hands,T2=feet")?,
//!     tmin: 0.5,
//!     tmax: 2.5,
//!     channels: None,
//! };
//! let epochs = cut_epochs(&[("S001R06", &rec)], &options, &parse_filters("bandpass 4-40")?)?;
//! println!("{} epochs of {:?}", epochs.len(), epochs.class_counts());
//! # Ok::<(), neuroloop_runtime::RuntimeError>(())
//! ```

pub mod crossval;
pub mod cut;
pub mod epochs;
pub mod export;
pub mod heldout;
pub mod metrics;
pub mod options;

pub use crossval::{CrossValidation, FoldResult, cross_validate, stratified_folds};
pub use cut::{cut_epochs, cut_epochs_from_files};
pub use epochs::{EpochOptions, Epochs, SkippedEvent};
pub use export::export_epochs;
pub use heldout::{HeldOutScore, score_held_out};
pub use options::{EventMap, filter_tables, filters_from_session, parse_filters};

use neuroloop_decode::fit::{EpochProgress, FitOptions, ModelSpec, fit};

use crate::RuntimeError;

/// Fits a fresh `spec` model on `train` with [`fit`] and returns its
/// probabilities for `test`; `on_epoch` sees the training progress.
///
/// # Shapes
/// Returns `[test.len(), classes]` probabilities, row-major.
///
/// # Errors
/// [`RuntimeError::Decode`] when the epochs are rejected or training or
/// prediction fails.
pub fn fit_predict(
    spec: &ModelSpec,
    options: &FitOptions,
    train: &Epochs,
    test: &Epochs,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<Vec<f32>, RuntimeError> {
    Ok(fit_predict_timed(spec, options, train, test, on_epoch)?.0)
}

/// Wall-clock seconds of one [`fit_predict_timed`].
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct FitPredictSeconds {
    /// Fitting on the training epochs.
    pub fit: f64,
    /// Predicting every test epoch (one decode per epoch).
    pub predict: f64,
}

/// [`fit_predict`], also returning how long the fit and the prediction took.
///
/// # Errors
/// As [`fit_predict`].
pub fn fit_predict_timed(
    spec: &ModelSpec,
    options: &FitOptions,
    train: &Epochs,
    test: &Epochs,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<(Vec<f32>, FitPredictSeconds), RuntimeError> {
    let started = std::time::Instant::now();
    let model = fit(spec, &train.to_epoch_set()?, options, on_epoch)?;
    let fitted = std::time::Instant::now();
    let probabilities = model.predict(&test.to_epoch_set()?)?;
    let seconds = FitPredictSeconds {
        fit: (fitted - started).as_secs_f64(),
        predict: fitted.elapsed().as_secs_f64(),
    };
    Ok((probabilities, seconds))
}
