//! The CSV reader: the real Muse P300 runs against counts made with
//! Python's csv module (`tools/formats/make_muse_reference.py`), and a
//! specific [`FormatError::BadCsv`] (line, column) for each kind of bad input.

mod common;

use std::io::Cursor;

use common::{data_file, fixture};
use neuroloop_core::ErrorKind;
use neuroloop_formats::csv::CsvReader;
use neuroloop_formats::{FormatError, Recording, SampleReader, open_reader, read_recording};

const HEADER: &str = "timestamps,TP9,AF7,Marker\n";

fn parse(text: &str) -> Result<Recording, FormatError> {
    CsvReader::new(Cursor::new(text.as_bytes().to_vec()))?.read_all()
}

/// `n` rows at exactly 256 Hz with a marker 2 on row 3.
fn rows(n: usize) -> String {
    let mut s = String::from(HEADER);
    for i in 0..n {
        let t = 1000.0 + i as f64 / 256.0;
        let marker = if i == 3 { 2 } else { 0 };
        s += &format!("{t:.6},{}.5,{},{marker}\n", i, -(i as i64));
    }
    s
}

fn expect_bad(text: &str, line: u64, column: Option<&str>, reason_part: &str) {
    match parse(text) {
        Err(e @ FormatError::BadCsv { .. }) => {
            let FormatError::BadCsv {
                line: l,
                column: c,
                reason,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((*l, c.as_deref()), (line, column), "{e}");
            assert!(reason.contains(reason_part), "{e}");
            assert_eq!(e.kind(), ErrorKind::InvalidData);
            assert!(!e.is_retryable());
        }
        other => panic!("expected BadCsv at line {line} column {column:?}, got {other:?}"),
    }
}

#[test]
fn real_muse_runs_match_the_csv_module_counts() {
    let reference = fixture("muse-p300.json");
    for run in reference.as_array().unwrap() {
        let path = data_file(run["file"].as_str().unwrap());
        let reader = CsvReader::open(&path).unwrap();
        let measured = run["measured_rate"].as_f64().unwrap();
        assert!(
            (reader.measured_rate() - measured).abs() < 1e-9,
            "{}",
            reader.measured_rate()
        );
        let rec = read_recording(&path).unwrap();
        assert_eq!(rec.sample_rate, 256.0);
        let labels: Vec<&str> = rec.channels.iter().map(|c| c.label.as_str()).collect();
        let expected: Vec<&str> = run["channels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(labels, expected);
        assert!(
            rec.channels
                .iter()
                .all(|c| c.volts_per_unit() == Some(1e-6))
        );
        assert_eq!(rec.n_samples as u64, run["rows"].as_u64().unwrap());
        // Events: one per non-zero marker, at its row, code and text the marker.
        let rows: Vec<u64> = run["marker_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        let codes: Vec<u64> = run["marker_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(rec.events.len(), rows.len());
        for ((e, &row), &code) in rec.events.iter().zip(&rows).zip(&codes) {
            assert_eq!((e.onset_s * 256.0).round() as u64, row);
            assert_eq!(e.code, Some(code as u32));
            assert_eq!(e.description, code.to_string());
        }
        for key in ["1", "2"] {
            let count = rec.events.iter().filter(|e| e.description == key).count() as u64;
            assert_eq!(
                count,
                run["marker_counts"][key].as_u64().unwrap(),
                "marker {key}"
            );
        }
        for (c, sum) in run["channel_sums"].as_array().unwrap().iter().enumerate() {
            let got: f64 = rec.channel(c).iter().sum();
            let want = sum.as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "channel {c}: {got} vs {want}"
            );
            let first = run["first_row"][c].as_f64().unwrap();
            let last = run["last_row"][c].as_f64().unwrap();
            assert_eq!(
                (rec.channel(c)[0], rec.channel(c)[rec.n_samples - 1]),
                (first, last)
            );
        }
    }
}

#[test]
fn csv_opens_through_the_generic_entry_points_and_chunks_agree() {
    let path = data_file("muse-p300/subject1-run1.csv");
    let mut reader = open_reader(&path).unwrap();
    assert_eq!(reader.format(), "CSV");
    let mut starts = Vec::new();
    let mut events = 0;
    while let Some(chunk) = reader.next_chunk().unwrap() {
        starts.push(chunk.start_sample);
        assert!(chunk.n_samples <= 256);
        events += chunk.events.len();
    }
    let whole = read_recording(&path).unwrap();
    assert_eq!(events, whole.events.len());
    assert_eq!(starts.len(), whole.n_samples.div_ceil(256));
    assert_eq!(starts[1], 256);
}

#[test]
fn a_small_file_reads_whole() {
    let rec = parse(&rows(10)).unwrap();
    assert_eq!(rec.sample_rate, 256.0);
    assert_eq!(rec.n_samples, 10);
    assert_eq!(rec.channel(0)[4], 4.5);
    assert_eq!(rec.channel(1)[4], -4.0);
    assert_eq!(rec.events.len(), 1);
    assert_eq!(rec.events[0].code, Some(2));
    assert!((rec.events[0].onset_s - 3.0 / 256.0).abs() < 1e-12);
    // CRLF line endings and a trailing blank line read the same.
    let crlf = rows(10).replace('\n', "\r\n") + "\r\n";
    assert_eq!(parse(&crlf).unwrap(), rec);
    // No marker column: no events.
    let no_marker = "timestamps,A\n0.0,1\n0.5,2\n1.0,3\n";
    let rec = parse(no_marker).unwrap();
    assert_eq!((rec.sample_rate, rec.events.len()), (2.0, 0));
}

#[test]
fn empty_file_and_header_only() {
    expect_bad("", 1, None, "empty file");
    expect_bad(HEADER, 2, None, "0 data rows");
    let one = rows(1);
    expect_bad(&one, 2, None, "1 data rows");
}

#[test]
fn missing_columns() {
    expect_bad(
        "time,TP9,Marker\n0,1,0\n",
        1,
        Some("timestamps"),
        "no \"timestamps\" column",
    );
    expect_bad(
        "timestamps,Marker\n0,0\n1,0\n",
        1,
        None,
        "no channel column",
    );
    expect_bad("timestamps,TP9,TP9\n0,1,2\n", 1, Some("TP9"), "twice");
    expect_bad(
        "timestamps,,TP9\n0,1,2\n",
        1,
        None,
        "column 2 has an empty name",
    );
}

#[test]
fn non_numeric_and_non_finite_cells() {
    let text = rows(10).replacen("5.5,", "5.x,", 1);
    expect_bad(&text, 7, Some("TP9"), "\"5.x\" is not a number");
    let text = rows(10).replacen(",-6,", ",NaN,", 1);
    expect_bad(&text, 8, Some("AF7"), "not finite");
    let text = rows(10).replacen(",2\n", ",1.5\n", 1);
    expect_bad(&text, 5, Some("Marker"), "whole event code");
    let text = rows(10).replacen(",0\n", ",-1\n", 1);
    expect_bad(&text, 2, Some("Marker"), "non-negative");
}

#[test]
fn ragged_rows() {
    let mut text = rows(5);
    text += "1001.0,1,2\n";
    expect_bad(&text, 7, None, "3 fields where the header has 4");
    let text = rows(5).replacen(",0\n", ",0,9\n", 2);
    expect_bad(&text, 2, None, "5 fields");
}

#[test]
fn non_monotonic_and_repeated_times() {
    let text = rows(6).replace("1000.015625,", "1000.000000,");
    expect_bad(&text, 6, Some("timestamps"), "not after the previous");
    let text = rows(6).replace("1000.003906,", "1000.000000,");
    expect_bad(&text, 3, Some("timestamps"), "not after the previous");
}

#[test]
fn a_rate_far_from_a_whole_number_needs_an_explicit_rate() {
    // 2.5 rows per second.
    let text = "timestamps,A\n0.0,1\n0.4,2\n0.8,3\n";
    expect_bad(text, 2, Some("timestamps"), "2.5000 Hz");
    let rec = CsvReader::with_sample_rate(Cursor::new(text), 2.5)
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(rec.sample_rate, 2.5);
    let e = CsvReader::with_sample_rate(Cursor::new(text), 0.0).unwrap_err();
    assert!(matches!(e, FormatError::Unsupported(_)), "{e}");
}

#[test]
fn error_text_names_line_and_column() {
    let e = parse("timestamps,A\n0,1\n1,x\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad CSV at line 3, column \"A\": \"x\" is not a number"
    );
}

#[test]
fn damaged_text_is_read_or_refused_never_a_panic() {
    // A small xorshift generator: deterministic damage, no dependency.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"0123456789.,-+eE\n\r\" xNa";
    let clean = rows(12).into_bytes();
    for _ in 0..3000 {
        let mut bytes = clean.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            match next() % 3 {
                0 => bytes[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
            if bytes.is_empty() {
                break;
            }
        }
        // Invalid UTF-8 cannot arise from the alphabet; any outcome but a
        // panic is acceptable, and an error must name a line.
        match CsvReader::new(Cursor::new(bytes)).and_then(CsvReader::read_all) {
            Ok(rec) => assert!(rec.n_samples >= 2 && rec.sample_rate >= 1.0),
            Err(FormatError::BadCsv { line, .. }) => assert!(line >= 1),
            Err(e) => panic!("unexpected error kind: {e}"),
        }
    }
}
