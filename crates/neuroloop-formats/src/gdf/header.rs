//! The GDF 1.x header: 256 fixed bytes, then 256 bytes per signal stored
//! field by field; binary little-endian numbers, space-padded text.

use std::io::Read;

use super::GdfType;
use crate::bytes::{Fields, read_exact};
use crate::{ChannelInfo, FormatError};

/// One GDF signal: its description and storage type.
#[derive(Debug, Clone, PartialEq)]
pub struct GdfSignal {
    /// Label, unit, ranges, samples per record.
    pub info: ChannelInfo,
    /// Storage type of the samples.
    pub data_type: GdfType,
}

/// A parsed GDF 1.x header.
#[derive(Debug, Clone, PartialEq)]
pub struct GdfHeader {
    /// The version string, e.g. `"GDF 1.25"`.
    pub version: String,
    /// Patient identification.
    pub patient_id: String,
    /// Recording identification.
    pub recording_id: String,
    /// Start date and time as written (`YYYYMMDDhhmmsscc`, may be blank).
    pub start: String,
    /// Bytes in the header (256 × (signals + 1)).
    pub header_bytes: u64,
    /// Number of data records.
    pub n_records: u64,
    /// Record duration as numerator / denominator seconds.
    pub record_duration: (u32, u32),
    /// Every signal, in file order.
    pub signals: Vec<GdfSignal>,
}

const MAX_SIGNALS: usize = 4096;

impl GdfHeader {
    /// Reads and validates the header from the start of a file.
    ///
    /// # Errors
    ///
    /// [`FormatError::Truncated`] inside the header, [`FormatError::BadVersion`]
    /// for a non-GDF file, [`FormatError::Unsupported`] for GDF 2.x,
    /// [`FormatError::BadField`] for inconsistent fields or unknown data types.
    pub fn read(reader: &mut impl Read) -> Result<Self, FormatError> {
        let mut fixed = [0u8; 256];
        read_exact(reader, &mut fixed, || "fixed header".into(), 0)?;
        let mut f = Fields::new(&fixed, 0);
        let version = f.text(8, "version")?;
        if !version.starts_with("GDF ") {
            return Err(FormatError::BadVersion {
                found: version,
                expected: "\"GDF 1.xx\"",
            });
        }
        if !version.starts_with("GDF 1.") {
            return Err(FormatError::Unsupported(format!(
                "{version} (only GDF 1.x headers are read)"
            )));
        }
        let patient_id = f.text(80, "patient_id")?;
        let recording_id = f.text(80, "recording_id")?;
        let start = f.text(16, "start")?;
        let hb_offset = f.offset();
        let header_bytes = f.i64("header_bytes")?;
        f.skip(24 + 20, "equipment/hospital/technician/reserved")?;
        let nr_offset = f.offset();
        let n_records = f.i64("n_records")?;
        let n_records = u64::try_from(n_records).map_err(|_| {
            FormatError::field(
                "n_records",
                nr_offset,
                n_records.to_string(),
                "unknown (-1) or negative record counts are not supported",
            )
        })?;
        let dur_offset = f.offset();
        let num = f.u32("record_duration.numerator")?;
        let den = f.u32("record_duration.denominator")?;
        if num == 0 || den == 0 {
            return Err(FormatError::field(
                "record_duration",
                dur_offset,
                format!("{num}/{den}"),
                "numerator and denominator must be positive",
            ));
        }
        let ns_offset = f.offset();
        let ns = f.u32("n_signals")? as usize;
        if ns == 0 || ns > MAX_SIGNALS {
            return Err(FormatError::field(
                "n_signals",
                ns_offset,
                ns.to_string(),
                format!("must be 1..={MAX_SIGNALS}"),
            ));
        }
        let expected = (ns as u64).saturating_add(1).saturating_mul(256);
        if u64::try_from(header_bytes).ok() != Some(expected) {
            return Err(FormatError::field(
                "header_bytes",
                hb_offset,
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
        let signals = parse_signals(&per_signal, ns)?;
        Ok(Self {
            version,
            patient_id,
            recording_id,
            start,
            header_bytes: expected,
            n_records,
            record_duration: (num, den),
            signals,
        })
    }

    /// Bytes in one data record.
    #[must_use]
    pub fn record_bytes(&self) -> usize {
        self.signals
            .iter()
            .map(|s| s.info.samples_per_record.saturating_mul(s.data_type.size()))
            .fold(0, usize::saturating_add)
    }

    /// Record duration in seconds.
    #[must_use]
    pub fn record_duration_s(&self) -> f64 {
        f64::from(self.record_duration.0) / f64::from(self.record_duration.1)
    }
}

/// Reads one binary field for each of `ns` signals, with each field's offset.
fn column<'a, T>(
    f: &mut Fields<'a>,
    ns: usize,
    field: &str,
    read: impl Fn(&mut Fields<'a>, &str) -> Result<T, FormatError>,
) -> Result<Vec<(T, u64)>, FormatError> {
    (0..ns)
        .map(|i| {
            let offset = f.offset();
            read(f, &format!("signal[{i}].{field}")).map(|v| (v, offset))
        })
        .collect()
}

fn parse_signals(bytes: &[u8], ns: usize) -> Result<Vec<GdfSignal>, FormatError> {
    let mut f = Fields::new(bytes, 256);
    let name = |i: usize, field: &str| format!("signal[{i}].{field}");
    let labels: Vec<String> = (0..ns)
        .map(|i| f.text(16, &name(i, "label")))
        .collect::<Result<_, _>>()?;
    let transducers: Vec<String> = (0..ns)
        .map(|i| f.text(80, &name(i, "transducer")))
        .collect::<Result<_, _>>()?;
    let units: Vec<String> = (0..ns)
        .map(|i| f.text(8, &name(i, "physical_dimension")))
        .collect::<Result<_, _>>()?;
    let pmin = column(&mut f, ns, "physical_min", Fields::f64)?;
    let pmax = column(&mut f, ns, "physical_max", Fields::f64)?;
    let dmin = column(&mut f, ns, "digital_min", Fields::i64)?;
    let dmax = column(&mut f, ns, "digital_max", Fields::i64)?;
    let prefilters: Vec<String> = (0..ns)
        .map(|i| f.text(80, &name(i, "prefiltering")))
        .collect::<Result<_, _>>()?;
    let spr = column(&mut f, ns, "samples_per_record", Fields::u32)?;
    let types = column(&mut f, ns, "data_type", Fields::u32)?;
    let mut out = Vec::with_capacity(ns);
    for i in 0..ns {
        for (field, (v, o)) in [("physical_min", pmin[i]), ("physical_max", pmax[i])] {
            if !v.is_finite() {
                return Err(FormatError::field(
                    name(i, field),
                    o,
                    v.to_string(),
                    "not finite",
                ));
            }
        }
        if pmax[i].0 == pmin[i].0 {
            return Err(FormatError::field(
                name(i, "physical_max"),
                pmax[i].1,
                pmax[i].0.to_string(),
                "equals physical_min",
            ));
        }
        if dmax[i].0 <= dmin[i].0 {
            return Err(FormatError::field(
                name(i, "digital_max"),
                dmax[i].1,
                dmax[i].0.to_string(),
                format!("not above digital_min {}", dmin[i].0),
            ));
        }
        if spr[i].0 == 0 || spr[i].0 > 1 << 24 {
            return Err(FormatError::field(
                name(i, "samples_per_record"),
                spr[i].1,
                spr[i].0.to_string(),
                "must be 1..=16777216",
            ));
        }
        let data_type = GdfType::from_code(types[i].0).ok_or_else(|| {
            FormatError::field(
                name(i, "data_type"),
                types[i].1,
                types[i].0.to_string(),
                "unsupported GDF data type (read: 1-8, 16, 17)",
            )
        })?;
        out.push(GdfSignal {
            info: ChannelInfo {
                label: labels[i].clone(),
                unit: units[i].clone(),
                transducer: transducers[i].clone(),
                prefiltering: prefilters[i].clone(),
                physical_min: pmin[i].0,
                physical_max: pmax[i].0,
                digital_min: dmin[i].0 as f64,
                digital_max: dmax[i].0 as f64,
                samples_per_record: spr[i].0 as usize,
            },
            data_type,
        });
    }
    Ok(out)
}
