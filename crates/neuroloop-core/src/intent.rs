//! Intents: what the pipeline tells actuators.
//!
//! An [`Intent`] is `Copy` and fixed-size so the pipeline thread can send it
//! through a bounded channel without allocating. Class labels live in the
//! session metadata; an intent carries the class index.

use serde::{Deserialize, Serialize};

/// Most classes a decoder may have.
pub const MAX_CLASSES: usize = 8;

/// Whether the intent commands a class or explicitly holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentKind {
    /// Act on `class`.
    Class,
    /// Do nothing new: unsure, dwell not reached, signal lost, or paused.
    Hold,
}

/// Why an intent holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// Not holding.
    None,
    /// Smoothed confidence below the threshold.
    LowConfidence,
    /// Confident, but the dwell time has not yet elapsed.
    Dwell,
    /// The signal has a gap or the stream vanished.
    SignalLoss,
    /// The window touches an artifact (non-finite, railed, out-of-range or
    /// flat-lined samples).
    Artifact,
    /// The decoder failed or its output was not a probability distribution.
    DecoderError,
    /// The decoder is being calibrated or trained.
    Calibrating,
    /// The window's result did not come back from the GPU decoder within
    /// its deadline (or found no free slot to go there).
    Late,
    /// An operator paused the session's output (set by the publisher).
    Paused,
    /// An emergency stop is in force until an operator clears it (set by the
    /// publisher).
    Estop,
}

/// Timestamps carried by every intent, all on the process clock (seconds).
///
/// From `arrival` on they follow the intent through the stages of the data
/// path in order, so consecutive differences are the time each stage took
/// and they add up to `publish − arrival` (see the runtime's latency
/// histograms). Holds the pipeline makes without a sample (signal loss)
/// carry the same instant in every stage.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct IntentTimes {
    /// Source timestamp of the newest sample in the decoded window (a live
    /// LSL stream's after time correction).
    pub sample_time: f64,
    /// When that newest sample arrived in neuroloop.
    pub arrival: f64,
    /// When the pipeline thread took the block holding that sample out of
    /// the ring.
    #[serde(default)]
    pub wake: f64,
    /// When artifact detection and the filters were done with that block.
    #[serde(default)]
    pub filtered: f64,
    /// When the decoder started on the window.
    pub decode_start: f64,
    /// When the decoder finished.
    pub decode_end: f64,
    /// When the intent policy had turned the decoder's output into this
    /// intent or hold.
    #[serde(default)]
    pub decided: f64,
    /// When the intent was handed to the transport (set by the publisher).
    pub publish: f64,
}

impl IntentTimes {
    /// Every stage stamped with the same instant `t` (a hold with no
    /// sample behind it).
    #[must_use]
    pub fn all_at(t: f64) -> Self {
        Self {
            sample_time: t,
            arrival: t,
            wake: t,
            filtered: t,
            decode_start: t,
            decode_end: t,
            decided: t,
            publish: t,
        }
    }
}

/// A decoded intent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intent {
    /// Index of the window this intent was decoded from (pipeline-local).
    pub window: u64,
    /// Class or hold.
    pub kind: IntentKind,
    /// Why it holds, [`HoldReason::None`] for class intents.
    pub hold_reason: HoldReason,
    /// Class index (into the session's class labels); the most probable class
    /// even when holding.
    pub class: u8,
    /// Smoothed probability of `class`.
    pub confidence: f32,
    /// Smoothed class probabilities; only the first `n_classes` are meaningful.
    pub probabilities: [f32; MAX_CLASSES],
    /// Number of classes.
    pub n_classes: u8,
    /// Timing of this intent.
    pub times: IntentTimes,
}

impl Intent {
    /// The meaningful probabilities.
    #[must_use]
    pub fn probabilities(&self) -> &[f32] {
        &self.probabilities[..usize::from(self.n_classes)]
    }
}
