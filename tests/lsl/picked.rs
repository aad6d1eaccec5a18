//! A headset stream that carries more than EEG (a trigger word first and a
//! sample counter last, as BioSemi's and Brain Products' LSL applications
//! publish): the session reads only the profile's EEG channels. A real
//! pylsl outlet sends NaN in the trigger channel of its first 50 samples
//! (a stream whose channel 0 is EEG counts those 50 as non-finite, see
//! `shape.rs`); here the pipeline never sees them, and the recording holds
//! exactly the EEG channels' values, in the profile's order.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use neuroloop_formats::xdf::{XdfOptions, read_xdf};
use neuroloop_runtime::StartOptions;

use super::Peer;

const SAMPLES: usize = 1000;
const LABELS: [&str; 5] = ["Trig1", "C3", "Cz", "C4", "Counter"];

const PROFILE: &str = r#"
name = "amp-with-trigger"
description = "3 EEG channels between a trigger word and a sample counter"
transport = "lsl"
sample_rate = 250.0
block_size = 10
scale_uv_per_count = 1.0
montage = "10-20"
channels = ["Trig1", "C3", "Cz", "C4", "Counter"]
physical_min_uv = -187500.0
physical_max_uv = 187500.0

[channel_kinds]
Trig1 = "Trigger"
Counter = "Counter"
"#;

#[test]
fn a_session_reads_only_the_eeg_channels_of_a_stream_with_a_trigger_and_a_counter() {
    let id = std::process::id();
    let name = format!("nl-test-picked-{id}");
    let dir = std::env::temp_dir().join(format!("neuroloop-lsl-picked-{id}"));
    std::fs::create_dir_all(dir.join("hardware-profiles")).unwrap();
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    std::fs::write(dir.join("hardware-profiles/amp-with-trigger.toml"), PROFILE).unwrap();
    let file = dir.join("picked.xdf");
    let times = dir.join("outlet.times");
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &name,
            "--labels",
            &LABELS.join(","),
            "--samples",
            &SAMPLES.to_string(),
            "--nan-count",
            "50",
            "--times-out",
            times.to_str().unwrap(),
        ],
    );
    let text = format!(
        r#"
[session]
name = "picked"
hardware_profile = "amp-with-trigger"
[source]
type = "lsl"
name = "{name}"
resolve_timeout_s = 15.0
classes = ["left", "right"]
[pipeline]
filters = [{{ type = "car" }}]
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
    let session =
        neuroloop_runtime::parse(&text, &dir.join("configs/picked.toml")).expect("config valid");
    let input: Vec<&str> = session.pipeline.input.labels().collect();
    assert_eq!(input, ["C3", "Cz", "C4"], "the EEG channels, in order");
    assert_eq!(session.pipeline.source.channel_count(), 5);
    let running = neuroloop_runtime::start(session, StartOptions::default()).expect("starts");
    peer.expect_line("consumer");
    peer.expect_line("done");
    // The peer has pushed every sample; the session has them once the
    // pipeline counts them all.
    let stats = running.stats();
    let deadline = Instant::now() + Duration::from_secs(10);
    while stats.samples.load(Ordering::Relaxed) < SAMPLES as u64 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    peer.wait(Duration::from_secs(20));
    let report = running.finish().expect("session finishes");
    assert_eq!(report.samples_produced, SAMPLES as u64, "{report:?}");
    assert_eq!(
        report.non_finite_samples, 0,
        "the trigger channel's NaN reached the pipeline: {report:?}"
    );
    let record = report.record.expect("recorded");
    assert_eq!((record.error, record.samples), (None, SAMPLES as u64));

    let xdf = read_xdf(&file, &XdfOptions::raw()).expect("reads");
    let recorded = &xdf.streams[0];
    assert_eq!(recorded.info.labels, ["C3", "Cz", "C4"]);
    assert_eq!(recorded.info.channel_count, 3);
    // Sample i, channel c of the outlet is 5 i + c: C3, Cz, C4 are 1, 2, 3.
    let expected: Vec<f64> = (0..SAMPLES)
        .flat_map(|i| (1..=3).map(move |c| (5 * i + c) as f64))
        .collect();
    assert!(
        recorded.samples.values == expected,
        "recorded values are not the EEG channels' (first: {:?})",
        &recorded.samples.values[..6]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
