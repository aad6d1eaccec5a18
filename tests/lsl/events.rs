//! Event-locked windows over real LSL streams: a pylsl EEG outlet paced in
//! real time and a pylsl cue stream whose markers arrive while (or after)
//! their windows' samples do. Every cue gets exactly one decision, whose
//! newest sample lies `offset + length` after the cue (within one sample
//! period); rest markers lock nothing.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use neuroloop_runtime::StartOptions;
use neuroloop_tests::repo_root;

use super::{Peer, profile_spec};

const FS: f64 = 250.0;

#[test]
fn every_lsl_cue_gets_one_decision_at_its_window() {
    let id = std::process::id();
    let (eeg, cues) = (
        format!("nl-test-ev-eeg-{id}"),
        format!("nl-test-ev-cues-{id}"),
    );
    let labels = profile_spec().labels().collect::<Vec<_>>().join(",");
    let times = std::env::temp_dir().join(format!("{eeg}.times"));
    let mut eeg_peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &eeg,
            "--labels",
            &labels,
            "--samples",
            "2500",
            "--times-out",
            times.to_str().unwrap(),
        ],
    );
    let mut cue_peer = Peer::start("markers.py", &["--name", &cues, "--print-time"]);
    let text = format!(
        r#"
[session]
name = "events-lsl"
hardware_profile = "lsl-eeg-8"
[source]
type = "lsl"
name = "{eeg}"
resolve_timeout_s = 15.0
classes = ["left", "right"]
[source.markers]
name = "{cues}"
rest = "rest"
[pipeline]
filters = [{{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }}]
windows = "events"
event_offset_s = -0.1
event_length_s = 0.4
[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 1000.0
[policy]
smoothing = 1
[publish]
tcp = "127.0.0.1:0"
"#
    );
    let path = repo_root().join("configs/lsl.toml");
    let session = neuroloop_runtime::parse(&text, &path).expect("config valid");
    let running = neuroloop_runtime::start(session, StartOptions::default()).expect("starts");
    let stream = TcpStream::connect(running.local_addr()).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let reader = std::thread::spawn(move || {
        let mut decisions = Vec::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let v: serde_json::Value = serde_json::from_str(&line).expect("JSON");
            match v["type"].as_str() {
                Some("bye") => break,
                Some("intent" | "hold") if v["hold_reason"] != "signal_loss" => decisions.push(v),
                _ => {}
            }
        }
        decisions
    });
    eeg_peer.expect_line("consumer");
    cue_peer.expect_line("consumer");
    // The first cue's window starts 0.1 s before it: cue once the pipeline
    // has taken 0.2 s of EEG, so that window lies after the first sample.
    let stats = running.stats();
    let deadline = Instant::now() + Duration::from_secs(20);
    while stats.samples.load(std::sync::atomic::Ordering::Relaxed) < (0.2 * FS) as u64 {
        assert!(Instant::now() < deadline, "no EEG reached the pipeline");
        std::thread::sleep(Duration::from_millis(5));
    }
    // 12 cues 0.3 s apart (their 0.4 s windows overlap), a rest after each
    // third.
    let mut cue_times = Vec::new();
    for k in 0..12 {
        cue_peer.send(if k % 2 == 0 { "left" } else { "right" });
        let said = cue_peer.line();
        let stamp = said.strip_prefix("pushed ").expect("pushed <time>");
        cue_times.push(stamp.parse::<f64>().expect("timestamp"));
        if k % 3 == 2 {
            cue_peer.send("rest");
            cue_peer.line();
        }
        // The cue schedule itself (0.3 s apart, so that windows overlap),
        // not a wait: a slower machine spaces them further, which the
        // assertions below do not depend on.
        std::thread::sleep(Duration::from_millis(300));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while running
        .stats()
        .events
        .locked
        .load(std::sync::atomic::Ordering::Relaxed)
        < 12
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = running.finish().expect("session finishes");
    let decisions = reader.join().expect("client");
    let events = report.pipeline.events;
    assert_eq!(events.markers, 12, "cues only, not rests: {events:?}");
    assert_eq!(
        (events.locked, events.missed, events.overflowed),
        (12, 0, 0)
    );
    assert_eq!(decisions.len(), 12, "one decision per cue");
    assert!(decisions.iter().all(|d| d["hold_reason"] == "calibrating"));
    // Each decision's newest sample: cue - 0.1 s + 99 samples.
    for (cue, d) in cue_times.iter().zip(&decisions) {
        let newest = d["t"]["sample"].as_f64().expect("sample time");
        let expected = cue - 0.1 + 99.0 / FS;
        assert!(
            (newest - expected).abs() <= 1.0 / FS,
            "window ends at {newest}, expected {expected} (cue {cue})"
        );
    }
    let _ = std::fs::remove_file(times);
}
