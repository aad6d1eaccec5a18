//! `neuroloop bench loopback` on a private PulseAudio daemon (null sink
//! played to, its monitor captured): every click found, the result in
//! JSON; a device that is not there is named with those that are; bad
//! flag values are refused.

mod common;
#[path = "../../neuroloop-audio/tests/support/pulse.rs"]
mod pulse;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, assert_clear_error, run_for, wait_output};

fn loopback(server: &pulse::Server, args: &[&str]) -> std::process::Output {
    let child = Command::new(BIN)
        .args(["bench", "loopback"])
        .args(args)
        .env("PULSE_SERVER", server.address())
        .env("PULSE_SOURCE", "nl_test.monitor")
        .env("NEUROLOOP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_output(child, Duration::from_secs(120), "bench loopback")
}

#[test]
fn bench_loopback_finds_every_click_and_names_a_missing_device() {
    let server = pulse::Server::start();
    let json = server.dir.join("loopback.json");
    let out = loopback(
        &server,
        &[
            "--clicks",
            "12",
            "--interval",
            "0.1",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("12 of 12 clicks found"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["found"], 12);
    assert!(v["xruns"].is_u64(), "{v}");
    assert_eq!(v["delays_ms"].as_array().unwrap().len(), 12);
    let median = v["median_ms"].as_f64().unwrap();
    // Positive, and below the interval (each click is paired within it).
    assert!(median > 0.0 && median < 100.0, "{v}");

    let out = loopback(
        &server,
        &["--output", "no such sound card", "--clicks", "1"],
    );
    assert_clear_error(
        &out,
        &[
            "no audio output device \"no such sound card\"",
            "available:",
        ],
    );
    for bad in [
        ["--clicks", "0"],
        ["--interval", "0.01"],
        ["--buffer-frames", "8"],
    ] {
        let out = run_for(
            &["bench", "loopback", bad[0], bad[1]],
            Duration::from_secs(30),
        );
        assert_clear_error(&out, &[bad[0]]);
    }
}
