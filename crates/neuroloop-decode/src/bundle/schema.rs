//! The `decoder.json` document.

use serde::{Deserialize, Serialize};

use crate::align::AlignRecord;
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
///
/// `M` is the model's form: a [`ModelSpec`] once its architecture is
/// known; the raw JSON while a manifest is read, before a registry
/// resolves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest<M = ModelSpec> {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// Architecture and hyperparameters.
    pub model: M,
    /// Channel labels, in the order the decoder expects them (after the
    /// filters).
    pub channels: Vec<String>,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Samples per analysis window.
    pub window_samples: usize,
    /// How the windows are cut: at a fixed hop (the default, not written)
    /// or locked to events.
    #[serde(default, skip_serializing_if = "WindowDescription::is_hop")]
    pub windows: WindowDescription,
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
    /// The Euclidean alignment a deep network starts decoding from (its
    /// training mean covariance); absent when it does not align.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment: Option<AlignRecord>,
}

impl<M> Manifest<M> {
    /// The same manifest with another form of its model.
    pub fn with_model<N>(self, model: N) -> Manifest<N> {
        Manifest {
            format_version: self.format_version,
            model,
            channels: self.channels,
            sample_rate: self.sample_rate,
            window_samples: self.window_samples,
            windows: self.windows,
            classes: self.classes,
            preprocessing: self.preprocessing,
            input_scale: self.input_scale,
            training: self.training,
            source: self.source,
            weights: self.weights,
            alignment: self.alignment,
        }
    }
}

/// The signal chain in front of the decoder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preprocessing {
    /// The filter stages, each in the form of a session's
    /// `[pipeline] filters` table (`{"type": "bandpass", ...}`).
    pub filters: Vec<serde_json::Value>,
}

/// How a bundle's windows are cut from the stream.
///
/// JSON: absent for fixed-hop windows (bundles written before event
/// locking existed read as such); `{"mode": "events", "offset_s": -0.1}`
/// for one window per event starting `offset_s` after it (the epochs'
/// `tmin`), `window_samples` long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum WindowDescription {
    /// Windows at a fixed hop; the session chooses the hop.
    #[default]
    Hop,
    /// One window per event.
    Events {
        /// Seconds from the event to the window's first sample.
        offset_s: f64,
    },
}

impl WindowDescription {
    /// Whether windows are cut at a fixed hop.
    #[must_use]
    pub fn is_hop(&self) -> bool {
        matches!(self, Self::Hop)
    }
}

#[cfg(test)]
mod tests {
    use super::WindowDescription;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Holder {
        #[serde(default, skip_serializing_if = "WindowDescription::is_hop")]
        windows: WindowDescription,
    }

    #[test]
    fn fixed_hop_windows_are_not_written_and_absent_means_fixed_hop() {
        let hop = serde_json::to_string(&Holder {
            windows: WindowDescription::Hop,
        })
        .unwrap();
        assert_eq!(hop, "{}", "a fixed-hop manifest is unchanged");
        let old: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(old.windows, WindowDescription::Hop);
        let events = WindowDescription::Events { offset_s: -0.1 };
        let text = serde_json::to_string(&Holder { windows: events }).unwrap();
        assert_eq!(text, r#"{"windows":{"mode":"events","offset_s":-0.1}}"#);
        let back: Holder = serde_json::from_str(&text).unwrap();
        assert_eq!(back.windows, events);
        assert!(
            serde_json::from_str::<Holder>(r#"{"windows":{"mode":"epochs"}}"#).is_err(),
            "an unknown mode is refused"
        );
    }
}
