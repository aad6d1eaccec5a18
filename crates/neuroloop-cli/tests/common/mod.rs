//! Helpers shared by the binary's robustness tests: scratch directories
//! with the shipped profiles, edited shipped configs on free ports,
//! bounded waits, signals, sessions and listeners.
#![allow(dead_code)] // each test file uses its own part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A scratch directory with `configs/` and a copy of `hardware-profiles/`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuroloop-robust-{name}-{}", std::process::id()));
    let profiles = dir.join("hardware-profiles");
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    std::fs::create_dir_all(&profiles).unwrap();
    for entry in std::fs::read_dir(repo().join("hardware-profiles")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, profiles.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A shipped config with `edits` applied, on a free port, in `dir`.
pub fn config(dir: &Path, shipped: &str, edits: &[(&str, &str)]) -> (PathBuf, u16) {
    let port = free_port();
    let mut text = std::fs::read_to_string(repo().join("configs").join(shipped)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{shipped} has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    let text = regex_free_port(&text, port);
    let path = dir.join("configs").join(format!("edited-{port}.toml"));
    std::fs::write(&path, text).unwrap();
    (path, port)
}

/// Replaces the `tcp = "127.0.0.1:NNNN"` line's port.
pub fn regex_free_port(text: &str, port: u16) -> String {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("tcp = \"127.0.0.1:") {
                format!("tcp = \"127.0.0.1:{port}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs to the end, killing it after `limit` (a hang fails the test).
pub fn run_for(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_output(child, limit, &format!("{args:?}"))
}

pub fn wait_output(mut child: Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{what} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A clear error: exit status 1 or 2 (clap), no panic, every `expected`
/// text in stderr.
pub fn assert_clear_error(out: &Output, expected: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "status {:?}: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in\n{stderr}");
    }
}

pub fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

/// Starts `run` on the demo config for `seconds` with a report file.
pub fn start_session(name: &str, seconds: &str, stdout: Stdio) -> (Child, PathBuf, u16) {
    let dir = scratch(name);
    let (path, port) = config(&dir, "demo.toml", &[]);
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let child = Command::new(BIN)
        .args([
            "run",
            path.to_str().unwrap(),
            "--duration",
            seconds,
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, report, port)
}

/// Starts `listen --json` on `port` once the session serves. A listener
/// that could not connect (it exits at once, e.g. when the session was not
/// yet accepting on a loaded machine) is started again, until a deadline.
pub fn start_listener(port: u16, piped: bool) -> Child {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the session never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let spawn = || {
        Command::new(BIN)
            .args(["listen", &format!("127.0.0.1:{port}"), "--json"])
            .stdout(if piped { Stdio::piped() } else { Stdio::null() })
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        match child.try_wait() {
            Ok(Some(_)) if Instant::now() < deadline => child = spawn(),
            _ => return child,
        }
    }
}

pub fn read_report(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the report was written");
    serde_json::from_str(&text).unwrap()
}
