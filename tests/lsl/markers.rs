//! A cue marker stream without source id, lost and started again: the
//! source finds it in the background and labels resume.

use std::time::{Duration, Instant};

use neuroloop_core::markers::MarkerReader;
use neuroloop_lsl::Settings;
use neuroloop_sources::lsl::{LslMarkersConfig, LslSource};

use super::harness::Running;
use super::{Peer, profile_spec, source_config};

/// The next marker's code, waiting up to 10 s.
fn next_code(markers: &mut MarkerReader) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(m) = markers.pop() {
            return Some(m.code);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

#[test]
fn a_lost_marker_stream_is_found_again_and_labels_resume() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let id = std::process::id();
    let (eeg, cues) = (
        format!("nl-test-mk-eeg-{id}"),
        format!("nl-test-mk-cues-{id}"),
    );
    let times = std::env::temp_dir().join(format!("{eeg}.times"));
    let mut eeg_peer = Peer::start(
        "outlet.py",
        &[
            "--name",
            &eeg,
            "--labels",
            &labels,
            "--samples",
            "7500",
            "--times-out",
            times.to_str().unwrap(),
        ],
    );
    let mut first = Peer::start("markers.py", &["--name", &cues]);
    let mut config = source_config(&eeg);
    config.markers = Some(LslMarkersConfig {
        name: cues.clone(),
        source_id: None,
        rest: "rest".into(),
    });
    let source = LslSource::open(&config, spec, &Settings::default()).expect("open");
    let (running, _reader, mut markers) = Running::start_marked(source, 8192);
    eeg_peer.expect_line("consumer");
    first.expect_line("consumer");
    first.send("left");
    first.expect_line("pushed");
    assert_eq!(next_code(&mut markers), Some(0), "left");
    // The cue outlet is killed (its process has exited when drop returns,
    // so its connection is closed); the data goes on; a new one comes up,
    // and its "consumer" line says the source found it.
    drop(first);
    let mut second = Peer::start("markers.py", &["--name", &cues]);
    second.expect_line("consumer");
    second.send("right");
    second.expect_line("pushed");
    assert_eq!(
        next_code(&mut markers),
        Some(1),
        "right, from the new outlet"
    );
    let report = running.finish();
    assert_eq!(
        (report.losses, report.reresolutions),
        (1, 1),
        "the marker stream: {report:?}"
    );
    assert!(report.samples > 0);
    let _ = std::fs::remove_file(times);
}
