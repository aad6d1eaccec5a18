//! Offline evaluation of decoders on recorded sessions.
//!
//! * [`options`]: the event → class mapping ([`EventMap`]) and short
//!   filter-chain texts ([`parse_filters`], [`filters_from_session`]).
//! * [`epochs`]: labelled epochs cut around events after the session's
//!   filter chain ran causally over each whole recording ([`cut_epochs`]).
//! * [`crossval`]: seeded stratified k-fold cross-validation
//!   ([`cross_validate`]) around any fit-and-predict function.
//! * [`metrics`]: accuracy, confusion matrix, rank-based ROC-AUC, chance
//!   levels.
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
pub mod epochs;
pub mod metrics;
pub mod options;

pub use crossval::{CrossValidation, FoldResult, cross_validate, stratified_folds};
pub use epochs::{EpochOptions, Epochs, SkippedEvent, cut_epochs};
pub use options::{EventMap, filters_from_session, parse_filters};

use neuroloop_core::Window;
use neuroloop_decode::{BandpowerConfig, Decoder, TrainOptions};

use crate::RuntimeError;

/// Fits a log-bandpower decoder on `train` (bands `[low, high)` Hz) and
/// returns its probabilities for `test`.
///
/// # Shapes
/// Returns `[test.len(), classes]` probabilities, row-major.
///
/// # Errors
/// [`RuntimeError::Decode`] when training or decoding fails.
pub fn fit_predict_bandpower(
    train: &Epochs,
    test: &Epochs,
    bands: &[[f64; 2]],
    options: &TrainOptions,
) -> Result<Vec<f32>, RuntimeError> {
    let config = BandpowerConfig::new(
        train.channels.len(),
        train.samples,
        train.sample_rate,
        bands.to_vec(),
        train.classes.clone(),
    );
    let (mut decoder, _) = neuroloop_decode::train(&config, &train.data, &train.labels, options)?;
    let n_classes = train.classes.len();
    let mut out = vec![0.0_f32; test.len() * n_classes];
    for (i, row) in out.chunks_exact_mut(n_classes).enumerate() {
        let window = Window {
            index: i as u64,
            channels: test.channels.len(),
            samples: test.samples,
            data: test.epoch(i),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, row)?;
    }
    Ok(out)
}
