//! The `decoder.json` document.

use serde::{Deserialize, Serialize};

use crate::fit::{FitReport, ModelSpec};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Name of the manifest inside a bundle directory.
pub const MANIFEST_FILE: &str = "decoder.json";
/// Name of the weights file of a burn model written by this build.
pub const WEIGHTS_FILE: &str = "weights.bpk";
/// Name of the weights file of a covariance decoder (its fitted
/// parameters as JSON).
pub const RECORD_FILE: &str = "weights.json";

/// What a bundle holds besides its weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Architecture and hyperparameters.
    pub model: ModelSpec,
    /// Channel labels, in the order the decoder expects them (after the
    /// filters).
    pub channels: Vec<String>,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Samples per analysis window.
    pub window_samples: usize,
    /// Class labels, in the order of the probabilities.
    pub classes: Vec<String>,
    /// What was done to the signal before the decoder saw it.
    pub preprocessing: Preprocessing,
    /// Gain applied to every window before a deep network (1 / training
    /// standard deviation); 1 for bandpower.
    pub input_scale: f32,
    /// How the model was trained.
    pub training: FitReport,
    /// Where the training data came from (e.g. the recording files).
    #[serde(default)]
    pub source: Option<String>,
    /// Weights file name, inside the bundle directory.
    pub weights: String,
}

/// The signal chain in front of the decoder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preprocessing {
    /// The filter stages, each in the form of a session's
    /// `[pipeline] filters` table (`{"type": "bandpass", ...}`).
    pub filters: Vec<serde_json::Value>,
}
