//! `[lsl] filtered_outlet`: the pipeline's filtered samples as an LSL
//! stream, received by a pylsl inlet and compared with the same filter
//! chain run offline on the same input.

use std::time::Duration;

use neuroloop_core::{SampleBlock, clock};
use neuroloop_runtime::FilteredOutletReport;
use neuroloop_runtime::StartOptions;
use neuroloop_tests::repo_root;

use super::{Peer, profile_spec};

#[test]
fn the_filtered_outlet_carries_the_filter_chain_output() {
    let id = std::process::id();
    let (eeg, out) = (format!("nl-test-fin-{id}"), format!("nl-test-fout-{id}"));
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let ch = spec.channel_count();
    let samples = 750;
    let times_file = std::env::temp_dir().join(format!("{eeg}.times"));
    let mut peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &eeg,
            "--labels",
            &labels,
            "--samples",
            &samples.to_string(),
            "--t0",
            "stdin",
            "--times-out",
            times_file.to_str().unwrap(),
            "--linger-s",
            "2",
        ],
    );
    let text = format!(
        r#"
[session]
name = "filtered"
hardware_profile = "lsl-eeg-8"
[source]
type = "lsl"
name = "{eeg}"
resolve_timeout_s = 15.0
classes = ["left", "right"]
[lsl]
filtered_outlet = "{out}"
[pipeline]
filters = [
    {{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }},
    {{ type = "car" }},
]
window_s = 1.0
hop_s = 0.1
[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 60.0
[publish]
tcp = "127.0.0.1:0"
"#
    );
    let path = repo_root().join("configs/lsl.toml");
    let session = neuroloop_runtime::parse(&text, &path).expect("config valid");
    // The same chain, run offline below on the same input.
    let mut offline = session
        .pipeline
        .filters
        .chain
        .initialize(&session.pipeline.input, 256)
        .expect("chain");
    let running = neuroloop_runtime::start(session, StartOptions::default()).expect("starts");
    peer.expect_line("consumer");
    let mut recorder = Peer::start(
        "inlet.py",
        &[
            "--name",
            &out,
            "--count",
            &samples.to_string(),
            "--timeout-s",
            "30",
            "--print-labels",
        ],
    );
    recorder.expect_line("ready");
    recorder.expect_line(&format!("labels {labels}"));
    let lines = recorder.read_rest();
    peer.send(&(clock::now() + 0.3).to_string());
    peer.expect_line("done");
    let received = lines.join().expect("recorder output");
    recorder.wait(Duration::from_secs(10));
    let report = running.finish().expect("session finishes");
    assert_eq!(
        report.filtered_outlet,
        Some(FilteredOutletReport {
            pushed: samples as u64,
            overflowed: 0
        })
    );
    // Offline: the ramp the peer sent, through the chain in blocks.
    let input: Vec<f32> = (0..samples * ch).map(|v| v as f32).collect();
    let mut expected = Vec::with_capacity(input.len());
    let mut block = SampleBlock::with_capacity(ch, 256);
    for chunk in input.chunks(256 * ch) {
        let n = chunk.len() / ch;
        block.buffers_mut().0[..chunk.len()].copy_from_slice(chunk);
        block.set_len(n);
        offline.process(&mut block.as_mut());
        expected.extend_from_slice(block.data());
    }
    let grid: Vec<f64> = std::fs::read_to_string(&times_file)
        .expect("peer timestamps")
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect();
    assert_eq!(received.len(), samples, "every filtered sample arrived");
    let mut worst = 0.0f64;
    for (k, line) in received.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        let t = v["t"].as_f64().expect("timestamp");
        let i = ((t - grid[0]) * 250.0).round() as usize;
        assert_eq!(i, k, "in order, stamped with the source time");
        assert!((t - grid[i]).abs() < 1e-3, "{t} vs {}", grid[i]);
        for c in 0..ch {
            let got = v["v"][c].as_f64().expect("value");
            worst = worst.max((got - f64::from(expected[i * ch + c])).abs());
        }
    }
    eprintln!("filtered outlet vs offline chain: max |difference| {worst:e}");
    assert!(worst <= 1e-5, "matches the offline chain: {worst}");
    let _ = std::fs::remove_file(times_file);
}
