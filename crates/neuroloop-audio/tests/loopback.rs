//! The loopback measurement on a real sound server: a private PulseAudio
//! daemon's null sink played to, its monitor captured (as a cable from an
//! output to an input would be).

#[path = "support/pulse.rs"]
mod pulse;

use neuroloop_audio::AudioError;
use neuroloop_audio::loopback::{LoopbackOptions, measure};

#[test]
fn every_click_comes_back_and_the_delay_follows_the_buffer() {
    let server = pulse::Server::start();
    // SAFETY: the only test of this binary sets the variables before any
    // thread of its own or any audio library runs.
    unsafe {
        std::env::set_var("PULSE_SERVER", server.address());
        std::env::set_var("PULSE_SOURCE", "nl_test.monitor");
    }
    let mut results = Vec::new();
    for frames in [480u32, 1920] {
        let report = measure(&LoopbackOptions {
            buffer_frames: Some(frames),
            ..LoopbackOptions::default()
        })
        .expect("the loopback runs");
        eprintln!(
            "buffer {} frames at {} Hz: {} of {} clicks, median {:.2} ms, spread (IQR) {:.2} ms, delays {:?}",
            report.buffer_frames,
            report.sample_rate,
            report.found,
            report.clicks,
            report.median_ms,
            report.spread_ms,
            report.delays_ms
        );
        assert_eq!(report.found, report.clicks, "every click came back");
        let period_ms = f64::from(report.buffer_frames) / f64::from(report.sample_rate) * 1e3;
        assert!(report.median_ms > 0.0);
        assert!(
            report.spread_ms < period_ms,
            "spread {} ms is not below one period ({period_ms} ms)",
            report.spread_ms
        );
        results.push((period_ms, report.median_ms));
    }
    // A longer period delays every click: on this server (PulseAudio's null
    // sink through ALSA's pulse plugin) by two thirds of the difference in
    // period; a buffer size that were ignored would not move it, one that
    // counted twice would move it by more than the difference.
    let ((p1, m1), (p2, m2)) = (results[0], results[1]);
    let moved = (m2 - m1) / (p2 - p1);
    assert!(
        (0.5..=1.0).contains(&moved),
        "the median moved by {moved:.3} of the period difference ({m1:.2} → {m2:.2} ms)"
    );
    // A device that is not there is named, with those that are.
    let missing = measure(&LoopbackOptions {
        output: Some("no such sound card".into()),
        ..LoopbackOptions::default()
    });
    match missing {
        Err(e @ AudioError::NoDevice { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("no such sound card") && text.contains("available:"),
                "{text}"
            );
            assert!(!e.is_retryable());
        }
        other => panic!("expected NoDevice, got {other:?}"),
    }
}
