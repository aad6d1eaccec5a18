//! The EDF / EDF+ / BDF header: 256 fixed bytes, then 256 bytes per signal
//! stored field by field (all labels, then all transducers, ...).

use std::io::Read;

use super::signals::parse_signals;
use crate::bytes::{Fields, read_exact};
use crate::{ChannelInfo, FormatError};

/// Which flavour of the format a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdfKind {
    /// 16-bit samples, version `"0"`.
    Edf,
    /// 24-bit samples, version byte 255 followed by `"BIOSEMI"`.
    Bdf,
}

/// EDF+ / BDF+ continuity, from the reserved field (`"EDF+C"`, `"EDF+D"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// Data records follow each other without gaps.
    Continuous,
    /// Data records may have gaps; their onsets come from the annotations.
    Discontinuous,
}

/// Start date and time of the recording, as written in the header (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartDateTime {
    /// Four-digit year (two-digit years 85–99 are 1985–1999, 00–84 are 2000–2084).
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

/// A parsed EDF/BDF header.
#[derive(Debug, Clone, PartialEq)]
pub struct EdfHeader {
    /// EDF or BDF.
    pub kind: EdfKind,
    /// `Some` for EDF+ / BDF+.
    pub plus: Option<Continuity>,
    /// Local patient identification.
    pub patient_id: String,
    /// Local recording identification.
    pub recording_id: String,
    /// Start date and time.
    pub start: StartDateTime,
    /// Bytes in the header (256 × (signals + 1)).
    pub header_bytes: u64,
    /// The 44-byte reserved field (holds `"EDF+C"` / `"EDF+D"` for EDF+).
    pub reserved: String,
    /// Number of data records; `None` when the header says -1 (unknown).
    pub n_records: Option<u64>,
    /// Duration of one data record in seconds.
    pub record_duration_s: f64,
    /// Every signal, annotation signals included, in file order.
    pub signals: Vec<ChannelInfo>,
}

/// Upper bound on the number of signals accepted (guards allocations).
const MAX_SIGNALS: usize = 4096;

/// Upper bound on the bytes of one data record (guards allocations).
pub(crate) const MAX_RECORD_BYTES: usize = 256 << 20;

impl EdfHeader {
    /// Reads and validates the header from the start of a file.
    ///
    /// # Errors
    ///
    /// [`FormatError::Truncated`] if the file ends inside the header,
    /// [`FormatError::BadVersion`] for an unknown version field,
    /// [`FormatError::BadField`] for unparsable or inconsistent fields,
    /// [`FormatError::Unsupported`] for data records over 256 MiB.
    pub fn read(reader: &mut impl Read) -> Result<Self, FormatError> {
        let mut fixed = [0u8; 256];
        read_exact(reader, &mut fixed, || "fixed header".into(), 0)?;
        let mut f = Fields::new(&fixed, 0);
        let version = f.take(8, "version")?;
        let kind = if version == b"0       " {
            EdfKind::Edf
        } else if version == b"\xffBIOSEMI" {
            EdfKind::Bdf
        } else {
            return Err(FormatError::BadVersion {
                found: String::from_utf8_lossy(version).into_owned(),
                expected: "\"0       \" (EDF) or \"\\xffBIOSEMI\" (BDF)",
            });
        };
        let patient_id = f.text(80, "patient_id")?;
        let recording_id = f.text(80, "recording_id")?;
        let start = parse_start(&mut f)?;
        let header_offset = f.offset();
        let header_bytes: u64 = f.number(8, "header_bytes")?;
        let reserved = f.text(44, "reserved")?;
        let plus = if reserved.starts_with("EDF+C") || reserved.starts_with("BDF+C") {
            Some(Continuity::Continuous)
        } else if reserved.starts_with("EDF+D") || reserved.starts_with("BDF+D") {
            Some(Continuity::Discontinuous)
        } else {
            None
        };
        let records_offset = f.offset();
        let n_records: i64 = f.number(8, "n_records")?;
        let n_records = match n_records {
            -1 => None,
            n if n >= 0 => Some(n as u64),
            n => {
                return Err(FormatError::field(
                    "n_records",
                    records_offset,
                    n.to_string(),
                    "negative",
                ));
            }
        };
        let duration_offset = f.offset();
        let record_duration_s: f64 = f.number(8, "record_duration")?;
        if !record_duration_s.is_finite() || record_duration_s < 0.0 {
            return Err(FormatError::field(
                "record_duration",
                duration_offset,
                record_duration_s.to_string(),
                "must be a finite non-negative number of seconds",
            ));
        }
        let ns_offset = f.offset();
        let ns: usize = f.number(4, "n_signals")?;
        if ns == 0 || ns > MAX_SIGNALS {
            return Err(FormatError::field(
                "n_signals",
                ns_offset,
                ns.to_string(),
                format!("must be 1..={MAX_SIGNALS}"),
            ));
        }
        let expected = (ns as u64).saturating_add(1).saturating_mul(256);
        if header_bytes != expected {
            return Err(FormatError::field(
                "header_bytes",
                header_offset,
                header_bytes.to_string(),
                format!("{ns} signals need {expected} header bytes"),
            ));
        }
        let mut per_signal = vec![0u8; ns.saturating_mul(256)];
        read_exact(
            reader,
            &mut per_signal,
            || format!("signal headers ({ns} signals)"),
            256,
        )?;
        let signals = parse_signals(&per_signal, ns, kind)?;
        let width = if kind == EdfKind::Bdf { 3 } else { 2 };
        let record_bytes = signals
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.samples_per_record))
            .saturating_mul(width);
        if record_bytes > MAX_RECORD_BYTES {
            return Err(FormatError::Unsupported(format!(
                "data records of {record_bytes} bytes (at most {MAX_RECORD_BYTES} are read)"
            )));
        }
        Ok(Self {
            kind,
            plus,
            patient_id,
            recording_id,
            start,
            header_bytes,
            reserved,
            n_records,
            record_duration_s,
            signals,
        })
    }

    /// Bytes per stored sample: 2 (EDF) or 3 (BDF).
    #[must_use]
    pub fn sample_bytes(&self) -> usize {
        match self.kind {
            EdfKind::Edf => 2,
            EdfKind::Bdf => 3,
        }
    }

    /// Bytes in one data record.
    #[must_use]
    pub fn record_bytes(&self) -> usize {
        self.signals
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.samples_per_record))
            .saturating_mul(self.sample_bytes())
    }

    /// Whether signal `i` is an EDF+/BDF+ annotation signal.
    #[must_use]
    pub fn is_annotation(&self, i: usize) -> bool {
        self.plus.is_some()
            && matches!(
                self.signals[i].label.as_str(),
                "EDF Annotations" | "BDF Annotations"
            )
    }
}

fn parse_start(f: &mut Fields<'_>) -> Result<StartDateTime, FormatError> {
    let date_offset = f.offset();
    let date = f.text(8, "start_date")?;
    let time_offset = f.offset();
    let time = f.text(8, "start_time")?;
    let [day, month, yy] = three_numbers(&date).ok_or_else(|| {
        FormatError::field("start_date", date_offset, date.clone(), "expected dd.mm.yy")
    })?;
    let [hour, minute, second] = three_numbers(&time).ok_or_else(|| {
        FormatError::field("start_time", time_offset, time.clone(), "expected hh.mm.ss")
    })?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(FormatError::field(
            "start_date",
            date_offset,
            date,
            "day or month out of range",
        ));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(FormatError::field(
            "start_time",
            time_offset,
            time,
            "hour, minute or second out of range",
        ));
    }
    let year = if yy >= 85 {
        1900 + u16::from(yy)
    } else {
        2000 + u16::from(yy)
    };
    Ok(StartDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

/// Parses `"aa.bb.cc"` (two digits each, `.` or `:` separators).
fn three_numbers(s: &str) -> Option<[u8; 3]> {
    let parts: Vec<&str> = s.split(['.', ':']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |p: &str| {
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u8>().ok())
            .flatten()
    };
    Some([num(a)?, num(b)?, num(c)?])
}
