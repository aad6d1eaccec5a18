//! A whole session on `[source] type = "serial"` with the
//! `openbci-cyton` hardware profile, against a Cyton emulated on a
//! pseudo-terminal: the registry opens the board from the profile, the
//! pipeline windows the stream, and packets the board never sent reach the
//! pipeline as one gap of their exact size.

#[path = "../../neuroloop-sources/tests/serial_emulator/mod.rs"]
mod serial_emulator;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use neuroloop_runtime::{StartOptions, parse, start};
use serial_emulator::{Emulator, Script};

fn session_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/serial-test.toml")
}

fn session(port: &Path) -> String {
    format!(
        r#"
[session]
name = "serial"
hardware_profile = "openbci-cyton"

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

#[test]
fn a_serial_session_windows_the_board_and_reports_dropped_packets_as_one_exact_gap() {
    let port =
        std::env::temp_dir().join(format!("neuroloop-serial-session-{}", std::process::id()));
    let script = Script {
        rate_hz: 250.0,
        drop: vec![500, 501, 502, 503, 504],
        ..Script::default()
    };
    let emulator = Emulator::start(&port, script);
    let cfg = parse(&session(&port), &session_path()).unwrap();
    assert_eq!(cfg.source.kind(), "serial");
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..StartOptions::default()
    };
    let running = start(cfg, options).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while emulator.sent.load(std::sync::atomic::Ordering::Relaxed) < 1000
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    running.stop();
    let report = running.finish().unwrap();
    assert!(report.source_error.is_none(), "{:?}", report.source_error);
    let produced = report.samples_produced;
    assert!((995..1200).contains(&produced), "{produced} samples");
    assert_eq!(report.pipeline.gaps, 1, "{:?}", report.pipeline);
    assert_eq!(report.pipeline.gap_samples, 5, "{:?}", report.pipeline);
    assert_eq!(report.pipeline.samples, produced, "every sample processed");
    // 4 s of signal in 1 s windows every 0.25 s, less the windows the gap
    // restarted.
    assert!(report.pipeline.windows >= 8, "{:?}", report.pipeline);
    assert_eq!(report.ring_dropped, 0);
}
