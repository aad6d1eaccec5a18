//! Live calibration of every kind of decoder: the demo session (simulated
//! headset, run as fast as the pipeline goes) calibrates a `tangent_space`
//! decoder and decodes at least as well as its bandpower decoder; a
//! calibration that lacks a class is reported, extended and fitted again,
//! and the session decodes afterwards.

use neuroloop_runtime::{SessionReport, StartOptions};
use neuroloop_tests::{edit, shipped_config};

/// The demo session with `decoder` as its `[decoder] type` line(s), 240 s
/// of signal as fast as the pipeline goes.
fn run_demo(decoder: &str, calibration_s: &str) -> SessionReport {
    run_demo_for(240.0, decoder, calibration_s)
}

/// As [`run_demo`], with `duration_s` seconds of signal.
fn run_demo_for(duration_s: f64, decoder: &str, calibration_s: &str) -> SessionReport {
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        "realtime = true",
        &format!("realtime = false\nduration_s = {duration_s:?}"),
    );
    let text = edit(
        &text,
        "type = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]",
        decoder,
    );
    // The demo's bandpower regularisation goes with the replaced decoder.
    let text = edit(&text, "hyperparameters = { c = 0.01 }\n", "");
    let text = edit(&text, "calibration_s = 60.0", calibration_s);
    let session = neuroloop_runtime::parse(&text, &path).expect("config is valid");
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    while !running.source_finished() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    running.finish().expect("session finishes cleanly")
}

#[test]
fn a_tangent_space_decoder_calibrated_live_decodes_at_least_as_well_as_bandpower() {
    let bandpower = run_demo(
        "type = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]\nhyperparameters = { c = 0.01 }",
        "calibration_s = 60.0",
    );
    let tangent = run_demo("type = \"tangent_space\"", "calibration_s = 60.0");
    let training = tangent.training.as_ref().expect("a decoder was trained");
    assert_eq!(training.error, None);
    assert_eq!(training.attempts, 1);
    let bp = bandpower.online_accuracy.expect("bandpower scored windows");
    let ts = tangent
        .online_accuracy
        .expect("tangent space scored windows");
    eprintln!("online accuracy: bandpower {bp:.3}, tangent_space {ts:.3}");
    assert!(ts >= bp, "tangent space {ts:.3} below bandpower {bp:.3}");
    assert!(ts >= 0.8, "tangent space online accuracy {ts:.3}");
}

#[test]
fn a_calibration_without_one_class_is_reported_and_retried_and_decoding_follows() {
    // The first 5 s hold one cued trial only: the first fit finds a class
    // without windows and the slot calibrates for another 5 s.
    let report = run_demo("type = \"tangent_space\"", "calibration_s = 5.0");
    let training = report.training.as_ref().expect("training ran");
    assert!(
        training.attempts >= 2,
        "the first calibration cannot have had both classes: {training:?}"
    );
    assert_eq!(training.error, None, "the retry succeeded: {training:?}");
    let reason = training.last_failure.as_deref().unwrap_or_default();
    assert!(
        reason.contains("class"),
        "the failure names its reason: {reason:?}"
    );
    assert!(
        report.online_accuracy.is_some(),
        "windows were decoded after the retry"
    );
}

#[test]
fn a_calibration_that_never_succeeds_is_reported_and_the_session_holds_to_its_end() {
    // 8 s of signal: the first 5 s hold one cued trial (a class without
    // windows), and the session ends before the extended calibration does.
    let report = run_demo_for(8.0, "type = \"tangent_space\"", "calibration_s = 5.0");
    let training = report.training.as_ref().expect("training ran");
    assert_eq!(training.attempts, 1, "{training:?}");
    let error = training.error.as_deref().unwrap_or_default();
    assert!(error.contains("class"), "the report says why: {training:?}");
    let p = &report.pipeline;
    assert!(p.windows > 50, "{p:?}");
    assert_eq!(p.decoded, 0, "no decoder ever came: {p:?}");
    assert!(
        p.calibration_windows > 0,
        "cued windows were collected: {p:?}"
    );
    assert_eq!(
        p.intents, p.windows,
        "every window was a hold, published: {p:?}"
    );
    assert_eq!(report.online_accuracy, None);
}
