//! The `neuroloop` binary as a user runs it: `check`, `run`, `listen`,
//! real processes talking over real TCP.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo config with its port replaced by a free one, written into a
/// scratch directory beside a copy of the hardware profile it needs.
fn demo_on_free_port(dir_name: &str, edits: &[(&str, &str)]) -> (PathBuf, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("neuroloop-cli-{dir_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    text = text.replace("127.0.0.1:7878", &format!("127.0.0.1:{port}"));
    let profile = repo()
        .join("hardware-profiles/simulated.toml")
        .canonicalize()
        .unwrap();
    text = text.replace(
        r#"hardware_profile = "simulated""#,
        &format!("hardware_profile = {:?}", profile.display().to_string()),
    );
    for (from, to) in edits {
        assert!(text.contains(from), "demo config has no {from:?}");
        text = text.replace(from, to);
    }
    let path = dir.join("session.toml");
    std::fs::write(&path, text).unwrap();
    (path, port)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("neuroloop runs")
}

#[test]
fn check_accepts_the_shipped_configs() {
    for name in ["demo.toml", "ssvep-sim.toml"] {
        let out = run(&["check", repo().join("configs").join(name).to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(": ok"));
    }
}

#[test]
fn check_and_run_reject_a_bad_config_listing_every_problem_and_start_nothing() {
    let (path, port) = demo_on_free_port(
        "bad",
        &[
            ("high_hz = 30.0", "high_hz = 130.0"),
            ("dwell_s = 0.3", "dwell_s = -2.0"),
            ("hop_s = 0.1", "hop_s = 0.0"),
        ],
    );
    for command in ["check", "run"] {
        let out = run(&[command, path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{command} exits non-zero: {stderr}"
        );
        for expected in [
            "pipeline.filters[1].high_hz: 130 is above Nyquist (125 Hz)",
            "policy.dwell_s: -2",
            "pipeline.hop_s: 0 s",
            "3 problem(s)",
        ] {
            assert!(
                stderr.contains(expected),
                "{command}: missing {expected:?} in\n{stderr}"
            );
        }
    }
    TcpListener::bind(("127.0.0.1", port)).expect("the intent port was never taken");
}

#[test]
fn run_serves_intents_to_listen_and_writes_a_report() {
    let (path, port) = demo_on_free_port("run", &[]);
    let report = path.with_file_name("report.json");
    let session = Command::new(BIN)
        .args([
            "run",
            path.to_str().unwrap(),
            "--duration",
            "3",
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let listen = loop {
        let out = run(&["listen", &addr, "--json", "--count", "5"]);
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        listen.status.success(),
        "listen: {}",
        String::from_utf8_lossy(&listen.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&listen.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("listen --json prints JSON intents"))
        .collect();
    assert_eq!(lines.len(), 5);
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive: {seqs:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["kind"] == "hold" && l["hold_reason"] == "calibrating"),
        "the first 60 s calibrate: {lines:?}"
    );

    let out = session.wait_with_output().unwrap();
    assert!(out.status.success());
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("latency") && summary.contains("samples in"),
        "{summary}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let samples = report["pipeline"]["samples"].as_u64().unwrap();
    assert!(
        (600..=900).contains(&samples),
        "about 3 s at 250 Hz: {samples}"
    );
    assert_eq!(report["pipeline"]["gaps"], 0);
    assert!(report["pipeline"]["intents"].as_u64().unwrap() >= 15);
    assert!(
        report["latency"]["publish_minus_arrival"]["p99_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(report["connections"], 1);
}

#[test]
fn sigterm_stops_a_session_cleanly_with_a_report() {
    let (path, _) = demo_on_free_port("term", &[]);
    let report = path.with_file_name("report.json");
    let session = Command::new(BIN)
        .args([
            "run",
            path.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-TERM", &session.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let out = session.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drained promptly"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(report["pipeline"]["samples"].as_u64().unwrap() > 0);
    assert_eq!(report["ring_dropped"], 0);
}
