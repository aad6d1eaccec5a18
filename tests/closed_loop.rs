//! The whole loop in one process: simulated headset → ring → DSP → burn
//! decoder → TCP, with a real TCP client receiving the intents.

use std::time::Duration;

use neuroloop_core::{IntentKind, Marker};
use neuroloop_protocol::{Client, ErrorCode, ServerMessage};
use neuroloop_runtime::StartOptions;
use neuroloop_sources::sim::{SimConfig, SimGenerator};
use neuroloop_tests::{edit, shipped_config};

/// The demo session, run as fast as the pipeline goes, for 240 s of signal.
fn fast_demo() -> (neuroloop_runtime::ValidatedSession, SimConfig) {
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        "realtime = true",
        "realtime = false\nduration_s = 240.0",
    );
    // The client must see enough class intents to judge them: a queue for
    // every line of the session, lag bounds and intent age at their maxima,
    // so that on a loaded machine a reader slower than this session (which
    // runs faster than real time) loses none and finds none expired (lag
    // and expiry: protocol_load.rs, protocol_safety.rs).
    let text = edit(
        &text,
        "queue = 64",
        "queue = 8192\nmax_lag_ms = 60000\nstall_timeout_ms = 600000\nintent_max_age_ms = 10000",
    );
    let session = neuroloop_runtime::parse(&text, &path).expect("demo config is valid");
    let Some(sim) = session
        .source
        .downcast_ref::<neuroloop_sources::sim::SimConfig>()
        .cloned()
    else {
        panic!("the demo config uses the simulated headset");
    };
    (session, sim)
}

/// True class of each window index, by the same rule the pipeline uses:
/// the latest cue before the window's newest sample is a class onset at
/// least `delay` samples before its oldest sample.
fn true_labels(
    sim: &SimConfig,
    labels: &[&str],
    total: u64,
    window: u64,
    hop: u64,
    delay: u64,
) -> Vec<Option<usize>> {
    let mut g = SimGenerator::new(labels, 250.0, sim.line_hz, &sim.paradigm, sim.seed);
    let mut events = Vec::new();
    let mut buffer = vec![0f32; labels.len() * 1000];
    while g.position() < total {
        g.fill(&mut buffer, |index, code| events.push((index, code)));
    }
    (0..)
        .map(|k| (k * hop, k * hop + window - 1))
        .take_while(|&(_, newest)| newest < total)
        .map(|(oldest, newest)| {
            let &(at, code) = events.iter().rev().find(|(i, _)| *i <= newest)?;
            (code != Marker::REST && at + delay <= oldest).then_some(code as usize)
        })
        .collect()
}

/// The report's per-stage latencies cover every decided window, their
/// means add up to the end-to-end mean within the histograms' resolution,
/// and the one client's socket got `lines_received` lines written.
fn check_stages(report: &neuroloop_runtime::SessionReport, lines_received: u64) {
    let l = &report.latency;
    let e2e = &l.decoded_publish_minus_arrival;
    assert!(e2e.count > 0, "{l:?}");
    let mut sum = 0.0;
    for (name, s) in l.stages.named() {
        assert_eq!(
            s.count, e2e.count,
            "stage {name} covers every decided window"
        );
        assert!(s.mean_ms >= 0.0 && s.max_ms >= s.p50_ms, "{name}: {s:?}");
        sum += s.mean_ms;
    }
    let resolution_ms = 6.0 * 0.5e-3 + 1e-3 * e2e.mean_ms;
    assert!(
        (sum - e2e.mean_ms).abs() <= resolution_ms,
        "stage means add up to {sum} ms, end to end {} ms: {:?}",
        e2e.mean_ms,
        l.stages
    );
    assert!(
        l.stages.decode.mean_ms > 0.0,
        "the decoder takes time: {:?}",
        l.stages
    );
    assert_eq!(
        l.socket_write.count, lines_received,
        "one socket write per intent line the client received"
    );
    assert_eq!(
        l.transport.delay.count + l.transport.out_of_range,
        e2e.count,
        "every decided window has a transport delay or is counted out of range"
    );
    assert!(
        report.summary().contains("stages (mean)"),
        "{}",
        report.summary()
    );
}

#[test]
fn intents_reach_a_tcp_client_in_order_and_mostly_correct() {
    let (session, sim) = fast_demo();
    let labels: Vec<String> = session
        .pipeline
        .input
        .labels()
        .map(str::to_string)
        .collect();
    let (window, hop) = (
        session.pipeline.windows.window_samples as u64,
        session.pipeline.windows.hop_samples as u64,
    );
    let delay = (session.decoder.label_delay_s * 250.0).round() as u64;
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            wait_for_clients: 1,
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    let mut client =
        Client::connect(running.local_addr(), Duration::from_secs(10)).expect("client connects");
    assert_eq!(client.hello().classes, ["left", "right"]);
    assert_eq!(client.hello().session, "demo");

    let mut intents = Vec::new();
    // A session faster than real time can outrun a client on a loaded
    // machine: the lines it loses are announced (`lagged`), never silent.
    let mut told_dropped = 0;
    loop {
        match client
            .next_message()
            .expect("server keeps talking until bye")
        {
            ServerMessage::Intent(i) | ServerMessage::Hold(i) => intents.push(i),
            ServerMessage::Bye { .. } => break,
            ServerMessage::Heartbeat { .. } | ServerMessage::Status { .. } => {}
            ServerMessage::Error {
                code: ErrorCode::Lagged,
                dropped,
                ..
            } => told_dropped += dropped.expect("a lagged notice says how many"),
            other => panic!("unexpected {other:?}"),
        }
    }
    let report = running.finish().expect("session finishes cleanly");
    assert_eq!(
        told_dropped, report.lagged_lines,
        "the client was told of every line it lost"
    );

    assert!(
        intents.windows(2).all(|w| w[1].seq > w[0].seq),
        "sequence numbers increase"
    );
    assert!(
        intents[0].seq == 1 || intents[0].seq - 1 <= told_dropped,
        "the client was there from the first intent (seq {}; {told_dropped} lost and told)",
        intents[0].seq
    );
    assert_eq!(
        intents.len() as u64 + report.lagged_lines + report.protocol.stale_intents_dropped,
        report.pipeline.intents,
        "every intent was either received or counted as dropped for this client"
    );
    assert_eq!(report.pipeline.gaps, 0);
    assert_eq!(report.samples_produced, 60_000);
    check_stages(&report, intents.len() as u64);
    for i in &intents {
        let t = &i.t;
        // Sample times of a session faster than real time run ahead of the
        // clock, so only the stages after arrival are ordered here.
        assert!(
            t.arrival <= t.decode_start
                && t.decode_start <= t.decode_end
                && t.decode_end <= t.publish,
            "timestamps ordered: {t:?}"
        );
    }

    let names: Vec<&str> = labels.iter().map(String::as_str).collect();
    let truth = true_labels(&sim, &names, 60_000, window, hop, delay);
    let scored: Vec<bool> = intents
        .iter()
        .filter(|i| i.kind == IntentKind::Class)
        .filter_map(|i| {
            truth
                .get(i.window as usize)
                .copied()
                .flatten()
                .map(|t| usize::from(i.class_index) == t)
        })
        .collect();
    let correct = scored.iter().filter(|&&c| c).count() as f64 / scored.len() as f64;
    eprintln!(
        "{} class intents on labelled windows, {:.1} % correct; pipeline online accuracy {:?}",
        scored.len(),
        correct * 100.0,
        report.online_accuracy
    );
    assert!(
        scored.len() > 300,
        "enough class intents to judge: {}",
        scored.len()
    );
    assert!(
        correct >= 0.85,
        "class intents mostly correct: {correct:.3}"
    );
    assert!(report.online_accuracy.unwrap() >= 0.85, "{report:?}");
}

#[test]
fn the_ssvep_session_learns_three_flicker_frequencies() {
    let (text, path) = shipped_config("ssvep-sim.toml");
    let text = edit(
        &text,
        "seed = 3",
        "seed = 3\nrealtime = false\nduration_s = 240.0",
    );
    let session = neuroloop_runtime::parse(&text, &path).expect("ssvep-sim config is valid");
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    while !running.source_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = running.finish().expect("session finishes cleanly");
    let training = report.training.as_ref().expect("calibration ran");
    assert!(training.error.is_none(), "{training:?}");
    assert!(report.pipeline.labelled > 150, "{:?}", report.pipeline);
    let accuracy = report.online_accuracy.unwrap();
    assert!(
        accuracy >= 0.8,
        "3-class SSVEP online accuracy {accuracy:.3}"
    );
}
