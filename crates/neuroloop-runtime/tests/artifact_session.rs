//! A simulated session whose amplifier goes bad for 6 s: C3 railed at
//! ±1e30 µV, Cz saturated at the profile's full scale, C4 flat. Read by a
//! plain TCP client that parses the JSON lines itself (docs/protocol.md):
//! every window touching the bad span is a hold with reason `artifact`, no
//! other window is, no line carries a non-finite, null or out-of-range
//! number, and class intents come back once the signal is clean.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use neuroloop_runtime::{StartOptions, start};
use serde_json::Value;

const FS: u64 = 250;
const WINDOW: u64 = 250;
const HOP: u64 = 25;
/// The bad span, in samples: 60 s to 66 s.
const BAD: std::ops::Range<u64> = 60 * FS..66 * FS;
/// Samples of settling after it (`settle_s`, 0.5 s by default).
const SETTLE: u64 = FS / 2;

fn config(dir: &Path) -> std::path::PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let profile = repo.join("hardware-profiles/simulated.toml");
    let text = std::fs::read_to_string(repo.join("configs/demo.toml")).unwrap();
    let faults = r#"
[[source.faults]]
kind = "rail"
channels = ["C3"]
start_s = 60.0
duration_s = 3.0

[[source.faults]]
kind = "saturate"
channels = ["Cz"]
start_s = 61.0
duration_s = 3.0
value_uv = 187500.0

[[source.faults]]
kind = "flat"
channels = ["C4"]
start_s = 62.0
duration_s = 4.0

[pipeline]"#;
    let edits = [
        (
            r#"hardware_profile = "simulated""#.to_string(),
            format!("hardware_profile = {:?}", profile.display().to_string()),
        ),
        (
            "realtime = true".into(),
            "realtime = false\nduration_s = 100.0".into(),
        ),
        ("calibration_s = 60.0".into(), "calibration_s = 40.0".into()),
        // The test thread reads every line; on a loaded machine it may
        // not run for seconds, which must not make the server skip, expire
        // or disconnect it (each is tested elsewhere).
        (
            "queue = 64".into(),
            "queue = 8192\nmax_lag_ms = 60000\nstall_timeout_ms = 60000\nintent_max_age_ms = 10000"
                .into(),
        ),
        ("\n[pipeline]".into(), faults.into()),
    ];
    let text = edits.iter().fold(text, |t, (from, to)| {
        assert!(t.contains(from.as_str()), "demo.toml has no {from:?}");
        t.replacen(from.as_str(), to, 1)
    });
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("artifacts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Whether window `k` has a sample in the bad span or begins less than
/// the settling time after it.
fn touches_bad(k: u64) -> bool {
    let (oldest, newest) = (k * HOP, k * HOP + WINDOW - 1);
    newest >= BAD.start && oldest <= BAD.end - 1 + SETTLE
}

/// Every number in `v` is finite and nothing is null.
fn all_finite(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Number(n) => n.as_f64().is_some_and(f64::is_finite),
        Value::Array(a) => a.iter().all(all_finite),
        Value::Object(o) => o.values().all(all_finite),
        _ => true,
    }
}

#[test]
fn railed_saturated_and_flat_channels_hold_with_reason_artifact_then_intents_resume() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifact-session");
    let cfg = neuroloop_runtime::load(&config(&dir)).unwrap();
    let session = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            wait_for_clients: 1,
            ..StartOptions::default()
        },
    )
    .unwrap();
    let stream = TcpStream::connect(session.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut lines = Vec::new();
    let mut bye = false;
    for line in BufReader::new(stream).lines() {
        let line = line.expect("the server keeps talking until bye");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let kind = v["type"].as_str().unwrap_or_default().to_owned();
        if kind == "bye" {
            bye = true;
            break;
        }
        if kind == "intent" || kind == "hold" {
            lines.push(v);
        }
    }
    let report = session.finish().unwrap();
    assert!(
        bye,
        "the connection ended before bye (stalled clients: {})",
        report.protocol.stalled_clients
    );
    assert_eq!(report.pipeline.gaps, 0);
    assert_eq!(
        (report.lagged_lines, report.protocol.stale_intents_dropped),
        (0, 0),
        "no line skipped or expired for this client"
    );
    assert_eq!(
        lines.len() as u64,
        report.pipeline.intents,
        "every line was received"
    );

    let mut resumed_classes = 0;
    for v in &lines {
        assert!(all_finite(v), "non-finite or null on the wire: {v}");
        // Holds with no decode behind them (calibration, artifacts) carry
        // no confidence or probabilities; every class intent does.
        if v["type"] == "intent" {
            assert!(
                v["confidence"].is_number() && v["probabilities"].is_array(),
                "{v}"
            );
        }
        if let Some(confidence) = v.get("confidence") {
            assert!((0.0..=1.0).contains(&confidence.as_f64().unwrap()), "{v}");
        }
        if let Some(probabilities) = v.get("probabilities") {
            assert!(
                probabilities
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap())),
                "{v}"
            );
        }
        let k = v["window"].as_u64().unwrap();
        let reason = v["hold_reason"].as_str().unwrap();
        if touches_bad(k) {
            assert_eq!(v["type"], "hold", "window {k} touches the bad span: {v}");
            assert_eq!(reason, "artifact", "window {k}: {v}");
        } else {
            assert_ne!(reason, "artifact", "window {k} is clean: {v}");
            assert_ne!(reason, "decoder_error", "{v}");
            if k * HOP > BAD.end && v["type"] == "intent" {
                resumed_classes += 1;
            }
        }
    }
    let held: Vec<u64> = lines
        .iter()
        .filter(|v| v["hold_reason"] == "artifact")
        .map(|v| v["window"].as_u64().unwrap())
        .collect();
    // Windows 591 (the first reaching 60 s) to 664 (the last beginning
    // within 0.5 s after 66 s): 74 holds, all of which the client saw.
    assert!(held.iter().all(|k| (591..=664).contains(k)), "{held:?}");
    assert_eq!(held.len(), 74, "{held:?}");
    assert!(
        resumed_classes >= 20,
        "class intents after the bad span: {resumed_classes}"
    );

    let a = &report.artifacts;
    eprintln!("{}", a.summary_line());
    assert_eq!(a.held_windows, 74);
    assert_eq!(
        a.samples.rail,
        4 * FS,
        "C3 railed for 3 s, Cz saturated for 3 s, overlapping 2 s"
    );
    assert_eq!(
        a.samples.flat,
        4 * FS - FS / 2,
        "C4 flat after its first 0.5 s"
    );
    assert_eq!((a.samples.amplitude, a.samples.non_finite), (0, 0));
    assert!(a.windows.rail > 0 && a.windows.flat > 0, "{a:?}");
    assert_eq!(a.decoder_rejections, 0);
    assert!(report.training.as_ref().is_some_and(|t| t.error.is_none()));
}

/// `neuroloop check` (config validation) names every bad artifact limit
/// with its allowed range, and takes the physical range from the profile.
#[test]
fn the_artifact_limits_are_checked_with_their_ranges() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("artifact-check");
    let path = config(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let cfg = neuroloop_runtime::parse(&text, &path).unwrap();
    assert_eq!(cfg.pipeline.artifacts.physical_min_uv, Some(-187_500.0));
    assert_eq!(cfg.pipeline.artifacts.physical_max_uv, Some(187_500.0));
    assert_eq!(cfg.pipeline.artifacts.amplitude_limit(), Some(168_750.0));

    let with = |table: &str| {
        let text = text.replacen(
            "[decoder]",
            &format!("[pipeline.artifacts]\n{table}\n\n[decoder]"),
            1,
        );
        match neuroloop_runtime::parse(&text, &path) {
            Ok(cfg) => Ok(cfg.pipeline.artifacts),
            Err(e) => Err(e.iter().map(ToString::to_string).collect::<Vec<_>>()),
        }
    };
    let own = with("physical_min_uv = -500.0\nphysical_max_uv = 400.0\nflat_s = 0.0").unwrap();
    assert_eq!(own.amplitude_limit(), Some(450.0));
    assert_eq!(own.flat_s, 0.0);
    let errors = with(
        "physical_min_uv = 1e12\nphysical_max_uv = 10.0\namplitude_uv = -1.0\n\
         flat_s = 0.001\nflat_uv = 1000.0",
    )
    .unwrap_err();
    for expected in [
        "pipeline.artifacts.physical_min_uv: 1000000000000 must be between -1e9 and 1e9 µV",
        "pipeline.artifacts.amplitude_uv: -1 must be in (0, 1e9] µV",
        "pipeline.artifacts.flat_s: 0.001 must be 0 (off) or between 0.008 s (2 samples at 250 Hz) and 60 s",
        "pipeline.artifacts.flat_uv: 1000 must be between 0 and 100 µV",
    ] {
        assert!(
            errors.iter().any(|e| e == expected),
            "{expected}\n{errors:#?}"
        );
    }
    assert_eq!(errors.len(), 4, "{errors:#?}");
    let unknown = with("flat_seconds = 1.0").unwrap_err();
    assert!(
        unknown[0].starts_with("pipeline.artifacts.flat_seconds: unknown field"),
        "{unknown:?}"
    );
}
