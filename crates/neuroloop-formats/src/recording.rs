//! The format-independent output: channel descriptions, events, whole
//! recordings and the chunks a [`SampleReader`] streams.
//!
//! # Shapes
//!
//! Sample data is **channel-major** `f64` in physical units (the unit each
//! channel's [`ChannelInfo::unit`] names): for `n_channels` channels and
//! `n_samples` samples, sample `s` of channel `c` is at `data[c * n_samples + s]`,
//! so each channel is one contiguous slice ([`Recording::channel`],
//! [`Chunk::channel`]).

// Reads bytes from outside: no unwrap, no unchecked integer arithmetic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use crate::FormatError;

/// One data channel as described by the file header.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelInfo {
    /// Label with trailing padding removed (e.g. `"Fc5."`, `"Oz"`).
    pub label: String,
    /// Physical dimension as written in the header (e.g. `"uV"`); values are in this unit.
    pub unit: String,
    /// Transducer type.
    pub transducer: String,
    /// Prefiltering text.
    pub prefiltering: String,
    /// Physical minimum (maps to `digital_min`).
    pub physical_min: f64,
    /// Physical maximum (maps to `digital_max`).
    pub physical_max: f64,
    /// Digital minimum.
    pub digital_min: f64,
    /// Digital maximum.
    pub digital_max: f64,
    /// Samples of this channel per data record.
    pub samples_per_record: usize,
}

impl ChannelInfo {
    /// Gain and offset such that `physical = digital * gain + offset`, i.e.
    /// `(d - dmin) * (pmax - pmin) / (dmax - dmin) + pmin`.
    #[must_use]
    pub fn scale(&self) -> (f64, f64) {
        let gain = (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min);
        (gain, self.physical_min - self.digital_min * gain)
    }

    /// Factor from [`ChannelInfo::unit`] to volts when the unit is a volt
    /// multiple (`V`, `mV`, `uV`/`µV`, `nV`), else `None`.
    #[must_use]
    pub fn volts_per_unit(&self) -> Option<f64> {
        match self.unit.trim() {
            "V" => Some(1.0),
            "mV" => Some(1e-3),
            "uV" | "\u{b5}V" | "\u{3bc}V" => Some(1e-6),
            "nV" => Some(1e-9),
            _ => None,
        }
    }
}

/// One annotation (EDF+) or event (GDF, CSV marker).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Onset in seconds from the first sample of the recording.
    pub onset_s: f64,
    /// Duration in seconds; 0 when the file gives none.
    pub duration_s: f64,
    /// Numeric event code (GDF event type, CSV marker); `None` for text annotations.
    pub code: Option<u32>,
    /// Annotation text (EDF+), or the decimal event code (GDF, CSV).
    pub description: String,
}

/// A block of consecutive samples from a [`SampleReader`].
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// Index of this chunk's first sample in the recording.
    pub start_sample: u64,
    /// Samples per channel in this chunk.
    pub n_samples: usize,
    /// Time of the first sample in seconds from the start of the recording:
    /// `start_sample / sample_rate`, except for EDF+D files, where it is the
    /// data record's onset from its time-keeping annotation (records may have
    /// gaps between them).
    pub onset_s: f64,
    /// Channel-major samples, `n_channels * n_samples` (see the module's `# Shapes`).
    pub data: Vec<f64>,
    /// Events read together with this chunk (EDF+: the annotations of its data
    /// records; GDF: events whose onset falls in it, the last chunk also
    /// carrying any past the end).
    pub events: Vec<Event>,
}

impl Chunk {
    /// The samples of channel `c`.
    ///
    /// # Panics
    ///
    /// If `c` is not below the number of channels.
    #[must_use]
    pub fn channel(&self, c: usize) -> &[f64] {
        let start = c.saturating_mul(self.n_samples);
        &self.data[start..start.saturating_add(self.n_samples)]
    }
}

/// A reader that streams a recording chunk by chunk (for replay).
pub trait SampleReader {
    /// The data channels, in file order.
    fn channels(&self) -> &[ChannelInfo];
    /// Samples per second per channel.
    fn sample_rate(&self) -> f64;
    /// Total samples per channel when the header says.
    fn n_samples(&self) -> Option<u64>;
    /// The next chunk, or `None` after the last one.
    ///
    /// # Errors
    ///
    /// Any [`FormatError`]: truncated data, malformed annotations, I/O.
    fn next_chunk(&mut self) -> Result<Option<Chunk>, FormatError>;
}

/// A whole recording in memory.
///
/// The data records are concatenated; for EDF+D files gaps between records
/// are not filled (use [`SampleReader`] and [`Chunk::onset_s`] to see them).
/// Event onsets count along the concatenated samples: in an EDF+D file an
/// event at file time `t` inside a record that starts at `t0` (its
/// time-keeping onset) and at sample `s0` is placed at `s0 / rate + (t - t0)`;
/// events in a gap between records (or outside every record) have no
/// sample and are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The data channels (annotation signals excluded).
    pub channels: Vec<ChannelInfo>,
    /// Samples per second per channel.
    pub sample_rate: f64,
    /// Samples per channel.
    pub n_samples: usize,
    /// Channel-major samples in physical units, `channels.len() * n_samples`.
    pub data: Vec<f64>,
    /// Annotations and events, in file order (GDF: sorted by onset).
    pub events: Vec<Event>,
}

impl Recording {
    /// Reads every chunk of `reader` into memory.
    ///
    /// # Errors
    ///
    /// The first error `reader` reports.
    pub fn read_all(mut reader: impl SampleReader) -> Result<Self, FormatError> {
        let channels = reader.channels().to_vec();
        let sample_rate = reader.sample_rate();
        // Preallocate at most 2^24 values in total: the header's count may lie.
        let limit = (1u64 << 24)
            .checked_div(channels.len() as u64)
            .unwrap_or(1 << 24);
        let hint = reader.n_samples().unwrap_or(0).min(limit) as usize;
        let mut per_channel: Vec<Vec<f64>> =
            channels.iter().map(|_| Vec::with_capacity(hint)).collect();
        let mut events = Vec::new();
        let mut segments = Vec::new();
        while let Some(chunk) = reader.next_chunk()? {
            for (c, out) in per_channel.iter_mut().enumerate() {
                out.extend_from_slice(chunk.channel(c));
            }
            segments.push(Segment {
                onset_s: chunk.onset_s,
                start_sample: chunk.start_sample,
                n_samples: chunk.n_samples,
            });
            events.extend(chunk.events);
        }
        let events = place_events(events, &segments, sample_rate);
        let n_samples = per_channel.first().map_or(0, Vec::len);
        Ok(Self {
            channels,
            sample_rate,
            n_samples,
            data: per_channel.concat(),
            events,
        })
    }

    /// The samples of channel `c`.
    ///
    /// # Panics
    ///
    /// If `c` is not below `channels.len()`.
    #[must_use]
    pub fn channel(&self, c: usize) -> &[f64] {
        let start = c.saturating_mul(self.n_samples);
        &self.data[start..start.saturating_add(self.n_samples)]
    }

    /// Index of the channel labelled `label` (exact match after padding removal).
    #[must_use]
    pub fn channel_index(&self, label: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.label == label)
    }

    /// Duration in seconds.
    #[must_use]
    pub fn duration_s(&self) -> f64 {
        self.n_samples as f64 / self.sample_rate
    }
}

/// Where one data record's samples lie in file time.
struct Segment {
    onset_s: f64,
    start_sample: u64,
    n_samples: usize,
}

/// Moves event onsets from file time to the concatenated sample timeline
/// when the records are discontinuous (any record onset off its sample
/// position by half a sample or more); continuous files are left as they
/// are. Events outside every record are dropped.
fn place_events(events: Vec<Event>, segments: &[Segment], rate: f64) -> Vec<Event> {
    let sample_time = |s: &Segment| s.start_sample as f64 / rate;
    let discontinuous = segments
        .iter()
        .any(|s| (s.onset_s - sample_time(s)).abs() >= 0.5 / rate);
    if !discontinuous || rate.is_nan() || rate <= 0.0 {
        return events;
    }
    events
        .into_iter()
        .filter_map(|mut e| {
            // The last record starting at or before the event.
            let i = segments.partition_point(|s| s.onset_s <= e.onset_s);
            let seg = segments.get(i.checked_sub(1)?)?;
            let offset = e.onset_s - seg.onset_s;
            (offset < seg.n_samples as f64 / rate).then(|| {
                e.onset_s = sample_time(seg) + offset;
                e
            })
        })
        .collect()
}
