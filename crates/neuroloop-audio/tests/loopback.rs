//! The loopback measurement on a real sound server: a private PulseAudio
//! daemon's null sink played to, its monitor captured (as a cable from an
//! output to an input would be).

#[path = "support/pulse.rs"]
mod pulse;

use neuroloop_audio::AudioError;
use neuroloop_audio::loopback::{LoopbackOptions, measure};

#[test]
fn every_click_comes_back_and_the_delay_follows_the_buffer() {
    let mut server = Some(pulse::Server::start());
    let address = server.as_ref().map(pulse::Server::address).unwrap();
    // SAFETY: the only test of this binary sets the variables before any
    // thread of its own or any audio library runs.
    unsafe {
        std::env::set_var("PULSE_SERVER", &address);
        std::env::set_var("PULSE_SOURCE", "nl_test.monitor");
    }
    // Each buffer size is measured twice, each time on a fresh server (a
    // server keeps the latency an earlier client asked for). A server that
    // starves once (a loaded machine) refills its buffer and keeps the
    // longer latency for seconds: every later click of that run is a few
    // milliseconds late, with no error reported. That only ever adds delay,
    // so the lower of a size's two medians is its undisturbed latency; both
    // tries of a size must be disturbed to upset the result.
    let sizes = [480u32, 1920];
    let mut medians = [f64::INFINITY; 2];
    let mut periods_ms = [0.0; 2];
    for attempt in 0..4 {
        let which = attempt % 2;
        if attempt > 0 {
            drop(server.take());
            server = Some(pulse::Server::start());
        }
        assert_eq!(
            server.as_ref().map(pulse::Server::address),
            Some(address.clone())
        );
        let report = measure(&LoopbackOptions {
            buffer_frames: Some(sizes[which]),
            ..LoopbackOptions::default()
        })
        .expect("the loopback runs");
        eprintln!(
            "buffer {} frames at {} Hz: {} of {} clicks, median {:.2} ms, spread (IQR) {:.2} ms, {} xruns, delays {:?}",
            report.buffer_frames,
            report.sample_rate,
            report.found,
            report.clicks,
            report.median_ms,
            report.spread_ms,
            report.xruns,
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
        medians[which] = medians[which].min(report.median_ms);
        periods_ms[which] = period_ms;
    }
    // A longer period delays every click: on this server (PulseAudio's null
    // sink through ALSA's pulse plugin) by two thirds of the difference in
    // period; a buffer size that were ignored would not move it, one that
    // counted twice would move it by more than the difference.
    let ([m1, m2], [p1, p2]) = (medians, periods_ms);
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
