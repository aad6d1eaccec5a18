//! Actuator protocol benchmark: publish → receive latency over loopback TCP
//! with 1, 10 and 100 subscribers at 1000 intents/s, and the sustained
//! rate with 10 subscribers when intents come as fast as the forwarder
//! goes. Uses the real forwarder and server; subscribers are real
//! `neuroloop_protocol::Client`s on their own threads, and latency is
//! measured on the shared process clock (receive time − `t.publish`).
//!
//! `cargo run --release -p neuroloop-runtime --example protocol_bench`

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use neuroloop_core::{HoldReason, Intent, IntentKind, IntentTimes, MAX_CLASSES, clock};
use neuroloop_protocol::{Client, ClientOptions, ProtocolError, Role, ServerMessage};
use neuroloop_runtime::config::PublishSection;
use neuroloop_runtime::server::{ProtocolServer, Taps, forward};

struct Outcome {
    latency_us: Histogram<u64>,
    received: u64,
    lagged: u64,
    elapsed: Duration,
    sent: u64,
}

fn intent(window: u64) -> Intent {
    let mut probabilities = [0.0; MAX_CLASSES];
    probabilities[..2].copy_from_slice(&[0.9, 0.1]);
    let now = clock::now();
    Intent {
        window,
        kind: IntentKind::Class,
        hold_reason: HoldReason::None,
        class: 0,
        confidence: 0.9,
        probabilities,
        n_classes: 2,
        times: IntentTimes {
            publish: 0.0,
            ..IntentTimes::all_at(now)
        },
    }
}

/// Publishes `count` intents at `rate` per second (0: as fast as possible)
/// to `subscribers` clients.
fn run(subscribers: usize, count: u64, rate: f64, queue: usize) -> Outcome {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let publish = PublishSection {
        queue,
        max_connections: subscribers + 8,
        ..PublishSection::default()
    };
    let classes = vec!["left".to_string(), "right".to_string()];
    let server = ProtocolServer::start(
        &runtime,
        &publish,
        "bench",
        &classes,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let addr = server.local_addr();
    let (stats, hub) = (server.stats(), server.hub());
    let lines = server.into_lines();
    let (tx, rx) = crossbeam_channel::bounded(4096);
    let forwarder = std::thread::spawn(move || forward(rx, lines, classes, hub, Taps::default()));

    let clients: Vec<_> = (0..subscribers)
        .map(|_| {
            let mut c = Client::connect_with(
                addr,
                &ClientOptions {
                    role: Some(Role::Actuator),
                    ..ClientOptions::default()
                },
            )
            .unwrap();
            std::thread::spawn(move || {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
                let mut received = 0;
                c.set_timeout(Some(Duration::from_secs(10))).unwrap();
                loop {
                    match c.next_message() {
                        Ok(ServerMessage::Intent(i) | ServerMessage::Hold(i)) => {
                            h.saturating_record(((clock::now() - i.t.publish) * 1e6) as u64);
                            received += 1;
                        }
                        Ok(ServerMessage::Bye { .. }) | Err(ProtocolError::Closed) => break,
                        Ok(_) | Err(ProtocolError::Deadman { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                (h, received)
            })
        })
        .collect();
    while stats.active.load(Ordering::Relaxed) < subscribers as u64 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let start = Instant::now();
    for k in 0..count {
        if rate > 0.0 {
            let due = start + Duration::from_secs_f64(k as f64 / rate);
            // Sleep, not spin: the machine's cores are shared with the
            // server and the subscriber threads.
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
        tx.send(intent(k)).unwrap();
    }
    drop(tx);
    let _ = forwarder.join();
    let elapsed = start.elapsed();
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut received = 0;
    for c in clients {
        let (h, r) = c.join().unwrap();
        latency_us.add(&h).unwrap();
        received += r;
    }
    runtime.shutdown_timeout(Duration::from_millis(200));
    Outcome {
        latency_us,
        received,
        lagged: stats.lagged_lines.load(Ordering::Relaxed),
        elapsed,
        sent: count,
    }
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1e3
}

fn main() {
    println!(
        "| subscribers | rate (intents/s) | intents | received (all clients) | lagged | p50 ms | p99 ms | p99.9 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (subscribers, rate) in [(1, 1000.0), (10, 1000.0), (100, 1000.0), (100, 100.0)] {
        let o = run(subscribers, (5.0 * rate) as u64, rate, 64);
        println!(
            "| {subscribers} | {rate} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            o.sent,
            o.received,
            o.lagged,
            ms(&o.latency_us, 0.5),
            ms(&o.latency_us, 0.99),
            ms(&o.latency_us, 0.999),
            o.latency_us.max() as f64 / 1e3
        );
    }
    println!();
    println!(
        "| subscribers | intents sent as fast as possible | forwarder rate (intents/s) | delivered per client (mean) | lagged lines | p50 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    for subscribers in [1, 10] {
        let o = run(subscribers, 200_000, 0.0, 64);
        println!(
            "| {subscribers} | {} | {:.0} | {:.0} | {} | {:.3} | {:.3} |",
            o.sent,
            o.sent as f64 / o.elapsed.as_secs_f64(),
            o.received as f64 / subscribers as f64,
            o.lagged,
            ms(&o.latency_us, 0.5),
            ms(&o.latency_us, 0.99),
        );
    }
}
