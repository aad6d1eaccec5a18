//! Conversions to the runtime's core types: [`StreamSpec`] for a reader's
//! channels, and sample-interleaved `f32` blocks like [`neuroloop_core::SampleBlock`] holds.
//!
//! # Shapes
//!
//! [`interleave_f32`] turns channel-major `data[c * n_samples + s]` into
//! sample-major `out[s * n_channels + c]`.

use neuroloop_core::{ChannelSpec, StreamSpec};

use crate::{ChannelInfo, Chunk, Recording, SampleReader};

impl ChannelInfo {
    /// The core channel description: kind `EEG`, unit `microvolts` for
    /// `uV`/`µV`, otherwise the header's unit text.
    #[must_use]
    pub fn to_channel_spec(&self) -> ChannelSpec {
        let unit = if self.volts_per_unit() == Some(1e-6) {
            "microvolts".to_string()
        } else {
            self.unit.clone()
        };
        ChannelSpec {
            label: self.label.clone(),
            kind: "EEG".into(),
            unit,
        }
    }
}

/// The [`StreamSpec`] of a reader's channels and rate, named `name`, with
/// `block_size` samples per block.
#[must_use]
pub fn stream_spec(reader: &impl SampleReader, name: &str, block_size: usize) -> StreamSpec {
    StreamSpec {
        name: name.into(),
        channels: reader
            .channels()
            .iter()
            .map(ChannelInfo::to_channel_spec)
            .collect(),
        sample_rate: reader.sample_rate(),
        block_size,
    }
}

/// Channel-major `f64` samples of `n_channels` channels to sample-interleaved `f32`.
///
/// # Panics
///
/// If `data.len()` is not a multiple of `n_channels` (for `n_channels > 0`).
#[must_use]
pub fn interleave_f32(data: &[f64], n_channels: usize) -> Vec<f32> {
    if n_channels == 0 {
        return Vec::new();
    }
    assert_eq!(
        data.len() % n_channels,
        0,
        "data length is not a multiple of the channel count"
    );
    let n = data.len() / n_channels;
    let mut out = vec![0.0f32; data.len()];
    for (c, channel) in data.chunks_exact(n.max(1)).enumerate() {
        for (s, &v) in channel.iter().enumerate() {
            out[s * n_channels + c] = v as f32;
        }
    }
    out
}

impl Chunk {
    /// This chunk's samples interleaved as `f32` (sample-major), for a core sample block.
    #[must_use]
    pub fn interleaved_f32(&self, n_channels: usize) -> Vec<f32> {
        interleave_f32(&self.data, n_channels)
    }
}

impl Recording {
    /// All samples interleaved as `f32` (sample-major).
    #[must_use]
    pub fn interleaved_f32(&self) -> Vec<f32> {
        interleave_f32(&self.data, self.channels.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaves_channel_major_data() {
        let data = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0];
        assert_eq!(
            interleave_f32(&data, 2),
            vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0]
        );
        assert!(interleave_f32(&[], 0).is_empty());
        assert!(interleave_f32(&[], 3).is_empty());
    }

    #[test]
    fn microvolt_channels_map_to_core_units() {
        let mut info = ChannelInfo {
            label: "Cz".into(),
            unit: "uV".into(),
            transducer: String::new(),
            prefiltering: String::new(),
            physical_min: -1.0,
            physical_max: 1.0,
            digital_min: -1.0,
            digital_max: 1.0,
            samples_per_record: 1,
        };
        assert_eq!(info.to_channel_spec(), ChannelSpec::eeg("Cz"));
        info.unit = "mV".into();
        assert_eq!(info.to_channel_spec().unit, "mV");
    }
}
