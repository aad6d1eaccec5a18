//! The protocol's safety limits against real sessions and raw TCP clients:
//! a slow reader is told `lagged` within the time bound whatever the
//! buffers, intents carry their expiry and expired ones are dropped and
//! counted, a hello with unknown members is refused, and with a token any
//! first line but a valid hello is answered `unauthorized` and closed at
//! once (docs/protocol.md, sections 3, 4 and 8).

#[path = "protocol_common.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use neuroloop_core::clock;
use neuroloop_runtime::{RunningSession, StartOptions};
use neuroloop_tests::{edit, shipped_config};
use serde_json::Value;

const TOKEN: &str = "a-test-token-of-32-characters-00";

/// The demo session (real time unless `fast`) with `publish` lines added.
fn session(fast: bool, publish: &str) -> RunningSession {
    let (mut text, path) = shipped_config("demo.toml");
    if fast {
        text = edit(
            &text,
            "realtime = true",
            "realtime = false\nduration_s = 240.0",
        );
    }
    text = edit(
        &text,
        "tcp = \"127.0.0.1:7878\"\n",
        &format!("tcp = \"127.0.0.1:0\"\n{publish}\n"),
    );
    let cfg = neuroloop_runtime::parse(&text, &path).expect("test config is valid");
    neuroloop_runtime::start(cfg, StartOptions::default()).expect("session starts")
}

fn local(running: &RunningSession) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], running.local_addr().port()))
}

/// A raw TCP actuator on `running`: its hello sent, the write half, and
/// the read half with reads timing out after `timeout`.
fn actuator(running: &RunningSession, timeout: Duration) -> (TcpStream, TcpStream) {
    let stream = TcpStream::connect(local(running)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    writer
        .write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\"}\n")
        .unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    (writer, stream)
}

/// Every line until the server closes; panics after `timeout`.
fn lines_until_closed(stream: TcpStream, timeout: Duration) -> Vec<String> {
    stream.set_read_timeout(Some(timeout)).unwrap();
    BufReader::new(stream)
        .lines()
        .map(|l| l.expect("the server closes in time"))
        .collect()
}

#[test]
fn a_slow_reader_with_default_buffers_is_told_it_lags_within_the_bound() {
    // It bounds a time (the behaviour under test): alone.
    let _turn = common::alone();
    // Real time: 10 intents and 4 heartbeats a second. The reader, an
    // actuator that acks every intent and hold it reads (docs/protocol.md,
    // 4.6), takes one line every 100 ms; its kernel buffers are the defaults.
    let running = session(false, "");
    let (mut writer, stream) = actuator(&running, Duration::from_secs(5));
    let mut reader = BufReader::with_capacity(256, stream);
    let hello: Value = serde_json::from_str(&read_line(&mut reader)).unwrap();
    let bound_s = hello["limits"]["max_lag_ms"].as_f64().unwrap() / 1e3;
    assert_eq!(bound_s, 1.0, "the default bound");
    let start = Instant::now();
    let mut worst_age: f64 = 0.0;
    let mut lagged = Vec::new();
    while lagged.len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no lagged within 30 s; worst age {worst_age:.2} s"
        );
        let m: Value = serde_json::from_str(&read_line(&mut reader)).unwrap();
        let sent = match m["type"].as_str() {
            Some("heartbeat") => m["t"].as_f64(),
            Some("intent" | "hold") => m["t"]["publish"].as_f64(),
            _ => None,
        };
        if let Some(sent) = sent {
            worst_age = worst_age.max(clock::now() - sent);
        }
        if let Some(seq) = m["seq"].as_u64() {
            writer
                .write_all(format!("{{\"type\":\"ack\",\"seq\":{seq}}}\n").as_bytes())
                .unwrap();
        }
        if m["type"] == "error" && m["code"] == "lagged" {
            lagged.push((start.elapsed(), m));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "lagged after {:?} and {:?}; oldest line read was {worst_age:.2} s old; {:?}",
        lagged[0].0, lagged[1].0, lagged[1].1
    );
    // Without the bound this reader was 17 s behind after 40 s. `lagged` is
    // sent when its oldest unread line passes the bound, and it reads it
    // after the lines it already had (at most the bound's worth), so
    // nothing it reads is older than twice the bound.
    assert!(worst_age < 2.0 * bound_s, "worst age {worst_age:.2} s");
    assert!(
        lagged[1].1["dropped"].as_u64().unwrap() > 0,
        "the catch-up report counts the skipped lines: {:?}",
        lagged[1].1
    );
    drop(reader);
    let report = running.finish().unwrap();
    assert!(report.protocol.lag_episodes >= 1, "{:?}", report.protocol);
    assert!(report.lagged_lines > 0);
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    let n = reader.read_line(&mut line).expect("a line in time");
    assert!(n > 0, "the server closed");
    line
}

#[test]
fn intents_carry_their_expiry_and_expired_ones_are_counted() {
    let _turn = common::alongside_others();
    // A maximum age far below the fast session's queueing: most intents
    // expire before they are written, and none of them reaches the client.
    let running = session(true, "intent_max_age_ms = 10");
    let stream = TcpStream::connect(local(&running)).unwrap();
    let lines = lines_until_closed(stream, Duration::from_secs(60));
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["intent_max_age_ms"], 10);
    let mut intents = 0;
    let mut last_beat = f64::NEG_INFINITY;
    for line in &lines {
        assert!(!line.contains("null"), "{line}");
        let m: Value = serde_json::from_str(line).unwrap();
        if m["type"] == "heartbeat" {
            last_beat = m["t"].as_f64().unwrap();
        }
        if m["type"] == "intent" {
            intents += 1;
            let until = m["valid_until"].as_f64().unwrap();
            let arrival = m["t"]["arrival"].as_f64().unwrap();
            assert!((until - arrival - 0.010).abs() < 1e-6, "{line}");
            assert!(until >= last_beat, "written after its expiry: {line}");
        }
        if m["type"] == "hold" && m["hold_reason"] == "calibrating" {
            assert!(m.get("probabilities").is_none(), "{line}");
        }
    }
    let report = running.finish().unwrap();
    eprintln!(
        "{intents} intents written, {} dropped as expired",
        report.protocol.stale_intents_dropped
    );
    assert!(report.protocol.stale_intents_dropped > 0, "{report:?}");
}

#[test]
fn a_hello_with_unknown_members_is_refused() {
    let _turn = common::alongside_others();
    let running = session(false, "");
    let stream = TcpStream::connect(local(&running)).unwrap();
    let mut w = stream.try_clone().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut r = BufReader::new(stream);
    read_line(&mut r);
    w.write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"operator\",\"tokn\":\"x\"}\n")
        .unwrap();
    let error = loop {
        let m: Value = serde_json::from_str(&read_line(&mut r)).unwrap();
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(error["code"], "invalid_message", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("tokn"),
        "{error}"
    );
    // Still open; a correct hello is welcomed as an operator.
    w.write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"operator\"}\n")
        .unwrap();
    let welcome = loop {
        let m: Value = serde_json::from_str(&read_line(&mut r)).unwrap();
        if m["type"] == "welcome" {
            break m;
        }
    };
    assert_eq!(welcome["role"], "operator");
    drop((w, r));
    running.finish().unwrap();
}

#[test]
fn with_a_token_any_other_first_line_is_unauthorized_and_closed_at_once() {
    // It bounds a time (the behaviour under test): alone.
    let _turn = common::alone();
    // A long hello timeout: the close must come from the line, not the timer.
    let running = session(
        false,
        &format!("token = {TOKEN:?}\nhello_timeout_ms = 10000"),
    );
    let oversize = vec![b'x'; 10_000];
    let cases: [(&str, &[u8]); 6] = [
        ("garbage", b"garbage\n"),
        ("oversize, no newline", &oversize),
        (
            "numeric token",
            b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\",\"token\":12345}\n",
        ),
        (
            "wrong token",
            b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\",\"token\":\"nope\"}\n",
        ),
        ("a command", b"{\"type\":\"estop\"}\n"),
        (
            "unknown member",
            b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\",\"x\":1}\n",
        ),
    ];
    for (name, bytes) in cases {
        let mut stream = TcpStream::connect(local(&running)).unwrap();
        let t = Instant::now();
        stream.write_all(bytes).unwrap();
        let lines = lines_until_closed(stream, Duration::from_secs(5));
        let took = t.elapsed();
        assert_eq!(lines.len(), 2, "{name}: {lines:?}");
        assert!(
            lines[1].contains("\"code\":\"unauthorized\""),
            "{name}: {lines:?}"
        );
        assert!(
            took < Duration::from_secs(2),
            "{name}: closed after {took:?}"
        );
    }
    // And the session still admits the right token.
    let mut ok = TcpStream::connect(local(&running)).unwrap();
    ok.write_all(
        format!(
            "{{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\",\"token\":{TOKEN:?}}}\n"
        )
        .as_bytes(),
    )
    .unwrap();
    ok.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut text = [0u8; 4096];
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("\"welcome\"") {
        let n = ok.read(&mut text).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&text[..n]);
    }
    drop(ok);
    running.finish().unwrap();
}

#[test]
fn the_rust_client_sees_a_late_backlog_as_stale() {
    let _turn = common::alongside_others();
    use neuroloop_protocol::{Client, ClientOptions, ProtocolError, Role, ServerMessage};
    let running = session(true, "heartbeat_ms = 50\nstall_timeout_ms = 10000");
    let mut client = Client::connect_with(
        local(&running),
        &ClientOptions {
            role: Some(Role::Actuator),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    client.set_timeout(Some(Duration::from_secs(5))).unwrap();
    // Read until a current class intent: the clock estimate is set.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no current intent");
        if let Ok(ServerMessage::Intent(i)) = client.next_message()
            && client.is_current(&i)
        {
            break;
        }
    }
    assert!(client.last_heartbeat_fresh());
    // Stop reading for a second: lines wait in the socket. The pause is
    // the behaviour under test (a reader that fell behind by more than its
    // deadman time); a loaded machine only makes it longer.
    std::thread::sleep(Duration::from_secs(1));
    assert!(matches!(
        client.next_message(),
        Err(ProtocolError::Deadman { .. })
    ));
    let (mut stale, mut stale_beats) = (0, 0);
    loop {
        match client.next_message().unwrap() {
            ServerMessage::Intent(i) if !client.is_current(&i) => stale += 1,
            ServerMessage::Heartbeat { .. } if client.last_heartbeat_fresh() => break,
            ServerMessage::Heartbeat { .. } => {
                stale_beats += 1;
                assert!(client.deadman_expired(), "a stale heartbeat re-armed it");
            }
            _ => {}
        }
    }
    eprintln!("backlog: {stale} stale intents, {stale_beats} stale heartbeats");
    assert!(stale > 0 && stale_beats > 0);
    assert!(!client.deadman_expired(), "a fresh heartbeat re-arms it");
    drop(client);
    running.finish().unwrap();
}

#[test]
fn out_of_range_timing_is_refused_with_the_allowed_range() {
    let _turn = common::alongside_others();
    // Values far out of range are refused with the allowed range, never
    // accepted (a heartbeat of i64::MAX ms would disable the deadman).
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        "queue = 64\n",
        "queue = 64\nheartbeat_ms = 9223372036854775807\nintent_max_age_ms = 0\nmax_lag_ms = 99999999\n",
    );
    let errors: Vec<String> = neuroloop_runtime::parse(&text, &path)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "publish.heartbeat_ms: 9223372036854775807 is out of range: allowed 1 to 10000 ms",
        "publish.intent_max_age_ms: 0 is out of range: allowed 10 to 10000 ms",
        "publish.max_lag_ms: 99999999 is out of range: allowed 50 to 60000 ms",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "missing {expected:?} in {errors:#?}"
        );
    }
}

#[test]
fn an_ack_cut_in_two_by_the_end_of_the_session_still_counts() {
    let _turn = common::alongside_others();
    let running = session(false, "");
    let (mut writer, stream) = actuator(&running, Duration::from_secs(10));
    let mut reader = BufReader::new(stream);
    let seq = loop {
        let m: Value = serde_json::from_str(&read_line(&mut reader)).unwrap();
        if let Some(seq) = m["seq"].as_u64() {
            break seq;
        }
    };
    // The first half of the ack, then the session ends; the second half
    // goes out once the client has read the bye.
    let ack = format!("{{\"type\":\"ack\",\"seq\":{seq}}}\n");
    let (head, tail) = ack.as_bytes().split_at(12);
    writer.write_all(head).unwrap();
    // A heartbeat sent after that: the server reads before it sends (its
    // loop polls the socket first), so the half line is in its hands.
    let written = clock::now();
    loop {
        let m: Value = serde_json::from_str(&read_line(&mut reader)).unwrap();
        if m["type"] == "heartbeat" && m["t"].as_f64().is_some_and(|t| t > written) {
            break;
        }
    }
    let finishing = std::thread::spawn(move || running.finish().expect("the session ends"));
    loop {
        let m: Value = serde_json::from_str(&read_line(&mut reader)).unwrap();
        if m["type"] == "bye" {
            break;
        }
    }
    writer.write_all(tail).unwrap();
    drop(writer);
    let report = finishing.join().unwrap();
    // The only ack this client sent: counted with its round trip.
    assert_eq!(report.protocol.ack_rtt.count, 1, "{:?}", report.protocol);
}
