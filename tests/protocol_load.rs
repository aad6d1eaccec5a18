//! The protocol server under load, with real sessions and TCP clients: a
//! client that never reads delays no one and is disconnected, or, while it
//! stays connected, is held at its queue; and hundreds of connections come
//! and go without leaking.

#[path = "protocol_common.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use neuroloop_core::clock;
use neuroloop_protocol::{ProtocolError, Role, ServerMessage};

#[test]
fn a_client_that_never_reads_does_not_delay_the_others() {
    let _turn = alone();
    // The fast session publishes ~300 lines/s; a queue of 1024 gives the
    // reading client 3 s of slack for a descheduled moment on a loaded
    // machine, while the client that never reads still fills its socket
    // and is disconnected after the stall timeout.
    // Intents may wait in the fast session's ring for longer than the
    // default maximum age; this test counts every one of them.
    let running = session(
        true,
        "queue = 1024\nstall_timeout_ms = 1000\nheartbeat_ms = 100\n\
         intent_max_age_ms = 10000\nmax_lag_ms = 3000",
        "127.0.0.1:0",
        2,
    );
    // Connects, asks for the actuator role, then never reads again.
    let mut stalled = TcpStream::connect(local(&running)).unwrap();
    stalled
        .write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\"}\n")
        .unwrap();
    let mut reader = connect(&running, Some(Role::Observer), None);
    reader.set_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut delays_us = Vec::new();
    let mut seqs = Vec::new();
    loop {
        match reader.next_message() {
            Ok(ServerMessage::Intent(i) | ServerMessage::Hold(i)) => {
                delays_us.push(((clock::now() - i.t.publish) * 1e6) as u64);
                seqs.push(i.seq);
            }
            Ok(ServerMessage::Bye { .. }) | Err(ProtocolError::Closed) => break,
            Ok(ServerMessage::Error { code, .. }) => panic!("the reading client got {code:?}"),
            Ok(_) => {}
            // Its heartbeats queue behind a fast session's intents; delays
            // are judged below.
            Err(ProtocolError::Deadman { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    let hub = running.hub();
    let report = running.finish().unwrap();
    delays_us.sort_unstable();
    let pct = |p: f64| delays_us[((delays_us.len() - 1) as f64 * p) as usize] as f64 / 1e3;
    eprintln!(
        "reading client: {} lines, publish→receive p50 {:.3} ms p99 {:.3} ms max {:.3} ms; \
         stalled client: {} lines dropped, disconnected {}",
        delays_us.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        report.lagged_lines,
        hub.stalled.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert_eq!(
        seqs.len() as u64,
        report.pipeline.intents,
        "the reader lost nothing"
    );
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    assert!(
        report.lagged_lines > 0 || report.protocol.stalled_clients > 0,
        "the stalled client fell behind: {report:?}"
    );
    assert_eq!(report.protocol.stalled_clients, 1, "and was disconnected");
    // Had the stalled client held up the others, they would have waited
    // up to its stall timeout (1 s): no line took that long. (The delay's
    // percentiles are a benchmark's business: docs/benchmarks.md.)
    assert!(pct(1.0) < 900.0, "max {:.3} ms", pct(1.0));
    // The stalled socket is closed by the server.
    stalled
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Whatever it still reads ends at a line boundary, or in a reset: never
    // half a line followed by an orderly end.
    let mut sink = Vec::new();
    let end = stalled.read_to_end(&mut sink);
    eprintln!(
        "stalled client: {} bytes left to read, then {end:?}",
        sink.len()
    );
    match end {
        Ok(_) => assert!(
            sink.is_empty() || sink.ends_with(b"\n"),
            "cut line before EOF: …{:?}",
            String::from_utf8_lossy(&sink[sink.len().saturating_sub(80)..])
        ),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

/// A client that never reads and is not disconnected for it (its stall
/// timeout outlasts the session) costs the server at most its queue: once
/// the small kernel buffers are full, every further line is dropped for it
/// rather than kept. Counted from what it finally reads and the server's
/// drop counter; a queue without bound would drop nothing and deliver all.
#[test]
fn a_client_that_never_reads_is_held_at_its_queue() {
    let _turn = alongside_others();
    let running = session(
        true,
        "queue = 64\nstall_timeout_ms = 60000\nheartbeat_ms = 100\n\
         intent_max_age_ms = 10000\nmax_lag_ms = 60000",
        "127.0.0.1:0",
        1,
    );
    let mut stalled = TcpStream::connect(local(&running)).unwrap();
    stalled
        .write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"observer\"}\n")
        .unwrap();
    while !running.source_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Only now does it read: what the queue and the kernel still hold.
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let reading = std::thread::spawn(move || {
        let mut lines = 0_u64;
        for line in BufReader::new(stalled).lines() {
            let Ok(line) = line else { break };
            let message: ServerMessage = serde_json::from_str(&line).unwrap();
            lines += u64::from(matches!(
                message,
                ServerMessage::Intent(_) | ServerMessage::Hold(_)
            ));
            if matches!(message, ServerMessage::Bye { .. }) {
                break;
            }
        }
        lines
    });
    let report = running.finish().unwrap();
    let received = reading.join().unwrap();
    let published = report.pipeline.intents;
    let dropped = report.lagged_lines;
    eprintln!("published {published}, received {received}, dropped {dropped}");
    assert!(published >= 2000, "a 240 s session: {published}");
    // Every line was sent to it or dropped for it, but those published
    // before its hello was admitted (at most the first few windows).
    assert!(
        received + dropped <= published && received + dropped + 5 >= published,
        "sent {received} + dropped {dropped} vs {published} published"
    );
    // Measured: 630 of 2391 reached it, the 64 of its queue and what the
    // kernel buffers took; a queue without bound would have kept all 2391.
    assert!(
        received <= published / 2,
        "the server held {received} of {published} lines for a client that never read"
    );
}

#[test]
fn hundreds_of_connects_and_disconnects_leak_nothing() {
    let _turn = alongside_others();
    let running = session(
        false,
        "max_connections = 16\nheartbeat_ms = 20",
        "127.0.0.1:0",
        0,
    );
    let mut keep = connect(&running, Some(Role::Observer), None);
    // Admitted and served: its connection task has sent a heartbeat.
    assert!(
        until(&mut keep, Duration::from_secs(10), |m| matches!(
            m,
            ServerMessage::Heartbeat { .. }
        ))
        .is_some(),
        "the kept client gets heartbeats"
    );
    let tasks_before = running.io_tasks();
    assert_eq!(running.open_connections(), 1);
    for i in 0..300 {
        let mut s = TcpStream::connect(local(&running)).unwrap();
        match i % 4 {
            0 => {}
            1 => {
                let _ =
                    s.write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\"}\n");
            }
            2 => {
                let _ = s.write_all(b"garbage\n{\"type\":\"estop\"}\n");
            }
            _ => {
                let mut line = String::new();
                let _ = BufReader::new(&s).read_line(&mut line);
                assert!(line.contains("\"hello\""), "{line}");
            }
        }
    }
    // A burst above max_connections: the extra ones are refused with a code.
    let burst: Vec<TcpStream> = (0..20)
        .map(|_| TcpStream::connect(local(&running)).unwrap())
        .collect();
    let mut refused = 0;
    for s in burst {
        s.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut text = String::new();
        let mut r = BufReader::new(s);
        for _ in 0..2 {
            let _ = r.read_line(&mut text);
        }
        if text.contains("too_many_connections") {
            refused += 1;
        }
    }
    assert!(refused >= 4, "{refused} refused");
    let deadline = Instant::now() + Duration::from_secs(5);
    while (running.open_connections() > 1 || running.io_tasks() > tasks_before)
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        running.open_connections(),
        1,
        "only the kept client is open"
    );
    assert_eq!(running.io_tasks(), tasks_before, "no task left behind");
    assert!(
        until(&mut keep, Duration::from_secs(1), |m| matches!(
            m,
            ServerMessage::Heartbeat { .. }
        ))
        .is_some(),
        "the kept client is still served"
    );
    drop(keep);
    let report = running.finish().unwrap();
    assert!(report.connections >= 300, "{}", report.connections);
    assert_eq!(
        report.protocol.estops, 0,
        "observers cannot stop the session"
    );
}
