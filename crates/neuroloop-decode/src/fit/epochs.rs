//! [`EpochSet`]: labelled epochs of equal shape, checked once on entry.

use neuroloop_core::MAX_CLASSES;

use crate::DecodeError;

/// Labelled epochs of `channels × samples` values each.
///
/// # Shapes
/// `data` is `[n, channels, samples]`, channel-major per epoch
/// (`data[(i * channels + ch) * samples + t]`); `labels[i]` indexes
/// `classes`.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochSet {
    /// Channels per epoch.
    pub channels: usize,
    /// Samples per channel.
    pub samples: usize,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Class labels, in the order of the probabilities.
    pub classes: Vec<String>,
    /// Epoch data.
    pub data: Vec<f32>,
    /// Class of each epoch.
    pub labels: Vec<usize>,
    /// The recording (session, run) each epoch came from, as an index
    /// that only needs to tell recordings apart; 0 for every epoch unless
    /// set with [`with_recordings`](Self::with_recordings). Re-centring
    /// decoders whiten each recording's covariances by its own mean.
    pub recording: Vec<usize>,
}

impl EpochSet {
    /// Checks and wraps labelled epochs.
    ///
    /// # Errors
    /// * [`DecodeError::EpochSet`] for zero channels or samples, a sample
    ///   rate that is not positive, fewer than 2 or more than
    ///   [`MAX_CLASSES`] classes, empty or duplicate class labels.
    /// * [`DecodeError::TrainingShape`] if `data` is not
    ///   `labels.len() × channels × samples` long.
    /// * [`DecodeError::LabelOutOfRange`] for a label naming no class.
    /// * [`DecodeError::NonFiniteTraining`] for a NaN or infinite sample.
    pub fn new(
        channels: usize,
        samples: usize,
        sample_rate: f64,
        classes: Vec<String>,
        data: Vec<f32>,
        labels: Vec<usize>,
    ) -> Result<Self, DecodeError> {
        let bad = |m: String| Err(DecodeError::EpochSet(m));
        if channels == 0 || samples == 0 {
            return bad(format!(
                "{channels} channels × {samples} samples: both must be at least 1"
            ));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return bad(format!("sample rate {sample_rate} is not positive"));
        }
        if !(2..=MAX_CLASSES).contains(&classes.len()) {
            return bad(format!(
                "{} classes given, 2 to {MAX_CLASSES} allowed",
                classes.len()
            ));
        }
        for (i, name) in classes.iter().enumerate() {
            if name.trim().is_empty() || classes[..i].contains(name) {
                return bad(format!("class {i} ({name:?}) is empty or a duplicate"));
            }
        }
        let epoch_len = channels * samples;
        if Some(data.len()) != labels.len().checked_mul(epoch_len) {
            return Err(DecodeError::TrainingShape {
                expected: labels.len().saturating_mul(epoch_len),
                got: data.len(),
                windows: labels.len(),
            });
        }
        if let Some((window, &label)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| **l >= classes.len())
        {
            return Err(DecodeError::LabelOutOfRange {
                window,
                label,
                classes: classes.len(),
            });
        }
        for (window, x) in data.chunks_exact(epoch_len).enumerate() {
            if let Err(DecodeError::NonFinite { channel, sample }) = crate::check_finite(x, samples)
            {
                return Err(DecodeError::NonFiniteTraining {
                    window,
                    channel,
                    sample,
                });
            }
        }
        Ok(Self {
            channels,
            samples,
            sample_rate,
            classes,
            data,
            recording: vec![0; labels.len()],
            labels,
        })
    }

    /// Sets the recording of each epoch (see [`recording`](Self::recording)).
    ///
    /// # Errors
    /// [`DecodeError::EpochSet`] if there is not one index per epoch.
    pub fn with_recordings(mut self, recording: Vec<usize>) -> Result<Self, DecodeError> {
        if recording.len() != self.len() {
            return Err(DecodeError::EpochSet(format!(
                "{} recording indices for {} epochs",
                recording.len(),
                self.len()
            )));
        }
        self.recording = recording;
        Ok(self)
    }

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
        self.channels * self.samples
    }

    /// Epoch `i`, `[channels, samples]` channel-major.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[must_use]
    pub fn epoch(&self, i: usize) -> &[f32] {
        let n = self.epoch_len();
        &self.data[i * n..(i + 1) * n]
    }

    /// Epochs per class, indexed like `classes`.
    #[must_use]
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The epochs at `indices`, in that order (repeats allowed).
    ///
    /// # Errors
    /// [`DecodeError::EpochSet`] if an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<EpochSet, DecodeError> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(DecodeError::EpochSet(format!(
                "index {i} is out of range for {} epochs",
                self.len()
            )));
        }
        let mut data = Vec::with_capacity(indices.len() * self.epoch_len());
        for &i in indices {
            data.extend_from_slice(self.epoch(i));
        }
        Ok(EpochSet {
            channels: self.channels,
            samples: self.samples,
            sample_rate: self.sample_rate,
            classes: self.classes.clone(),
            data,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            recording: indices.iter().map(|&i| self.recording[i]).collect(),
        })
    }
}
