//! Stream descriptions.

use serde::{Deserialize, Serialize};

/// One channel of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelSpec {
    /// Electrode or signal label, e.g. `C3`.
    pub label: String,
    /// Signal type in LSL's vocabulary, e.g. `EEG`, `EMG`, `Markers`.
    pub kind: String,
    /// Physical unit of the values, e.g. `microvolts`.
    pub unit: String,
}

/// Kinds of channels that carry a biosignal (in volts, whatever the
/// prefix); a stream's other channels (triggers, counters, motion) have
/// units of their own.
pub const BIOSIGNAL_KINDS: [&str; 5] = ["EEG", "EOG", "EMG", "ECG", "ExG"];

impl ChannelSpec {
    /// Whether the channel carries a biosignal ([`BIOSIGNAL_KINDS`],
    /// case-insensitive).
    #[must_use]
    pub fn is_biosignal(&self) -> bool {
        BIOSIGNAL_KINDS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&self.kind))
    }

    /// An EEG channel in microvolts.
    pub fn eeg(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            kind: "EEG".into(),
            unit: "microvolts".into(),
        }
    }
}

/// Describes a sampled stream: its channels, nominal rate and block size.
///
/// A `sample_rate` of `0.0` means an irregular stream (markers, events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSpec {
    /// Stream name (e.g. the LSL stream name or `sim`).
    pub name: String,
    /// Channels in the order their values are interleaved in a sample.
    pub channels: Vec<ChannelSpec>,
    /// Nominal sample rate in Hz; `0.0` for irregular streams.
    pub sample_rate: f64,
    /// Samples per block the source typically delivers.
    pub block_size: usize,
}

impl StreamSpec {
    /// Number of channels.
    #[must_use]
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Nyquist frequency in Hz.
    #[must_use]
    pub fn nyquist(&self) -> f64 {
        self.sample_rate / 2.0
    }

    /// Index of the channel labelled `label` (case-insensitive), if any.
    #[must_use]
    pub fn channel_index(&self, label: &str) -> Option<usize> {
        self.channels
            .iter()
            .position(|c| c.label.eq_ignore_ascii_case(label))
    }

    /// The channel labels, in stream order.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.channels.iter().map(|c| c.label.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_channels_case_insensitively() {
        let spec = StreamSpec {
            name: "t".into(),
            channels: vec![ChannelSpec::eeg("C3"), ChannelSpec::eeg("Cz")],
            sample_rate: 250.0,
            block_size: 10,
        };
        assert_eq!(spec.channel_index("cz"), Some(1));
        assert_eq!(spec.channel_index("C4"), None);
        assert_eq!(spec.nyquist(), 125.0);
    }
}
