//! Whole sessions on `[source] type = "serial"` with the `openbci-cyton`
//! and `openbci-cyton-daisy` hardware profiles, against a board emulated on
//! a pseudo-terminal: the registry opens the board from the profile, the
//! pipeline windows the stream, packets the board never sent reach the
//! pipeline as gaps of their exact size, and a pty closed and reopened is
//! a stall and a gap after which the session goes on.

#[path = "../../neuroloop-sources/tests/serial_emulator/mod.rs"]
mod serial_emulator;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use neuroloop_runtime::report::SessionReport;
use neuroloop_runtime::{StartOptions, parse, start};
use serial_emulator::{Emulator, Script};

fn session_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/serial-test.toml")
}

fn session(port: &Path, profile: &str) -> String {
    format!(
        r#"
[session]
name = "serial"
hardware_profile = "{profile}"

[source]
type = "serial"
port = "{}"
classes = ["left", "right"]

[pipeline]
filters = [{{ type = "bandpass", low_hz = 4.0, high_hz = 40.0, order = 4 }}]
window_s = 1.0
hop_s = 0.25

[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 40.0

[policy]
smoothing = 1
threshold = 0.5
"#,
        port.display()
    )
}

/// Runs a session on `profile` until the emulator has sent `packets` and
/// the pipeline has taken at least `samples` of them (or 30 s passed).
fn run(name: &str, profile: &str, script: Script, packets: u64, samples: u64) -> SessionReport {
    let port = std::env::temp_dir().join(format!(
        "neuroloop-serial-session-{}-{name}",
        std::process::id()
    ));
    let emulator = Emulator::start(&port, script);
    let cfg = parse(&session(&port, profile), &session_path()).unwrap();
    assert_eq!(cfg.source.kind(), "serial");
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..StartOptions::default()
    };
    let running = start(cfg, options).unwrap();
    let stats = running.stats();
    let deadline = Instant::now() + Duration::from_secs(30);
    while (emulator.sent.load(Ordering::Relaxed) < packets
        || stats.samples.load(Ordering::Relaxed) < samples)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    running.stop();
    let report = running.finish().unwrap();
    assert!(
        report.samples_produced >= samples,
        "{} samples, {samples} expected",
        report.samples_produced
    );
    assert!(report.source_error.is_none(), "{:?}", report.source_error);
    assert_eq!(
        report.pipeline.samples, report.samples_produced,
        "every sample processed"
    );
    assert_eq!(report.ring_dropped, 0);
    // The emulated counts span the whole 24-bit range, so after scaling
    // windows reach the profile's ±187499.9 µV limits and are railed: the
    // session publishes its intents as holds for artifacts.
    assert!(report.pipeline.artifacts > 0, "{:?}", report.pipeline);
    assert!(report.pipeline.intents > 0, "{:?}", report.pipeline);
    report
}

#[test]
fn a_cyton_session_reports_dropped_packets_as_one_exact_gap() {
    let script = Script {
        rate_hz: 250.0,
        drop: vec![500, 501, 502, 503, 504],
        ..Script::default()
    };
    let report = run("cyton", "openbci-cyton", script, 1000, 1000);
    let produced = report.samples_produced;
    assert!((994..1200).contains(&produced), "{produced} samples");
    assert_eq!(report.pipeline.gaps, 1, "{:?}", report.pipeline);
    assert_eq!(report.pipeline.gap_samples, 5, "{:?}", report.pipeline);
    // 4 s of signal in 1 s windows every 0.25 s, less the windows the gap
    // restarted.
    assert!(report.pipeline.windows >= 8, "{:?}", report.pipeline);
}

#[test]
fn a_daisy_session_loses_one_sample_per_broken_packet_pair() {
    // Packets 200 and 201 are both halves of sample 100; packet 401 is the
    // Cyton half of sample 200, whose Daisy half (400) arrives alone.
    let script = Script {
        daisy: true,
        rate_hz: 250.0,
        drop: vec![200, 201, 401],
        ..Script::default()
    };
    let report = run("daisy", "openbci-cyton-daisy", script, 1000, 499);
    let produced = report.samples_produced;
    assert!(
        (496..600).contains(&produced),
        "{produced} samples at 125 Hz"
    );
    assert_eq!(report.pipeline.gaps, 2, "{:?}", report.pipeline);
    assert_eq!(report.pipeline.gap_samples, 2, "{:?}", report.pipeline);
    // 4 s in 1 s windows every 0.25 s, two of them restarted by a gap.
    assert!(report.pipeline.windows >= 5, "{:?}", report.pipeline);
}

#[test]
fn a_session_goes_on_after_the_pty_is_closed_and_reopened() {
    let script = Script {
        rate_hz: 250.0,
        unplug_after: Some(500),
        replug_s: 0.6,
        ..Script::default()
    };
    let report = run("replug", "openbci-cyton", script, 1250, 1240);
    assert_eq!(report.source.losses, 1, "{:?}", report.source);
    assert_eq!(report.source.reresolutions, 1, "{:?}", report.source);
    assert_eq!(report.pipeline.gaps, 1, "{:?}", report.pipeline);
    assert!(report.pipeline.stalls >= 1, "{:?}", report.pipeline);
    // 0.6 s away plus the re-initialisation.
    let missing = report.pipeline.gap_samples;
    assert!((150..1000).contains(&missing), "{missing}");
    // 500 before, 750 after the board came back.
    assert!(
        report.samples_produced >= 1240,
        "{}",
        report.samples_produced
    );
}

#[test]
fn serial_config_problems_are_errors_at_their_keys() {
    let port = Path::new("/dev/ttyUSB0");
    let text = session(port, "openbci-cyton");
    assert!(parse(&text, &session_path()).is_ok());
    let bad = text.replace(
        "classes = [",
        "answer_timeout_s = -1.0\nbaud = 9600\nclasses = [",
    );
    let errors = parse(&bad, &session_path()).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path.starts_with("source") && e.message.contains("baud")),
        "an unknown key: {errors:?}"
    );
    let bad = text.replace("classes = [", "answer_timeout_s = -1.0\nclasses = [");
    let errors = parse(&bad, &session_path()).unwrap_err();
    assert!(
        errors.iter().any(|e| e.path == "source.answer_timeout_s"),
        "{errors:?}"
    );
    let bad = text.replace("port = \"/dev/ttyUSB0\"", "port = \" \"");
    let errors = parse(&bad, &session_path()).unwrap_err();
    assert!(errors.iter().any(|e| e.path == "source.port"), "{errors:?}");
    // A profile that is not a serial board.
    let errors = parse(&session(port, "simulated"), &session_path()).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path == "source.type" && e.message.contains("\"sim\"")),
        "{errors:?}"
    );
}
