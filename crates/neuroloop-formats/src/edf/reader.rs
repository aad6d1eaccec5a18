//! Streaming EDF/EDF+/BDF reader: the header, then one data record at a time,
//! scaled to physical units, with the record's annotations.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::header::{Continuity, EdfHeader};
use super::tal::{self, RecordAnnotations};
use crate::bytes::{read_exact, read_up_to};
use crate::{ChannelInfo, Chunk, FormatError, Recording, SampleReader};

/// One data record of the data signals.
///
/// # Shapes
///
/// `data` is channel-major: `n_channels × samples_per_record`, in physical units.
#[derive(Debug, Clone, PartialEq)]
pub struct EdfRecord {
    /// Index of the record in the file (0-based).
    pub index: u64,
    /// Samples per channel (the header's samples per record).
    pub n_samples: usize,
    /// Channel-major physical values.
    pub data: Vec<f64>,
    /// The record's annotations (empty for plain EDF).
    pub annotations: RecordAnnotations,
}

/// Reads an EDF, EDF+ or BDF file record by record.
///
/// All data signals must have the same samples per record (one sample rate);
/// annotation signals ("EDF Annotations") are parsed, not returned as channels.
/// Bytes after the last record the header announces are ignored.
#[derive(Debug)]
pub struct EdfReader<R> {
    reader: R,
    header: EdfHeader,
    channels: Vec<ChannelInfo>,
    /// (signal index, sample offset in the record) of each data channel.
    data_signals: Vec<(usize, usize)>,
    /// (sample offset, samples) of each annotation signal.
    annotation_signals: Vec<(usize, usize)>,
    scales: Vec<(f64, f64)>,
    samples_per_record: usize,
    next_record: u64,
    buf: Vec<u8>,
    done: bool,
}

impl EdfReader<BufReader<File>> {
    /// Opens the file at `path` and reads its header.
    ///
    /// # Errors
    ///
    /// [`FormatError::Io`] if the file cannot be opened; otherwise as [`EdfReader::new`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FormatError> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl<R: Read> EdfReader<R> {
    /// Reads the header from `reader`, positioned at the start of the file.
    ///
    /// # Errors
    ///
    /// As [`EdfHeader::read`]; [`FormatError::Unsupported`] when the file has no
    /// data signal or data signals with different sample rates;
    /// [`FormatError::BadField`] for a zero record duration.
    pub fn new(mut reader: R) -> Result<Self, FormatError> {
        let header = EdfHeader::read(&mut reader)?;
        let mut data_signals = Vec::new();
        let mut annotation_signals = Vec::new();
        let mut offset = 0_usize;
        for (i, s) in header.signals.iter().enumerate() {
            if header.is_annotation(i) {
                annotation_signals.push((offset, s.samples_per_record));
            } else {
                data_signals.push((i, offset));
            }
            offset = offset.saturating_add(s.samples_per_record);
        }
        let Some(&(first, _)) = data_signals.first() else {
            return Err(FormatError::Unsupported(
                "file has no data signal (annotations only)".into(),
            ));
        };
        let samples_per_record = header.signals[first].samples_per_record;
        if let Some(&(i, _)) = data_signals
            .iter()
            .find(|&&(i, _)| header.signals[i].samples_per_record != samples_per_record)
        {
            return Err(FormatError::Unsupported(format!(
                "signals with different sample rates: signal 0 ({}) has {} samples per record, signal {i} ({}) has {}",
                header.signals[first].label,
                samples_per_record,
                header.signals[i].label,
                header.signals[i].samples_per_record
            )));
        }
        if header.record_duration_s <= 0.0 {
            return Err(FormatError::field(
                "record_duration",
                244,
                header.record_duration_s.to_string(),
                "must be positive for data signals",
            ));
        }
        let channels: Vec<ChannelInfo> = data_signals
            .iter()
            .map(|&(i, _)| header.signals[i].clone())
            .collect();
        let scales = channels.iter().map(ChannelInfo::scale).collect();
        let buf = vec![0; header.record_bytes()];
        Ok(Self {
            reader,
            header,
            channels,
            data_signals,
            annotation_signals,
            scales,
            samples_per_record,
            next_record: 0,
            buf,
            done: false,
        })
    }

    /// The parsed header (all signals, annotation signals included).
    #[must_use]
    pub fn header(&self) -> &EdfHeader {
        &self.header
    }

    /// The next data record, or `None` after the last.
    ///
    /// # Errors
    ///
    /// [`FormatError::Truncated`] when the file ends inside a record (or
    /// before the announced number of records), [`FormatError::BadTal`] for
    /// malformed annotations, [`FormatError::Io`].
    pub fn next_record(&mut self) -> Result<Option<EdfRecord>, FormatError> {
        if self.done || self.header.n_records == Some(self.next_record) {
            self.done = true;
            return Ok(None);
        }
        let index = self.next_record;
        let record_bytes = self.buf.len() as u64;
        let offset = self
            .header
            .header_bytes
            .saturating_add(index.saturating_mul(record_bytes));
        if self.header.n_records.is_some() {
            read_exact(
                &mut self.reader,
                &mut self.buf,
                || format!("data record {index}"),
                offset,
            )?;
        } else {
            let got = read_up_to(&mut self.reader, &mut self.buf)?;
            if got == 0 {
                self.done = true;
                return Ok(None);
            }
            if got < self.buf.len() {
                return Err(FormatError::Truncated {
                    what: format!("data record {index}"),
                    offset,
                    needed: record_bytes,
                    available: got as u64,
                });
            }
        }
        self.next_record = self.next_record.saturating_add(1);
        let width = self.header.sample_bytes();
        let n = self.samples_per_record;
        let mut data = Vec::with_capacity(n.saturating_mul(self.channels.len()));
        for (&(_, start), &(gain, off)) in self.data_signals.iter().zip(&self.scales) {
            let bytes = &self.buf[bytes_of(start, n, width)];
            data.extend(
                bytes
                    .chunks_exact(width)
                    .map(|b| f64::from(digital(b)) * gain + off),
            );
        }
        let mut annotations = RecordAnnotations::default();
        for (k, &(start, len)) in self.annotation_signals.iter().enumerate() {
            let bytes = &self.buf[bytes_of(start, len, width)];
            let at = offset.saturating_add(start.saturating_mul(width) as u64);
            let parsed = tal::parse_record(bytes, index, at, k == 0)?;
            if k == 0 {
                annotations.record_onset_s = parsed.record_onset_s;
            }
            annotations.events.extend(parsed.events);
        }
        Ok(Some(EdfRecord {
            index,
            n_samples: n,
            data,
            annotations,
        }))
    }

    /// Reads the remaining records into a [`Recording`].
    ///
    /// # Errors
    ///
    /// As [`EdfReader::next_record`].
    pub fn read_all(self) -> Result<Recording, FormatError> {
        Recording::read_all(self)
    }
}

/// The bytes of `len` samples from sample `start` of a record, `width`
/// bytes each (in range: the record buffer holds every signal).
fn bytes_of(start: usize, len: usize, width: usize) -> std::ops::Range<usize> {
    let from = start.saturating_mul(width);
    from..from.saturating_add(len.saturating_mul(width))
}

/// A little-endian two's-complement sample of 2 (EDF) or 3 (BDF) bytes.
fn digital(b: &[u8]) -> i32 {
    match *b {
        [lo, hi] => i32::from(i16::from_le_bytes([lo, hi])),
        [lo, mid, hi] => i32::from_le_bytes([0, lo, mid, hi]) >> 8,
        _ => unreachable!("sample width is 2 or 3"),
    }
}

impl<R: Read> SampleReader for EdfReader<R> {
    fn channels(&self) -> &[ChannelInfo] {
        &self.channels
    }

    fn sample_rate(&self) -> f64 {
        self.samples_per_record as f64 / self.header.record_duration_s
    }

    fn n_samples(&self) -> Option<u64> {
        self.header
            .n_records
            .map(|n| n.saturating_mul(self.samples_per_record as u64))
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, FormatError> {
        let rate = self.sample_rate();
        let discontinuous = self.header.plus == Some(Continuity::Discontinuous);
        Ok(self.next_record()?.map(|r| {
            let start_sample = r.index.saturating_mul(r.n_samples as u64);
            Chunk {
                start_sample,
                onset_s: match r.annotations.record_onset_s {
                    Some(t) if discontinuous => t,
                    _ => start_sample as f64 / rate,
                },
                n_samples: r.n_samples,
                data: r.data,
                events: r.annotations.events,
            }
        }))
    }
}

/// Reads a whole EDF/EDF+/BDF file.
///
/// # Errors
///
/// As [`EdfReader::open`] and [`EdfReader::next_record`].
pub fn read_edf(path: impl AsRef<Path>) -> Result<Recording, FormatError> {
    EdfReader::open(path)?.read_all()
}

#[cfg(test)]
mod tests {
    use super::digital;

    #[test]
    fn decodes_16_and_24_bit_samples() {
        assert_eq!(digital(&[0xff, 0x7f]), 32767);
        assert_eq!(digital(&[0x00, 0x80]), -32768);
        assert_eq!(digital(&[0xff, 0xff, 0x7f]), 8_388_607);
        assert_eq!(digital(&[0x00, 0x00, 0x80]), -8_388_608);
        assert_eq!(digital(&[0xfe, 0xff, 0xff]), -2);
    }
}
