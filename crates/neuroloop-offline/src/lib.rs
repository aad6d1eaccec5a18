//! Offline decoding on recorded sessions: labelled epochs cut from
//! recordings, and decoder architectures trained and scored on them.
//!
//! Its one job is to turn recordings into the epochs a decoder would have
//! seen live, and to say how well a model does on epochs it was not fitted
//! on. The epochs are `neuroloop_decode`'s [`EpochSet`], the one container
//! the fit stack takes; `neuroloop train`, `evaluate` and `score` use this
//! crate.
//!
//! * [`EventMap`]: which events become epochs, of which class.
//! * [`parse_filters`], [`filter_tables`]: short filter-chain texts
//!   (`"notch 50; bandpass 4-40"`) as `[pipeline] filters` tables, built by
//!   the stage registry.
//! * [`EpochOptions`]: the window and channels to cut; [`cut_epochs`]
//!   runs the filter chain causally over each whole recording and cuts
//!   around the events, giving a [`Cut`] (the [`EpochSet`] and the events
//!   skipped past an end).
//! * [`cross_validate`]: seeded stratified k-fold cross-validation around
//!   any fit-and-predict function, e.g. [`fit_predict()`] of any
//!   `ModelSpec`; [`score_held_out`]: a model fitted on some recordings
//!   and scored on others.
//! * [`metrics`]: accuracy, balanced accuracy, confusion matrix,
//!   rank-based ROC-AUC, chance levels.
//! * [`export_epochs`]: the epochs and folds as NumPy files for reference
//!   tools.
//! * [`OfflineError`]: every failure, with its kind (none but I/O is worth
//!   a retry).
//!
//! ```no_run
//! use neuroloop_offline::{EpochOptions, EventMap, cut_epochs, parse_filters};
//!
//! let rec = neuroloop_formats::read_recording("S001R06.edf").unwrap();
//! let options = EpochOptions {
//!     events: EventMap::parse("T1=hands,T2=feet")?,
//!     tmin: 0.5,
//!     tmax: 2.5,
//!     channels: None,
//! };
//! let cut = cut_epochs(&[("S001R06", &rec)], &options, &parse_filters("bandpass 4-40")?)?;
//! println!("{} epochs of {:?}", cut.epochs.len(), cut.epochs.class_counts());
//! # Ok::<(), neuroloop_offline::OfflineError>(())
//! ```

pub mod crossval;
pub mod cut;
pub mod epochs;
pub mod error;
pub mod event_map;
pub mod export;
pub mod filter_text;
pub mod fit_predict;
pub mod heldout;
pub mod metrics;

pub use crossval::{CrossValidation, FoldResult, cross_validate, stratified_folds};
pub use cut::{cut_epochs, cut_epochs_from_files};
pub use epochs::{Cut, EpochOptions, MAX_EPOCH_OFFSET_S, MAX_EPOCH_SAMPLES, SkippedEvent};
pub use error::OfflineError;
pub use event_map::EventMap;
pub use export::export_epochs;
pub use filter_text::{filter_tables, parse_filters};
pub use fit_predict::{FitPredictSeconds, fit_predict, fit_predict_timed};
pub use heldout::{HeldOutScore, score_held_out};
pub use neuroloop_decode::fit::EpochSet;
