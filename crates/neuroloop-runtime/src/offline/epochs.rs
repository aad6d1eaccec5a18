//! Labelled epochs ([`Epochs`]) and how to cut them ([`EpochOptions`]);
//! [`cut_epochs`](crate::offline::cut_epochs) does the cutting.
//!
//! # Shapes
//!
//! [`Epochs::data`] is `[n, channels, samples]`, row-major: sample `t` of
//! channel `c` of epoch `i` is at `data[(i * channels + c) * samples + t]`.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_decode::DecodeError;
use neuroloop_decode::fit::EpochSet;

use crate::RuntimeError;
use crate::offline::EventMap;

/// Largest `|tmin|`, `|tmax|`, seconds from the event.
pub const MAX_EPOCH_OFFSET_S: f64 = 3600.0;
/// Most samples per channel of one epoch.
pub const MAX_EPOCH_SAMPLES: usize = 1 << 20;

/// How to cut epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochOptions {
    /// Which events become epochs, and their classes.
    pub events: EventMap,
    /// Epoch start relative to the event onset, in seconds (may be negative).
    pub tmin: f64,
    /// Epoch end relative to the event onset, in seconds (exclusive).
    pub tmax: f64,
    /// Channels by label, in this order; `None`: every data channel of the
    /// recording (annotation signals are never data channels).
    pub channels: Option<Vec<String>>,
}

impl EpochOptions {
    /// Samples per epoch at `sample_rate`: `round((tmax - tmin) * rate)`
    /// (saturating; [`MAX_EPOCH_SAMPLES`] bounds what is accepted).
    #[must_use]
    pub fn samples(&self, sample_rate: f64) -> usize {
        // `as` saturates; NaN becomes 0.
        ((self.tmax - self.tmin) * sample_rate).round().max(0.0) as usize
    }

    pub(crate) fn check(&self, sample_rate: f64) -> Result<(), RuntimeError> {
        let bad = |message: String| RuntimeError::OfflineOption {
            what: "epoch window",
            message,
        };
        for (name, t) in [("tmin", self.tmin), ("tmax", self.tmax)] {
            if !(-MAX_EPOCH_OFFSET_S..=MAX_EPOCH_OFFSET_S).contains(&t) {
                return Err(bad(format!(
                    "{name} {t} is outside the allowed range -{MAX_EPOCH_OFFSET_S} to {MAX_EPOCH_OFFSET_S} s"
                )));
            }
        }
        if self.tmax <= self.tmin {
            return Err(bad(format!(
                "tmax ({}) must be above tmin ({})",
                self.tmax, self.tmin
            )));
        }
        if self.samples(sample_rate) > MAX_EPOCH_SAMPLES {
            return Err(bad(format!(
                "[{}, {}] s is {} samples at {sample_rate} Hz; at most {MAX_EPOCH_SAMPLES} are allowed",
                self.tmin,
                self.tmax,
                self.samples(sample_rate)
            )));
        }
        if self.samples(sample_rate) < 2 {
            return Err(RuntimeError::OfflineOption {
                what: "epoch window",
                message: format!(
                    "[{}, {}] s holds fewer than 2 samples at {sample_rate} Hz",
                    self.tmin, self.tmax
                ),
            });
        }
        Ok(())
    }
}

/// An event that matched the mapping but gave no epoch because its window
/// runs past either end of the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEvent {
    /// Index of the recording in the list given to
    /// [`cut_epochs`](crate::offline::cut_epochs).
    pub recording: usize,
    /// Event onset in seconds.
    pub onset_s: f64,
    /// Class index.
    pub class: usize,
}

/// Labelled epochs of one or more recordings of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Epochs {
    /// Channel labels after the filter chain, in order.
    pub channels: Vec<String>,
    /// Samples per channel per epoch.
    pub samples: usize,
    /// Samples per second.
    pub sample_rate: f64,
    /// Class names; labels index into this.
    pub classes: Vec<String>,
    /// `[n, channels, samples]` values (see the module's `# Shapes`).
    pub data: Vec<f32>,
    /// Class index of each epoch.
    pub labels: Vec<usize>,
    /// Recording index of each epoch.
    pub recording: Vec<usize>,
    /// Onset (s) of the event of each epoch in its recording.
    pub onset_s: Vec<f64>,
    /// Matching events left out because their window runs past an end.
    pub skipped: Vec<SkippedEvent>,
}

impl Epochs {
    /// Number of epochs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no epoch.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per epoch (`channels × samples`).
    #[must_use]
    pub fn epoch_len(&self) -> usize {
        self.channels.len().saturating_mul(self.samples)
    }

    /// The `[channels, samples]` values of epoch `i`.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[must_use]
    pub fn epoch(&self, i: usize) -> &[f32] {
        let n = self.epoch_len();
        let start = i.saturating_mul(n);
        &self.data[start..start.saturating_add(n)]
    }

    /// Epochs per class, in class order.
    #[must_use]
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0_usize; self.classes.len()];
        for &l in &self.labels {
            if let Some(n) = counts.get_mut(l) {
                *n = n.saturating_add(1);
            }
        }
        counts
    }

    /// The data, labels and recording of each epoch as a checked
    /// [`EpochSet`] for training (copied).
    ///
    /// # Errors
    /// As [`EpochSet::new`] (e.g. a class with no name, non-finite values
    /// after filtering).
    pub fn to_epoch_set(&self) -> Result<EpochSet, DecodeError> {
        EpochSet::new(
            self.channels.len(),
            self.samples,
            self.sample_rate,
            self.classes.clone(),
            self.data.clone(),
            self.labels.clone(),
        )?
        .with_recordings(self.recording.clone())
    }

    /// The epochs at `indices`, in that order (skipped events are not carried).
    ///
    /// # Panics
    /// If an index is out of range.
    #[must_use]
    pub fn subset(&self, indices: &[usize]) -> Self {
        let mut data = Vec::with_capacity(indices.len().saturating_mul(self.epoch_len()));
        for &i in indices {
            data.extend_from_slice(self.epoch(i));
        }
        Self {
            channels: self.channels.clone(),
            samples: self.samples,
            sample_rate: self.sample_rate,
            classes: self.classes.clone(),
            data,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            recording: indices.iter().map(|&i| self.recording[i]).collect(),
            onset_s: indices.iter().map(|&i| self.onset_s[i]).collect(),
            skipped: Vec::new(),
        }
    }
}
