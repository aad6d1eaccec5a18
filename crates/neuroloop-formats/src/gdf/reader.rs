//! Chunked GDF reader: header and event table up front, then blocks of data
//! records scaled to physical units.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{GdfEventTable, GdfHeader};
use crate::bytes::read_exact;
use crate::{ChannelInfo, Chunk, Event, FormatError, Recording, SampleReader};

/// Reads a GDF 1.x file in chunks of whole data records.
///
/// All signals must have the same samples per record. The event table is read
/// when the file is opened; each [`Chunk`] carries the events whose onset
/// sample lies in it (the last chunk also those at or past the end).
#[derive(Debug)]
pub struct GdfReader<R> {
    reader: R,
    header: GdfHeader,
    table: GdfEventTable,
    channels: Vec<ChannelInfo>,
    scales: Vec<(f64, f64)>,
    samples_per_record: usize,
    records_per_chunk: u64,
    next_record: u64,
    /// Events sorted by onset, and how many were handed out.
    events: Vec<(u64, Event)>,
    events_sent: usize,
    buf: Vec<u8>,
}

impl GdfReader<BufReader<File>> {
    /// Opens the file at `path`; reads the header and the event table.
    ///
    /// # Errors
    ///
    /// [`FormatError::Io`] if the file cannot be opened; otherwise as [`GdfReader::new`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, FormatError> {
        Self::new(BufReader::new(File::open(path)?))
    }
}

impl<R: Read + Seek> GdfReader<R> {
    /// Reads the header and event table from `reader` (positioned at the
    /// start of the file); chunks default to about one second of samples.
    ///
    /// # Errors
    ///
    /// As [`GdfHeader::read`] and [`GdfEventTable::read`];
    /// [`FormatError::Truncated`] when the file is shorter than the data
    /// records the header announces; [`FormatError::Unsupported`] for signals
    /// with different sample rates.
    pub fn new(mut reader: R) -> Result<Self, FormatError> {
        let header = GdfHeader::read(&mut reader)?;
        let spr = header.signals[0].info.samples_per_record;
        if let Some((i, s)) = header
            .signals
            .iter()
            .enumerate()
            .find(|(_, s)| s.info.samples_per_record != spr)
        {
            return Err(FormatError::Unsupported(format!(
                "signals with different sample rates: signal 0 has {spr} samples per record, signal {i} ({}) has {}",
                s.info.label, s.info.samples_per_record
            )));
        }
        let record_bytes = header.record_bytes() as u64;
        let data_bytes = header.n_records.checked_mul(record_bytes).ok_or_else(|| {
            FormatError::field(
                "n_records",
                236,
                header.n_records.to_string(),
                "data size overflows",
            )
        })?;
        let data_end = header.header_bytes.saturating_add(data_bytes);
        let file_len = reader.seek(SeekFrom::End(0))?;
        if file_len < data_end {
            return Err(FormatError::Truncated {
                what: format!(
                    "data records ({} records of {record_bytes} bytes)",
                    header.n_records
                ),
                offset: header.header_bytes,
                needed: data_bytes,
                available: file_len.saturating_sub(header.header_bytes),
            });
        }
        let table = if file_len > data_end {
            reader.seek(SeekFrom::Start(data_end))?;
            GdfEventTable::read(&mut reader, data_end)?
        } else {
            GdfEventTable::default()
        };
        reader.seek(SeekFrom::Start(header.header_bytes))?;
        let channels: Vec<ChannelInfo> = header.signals.iter().map(|s| s.info.clone()).collect();
        let scales = channels.iter().map(ChannelInfo::scale).collect();
        let sample_rate = spr as f64 / header.record_duration_s();
        let mut events: Vec<(u64, Event)> = table
            .to_events(sample_rate)
            .into_iter()
            .map(|e| ((e.onset_s * sample_rate).round().max(0.0) as u64, e))
            .collect();
        events.sort_by_key(|&(s, _)| s);
        let mut out = Self {
            reader,
            header,
            table,
            channels,
            scales,
            samples_per_record: spr,
            records_per_chunk: 1,
            next_record: 0,
            events,
            events_sent: 0,
            buf: Vec::new(),
        };
        out.set_chunk_samples(sample_rate.round().max(1.0) as usize);
        Ok(out)
    }

    /// Sets the chunk size to the whole records closest to `samples` (at least one).
    pub fn set_chunk_samples(&mut self, samples: usize) {
        self.records_per_chunk = samples
            .checked_div(self.samples_per_record)
            .unwrap_or(1)
            .max(1) as u64;
    }

    /// The parsed header.
    #[must_use]
    pub fn header(&self) -> &GdfHeader {
        &self.header
    }

    /// The raw event table.
    #[must_use]
    pub fn event_table(&self) -> &GdfEventTable {
        &self.table
    }

    /// Every event as an [`Event`], sorted by onset.
    #[must_use]
    pub fn events(&self) -> Vec<Event> {
        self.events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Reads the remaining records into a [`Recording`].
    ///
    /// # Errors
    ///
    /// As [`SampleReader::next_chunk`].
    pub fn read_all(self) -> Result<Recording, FormatError> {
        Recording::read_all(self)
    }
}

impl<R: Read + Seek> SampleReader for GdfReader<R> {
    fn channels(&self) -> &[ChannelInfo] {
        &self.channels
    }

    fn sample_rate(&self) -> f64 {
        self.samples_per_record as f64 / self.header.record_duration_s()
    }

    fn n_samples(&self) -> Option<u64> {
        Some(
            self.header
                .n_records
                .saturating_mul(self.samples_per_record as u64),
        )
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, FormatError> {
        let remaining = self.header.n_records.saturating_sub(self.next_record);
        if remaining == 0 {
            return Ok(None);
        }
        let records = remaining.min(self.records_per_chunk) as usize;
        let record_bytes = self.header.record_bytes();
        let offset = self
            .header
            .header_bytes
            .saturating_add(self.next_record.saturating_mul(record_bytes as u64));
        self.buf.resize(records.saturating_mul(record_bytes), 0);
        let first = self.next_record;
        read_exact(
            &mut self.reader,
            &mut self.buf,
            || {
                format!(
                    "data records {first}..{}",
                    first.saturating_add(records as u64)
                )
            },
            offset,
        )?;
        let spr = self.samples_per_record;
        let n = records.saturating_mul(spr);
        let mut data = vec![0.0; n.saturating_mul(self.channels.len())];
        for r in 0..records {
            // In range: the buffer holds `records` whole records.
            let mut pos = r.saturating_mul(record_bytes);
            for (c, s) in self.header.signals.iter().enumerate() {
                let (gain, off) = self.scales[c];
                let size = s.data_type.size();
                let from = c.saturating_mul(n).saturating_add(r.saturating_mul(spr));
                let out = &mut data[from..from.saturating_add(spr)];
                let len = spr.saturating_mul(size);
                for (o, b) in out
                    .iter_mut()
                    .zip(self.buf[pos..pos.saturating_add(len)].chunks_exact(size))
                {
                    *o = s.data_type.decode(b) * gain + off;
                }
                pos = pos.saturating_add(len);
            }
        }
        self.next_record = self.next_record.saturating_add(records as u64);
        let start_sample = first.saturating_mul(spr as u64);
        let end = start_sample.saturating_add(n as u64);
        let last = self.next_record == self.header.n_records;
        let take = self.events[self.events_sent..]
            .iter()
            .take_while(|(s, _)| last || *s < end)
            .count();
        let events = self.events[self.events_sent..self.events_sent.saturating_add(take)]
            .iter()
            .map(|(_, e)| e.clone())
            .collect();
        self.events_sent = self.events_sent.saturating_add(take);
        Ok(Some(Chunk {
            start_sample,
            onset_s: start_sample as f64 / self.sample_rate(),
            n_samples: n,
            data,
            events,
        }))
    }
}

/// Reads a whole GDF 1.x file.
///
/// # Errors
///
/// As [`GdfReader::open`] and [`SampleReader::next_chunk`].
pub fn read_gdf(path: impl AsRef<Path>) -> Result<Recording, FormatError> {
    GdfReader::open(path)?.read_all()
}
