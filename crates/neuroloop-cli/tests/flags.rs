//! Every numeric flag takes any value: edge and seeded random values give a
//! clear error or a run, never a panic.

mod common;

use common::*;
use std::time::Duration;

/// Edge values for numeric flags.
const FLAG_EDGES: &[&str] = &[
    "0",
    "-1",
    "0.5",
    "-0.0",
    "1e20",
    "1e-300",
    "NaN",
    "inf",
    "9223372036854775807",
    "18446744073709551616",
    "3",
    "abc",
    "",
];

/// Seeded random numbers of every magnitude and sign, as flag text.
fn random_values(seed: u64, n: usize) -> Vec<String> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let bits = next();
            let magnitude = 10f64.powi((bits % 30) as i32 - 8);
            let v = (next() % 10_000) as f64 / 10_000.0 * magnitude;
            let v = if bits & 1 == 0 { v } else { -v };
            if bits & 2 == 0 {
                format!("{}", v.round() as i64)
            } else {
                format!("{v}")
            }
        })
        .collect()
}

#[test]
fn every_numeric_flag_takes_any_value_without_panicking() {
    let recording = [
        "--recording",
        "missing-recording.edf",
        "--events",
        "T1=a,T2=b",
    ];
    // (command line before the flag, the flag, whether random values are
    // safe to try: a valid random `list --wait` could wait minutes)
    let mut lines: Vec<(Vec<&str>, &str, bool)> = vec![
        (vec!["run", "missing-config.toml"], "--duration", true),
        (vec!["list"], "--wait", false),
        (vec!["listen", "127.0.0.1:1"], "--count", true),
    ];
    let offline = [
        "--tmin",
        "--tmax",
        "--seed",
        "--max-epochs",
        "--batch-size",
        "--learning-rate",
        "--patience",
    ];
    for flag in offline.iter().chain(&["--folds"]) {
        let mut line = vec!["evaluate"];
        line.extend(recording);
        line.extend(["--architecture", "bandpower"]);
        for (f, v) in [("--tmin", "0"), ("--tmax", "1")] {
            if f != *flag {
                line.extend([f, v]);
            }
        }
        lines.push((line, flag, true));
    }
    for flag in offline
        .iter()
        .chain(&["--weight-decay", "--validation-fraction"])
    {
        let mut line = vec!["train"];
        line.extend(recording);
        line.extend(["--architecture", "bandpower", "--out", "/nonexistent/b"]);
        for (f, v) in [("--tmin", "0"), ("--tmax", "1")] {
            if f != *flag {
                line.extend([f, v]);
            }
        }
        lines.push((line, flag, true));
    }
    let mut failures = Vec::new();
    let mut outcomes = [0usize; 3];
    for (i, (line, flag, random)) in lines.iter().enumerate() {
        let mut values: Vec<String> = FLAG_EDGES.iter().map(|s| (*s).to_string()).collect();
        if *random {
            values.extend(random_values(0x5EED + i as u64, 6));
        }
        for value in values {
            let mut args = line.clone();
            let assignment = format!("{flag}={value}");
            args.push(&assignment);
            let out = run_for(&args, Duration::from_secs(60));
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(code @ 0..=2) if !stderr.contains("panicked") => {
                    outcomes[code as usize] += 1;
                    if code != 0 && stderr.trim().is_empty() {
                        failures.push(format!("{args:?}: failed without a message"));
                    }
                }
                other => failures.push(format!("{args:?}: status {other:?}\n{stderr}")),
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Values reach both the flag check (exit 2) and past it (exit 1: the
    // missing file or server).
    assert!(outcomes[1] > 20 && outcomes[2] > 50, "{outcomes:?}");
}
