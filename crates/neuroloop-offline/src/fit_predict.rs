//! Fitting a fresh model on some epochs and predicting others: the
//! fit-and-predict step of [`cross_validate`](crate::cross_validate) and
//! [`score_held_out`](crate::score_held_out).

use neuroloop_decode::fit::{EpochProgress, EpochSet, FitOptions, ModelSpec, fit};

use crate::OfflineError;

/// Fits a fresh `spec` model on `train` with [`fit`] and returns its
/// probabilities for `test`; `on_epoch` sees the training progress.
///
/// # Shapes
/// Returns `[test.len(), classes]` probabilities, row-major.
///
/// # Errors
/// [`OfflineError::Decode`] when the epochs are rejected or training or
/// prediction fails.
pub fn fit_predict(
    spec: &ModelSpec,
    options: &FitOptions,
    train: &EpochSet,
    test: &EpochSet,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<Vec<f32>, OfflineError> {
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
    train: &EpochSet,
    test: &EpochSet,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<(Vec<f32>, FitPredictSeconds), OfflineError> {
    let started = std::time::Instant::now();
    let model = fit(spec, train, options, on_epoch)?;
    let fitted = std::time::Instant::now();
    let probabilities = model.predict(test)?;
    let seconds = FitPredictSeconds {
        fit: (fitted - started).as_secs_f64(),
        predict: fitted.elapsed().as_secs_f64(),
    };
    Ok((probabilities, seconds))
}
