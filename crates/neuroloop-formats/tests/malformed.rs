//! Malformed input gives a specific [`FormatError`] naming what and where,
//! never a panic. Most cases damage a copy of a real recording in memory.

mod common;

use std::io::Cursor;

use common::data_bytes;
use neuroloop_core::ErrorKind;
use neuroloop_formats::edf::{EdfHeader, EdfReader};
use neuroloop_formats::gdf::GdfReader;
use neuroloop_formats::{FormatError, Recording};

const EDF: &str = "physionet-eegmmidb/S001R04.edf";
const GDF: &str = "ssvep-kalunga2016/subject03-session1.gdf";
/// S001R04: 66 × 256 header bytes, records of (64 × 160 + 80) × 2 bytes.
const EDF_HEADER: u64 = 16896;
const EDF_RECORD: u64 = 20640;
/// Byte offset of the annotation signal inside an S001R04 record.
const EDF_TAL_IN_RECORD: u64 = 64 * 160 * 2;

fn edf(bytes: Vec<u8>) -> Result<Recording, FormatError> {
    EdfReader::new(Cursor::new(bytes))?.read_all()
}

fn gdf(bytes: Vec<u8>) -> Result<Recording, FormatError> {
    GdfReader::new(Cursor::new(bytes))?.read_all()
}

/// Overwrites a fixed-width ASCII field, space padded.
fn put(bytes: &mut [u8], offset: usize, len: usize, text: &str) {
    let mut b = text.as_bytes().to_vec();
    b.resize(len, b' ');
    bytes[offset..offset + len].copy_from_slice(&b);
}

fn expect_field(r: Result<Recording, FormatError>, field: &str, offset: u64) {
    match r {
        Err(e @ FormatError::BadField { .. }) => {
            let FormatError::BadField {
                field: f,
                offset: o,
                ..
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((f.as_str(), *o), (field, offset), "{e}");
            assert_eq!(e.kind(), ErrorKind::InvalidData);
            assert!(!e.is_retryable());
        }
        other => panic!("expected BadField {field} at {offset}, got {other:?}"),
    }
}

#[test]
fn edf_truncated_fixed_header() {
    let mut b = data_bytes(EDF);
    b.truncate(100);
    match edf(b) {
        Err(FormatError::Truncated {
            what,
            offset: 0,
            needed: 256,
            available: 100,
        }) => assert_eq!(what, "fixed header"),
        other => panic!("expected Truncated fixed header, got {other:?}"),
    }
}

#[test]
fn edf_truncated_signal_headers() {
    let mut b = data_bytes(EDF);
    b.truncate(5000);
    match edf(b) {
        Err(FormatError::Truncated {
            what,
            offset: 256,
            needed: 16640,
            available: 4744,
        }) => {
            assert!(what.contains("signal headers"), "{what}");
        }
        other => panic!("expected Truncated signal headers, got {other:?}"),
    }
}

#[test]
fn edf_truncated_data_record() {
    let mut b = data_bytes(EDF);
    let cut = EDF_HEADER + 3 * EDF_RECORD + 1234;
    b.truncate(cut as usize);
    match edf(b) {
        Err(e @ FormatError::Truncated { .. }) => {
            let FormatError::Truncated {
                what,
                offset,
                needed,
                available,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!(what, "data record 3");
            assert_eq!(
                (*offset, *needed, *available),
                (EDF_HEADER + 3 * EDF_RECORD, EDF_RECORD, 1234)
            );
            assert_eq!(e.kind(), ErrorKind::InvalidData);
            assert!(e.to_string().contains("data record 3"), "{e}");
        }
        other => panic!("expected Truncated data record 3, got {other:?}"),
    }
}

#[test]
fn edf_truncated_at_record_boundary_is_still_truncated() {
    let mut b = data_bytes(EDF);
    b.truncate((EDF_HEADER + 100 * EDF_RECORD) as usize);
    assert!(matches!(
        edf(b),
        Err(FormatError::Truncated { available: 0, .. })
    ));
}

#[test]
fn edf_bad_numbers_in_header() {
    let base = data_bytes(EDF);
    let mut b = base.clone();
    put(&mut b, 236, 8, "12x");
    expect_field(edf(b), "n_records", 236);
    let mut b = base.clone();
    put(&mut b, 244, 8, "-1");
    expect_field(edf(b), "record_duration", 244);
    let mut b = base.clone();
    put(&mut b, 184, 8, "16640");
    expect_field(edf(b), "header_bytes", 184);
    let mut b = base.clone();
    put(&mut b, 252, 4, "0");
    expect_field(edf(b), "n_signals", 252);
    let mut b = base.clone();
    put(&mut b, 168, 8, "32.08.09");
    expect_field(edf(b), "start_date", 168);
    let mut b = base.clone();
    put(&mut b, 176, 8, "16h15.00");
    expect_field(edf(b), "start_time", 176);
    // Per-signal fields: 65 signals; physical_min starts at 256 + 65 × (16 + 80 + 8).
    let pmin = 256 + 65 * 104;
    let mut b = base.clone();
    put(&mut b, pmin + 8 * 5, 8, "abc");
    expect_field(edf(b), "signal[5].physical_min", (pmin + 40) as u64);
    let dmax = pmin + 65 * 24;
    let mut b = base.clone();
    put(&mut b, dmax + 8 * 7, 8, "-9000");
    expect_field(edf(b), "signal[7].digital_max", (dmax + 56) as u64);
    let spr = pmin + 65 * 32 + 65 * 80;
    let mut b = base;
    put(&mut b, spr + 8 * 2, 8, "1.5");
    expect_field(edf(b), "signal[2].samples_per_record", (spr + 16) as u64);
}

#[test]
fn edf_bad_version() {
    let mut b = data_bytes(EDF);
    put(&mut b, 0, 8, "1");
    assert!(matches!(edf(b), Err(FormatError::BadVersion { found, .. }) if found == "1       "));
}

#[test]
fn edf_wrong_sizes_mixed_rates_are_unsupported() {
    let mut b = data_bytes(EDF);
    let spr = 256 + 65 * 104 + 65 * 32 + 65 * 80;
    put(&mut b, spr + 8, 8, "80");
    assert!(
        matches!(edf(b), Err(FormatError::Unsupported(m)) if m.contains("signal 1 (Fc3.) has 80"))
    );
}

#[test]
fn edf_bad_tal() {
    let base = data_bytes(EDF);
    let tal = (EDF_HEADER + 2 * EDF_RECORD + EDF_TAL_IN_RECORD) as usize;
    assert_eq!(&base[tal..tal + 3], b"+2\x14");
    let cases: [(&[u8], u64, &str); 3] = [
        (b"x", 0, "expected '+' or '-'"),
        (b"+2\x14\x14\x00+2.0.1\x14T0", 5, "bad onset"),
        (b"+2\x14\x14\x00+2\x15x\x14T0\x14\x00", 8, "bad duration"),
    ];
    for (patch, at, reason) in cases {
        let mut b = base.clone();
        b[tal..tal + patch.len()].copy_from_slice(patch);
        match edf(b) {
            Err(e @ FormatError::BadTal { .. }) => {
                let FormatError::BadTal {
                    record,
                    offset,
                    reason: r,
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((*record, *offset), (2, tal as u64 + at), "{e}");
                assert!(r.contains(reason), "{e}");
                assert_eq!(e.kind(), ErrorKind::InvalidData);
            }
            other => panic!("expected BadTal for {patch:?}, got {other:?}"),
        }
    }
    // An annotation text running into the end of the signal.
    let mut b = base;
    let end = tal + 160;
    b[tal..end].fill(b'a');
    b[tal..tal + 5].copy_from_slice(b"+2\x14\x14\x00");
    b[tal + 5..tal + 8].copy_from_slice(b"+3\x14");
    assert!(matches!(edf(b), Err(FormatError::BadTal { record: 2, .. })));
}

#[test]
fn edf_header_damage_never_panics() {
    let base = data_bytes(EDF);
    let header = &base[..EDF_HEADER as usize];
    for len in (0..header.len()).step_by(37) {
        assert!(
            EdfHeader::read(&mut &header[..len]).is_err(),
            "length {len}"
        );
    }
    for pos in (0..header.len()).step_by(23) {
        for byte in [b'x', b'-', 0xff] {
            let mut h = header.to_vec();
            h[pos] = byte;
            let _ = EdfHeader::read(&mut h.as_slice());
        }
    }
}

/// GDF offsets for subject03-session1: 2304 header bytes, 59040 records of 64 bytes.
const GDF_HEADER: u64 = 2304;
const GDF_DATA: u64 = 59040 * 64;

#[test]
fn gdf_truncated_header() {
    let mut b = data_bytes(GDF);
    b.truncate(1000);
    match gdf(b) {
        Err(FormatError::Truncated {
            what,
            offset: 256,
            needed: 2048,
            available: 744,
        }) => assert!(what.contains("signal headers")),
        other => panic!("expected Truncated signal headers, got {other:?}"),
    }
}

#[test]
fn gdf_truncated_data() {
    let mut b = data_bytes(GDF);
    b.truncate((GDF_HEADER + 1000 * 64 + 10) as usize);
    match gdf(b) {
        Err(FormatError::Truncated {
            what,
            offset,
            needed,
            available,
        }) => {
            assert!(what.starts_with("data records"), "{what}");
            assert_eq!(
                (offset, needed, available),
                (GDF_HEADER, GDF_DATA, 1000 * 64 + 10)
            );
        }
        other => panic!("expected Truncated data, got {other:?}"),
    }
}

#[test]
fn gdf_truncated_event_table() {
    let mut b = data_bytes(GDF);
    b.truncate((GDF_HEADER + GDF_DATA + 20) as usize);
    match gdf(b) {
        Err(FormatError::Truncated {
            what,
            offset,
            available: 12,
            ..
        }) => {
            assert!(what.starts_with("event table"), "{what}");
            assert_eq!(offset, GDF_HEADER + GDF_DATA + 8);
        }
        other => panic!("expected Truncated event table, got {other:?}"),
    }
}

#[test]
fn gdf_without_event_table_has_no_events() {
    let mut b = data_bytes(GDF);
    b.truncate((GDF_HEADER + GDF_DATA) as usize);
    let rec = gdf(b).unwrap();
    assert_eq!(rec.n_samples, 59040);
    assert!(rec.events.is_empty());
}

#[test]
fn gdf_bad_fields() {
    let base = data_bytes(GDF);
    let mut b = base.clone();
    b[184..192].copy_from_slice(&1000i64.to_le_bytes());
    expect_field(gdf(b), "header_bytes", 184);
    let mut b = base.clone();
    b[244..248].copy_from_slice(&0u32.to_le_bytes());
    expect_field(gdf(b), "record_duration", 244);
    let mut b = base.clone();
    b[236..244].copy_from_slice(&(-1i64).to_le_bytes());
    expect_field(gdf(b), "n_records", 236);
    // data_type of signal 3: after 16+80+8+8+8+8+8+80+4 = 220 bytes per signal.
    let dt = 256 + 8 * 220 + 3 * 4;
    let mut b = base.clone();
    b[dt..dt + 4].copy_from_slice(&9u32.to_le_bytes());
    expect_field(gdf(b), "signal[3].data_type", dt as u64);
    let dmax = 256 + 8 * (16 + 80 + 8 + 8 + 8 + 8);
    let mut b = base.clone();
    b[dmax..dmax + 8].copy_from_slice(&i64::MIN.to_le_bytes());
    expect_field(gdf(b), "signal[0].digital_max", dmax as u64);
    let mut b = base.clone();
    let et = (GDF_HEADER + GDF_DATA) as usize;
    b[et] = 7;
    assert!(
        matches!(gdf(b), Err(FormatError::BadEventTable { offset, .. }) if offset == et as u64)
    );
    let mut b = base.clone();
    put(&mut b, 0, 8, "GDF 2.51");
    assert!(matches!(gdf(b), Err(FormatError::Unsupported(m)) if m.contains("GDF 2.51")));
    let mut b = base;
    put(&mut b, 0, 8, "0");
    assert!(matches!(gdf(b), Err(FormatError::BadVersion { .. })));
}

#[test]
fn gdf_header_damage_never_panics() {
    let base = data_bytes(GDF);
    let mut small = base[..GDF_HEADER as usize].to_vec();
    small.extend_from_slice(&base[(GDF_HEADER + GDF_DATA) as usize..]);
    for pos in (0..GDF_HEADER as usize).step_by(3) {
        for byte in [0x00, 0x7f, 0xff] {
            let mut h = small.clone();
            h[pos] = byte;
            let _ = GdfReader::new(Cursor::new(h)).map(|mut r| {
                r.set_chunk_samples(4096);
                r.read_all()
            });
        }
    }
}

#[test]
fn missing_file_is_an_io_error() {
    let e = neuroloop_formats::read_recording("/nonexistent/recording.edf").unwrap_err();
    assert!(matches!(e, FormatError::Io(_)));
    assert_eq!(e.kind(), ErrorKind::Io);
}
