//! The XDF reader against pyxdf (`tools/formats/make_xdf_reference.py`):
//! the two shared example files (the specification's and one LabRecorder
//! wrote with empty streams) and a synthetic file with jitter, deduced
//! timestamps, a break, drifting clock offsets with an outlier, a clock
//! reset, int16 and UTF-8 string streams. Both with pyxdf's defaults
//! (clocks synchronised, jitter removed) and with the timestamps as stored.
//! Then files cut at any byte, and malformed input.

use std::path::PathBuf;

use neuroloop_formats::FormatError;
use neuroloop_formats::xdf::{XdfFile, XdfOptions, parse_xdf, read_xdf};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn file(name: &str) -> PathBuf {
    match name {
        "xdf_synthetic.xdf" => fixtures().join(name),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/xdf")
            .join(name),
    }
}

fn reference() -> Value {
    let text = std::fs::read_to_string(fixtures().join("xdf_reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Equal but for the last bit serde_json may round differently from
/// Python's shortest representation.
fn assert_close(ours: &[f64], theirs: &[f64], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= 4.0 * f64::EPSILON * b.abs(),
            "{what} {i}: {a} vs {b}"
        );
    }
}

fn assert_matches(ours: &XdfFile, theirs: &Value, what: &str) {
    let theirs = theirs.as_array().unwrap();
    assert_eq!(ours.streams.len(), theirs.len(), "{what}: stream count");
    for (s, t) in ours.streams.iter().zip(theirs) {
        let at = format!("{what} stream {}", s.id);
        assert_eq!(u64::from(s.id), t["id"].as_u64().unwrap(), "{at}");
        assert_eq!(s.info.name, t["name"].as_str().unwrap(), "{at}");
        assert_eq!(s.info.kind, t["type"].as_str().unwrap(), "{at}");
        assert_eq!(
            s.info.channel_count as u64,
            t["channel_count"].as_u64().unwrap(),
            "{at}"
        );
        assert_eq!(
            s.info.nominal_srate,
            t["nominal_srate"].as_f64().unwrap(),
            "{at}"
        );
        assert_close(
            &s.clock_times,
            &floats(&t["clock_times"]),
            &format!("{at}: clock time"),
        );
        assert_close(
            &s.clock_values,
            &floats(&t["clock_values"]),
            &format!("{at}: clock value"),
        );
        let stamps = floats(&t["time_stamps"]);
        assert_eq!(s.len(), stamps.len(), "{at}: samples");
        for (i, (a, b)) in s.samples.time_stamps.iter().zip(&stamps).enumerate() {
            assert!(
                (a - b).abs() <= 1e-8,
                "{at}: timestamp {i}: {a} vs pyxdf {b}"
            );
        }
        let rows = t["values"].as_array().unwrap();
        if t["channel_format"] == "string" {
            let theirs: Vec<&str> = rows
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_str().unwrap()))
                .collect();
            assert_eq!(s.samples.strings, theirs, "{at}: strings");
        } else {
            let theirs: Vec<f64> = rows.iter().flat_map(floats).collect();
            assert_close(&s.samples.values, &theirs, &format!("{at}: value"));
        }
        let rate = t["effective_srate"].as_f64().unwrap();
        assert!(
            (s.effective_srate - rate).abs() <= 1e-9 * rate.max(1.0),
            "{at}: effective rate {} vs pyxdf {rate}",
            s.effective_srate
        );
    }
}

#[test]
fn every_file_reads_as_pyxdf_reads_it() {
    let reference = reference();
    let files = reference["files"].as_object().unwrap();
    assert_eq!(files.len(), 3);
    for (name, modes) in files {
        let default = read_xdf(file(name), &XdfOptions::default()).unwrap();
        assert!(!default.truncated && default.damaged.is_empty(), "{name}");
        assert_matches(
            &default,
            &modes["default"],
            &format!("{name} (synchronised)"),
        );
        let raw = read_xdf(file(name), &XdfOptions::raw()).unwrap();
        assert_matches(&raw, &modes["raw"], &format!("{name} (raw)"));
    }
}

#[test]
fn header_details_are_read() {
    let f = read_xdf(file("xdf_synthetic.xdf"), &XdfOptions::raw()).unwrap();
    let eeg = &f.streams[0];
    assert_eq!(eeg.info.labels, ["C3", "Cz", "C4"]);
    assert_eq!(eeg.info.units, ["microvolts"; 3]);
    assert_eq!(eeg.info.source_id, "EEG-src");
    assert!(
        eeg.footer
            .as_deref()
            .unwrap()
            .contains("<sample_count>1000<")
    );
    assert!(f.header.contains("<version>1.0</version>"));
    // Block 3's second half has no stored timestamps: each is the previous
    // one plus 1/250 s.
    let t = &eeg.samples.time_stamps;
    assert!((t[3 * 25 + 13] - t[3 * 25 + 12] - 0.004).abs() < 1e-12);
}

#[test]
fn a_file_cut_anywhere_reads_up_to_its_last_whole_chunk() {
    let bytes = std::fs::read(file("xdf_synthetic.xdf")).unwrap();
    let whole = parse_xdf(&bytes, &XdfOptions::raw()).unwrap();
    let mut cut_in_chunk = 0;
    for cut in (4..bytes.len()).step_by(7) {
        let part = parse_xdf(&bytes[..cut], &XdfOptions::raw()).unwrap();
        cut_in_chunk += usize::from(part.truncated);
        for s in &part.streams {
            let full = whole.streams.iter().find(|w| w.id == s.id).unwrap();
            let n = s.len();
            assert_eq!(
                s.samples.time_stamps,
                full.samples.time_stamps[..n],
                "cut at {cut}"
            );
            let values = n * s.info.channel_count;
            if s.samples.strings.is_empty() {
                assert_eq!(
                    s.samples.values,
                    full.samples.values[..values],
                    "cut at {cut}"
                );
            } else {
                assert_eq!(
                    s.samples.strings,
                    full.samples.strings[..values],
                    "cut at {cut}"
                );
            }
        }
    }
    assert!(
        cut_in_chunk > 1000,
        "most cuts fall inside a chunk: {cut_in_chunk}"
    );
}

#[test]
fn malformed_input_gets_a_specific_error_and_never_panics() {
    assert!(matches!(
        parse_xdf(b"EDF: not xdf", &XdfOptions::default()),
        Err(FormatError::BadVersion { .. })
    ));
    // A length field of 3 bytes.
    let err = parse_xdf(b"XDF:\x03\x01\x02\x03", &XdfOptions::default()).unwrap_err();
    assert!(
        matches!(err, FormatError::BadXdf { offset: 4, .. }),
        "{err}"
    );
    // Samples of a stream that has no header.
    let err = parse_xdf(
        b"XDF:\x01\x07\x03\x00\x09\x00\x00\x00\x00",
        &XdfOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("stream 9, which has no header"),
        "{err}"
    );
    // A header with an absurd channel count.
    let xml = b"<info><channel_count>99999999</channel_count><nominal_srate>1</nominal_srate><channel_format>float32</channel_format></info>";
    let mut bytes = b"XDF:".to_vec();
    bytes.extend([4]);
    bytes.extend(u32::try_from(xml.len() + 6).unwrap().to_le_bytes());
    bytes.extend([2, 0, 1, 0, 0, 0]);
    bytes.extend(xml);
    let err = parse_xdf(&bytes, &XdfOptions::default()).unwrap_err();
    assert!(err.to_string().contains("channel_count"), "{err}");
    // Random bytes after the magic, and the synthetic file with bytes
    // flipped: an error or a file, never a panic.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let good = std::fs::read(file("xdf_synthetic.xdf")).unwrap();
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..4 {
            let at = 4 + (next() as usize) % (bytes.len() - 4);
            bytes[at] = next() as u8;
        }
        let _ = parse_xdf(&bytes, &XdfOptions::default());
        let random: Vec<u8> = b"XDF:"
            .iter()
            .copied()
            .chain((0..64).map(|_| next() as u8))
            .collect();
        let _ = parse_xdf(&random, &XdfOptions::default());
    }
}

#[test]
fn what_the_writer_writes_reads_back_exactly_and_in_pyxdf() {
    use neuroloop_formats::xdf::{
        ChannelFormat, StreamInfo, XdfWriter, stream_footer_xml, stream_header_xml,
    };
    let eeg = StreamInfo {
        name: "EEG & more".into(),
        kind: "EEG".into(),
        channel_count: 2,
        nominal_srate: 250.0,
        format: ChannelFormat::Float32,
        source_id: "amp-1".into(),
        labels: vec!["C3".into(), "C<4>".into()],
        units: vec!["microvolts".into(); 2],
        xml: String::new(),
    };
    let cues = StreamInfo {
        name: "cues".into(),
        kind: "Markers".into(),
        channel_count: 1,
        nominal_srate: 0.0,
        format: ChannelFormat::String,
        source_id: String::new(),
        labels: Vec::new(),
        units: Vec::new(),
        xml: String::new(),
    };
    let path = std::env::temp_dir().join(format!("neuroloop-xdf-{}.xdf", std::process::id()));
    let note = "a <b> & \"c\"\nline 2";
    let file = std::fs::File::create(&path).unwrap();
    let mut w = XdfWriter::with_header(file, &[("note", note)]).unwrap();
    w.stream_header(1, &stream_header_xml(&eeg)).unwrap();
    w.stream_header(2, &stream_header_xml(&cues)).unwrap();
    let stamps: Vec<f64> = (0..300).map(|i| 10.0 + f64::from(i) / 250.0).collect();
    let values: Vec<f32> = (0..600).map(|i| (i as f32).sin() * 1e3).collect();
    for (t, v) in stamps.chunks(100).zip(values.chunks(200)) {
        w.samples_f32(1, t, v).unwrap();
        w.clock_offset(1, t[0], -0.125).unwrap();
    }
    w.samples_strings(2, &[10.5, 11.0], &["left", "{\"class\":\"größe\"}"])
        .unwrap();
    w.boundary().unwrap();
    w.stream_footer(1, &stream_footer_xml(stamps[0], stamps[299], 300))
        .unwrap();
    w.flush().unwrap();
    drop(w);

    let back = read_xdf(&path, &XdfOptions::raw()).unwrap();
    assert!(!back.truncated && back.damaged.is_empty());
    assert_eq!(back.header_field("note").as_deref(), Some(note));
    assert_eq!(back.header_field("absent"), None);
    let (s1, s2) = (&back.streams[0], &back.streams[1]);
    assert_eq!(
        (s1.info.name.as_str(), s1.info.labels.clone()),
        ("EEG & more", vec!["C3".to_string(), "C<4>".into()])
    );
    assert_eq!(s1.samples.time_stamps, stamps);
    let widened: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
    assert_eq!(s1.samples.values, widened);
    assert_eq!(s1.clock_values, [-0.125; 3]);
    assert_eq!(s2.samples.strings, ["left", "{\"class\":\"größe\"}"]);

    // pyxdf reads the same file to the same samples.
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-python.sh (pyxdf reads the files we write)",
        python.display()
    );
    let script = "import json,sys,pyxdf\n\
        streams, header = pyxdf.load_xdf(sys.argv[1], synchronize_clocks=False, dejitter_timestamps=False)\n\
        out = {s['info']['name'][0]: {'t': [float(x) for x in s['time_stamps']], 'v': [[float(v) if not isinstance(v, str) else v for v in row] for row in s['time_series']]} for s in streams}\n\
        out['header note'] = header['info']['note'][0]\n\
        print(json.dumps(out))";
    let output = std::process::Command::new(&python)
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_close(
        &floats(&theirs["EEG & more"]["t"]),
        &stamps,
        "pyxdf timestamp",
    );
    let rows: Vec<f64> = theirs["EEG & more"]["v"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(floats)
        .collect();
    assert_close(&rows, &widened, "pyxdf value");
    assert_eq!(theirs["cues"]["v"][1][0], "{\"class\":\"größe\"}");
    assert_eq!(theirs["header note"], note, "pyxdf reads the header field");
    std::fs::remove_file(&path).unwrap();
}

/// Keeps what is written, and where each write call ended.
#[derive(Default)]
struct Calls {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl std::io::Write for Calls {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        self.ends.push(self.bytes.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn each_chunk_is_written_in_one_call_so_a_kill_between_calls_cuts_no_chunk() {
    use neuroloop_formats::xdf::{ChannelFormat, StreamInfo, XdfWriter, stream_header_xml};
    let info = StreamInfo {
        name: "eeg".into(),
        kind: "EEG".into(),
        channel_count: 2,
        nominal_srate: 100.0,
        format: ChannelFormat::Float32,
        source_id: String::new(),
        labels: vec!["C3".into(), "C4".into()],
        units: Vec::new(),
        xml: String::new(),
    };
    let mut xdf = XdfWriter::new(Calls::default()).unwrap();
    xdf.stream_header(1, &stream_header_xml(&info)).unwrap();
    // A chunk over 255 bytes has a 4-byte length.
    let stamps: Vec<f64> = (0..40).map(|i| f64::from(i) / 100.0).collect();
    xdf.samples_f32(1, &stamps, &vec![1.5; 80]).unwrap();
    xdf.clock_offset(1, 0.2, -1e-5).unwrap();
    xdf.samples_f32(1, &stamps[..1], &[2.0, 3.0]).unwrap();
    let calls = xdf.into_inner();
    // The magic, then one call per chunk: file header, stream header,
    // samples, offset, samples.
    assert_eq!(calls.ends.len(), 6, "{:?}", calls.ends);
    for &end in &calls.ends[1..] {
        let cut = parse_xdf(&calls.bytes[..end], &XdfOptions::raw()).unwrap();
        assert!(!cut.truncated, "a write ended inside a chunk at {end}");
    }
    let whole = parse_xdf(&calls.bytes, &XdfOptions::raw()).unwrap();
    assert_eq!(whole.streams[0].len(), 41);
    assert_eq!(whole.streams[0].clock_values, [-1e-5]);
}

#[test]
fn read_errors_name_the_file_and_content_errors_the_byte_offset() {
    let dir = std::env::temp_dir().join(format!("neuroloop-xdf-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.xdf");
    let err = read_xdf(&missing, &XdfOptions::default()).unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    let bad = dir.join("bad.xdf");
    std::fs::write(&bad, b"XDF:\x03\x01\x02\x03").unwrap();
    let err = read_xdf(&bad, &XdfOptions::default()).unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("at byte offset 4"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
