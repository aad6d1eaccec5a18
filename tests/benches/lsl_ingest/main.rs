//! LSL ingest through the whole session: a numpy pylsl outlet
//! (`tools/lsl/bulk_outlet.py`, chunks paced by the wall clock, plus a cue
//! stream) → the `lsl` source → ring → filters → windows → band-power decoder
//! (calibrated from the cues) → policy → forwarder → a TCP protocol client.
//!
//! Per case it reports samples pushed by the peer (and the rate it achieved),
//! received by the pipeline, lost, gaps, intents at the client, and CPU % of
//! the source (inlet) thread, the pipeline thread, the other session threads,
//! liblsl's own threads and the peer process, from `/proc` over the push.
//!
//! ```text
//! cargo bench -p neuroloop-tests --bench lsl_ingest -- [64] [256] [1024] [1024-light]
//!     [--seconds S] [--chunk-ms MS] [--outlet-chunk N] [--exact]
//! ```
//!
//! `--exact` runs the source alone into a ring instead and checks every
//! value against the peer's counter pattern.

mod client;
mod cpu;
mod exact;
mod peer;

use std::time::{Duration, Instant};

use neuroloop_runtime::StartOptions;
use neuroloop_tests::repo_root;

use crate::cpu::Threads;
use crate::peer::Peer;

/// One benchmark row.
struct Case {
    label: &'static str,
    config: &'static str,
    channels: usize,
    rate: f64,
    chain: &'static str,
}

/// The full chain of the 64/256/1024 configs.
const FULL: &str = "notch 50 Hz + band-pass 8–30 Hz (4) + CAR";

const CASES: [Case; 4] = [
    Case {
        label: "64",
        config: "bench-lsl-64.toml",
        channels: 64,
        rate: 1000.0,
        chain: FULL,
    },
    Case {
        label: "256",
        config: "bench-lsl-256.toml",
        channels: 256,
        rate: 2000.0,
        chain: FULL,
    },
    Case {
        label: "1024",
        config: "bench-lsl-1024.toml",
        channels: 1024,
        rate: 30000.0,
        chain: FULL,
    },
    Case {
        label: "1024-light",
        config: "bench-lsl-1024-light.toml",
        channels: 1024,
        rate: 30000.0,
        chain: "high-pass 1 Hz (1)",
    },
];

/// Session thread names (cut to 15 bytes by the kernel) grouped for the report.
const GROUPS: [&str; 6] = [
    "neuroloop-sourc",
    "neuroloop-pipel",
    "neuroloop-forwa",
    "neuroloop-io",
    "neuroloop-train",
    "bench-",
];

struct Options {
    cases: Vec<&'static Case>,
    seconds: f64,
    chunk_ms: f64,
    outlet_chunk: usize,
    exact: bool,
}

fn options() -> Options {
    let mut o = Options {
        cases: Vec::new(),
        seconds: 15.0,
        chunk_ms: 10.0,
        outlet_chunk: 0,
        exact: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> f64 {
            let v = args
                .next()
                .unwrap_or_else(|| panic!("{name} needs a value"));
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: {v:?} is not a number"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--exact" => o.exact = true,
            "--seconds" => o.seconds = value("--seconds"),
            "--chunk-ms" => o.chunk_ms = value("--chunk-ms"),
            "--outlet-chunk" => o.outlet_chunk = value("--outlet-chunk") as usize,
            label => o.cases.push(
                CASES
                    .iter()
                    .find(|c| c.label == label)
                    .unwrap_or_else(|| panic!("unknown case {label:?}")),
            ),
        }
    }
    if o.cases.is_empty() {
        o.cases = CASES[..3].iter().collect();
    }
    o
}

fn main() {
    let o = options();
    if o.exact {
        println!("| stream | mode | pushed | received | wrong | gaps | ring | source |");
        println!("|---|---|---|---|---|---|---|---|");
        for case in &o.cases {
            exact::run(case, &o);
        }
        return;
    }
    println!(
        "| stream | chain | peer pushed (rate achieved, late p99/max) | received | lost | gaps | ring dropped \
         | lines at client (intent + hold, seq gaps) | inlet thread CPU | pipeline thread CPU | other session threads \
         | liblsl threads | peer CPU |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for case in &o.cases {
        run(case, &o);
    }
}

fn run(case: &Case, o: &Options) {
    let id = std::process::id();
    let (eeg, cues) = (
        format!("nl-bench-eeg-{}-{id}", case.label),
        format!("nl-bench-cues-{}-{id}", case.label),
    );
    let mut peer = Peer::start(&[
        "--name".into(),
        eeg.clone(),
        "--markers".into(),
        cues.clone(),
        "--channels".into(),
        case.channels.to_string(),
        "--rate".into(),
        case.rate.to_string(),
        "--seconds".into(),
        o.seconds.to_string(),
        "--chunk-ms".into(),
        o.chunk_ms.to_string(),
        "--outlet-chunk".into(),
        o.outlet_chunk.to_string(),
        "--wait-go".into(),
    ]);
    let path = repo_root().join("configs").join(case.config);
    let text = std::fs::read_to_string(&path).expect("bench config");
    let text = text
        .replace("\"neuroloop-bench-eeg\"", &format!("{eeg:?}"))
        .replace("\"neuroloop-bench-cues\"", &format!("{cues:?}"));
    let session = neuroloop_runtime::parse(&text, &path).expect("bench config valid");
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().expect("address")),
            wait_for_clients: 1,
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    let client = client::spawn(running.local_addr());
    let first = peer
        .line(Duration::from_secs(40))
        .expect("peer saw its consumers");
    assert_eq!(first, "consumer");
    let mut before = Threads::default();
    before.sample();
    let peer_before = cpu::process_cpu_s(peer.pid()).unwrap_or(0.0);
    let started = Instant::now();
    peer.go();
    let mut now = before.clone();
    let mut peer_after = peer_before;
    let done = loop {
        if let Some(line) = peer.line(Duration::from_millis(500)) {
            break line;
        }
        now.sample();
        peer_after = cpu::process_cpu_s(peer.pid()).unwrap_or(peer_after);
        assert!(
            started.elapsed() < Duration::from_secs_f64(o.seconds * 4.0 + 30.0),
            "peer hangs"
        );
    };
    now.sample();
    peer_after = cpu::process_cpu_s(peer.pid()).unwrap_or(peer_after);
    let wall = started.elapsed().as_secs_f64();
    let peer_report: serde_json::Value =
        serde_json::from_str(done.strip_prefix("done ").expect("done line")).expect("peer JSON");
    let pushed = peer_report["pushed"].as_u64().expect("pushed");
    // Let the pipeline drain what is still queued, then stop.
    let stats = running.stats();
    let drain = Instant::now();
    while stats.snapshot().samples < pushed && drain.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = running.finish().expect("session finishes");
    let got = client.join().expect("client thread");
    let spent = now.since(&before, &GROUPS);
    let pct = |g: &str| spent.get(g).copied().unwrap_or(0.0) / wall * 100.0;
    let session_other = pct("neuroloop-forwa") + pct("neuroloop-io") + pct("neuroloop-train");
    let p = &report.pipeline;
    println!(
        "| {} ch @ {} kHz, {:.0} s | {} | {} ({:.0} samples/s, late {:.1}/{:.1} ms) | {} | {} | {} ({} samples) | {} \
         | {} + {} ({} seq gaps) | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
        case.channels,
        case.rate / 1000.0,
        o.seconds,
        case.chain,
        pushed,
        peer_report["rate"].as_f64().unwrap_or(0.0),
        peer_report["late_p99_ms"].as_f64().unwrap_or(0.0),
        peer_report["late_max_ms"].as_f64().unwrap_or(0.0),
        p.samples,
        pushed.saturating_sub(p.samples),
        p.gaps,
        p.gap_samples,
        report.ring_dropped,
        got.intents,
        got.lines - got.intents,
        got.seq_gaps,
        pct("neuroloop-sourc"),
        pct("neuroloop-pipel"),
        session_other,
        pct("other"),
        (peer_after - peer_before) / wall * 100.0,
    );
    eprintln!(
        "{} ch: wall {wall:.2} s; source produced {}; windows {}, decoded {}; training {:?}; \
         decoded publish−arrival p50 {:.3} ms p99 {:.3} ms; peer {done}; cpu seconds {spent:?}",
        case.channels,
        report.samples_produced,
        p.windows,
        p.decoded,
        report
            .training
            .as_ref()
            .map(|t| (t.windows, t.error.clone())),
        report.latency.decoded_publish_minus_arrival.p50_ms,
        report.latency.decoded_publish_minus_arrival.p99_ms,
    );
}
