//! Model bundles: a trained decoder as a directory that a session loads.
//!
//! ```text
//! bundle/
//!   decoder.json   format version, architecture and hyperparameters, the
//!                  channel labels in order, sample rate, window length
//!                  and, for event-locked windows, their offset,
//!                  the filter chain it was trained behind, classes, input
//!                  scale, training summary, weights file name
//!   weights.bpk    the weights as a burn record (burnpack), or
//!   weights.json   a covariance decoder's fitted parameters
//!                  ([`CovarianceRecord`](crate::covariance::CovarianceRecord))
//! ```
//!
//! * `schema`: [`Manifest`], the `decoder.json` document (strict: unknown
//!   fields and other format versions are errors).
//! * `save`: [`FittedModel::save_bundle`](crate::fit::FittedModel::save_bundle).
//! * `load`: [`Bundle::load`], checking the manifest and the weights
//!   against the architecture.
//! * `check`: [`Bundle::check_against`], every difference between what the
//!   bundle expects and what a session provides.
//!
//! The filter chain is stored as the JSON form of the session's
//! `[pipeline] filters` tables (this crate does not depend on the DSP
//! crate); the runtime validates it.

mod check;
mod load;
mod save;
mod schema;

pub use check::Mismatch;
pub use load::Bundle;
pub use save::BundleMeta;
pub use schema::{
    FORMAT_VERSION, MANIFEST_FILE, Manifest, Preprocessing, RECORD_FILE, WEIGHTS_FILE,
    WindowDescription,
};
