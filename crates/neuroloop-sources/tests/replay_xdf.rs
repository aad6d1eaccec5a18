//! `[source] type = "replay"` on XDF files written with the crate's XDF
//! writer: the played stream (by name or the first numeric stream with a
//! nominal rate) with its own timestamps, the markers of the string and
//! irregular numeric streams as cues at the first sample at or after
//! them; played at either pace with those timestamps (realtime keeping
//! their spacing); and every bad file or key is a config error naming the
//! file and what was expected.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use neuroloop_core::{ConfigError, Marker};
use neuroloop_formats::xdf::{ChannelFormat, StreamInfo, XdfWriter, stream_header_xml};
use neuroloop_sources::replay::{Cue, Pace, ReplayConfig, ReplayRecording, ReplaySource};

const RATE: f64 = 100.0;
const SAMPLES: usize = 300;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "neuroloop-replay-xdf-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn info(name: &str, kind: &str, labels: &[&str], rate: f64, format: ChannelFormat) -> StreamInfo {
    StreamInfo {
        name: name.into(),
        kind: kind.into(),
        channel_count: labels.len().max(1),
        nominal_srate: rate,
        format,
        source_id: String::new(),
        labels: labels.iter().map(|l| (*l).to_string()).collect(),
        units: labels.iter().map(|_| "microvolts".to_string()).collect(),
        xml: String::new(),
    }
}

/// Sample `i`'s timestamp: irregular steps around 10 ms, so that a replay
/// that spaced samples evenly would be seen.
fn stamp(i: usize) -> f64 {
    5000.0 + i as f64 / RATE + if i % 7 == 3 { 0.002 } else { 0.0 }
}

/// An XDF file: a marker stream (id 1, strings), the EEG (id 2, two
/// channels), a second EEG-like stream (id 3) and an numeric marker stream
/// (id 4, irregular doubles), unless `eeg` is false.
fn write_xdf(path: &Path, eeg: bool) {
    let file = std::fs::File::create(path).unwrap();
    let mut xdf = XdfWriter::new(BufWriter::new(file)).unwrap();
    let markers = info("cues", "Markers", &[], 0.0, ChannelFormat::String);
    xdf.stream_header(1, &stream_header_xml(&markers)).unwrap();
    if eeg {
        let signal = info("amp", "EEG", &["C3", "C4"], RATE, ChannelFormat::Float32);
        xdf.stream_header(2, &stream_header_xml(&signal)).unwrap();
        let aux = info("aux", "Misc", &["x"], 50.0, ChannelFormat::Float32);
        xdf.stream_header(3, &stream_header_xml(&aux)).unwrap();
        let codes = info("codes", "Markers", &[], 0.0, ChannelFormat::Double64);
        xdf.stream_header(4, &stream_header_xml(&codes)).unwrap();
        let stamps: Vec<f64> = (0..SAMPLES).map(stamp).collect();
        let values: Vec<f32> = (0..SAMPLES * 2).map(|v| v as f32 * 0.5 - 3.0).collect();
        xdf.samples_f32(2, &stamps[..100], &values[..200]).unwrap();
        xdf.samples_f32(2, &stamps[100..], &values[200..]).unwrap();
        xdf.samples_f32(3, &[5000.0], &[1.0]).unwrap();
        // Code 7 maps to `right` by `events`; at sample 250.
        xdf.samples_f64(4, &[stamp(250)], &[7.0]).unwrap();
    }
    // `left` on sample 50, `rest` between samples 119 and 120, `right`
    // before the first sample, `up` (no class) and one past the end.
    let times = [stamp(50), stamp(119) + 0.001, 4999.0, stamp(60), 6000.0];
    let texts = ["left", "rest", "right", "up", "left"];
    xdf.samples_strings(1, &times, &texts).unwrap();
    xdf.flush().unwrap();
}

fn config(path: &Path, extra: &str) -> ReplayConfig {
    toml::from_str(&format!(
        "type = \"replay\"\npath = {:?}\nclasses = [\"left\", \"right\"]\n{extra}",
        path.display().to_string()
    ))
    .unwrap()
}

fn load(path: &Path, extra: &str) -> Result<ReplayRecording, Vec<ConfigError>> {
    let cfg = config(path, extra);
    cfg.preflight("source")?;
    ReplayRecording::load(&cfg, Path::new("."), "source")
}

#[test]
fn plays_the_first_regular_stream_with_its_timestamps_and_cues() {
    let dir = scratch("plays");
    let path = dir.join("session.xdf");
    write_xdf(&path, true);
    let rec = load(&path, "timestamps = \"recorded\"").unwrap();
    let labels: Vec<&str> = rec.spec.labels().collect();
    assert_eq!(labels, ["C3", "C4"], "the first regular stream, not `aux`");
    assert_eq!((rec.spec.sample_rate, rec.samples), (RATE, SAMPLES as u64));
    let expected: Vec<f32> = (0..SAMPLES * 2).map(|v| v as f32 * 0.5 - 3.0).collect();
    assert_eq!(rec.data, expected, "sample-major, as recorded");
    let times: Vec<f64> = (0..SAMPLES).map(stamp).collect();
    assert_eq!(
        rec.times.as_deref(),
        Some(&times[..]),
        "the recorded stamps"
    );
    // Without `events`, class labels and `rest` are the cues; `right`
    // before the first sample starts at it; `up` and the late marker drop.
    let cue = |sample, code| Cue { sample, code };
    assert_eq!(
        rec.cues,
        [cue(0, 1), cue(50, 0), cue(120, Marker::REST)],
        "{:?}",
        rec.cues
    );
    // With `events`, the numeric marker stream's code maps like a GDF event.
    let rec = load(
        &path,
        "timestamps = \"recorded\"\nevents = { left = \"left\", 7 = \"right\" }",
    )
    .unwrap();
    assert_eq!(rec.cues, [cue(50, 0), cue(250, 1)]);
    // De-jittered (pyxdf's default), the stamps are evenly spaced.
    let rec = load(&path, "").unwrap();
    let fitted = rec.times.unwrap();
    assert!(
        fitted
            .windows(2)
            .all(|w| ((w[1] - w[0]) * RATE - 1.0).abs() < 1e-3)
    );
    assert_ne!(fitted, times);
    // By name.
    let rec = load(&path, "stream = \"aux\"").unwrap();
    assert_eq!((rec.spec.sample_rate, rec.samples), (50.0, 1));
    std::fs::remove_dir_all(dir).unwrap();
}

fn assert_error(result: Result<ReplayRecording, Vec<ConfigError>>, path: &str, words: &[&str]) {
    let errors = result.expect_err("a config error");
    let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let all = all.join("\n");
    assert!(errors.iter().any(|e| e.path == path), "{path} in\n{all}");
    for word in words {
        assert!(all.contains(word), "{word:?} missing in\n{all}");
    }
}

#[test]
fn bad_files_and_streams_are_named() {
    let dir = scratch("bad");
    let good = dir.join("good.xdf");
    write_xdf(&good, true);
    let text = dir.join("notes.xdf");
    std::fs::write(&text, "these are notes\n").unwrap();
    assert_error(
        load(&text, ""),
        "source.path",
        &["notes.xdf", "not a readable XDF file", "XDF:"],
    );
    // Cut inside the first stream header: no stream is left.
    let cut = dir.join("cut.xdf");
    std::fs::write(&cut, &std::fs::read(&good).unwrap()[..90]).unwrap();
    assert_error(
        load(&cut, ""),
        "source.path",
        &[
            "cut.xdf",
            "no numeric stream with a nominal rate",
            "cut short",
            "none",
        ],
    );
    let markers_only = dir.join("markers.xdf");
    write_xdf(&markers_only, false);
    assert_error(
        load(&markers_only, ""),
        "source.path",
        &[
            "markers.xdf",
            "no numeric stream",
            "\"cues\" (1 channel(s) of String, irregular, 5 samples)",
        ],
    );
    assert_error(
        load(&good, "stream = \"EEG\""),
        "source.stream",
        &[
            "good.xdf",
            "no stream named \"EEG\"",
            "\"amp\" (2 channel(s) of Float32, 100 Hz, 300 samples); \"aux\"",
        ],
    );
    // An empty regular stream is passed over for the first with samples.
    let empty_first = dir.join("empty-first.xdf");
    let mut xdf = XdfWriter::new(std::fs::File::create(&empty_first).unwrap()).unwrap();
    let empty = info("silent", "EEG", &["A"], RATE, ChannelFormat::Float32);
    xdf.stream_header(1, &stream_header_xml(&empty)).unwrap();
    let signal = info("amp", "EEG", &["B"], RATE, ChannelFormat::Float32);
    xdf.stream_header(2, &stream_header_xml(&signal)).unwrap();
    xdf.samples_f32(2, &[1.0, 1.01], &[0.5, 0.25]).unwrap();
    drop(xdf);
    let rec = load(&empty_first, "").unwrap();
    assert_eq!((rec.spec.labels().next(), rec.samples), (Some("B"), 2));
    assert_error(
        load(&good, "stream = \"cues\""),
        "source.stream",
        &["good.xdf", "\"cues\"", "numeric stream with a nominal rate"],
    );
    assert_error(load(&good, "stream = \" \""), "source.stream", &["empty"]);
    // A mapping that matches no marker lists the markers found.
    assert_error(
        load(&good, "events = { T1 = \"left\" }"),
        "source.events",
        &["good.xdf", "\"T1\"", "left", "rest", "up"],
    );
    // A stamp that is no time.
    let nan = dir.join("nan.xdf");
    let mut xdf = XdfWriter::new(std::fs::File::create(&nan).unwrap()).unwrap();
    let signal = info("amp", "EEG", &["C3"], RATE, ChannelFormat::Float32);
    xdf.stream_header(1, &stream_header_xml(&signal)).unwrap();
    xdf.samples_f32(1, &[1.0, f64::NAN, 1.02], &[0.0; 3])
        .unwrap();
    drop(xdf);
    assert_error(
        load(&nan, "timestamps = \"recorded\""),
        "source.path",
        &["nan.xdf", "sample 1 of stream \"amp\"", "NaN", "finite"],
    );
    // `stream` belongs to XDF files.
    let edf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/physionet-eegmmidb/S001R04.edf");
    assert_error(
        load(&edf, "stream = \"amp\""),
        "source.stream",
        &["S001R04.edf", "not an XDF file"],
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Plays `rec` through a ring; returns the seconds it took, every sample's
/// timestamp and every marker.
fn play(rec: ReplayRecording, pace: Pace) -> (f64, Vec<f64>, Vec<Marker>) {
    use neuroloop_core::SampleBlock;
    use neuroloop_core::markers::marker_ring;
    use neuroloop_core::ring::sample_ring;
    use neuroloop_sources::{Source, SourceIo};
    let mut spec = rec.spec.clone();
    spec.block_size = 25;
    let classes = vec!["left".to_string(), "right".to_string()];
    let mut source = ReplaySource::open(Arc::new(rec), spec, classes, pace).unwrap();
    let (writer, mut reader) = sample_ring(2, 4096);
    let (marker_writer, mut markers) = marker_ring(64);
    let io = SourceIo {
        samples: writer,
        markers: Some(marker_writer),
        notify: None,
    };
    let started = Instant::now();
    let report = source.run(io, &AtomicBool::new(false)).unwrap();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(report.samples, SAMPLES as u64);
    let mut block = SampleBlock::with_capacity(2, 4096);
    let mut stamps = Vec::new();
    while reader.pop_into(&mut block).samples > 0 {
        stamps.extend_from_slice(block.timestamps());
    }
    (took, stamps, std::iter::from_fn(|| markers.pop()).collect())
}

#[test]
fn both_paces_play_the_recorded_stamps_and_realtime_keeps_their_spacing() {
    let dir = scratch("pace");
    let path = dir.join("session.xdf");
    write_xdf(&path, true);
    let recorded: Vec<f64> = (0..SAMPLES).map(stamp).collect();
    let cue = |sample: usize, code| Marker {
        time: stamp(sample),
        code,
    };
    let expected_markers = [cue(0, 1), cue(50, 0), cue(120, Marker::REST)];
    let rec = || load(&path, "timestamps = \"recorded\"").unwrap();
    let (fast, stamps, markers) = play(rec(), Pace::Fast);
    assert_eq!(stamps, recorded);
    assert_eq!(markers, expected_markers);
    assert!(fast < 1.0, "fast pace took {fast:.2} s");
    // 300 samples stamped over 2.99 s: realtime waits for each block's
    // newest sample, so the last block leaves 2.99 s after the start.
    let (realtime, stamps, markers) = play(rec(), Pace::Realtime);
    assert_eq!((stamps, markers), (recorded, expected_markers.to_vec()));
    assert!(
        (2.9..4.0).contains(&realtime),
        "realtime pace took {realtime:.2} s for 2.99 s of stamps"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// pyxdf's reading of `file`: the timestamps and values of stream `name`,
/// and the `(time, text)` markers of stream `markers`.
fn pyxdf(file: &Path, name: &str, markers: &str) -> (Vec<f64>, Vec<f64>, Vec<(f64, String)>) {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup-python.sh: pyxdf is the reference reader"
    );
    let script = "import json,sys,pyxdf\n\
        streams, _ = pyxdf.load_xdf(sys.argv[1])\n\
        by = {s['info']['name'][0]: s for s in streams}\n\
        s, m = by[sys.argv[2]], by[sys.argv[3]]\n\
        print(json.dumps({'t': [float(t) for t in s['time_stamps']],\n\
          'v': [float(v) for row in s['time_series'] for v in row],\n\
          'm': [[float(t), row[0]] for t, row in zip(m['time_stamps'], m['time_series'])]}))";
    let out = std::process::Command::new(python)
        .args(["-c", script, file.to_str().unwrap(), name, markers])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let marks = v["m"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m[0].as_f64().unwrap(), m[1].as_str().unwrap().to_string()))
        .collect();
    (floats(&v["t"]), floats(&v["v"]), marks)
}

#[test]
fn a_labrecorder_file_plays_as_pyxdf_reads_it() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/xdf/minimal.xdf");
    let (stamps, values, markers) = pyxdf(&file, "SendDataC", "SendDataString");
    let cfg = |extra: &str| -> ReplayConfig {
        toml::from_str(&format!(
            "type = \"replay\"\npath = {:?}\nclasses = [\"Hello\", \"World\"]\n{extra}",
            file.display().to_string()
        ))
        .unwrap()
    };
    let rec = ReplayRecording::load(&cfg(""), Path::new("."), "source").unwrap();
    assert_eq!(rec.spec.sample_rate, 10.0);
    let ours = rec.times.clone().unwrap();
    assert_eq!(ours.len(), stamps.len());
    assert!(
        ours.iter().zip(&stamps).all(|(a, b)| (a - b).abs() < 1e-9),
        "synchronised and de-jittered as pyxdf: {ours:?} vs {stamps:?}"
    );
    let widened: Vec<f64> = rec.data.iter().map(|&v| f64::from(v)).collect();
    assert_eq!(widened, values, "int16 values, sample-major");
    // Each `Hello`/`World` marker at the first sample at or after it (within
    // 1 µs: a marker stamped with a sample is at that sample).
    let expected: Vec<Cue> = markers
        .iter()
        .filter_map(|(t, text)| {
            let code = ["Hello", "World"].iter().position(|c| c == text)? as i32;
            let sample = stamps.partition_point(|s| *s < t - 1e-6);
            (sample < stamps.len()).then_some(Cue {
                sample: sample as u64,
                code,
            })
        })
        .collect();
    assert!(expected.len() >= 2, "{markers:?}");
    assert_eq!(rec.cues, expected);
    // The file's second reference file: its first regular stream is empty,
    // so the counter stream plays.
    let other = file.with_file_name("empty_streams.xdf");
    let rec = ReplayRecording::load(
        &toml::from_str(&format!(
            "type = \"replay\"\npath = {:?}",
            other.display().to_string()
        ))
        .unwrap(),
        Path::new("."),
        "source",
    )
    .unwrap();
    assert_eq!(rec.data, (0..10).map(|v| v as f32).collect::<Vec<_>>());
}
