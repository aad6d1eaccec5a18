//! The `neuroloop` binary as a user runs it: `check`, `run`, `listen`,
//! real processes talking over real TCP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
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

/// `neuroloop run` with `args`, stdout piped, and its stderr lines
/// forwarded as they come (read on a thread, so the pipe never fills).
fn spawn_run(args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .arg("run")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Reads stderr lines until one contains `needle`; panics if stderr ends
/// first, or after 60 s (a hung start).
fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => return,
            Ok(_) => {}
            Err(e) => panic!("no stderr line with {needle:?}: {e}"),
        }
    }
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
    let (session, stderr) = spawn_run(&[
        path.to_str().unwrap(),
        "--duration",
        "3",
        "--report",
        report.to_str().unwrap(),
    ]);
    let addr = format!("127.0.0.1:{port}");
    // Printed once the server listens.
    wait_for_line(&stderr, &format!("intents on {addr}"));
    let listen = run(&["listen", &addr, "--json", "--count", "5"]);
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
    let samples = check_counts(&report);
    // The simulated headset releases 10-sample blocks on the wall clock from
    // the session's start: at least the 3 s asked for (less the last,
    // partial block), at most the report's duration, which includes the
    // drain.
    let duration = report["duration_s"].as_f64().unwrap();
    assert!(
        samples + 10 >= 750 && samples as f64 <= duration * 250.0 + 10.0,
        "3 s at 250 Hz, session {duration} s: {samples}"
    );
    let p = &report["pipeline"];
    // The first 60 s calibrate: every window is a hold, none is decoded.
    assert_eq!(p["intents"], p["windows"]);
    assert_eq!(p["decoded"], 0);
    assert_eq!(
        report["latency"]["decoded_publish_minus_arrival"]["count"],
        0
    );
    for key in ["publish_minus_arrival", "decode", "pipeline"] {
        assert_eq!(report["latency"][key]["count"], p["windows"], "{key}");
    }
    assert!(
        report["latency"]["publish_minus_arrival"]["p50_ms"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let stream = &report["streams"][0];
    assert_eq!(stream["nominal_hz"], 250.0);
    assert!(
        (stream["measured_hz"].as_f64().unwrap() - 250.0).abs() < 2.5,
        "{stream}"
    );
    assert_eq!(stream["off_nominal"], false);
    assert_eq!(report["connections"], 1);
}

#[test]
fn sigterm_stops_a_session_cleanly_with_a_report() {
    // Printed once the session runs.
    sigterm_after_line("term", "intents on");
}

#[test]
fn sigterm_while_the_session_starts_stops_it_cleanly_with_a_report() {
    let (path, port) = demo_on_free_port("term-early", &[]);
    let report = path.with_file_name("report.json");
    // stderr is a pipe filled to its capacity: the session's first log
    // line ("session started", written inside the start, after the server
    // binds) blocks until the test reads. The signal arrives while it is
    // blocked there, before `run` prints its address.
    let (reader, mut writer) = std::io::pipe().unwrap();
    // SAFETY: F_GETPIPE_SZ on the open pipe's own descriptor.
    let capacity = unsafe { libc::fcntl(writer.as_raw_fd(), libc::F_GETPIPE_SZ) };
    assert!(capacity > 0, "pipe capacity {capacity}");
    writer
        .write_all(&vec![b'\n'; capacity as usize])
        .expect("an empty pipe takes its capacity");
    let session = Command::new(BIN)
        .args(["run", path.to_str().unwrap(), "--report"])
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(writer)
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let bound = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            bound.elapsed() < Duration::from_secs(60),
            "the session never listened"
        );
        std::thread::yield_now();
    }
    // SAFETY: kill() with a live child's pid and a valid signal number.
    assert_eq!(unsafe { libc::kill(session.id() as i32, libc::SIGTERM) }, 0);
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(reader).read_to_string(&mut text);
        text
    });
    let out = session.wait_with_output().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(
        out.status.success(),
        "exit status {:?}; stderr: {}",
        out.status,
        stderr.trim()
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    check_counts(&report);
}

/// Runs the demo until a SIGTERM sent when stderr shows `line`, and checks
/// that it exits with success, promptly, and with a complete report.
fn sigterm_after_line(dir_name: &str, line: &str) {
    let (path, _) = demo_on_free_port(dir_name, &[]);
    let report = path.with_file_name("report.json");
    let (session, stderr) =
        spawn_run(&[path.to_str().unwrap(), "--report", report.to_str().unwrap()]);
    wait_for_line(&stderr, line);
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
    let samples = check_counts(&report);
    // The source ran from the session's start until the signal; the rest
    // of the duration is the drain, well under 0.5 s.
    let duration = report["duration_s"].as_f64().unwrap();
    assert!(
        samples as f64 >= (duration - 0.5) * 250.0 - 10.0
            && samples as f64 <= duration * 250.0 + 10.0,
        "session {duration} s: {samples}"
    );
}

/// Checks what every report of the simulated demo must hold and returns
/// the samples read: every sample produced reached the pipeline, 1 s
/// windows every 0.1 s at 250 Hz make `(samples - 250) / 25 + 1` windows,
/// the counters of losses and errors are zero, and every latency summary
/// is ordered p50 <= p99 <= p99.9 <= max.
fn check_counts(report: &serde_json::Value) -> u64 {
    let p = &report["pipeline"];
    let samples = p["samples"].as_u64().unwrap();
    assert_eq!(report["samples_produced"], samples);
    assert_eq!(report["source"]["samples"], samples);
    let windows = samples.checked_sub(250).map_or(0, |n| n / 25 + 1);
    assert_eq!(p["windows"], windows, "{p}");
    for counter in [
        &report["ring_dropped"],
        &report["ring_overflows"],
        &report["non_finite_samples"],
        &p["gaps"],
        &p["gap_samples"],
        &p["stalls"],
        &p["decode_errors"],
        &p["intents_dropped"],
        &p["artifacts"],
        &report["source"]["losses"],
        &report["protocol"]["errors_sent"],
        &report["protocol"]["estops"],
        &report["protocol"]["refused_connections"],
    ] {
        assert_eq!(counter, 0, "{report}");
    }
    assert!(report["source_error"].is_null());
    let mut summaries = Vec::new();
    latency_summaries("latency", &report["latency"], &mut summaries);
    // End to end twice, decode, pipeline, six stages, socket write,
    // transport delay.
    assert_eq!(summaries.len(), 12, "{}", report["latency"]);
    for (name, summary) in summaries {
        let at = |key: &str| summary[key].as_f64().unwrap();
        let ordered = [
            at("p50_ms"),
            at("p90_ms"),
            at("p99_ms"),
            at("p999_ms"),
            at("max_ms"),
        ];
        assert!(
            ordered.windows(2).all(|w| w[0] <= w[1]),
            "{name}: {summary}"
        );
    }
    samples
}

/// Every latency summary (an object with `p50_ms`) under `value`, named by
/// its path.
fn latency_summaries<'a>(
    path: &str,
    value: &'a serde_json::Value,
    out: &mut Vec<(String, &'a serde_json::Value)>,
) {
    let Some(object) = value.as_object() else {
        return;
    };
    if object.contains_key("p50_ms") {
        out.push((path.to_string(), value));
        return;
    }
    for (key, v) in object {
        latency_summaries(&format!("{path}.{key}"), v, out);
    }
}
