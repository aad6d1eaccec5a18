//! Values and files that once panicked, aborted or hung the binary now get
//! a clear error, run as a user would: real processes, real files.

mod common;

use common::*;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn check_refuses_devices_and_fifos_without_hanging() {
    let dir = scratch("fifo");
    let fifo = dir.join("configs/fifo.toml");
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [Path::new("/dev/zero"), fifo.as_path(), dir.as_path()] {
        let path = path.to_str().unwrap();
        for command in ["check", "run"] {
            let out = run_for(&[command, path], Duration::from_secs(20));
            assert_clear_error(&out, &["cannot read"]);
        }
        // As a recording, and as the session config of evaluate and train.
        let offline = [
            "--events",
            "T1=a,T2=b",
            "--tmin",
            "0",
            "--tmax",
            "1",
            "--architecture",
            "bandpower",
        ];
        for (command, extra) in [
            ("evaluate", vec!["--recording", path]),
            (
                "train",
                vec!["--recording", path, "--out", "/nonexistent/b"],
            ),
            ("evaluate", vec!["--recording", "x.edf", "--config", path]),
            (
                "train",
                vec![
                    "--recording",
                    "x.edf",
                    "--config",
                    path,
                    "--out",
                    "/nonexistent/b",
                ],
            ),
        ] {
            let mut args = vec![command];
            args.extend(offline);
            args.extend(extra);
            let out = run_for(&args, Duration::from_secs(20));
            assert_clear_error(&out, &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("regular file")
                    || stderr.contains("cannot read")
                    || stderr.contains("Is a directory"),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[test]
fn values_that_used_to_crash_the_runtime_get_a_clear_error() {
    let dir = scratch("values");
    let (demo, _) = config(&dir, "demo.toml", &[]);
    let demo = demo.to_str().unwrap();
    let limit = Duration::from_secs(30);
    let out = run_for(&["run", demo, "--duration", "1e20"], limit);
    assert_clear_error(&out, &["--duration", "allowed range 0 to 31536000"]);

    /// (shipped config, edits, expected error texts)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case<'_>] = &[
        (
            "demo.toml",
            &[("queue = 64", "queue = 9223372036854775807")],
            &["publish.queue: 9223372036854775807 is above the allowed range 1 to 65536"],
        ),
        (
            "demo.toml",
            &[("calibration_s = 60.0", "calibration_s = 1e9")],
            &["decoder.calibration_s: 1000000000 is outside the allowed range"],
        ),
        (
            "demo.toml",
            &[("calibration_s = 60.0", "calibration_s = \"long\"")],
            &["decoder.calibration_s: invalid type: string \"long\""],
        ),
        (
            "demo.toml",
            &[("trial_s = 4.0", "trial_s = [1]")],
            &["source.paradigm.trial_s: invalid type"],
        ),
        (
            "demo.toml",
            &[("seed = 7", "seed = 7\nblock_size = 1000000000000")],
            &["source.block_size: 1000000000000 is outside the allowed range 1 to 65536"],
        ),
    ];
    for (shipped, edits, expected) in cases {
        let (path, _) = config(&dir, shipped, edits);
        for command in ["check", "run"] {
            let out = run_for(&[command, path.to_str().unwrap()], limit);
            assert_clear_error(&out, expected);
        }
    }

    // A profile with block_size = 1e12, as a float and as an integer.
    let profile = std::fs::read_to_string(dir.join("hardware-profiles/simulated.toml")).unwrap();
    for (value, expected) in [
        ("1e12", "block_size: invalid type: floating point"),
        (
            "1000000000000",
            "block_size: 1000000000000 is outside the allowed range 1 to 65536",
        ),
    ] {
        let line = profile
            .lines()
            .find(|l| l.starts_with("block_size"))
            .unwrap();
        let edited = profile.replace(line, &format!("block_size = {value}"));
        std::fs::write(dir.join("hardware-profiles/huge-block.toml"), edited).unwrap();
        let (path, _) = config(
            &dir,
            "demo.toml",
            &[(
                "hardware_profile = \"simulated\"",
                "hardware_profile = \"huge-block\"",
            )],
        );
        let out = run_for(&["check", path.to_str().unwrap()], limit);
        assert_clear_error(&out, &[expected]);
    }
}

#[test]
fn a_high_density_latency_config_is_refused_for_its_memory_before_allocating() {
    // The latency benchmark's session on 1024 channels at 30 kHz: 30 s of
    // calibration windows would be 37 GB.
    let dir = scratch("memory");
    let profile = std::fs::read_to_string(repo().join("hardware-profiles/lsl-bench-1024.toml"))
        .unwrap()
        .replace("name = \"lsl-bench-1024\"", "name = \"sim-1024\"")
        .replace("transport = \"lsl\"", "transport = \"sim\"")
        .replace("\"E1\", \"E2\", \"E3\",", "\"C3\", \"C4\", \"E3\",");
    std::fs::write(dir.join("hardware-profiles/sim-1024.toml"), profile).unwrap();
    let (path, port) = config(
        &dir,
        "latency-64ch.toml",
        &[(
            "hardware_profile = \"simulated-64\"",
            "hardware_profile = \"sim-1024\"",
        )],
    );
    for command in ["check", "run"] {
        let started = Instant::now();
        let out = run_for(&[command, path.to_str().unwrap()], Duration::from_secs(30));
        assert_clear_error(
            &out,
            &[
                "session.max_memory_mb: the session would preallocate",
                "calibration set",
                "above the limit of 4096 MB",
            ],
        );
        assert!(started.elapsed() < Duration::from_secs(20));
    }
    TcpListener::bind(("127.0.0.1", port)).expect("nothing was started");
}

#[test]
fn train_and_evaluate_refuse_unbounded_values_before_reading_anything() {
    let limit = Duration::from_secs(30);
    let base = [
        "--recording",
        "missing.edf",
        "--events",
        "T1=a,T2=b",
        "--tmin",
        "0",
    ];
    for hp in [
        r#"{"f1":1000000000}"#,
        r#"{"f1":1e9}"#,
        r#"{"kernel_length":-5}"#,
    ] {
        let mut args = vec!["train"];
        args.extend(base);
        args.extend([
            "--tmax",
            "1",
            "--architecture",
            "eegnet",
            "--out",
            "/nonexistent/bundle",
            "--hyperparameters",
            hp,
        ]);
        let out = run_for(&args, limit);
        assert_clear_error(&out, &["hyperparameters", "allowed range"]);
    }
    for command in ["train", "evaluate"] {
        let mut args = vec![command];
        args.extend(base);
        args.extend(["--tmax", "1e18", "--architecture", "eegnet"]);
        if command == "train" {
            args.extend(["--out", "/nonexistent/bundle"]);
        }
        let out = run_for(&args, limit);
        assert_clear_error(&out, &["--tmax", "allowed range -3600 to 3600"]);
    }
}
