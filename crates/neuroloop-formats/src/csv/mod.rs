//! CSV recordings as muse-lsl writes them (Muse headbands, e.g. the
//! NeuroTechX eeg-notebooks P300 runs): a header row, then one row per
//! sample.
//!
//! * `timestamps`: unix seconds of the sample (required);
//! * `Marker` (optional): 0 for none, otherwise the event code of a
//!   stimulus at that sample (1 non-target, 2 target in the P300 runs);
//! * every other column is a channel, in microvolts (`TP9`, `AF7`, `AF8`,
//!   `TP10`, `Right AUX`).
//!
//! **Sample rate.** The timestamps jitter (millisecond resolution: steps of
//! 3 and 4 ms at 256 Hz), so the rate is derived from the whole span:
//! `measured = (n − 1) / (t_last − t_first)`, and the recording's rate is
//! `measured` rounded to whole hertz (256.03 → 256 on the Muse runs). A
//! measured rate more than 1 % from its rounding (lost samples, say) is an
//! error unless the rate is given ([`CsvReader::with_sample_rate`]). The
//! samples are taken as evenly spaced at that rate: sample `s` is at
//! `s / rate` seconds, and an event's onset is its row's sample time, so
//! epochs cut at `onset · rate` start on the marked sample.
//!
//! **Events.** Each row with a non-zero marker gives one [`Event`] with
//! [`Event::code`] the marker and [`Event::description`] its decimal text,
//! as GDF events, so an event map `1=nontarget,2=target` matches them.

// Reads text from outside: no unwrap, no unchecked integer arithmetic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

mod table;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

pub use table::{MARKER_COLUMN, TIME_COLUMN};
use table::{Table, bad};

use crate::{ChannelInfo, Chunk, Event, FormatError, Recording, SampleReader};

/// Largest relative distance of the measured rate from its whole-hertz rounding.
const RATE_TOLERANCE: f64 = 0.01;

/// Reads a CSV recording (parsed whole when opened) in one-second chunks.
#[derive(Debug, Clone)]
pub struct CsvReader {
    table: Table,
    channels: Vec<ChannelInfo>,
    sample_rate: f64,
    measured_rate: f64,
    chunk_samples: usize,
    next_sample: usize,
}

impl CsvReader {
    /// Opens and parses the file at `path`, deriving the rate.
    ///
    /// # Errors
    /// [`FormatError::Io`] if the file cannot be read; as [`CsvReader::new`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FormatError> {
        Self::new(BufReader::new(File::open(path)?))
    }

    /// Parses the whole text of `reader`, deriving the sample rate from the
    /// timestamps (see the module documentation).
    ///
    /// # Errors
    /// [`FormatError::BadCsv`] naming the line and column of the first bad
    /// cell (see [`MARKER_COLUMN`], [`TIME_COLUMN`]), or a measured rate not
    /// within 1 % of a whole number of hertz.
    pub fn new(reader: impl BufRead) -> Result<Self, FormatError> {
        let table = Table::parse(reader)?;
        let measured = measured_rate(&table);
        let nominal = measured.round();
        if !(nominal >= 1.0 && (measured - nominal).abs() <= RATE_TOLERANCE * nominal) {
            return Err(bad(
                2,
                Some(TIME_COLUMN),
                format!(
                    "the timestamps imply {measured:.4} Hz, more than 1 % from a whole rate \
                     (samples lost?); give the rate explicitly"
                ),
            ));
        }
        Ok(Self::build(table, nominal, measured))
    }

    /// Parses `reader` and takes `sample_rate` as the rate whatever the
    /// timestamps say.
    ///
    /// # Errors
    /// As [`CsvReader::new`] for the content; [`FormatError::Unsupported`]
    /// for a rate that is not finite and positive.
    pub fn with_sample_rate(reader: impl BufRead, sample_rate: f64) -> Result<Self, FormatError> {
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(FormatError::Unsupported(format!(
                "sample rate {sample_rate} Hz (must be finite and positive)"
            )));
        }
        let table = Table::parse(reader)?;
        let measured = measured_rate(&table);
        Ok(Self::build(table, sample_rate, measured))
    }

    fn build(table: Table, sample_rate: f64, measured_rate: f64) -> Self {
        let n = table.times.len().max(1);
        let channels = table
            .labels
            .iter()
            .zip(table.rows.chunks_exact(n))
            .map(|(label, values)| {
                // The values are stored as they are: digital = physical,
                // over the range they span (widened for a flat channel).
                let min = values.iter().copied().fold(f64::INFINITY, f64::min);
                let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let max = if max > min { max } else { min + 1.0 };
                ChannelInfo {
                    label: label.clone(),
                    unit: "uV".into(),
                    transducer: String::new(),
                    prefiltering: String::new(),
                    physical_min: min,
                    physical_max: max,
                    digital_min: min,
                    digital_max: max,
                    samples_per_record: 1,
                }
            })
            .collect();
        Self {
            table,
            channels,
            sample_rate,
            measured_rate,
            // At least 1: the rate is positive; at most 2^16 per chunk.
            chunk_samples: sample_rate.ceil().clamp(1.0, 65536.0) as usize,
            next_sample: 0,
        }
    }

    /// The rate the timestamps imply, `(n − 1) / (t_last − t_first)`.
    #[must_use]
    pub fn measured_rate(&self) -> f64 {
        self.measured_rate
    }

    /// Unix time in seconds of the first sample.
    #[must_use]
    pub fn start_time(&self) -> f64 {
        self.table.times.first().copied().unwrap_or(0.0)
    }

    /// Every event of the file, onsets in seconds from the first sample.
    #[must_use]
    pub fn events(&self) -> Vec<Event> {
        self.events_in(0, self.table.times.len())
    }

    fn events_in(&self, from: usize, to: usize) -> Vec<Event> {
        let markers = self.table.markers.get(from..to).unwrap_or(&[]);
        markers
            .iter()
            .enumerate()
            .filter(|(_, m)| **m != 0)
            .map(|(i, &m)| Event {
                onset_s: from.saturating_add(i) as f64 / self.sample_rate,
                duration_s: 0.0,
                code: Some(m),
                description: m.to_string(),
            })
            .collect()
    }

    /// Reads every sample into a [`Recording`].
    ///
    /// # Errors
    /// None in practice (the file was parsed when opened); the signature
    /// matches the other readers.
    pub fn read_all(self) -> Result<Recording, FormatError> {
        Recording::read_all(self)
    }
}

fn measured_rate(table: &Table) -> f64 {
    let n = table.times.len();
    let span = match (table.times.first(), table.times.last()) {
        (Some(first), Some(last)) => last - first,
        _ => 0.0,
    };
    n.saturating_sub(1) as f64 / span
}

impl SampleReader for CsvReader {
    fn channels(&self) -> &[ChannelInfo] {
        &self.channels
    }

    fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    fn n_samples(&self) -> Option<u64> {
        Some(self.table.times.len() as u64)
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, FormatError> {
        let total = self.table.times.len();
        let from = self.next_sample;
        if from >= total {
            return Ok(None);
        }
        let to = from.saturating_add(self.chunk_samples).min(total);
        let n = to.saturating_sub(from);
        let mut data = Vec::with_capacity(n.saturating_mul(self.channels.len()));
        for c in 0..self.channels.len() {
            let start = c.saturating_mul(total);
            data.extend_from_slice(
                &self.table.rows[start.saturating_add(from)..start.saturating_add(to)],
            );
        }
        self.next_sample = to;
        Ok(Some(Chunk {
            start_sample: from as u64,
            n_samples: n,
            onset_s: from as f64 / self.sample_rate,
            data,
            events: self.events_in(from, to),
        }))
    }
}

/// Reads a whole CSV recording, deriving the rate from its timestamps.
///
/// # Errors
/// As [`CsvReader::open`].
pub fn read_csv(path: impl AsRef<Path>) -> Result<Recording, FormatError> {
    CsvReader::open(path)?.read_all()
}
