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
    /// Channel labels, in order; empty unless set with
    /// [`with_channel_labels`](Self::with_channel_labels).
    pub channel_labels: Vec<String>,
    /// Onset in seconds of the event each epoch was cut around, in its
    /// recording; empty unless set with [`with_onsets`](Self::with_onsets).
    pub onset_s: Vec<f64>,
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
            channel_labels: Vec::new(),
            onset_s: Vec::new(),
        })
    }

    /// Names the channels (see [`channel_labels`](Self::channel_labels)).
    ///
    /// # Errors
    /// [`DecodeError::EpochSet`] if there is not one label per channel.
    pub fn with_channel_labels(mut self, labels: Vec<String>) -> Result<Self, DecodeError> {
        if labels.len() != self.channels {
            return Err(DecodeError::EpochSet(format!(
                "{} channel labels for {} channels",
                labels.len(),
                self.channels
            )));
        }
        self.channel_labels = labels;
        Ok(self)
    }

    /// Sets the event onset of each epoch (see [`onset_s`](Self::onset_s)).
    ///
    /// # Errors
    /// [`DecodeError::EpochSet`] if there is not one onset per epoch.
    pub fn with_onsets(mut self, onset_s: Vec<f64>) -> Result<Self, DecodeError> {
        if onset_s.len() != self.len() {
            return Err(DecodeError::EpochSet(format!(
                "{} onsets for {} epochs",
                onset_s.len(),
                self.len()
            )));
        }
        self.onset_s = onset_s;
        Ok(self)
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

    /// The epochs at `indices`, in that order (repeats allowed), with their
    /// recordings and onsets and the same channel labels.
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
            channel_labels: self.channel_labels.clone(),
            onset_s: indices
                .iter()
                .filter_map(|&i| self.onset_s.get(i).copied())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> EpochSet {
        let classes = vec!["a".to_string(), "b".to_string()];
        EpochSet::new(
            2,
            2,
            100.0,
            classes,
            (0..12).map(|v| v as f32).collect(),
            vec![0, 1, 0],
        )
        .unwrap()
    }

    #[test]
    fn labels_and_onsets_need_one_per_channel_and_epoch() {
        assert!(three().with_channel_labels(vec!["C3".into()]).is_err());
        assert!(three().with_onsets(vec![1.0, 2.0]).is_err());
        let set = three()
            .with_channel_labels(vec!["C3".into(), "C4".into()])
            .unwrap()
            .with_onsets(vec![1.5, 2.5, 3.5])
            .unwrap();
        let sub = set.subset(&[2, 0]).unwrap();
        assert_eq!(sub.channel_labels, ["C3", "C4"]);
        assert_eq!(sub.onset_s, [3.5, 1.5]);
        assert_eq!(sub.epoch(0), &[8.0, 9.0, 10.0, 11.0]);
        // Without onsets a subset has none either.
        assert!(three().subset(&[1]).unwrap().onset_s.is_empty());
    }
}
