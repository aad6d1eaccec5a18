//! `[record]` of a live LSL session, recorded as LabRecorder records: the
//! input's raw timestamps (exactly what the pylsl peer stamped) and a
//! ClockOffset chunk per time correction the source measured. The
//! session's corrected times are each raw timestamp plus the offset in
//! force for that sample (each intent's `t.sample` shows it); pyxdf and
//! `read_xdf` synchronise the clocks alike, within the spread of the
//! offsets of the session's times (they fit one line through all offsets,
//! where the session applied each from its measurement on).

use std::path::Path;
use std::process::Command;

use neuroloop_formats::xdf::{XdfOptions, XdfStream, read_xdf};
use neuroloop_runtime::StartOptions;
use neuroloop_tests::repo_root;

use super::{Peer, profile_spec, python};

const FS: f64 = 250.0;
const SAMPLES: usize = 1000;

#[test]
fn an_lsl_session_records_raw_timestamps_and_its_clock_offsets() {
    let id = std::process::id();
    let eeg = format!("nl-test-rec-{id}");
    let spec = profile_spec();
    let ch = spec.channel_count();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let times_file = std::env::temp_dir().join(format!("{eeg}.times"));
    let dir = std::env::temp_dir().join(format!("neuroloop-lsl-record-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("lsl.xdf");
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &eeg,
            "--labels",
            &labels,
            "--samples",
            &SAMPLES.to_string(),
            "--times-out",
            times_file.to_str().unwrap(),
        ],
    );
    let text = format!(
        r#"
[session]
name = "record-lsl"
hardware_profile = "lsl-eeg-8"
[source]
type = "lsl"
name = "{eeg}"
resolve_timeout_s = 15.0
time_correction_s = 0.5
classes = ["left", "right"]
[pipeline]
window_s = 1.0
hop_s = 0.1
[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 60.0
[publish]
tcp = "127.0.0.1:0"
[record]
path = {path:?}
"#,
        path = file.display().to_string()
    );
    let session = neuroloop_runtime::parse(&text, &repo_root().join("configs/lsl.toml"))
        .expect("config valid");
    let running = neuroloop_runtime::start(session, StartOptions::default()).expect("starts");
    peer.expect_line("consumer");
    peer.expect_line("done");
    let stats = running.stats();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while stats.samples.load(std::sync::atomic::Ordering::Relaxed) < SAMPLES as u64
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = running.finish().expect("session finishes");
    let record = report.record.expect("recorded");
    assert_eq!(record.error, None);
    assert_eq!(record.samples, SAMPLES as u64, "{record:?}");
    // 4 s with a correction every 0.5 s: the first and several more.
    assert!(record.clock_offsets >= 4, "{record:?}");
    assert_eq!(record.clock_offsets_dropped, 0);

    let grid: Vec<f64> = std::fs::read_to_string(&times_file)
        .expect("peer timestamps")
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect();
    assert_eq!(grid.len(), SAMPLES);
    let raw = read_xdf(&file, &XdfOptions::raw()).expect("reads");
    let input = &raw.streams[0];
    assert_eq!(input.clock_times.len() as u64, record.clock_offsets);
    assert!(raw.streams[1..].iter().all(|s| s.clock_times.is_empty()));
    // Values: sample i, channel c is i * channels + c.
    let expected: Vec<f64> = (0..SAMPLES * ch).map(|v| v as f64).collect();
    assert!(input.samples.values == expected, "recorded values differ");
    // Raw: what the peer stamped, not the corrected time (which differs by
    // the offset, microseconds on one host, never 0 to 1e-9 exactly).
    let worst = max_difference(&input.samples.time_stamps, &grid);
    assert!(
        worst <= 1e-9,
        "raw timestamps differ from the peer's by {worst} s"
    );
    let offsets = &input.clock_values;
    let spread = offsets.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        - offsets.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(spread < 1e-3, "loopback offsets {offsets:?}");

    let synced_options = XdfOptions {
        synchronize_clocks: true,
        dejitter: false,
    };
    let synced = read_xdf(&file, &synced_options).expect("reads");
    let ours = &synced.streams[0].samples.time_stamps;
    let theirs = pyxdf_synchronized(&file);
    let worst = max_difference(ours, &theirs);
    assert!(worst <= 1e-6, "read_xdf and pyxdf differ by {worst} s");
    check_session_times(&synced.streams[2], input, ours, spread);
    let _ = std::fs::remove_file(times_file);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Each intent's `t.sample` (the session's corrected time of the window's
/// newest sample) is that sample's raw timestamp plus one of the recorded
/// offsets, exactly; the synchronised time is within the offsets' spread
/// of it (twice: a fitted line can leave their range at the ends).
fn check_session_times(intents: &XdfStream, raw: &XdfStream, synced: &[f64], spread: f64) {
    assert!(intents.len() > 10, "{} intents", intents.len());
    let stamps = &raw.samples.time_stamps;
    for line in &intents.samples.strings {
        let message: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let corrected = message["t"]["sample"].as_f64().expect("t.sample");
        let nearest = (((corrected - stamps[0]) * FS).round() as usize).min(stamps.len() - 1);
        let applied = corrected - stamps[nearest];
        let exact = raw
            .clock_values
            .iter()
            .map(|o| (applied - o).abs())
            .fold(f64::INFINITY, f64::min);
        assert!(
            exact <= 1e-9,
            "sample {nearest}: the session added {applied}, no recorded offset"
        );
        let off = (synced[nearest] - corrected).abs();
        assert!(
            off <= 2.0 * spread + 1e-6,
            "sample {nearest}: synchronised {off} s from the session's time (spread {spread})"
        );
    }
}

fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The input's timestamps as pyxdf gives them with clock synchronisation
/// (and no dejittering).
fn pyxdf_synchronized(file: &Path) -> Vec<f64> {
    let script = "import sys, pyxdf\n\
        streams, _ = pyxdf.load_xdf(sys.argv[1], synchronize_clocks=True, dejitter_timestamps=False)\n\
        s = [s for s in streams if s['info']['stream_id'] == 1][0]\n\
        print('\\n'.join(repr(float(t)) for t in s['time_stamps']))";
    let out = Command::new(python())
        .args(["-c", script, file.to_str().unwrap()])
        .output()
        .expect("run pyxdf");
    assert!(
        out.status.success(),
        "pyxdf failed (scripts/setup-python.sh installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect()
}
