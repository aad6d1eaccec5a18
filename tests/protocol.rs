//! Conformance of the actuator protocol server (docs/protocol.md) with real
//! sessions and real TCP, Unix socket and WebSocket clients: handshake,
//! order, heartbeat rate, roles, errors, tokens, e-stop, slow clients and
//! connection churn.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use neuroloop_core::{HoldReason, IntentKind, clock};
use neuroloop_protocol::{
    Auth, Client, ClientOptions, ErrorCode, OutputState, ProtocolError, Role, ServerMessage,
};
use neuroloop_runtime::{RunningSession, StartOptions};
use neuroloop_tests::{edit, shipped_config};

const TOKEN: &str = "a-test-token-of-32-characters-00";

/// The demo session with `[publish]` settings appended; `fast` runs the
/// simulated headset as fast as the pipeline goes (240 s of signal).
fn session(fast: bool, publish: &str, listen: &str, wait_for_clients: usize) -> RunningSession {
    let (text, path) = shipped_config("demo.toml");
    let mut text = text;
    if fast {
        text = edit(
            &text,
            "realtime = true",
            "realtime = false\nduration_s = 240.0",
        );
    }
    let queue = if publish.contains("queue") {
        ""
    } else {
        "queue = 64\n"
    };
    text = edit(
        &text,
        "tcp = \"127.0.0.1:7878\"\nqueue = 64\n",
        &format!("tcp = {listen:?}\n{queue}{publish}\n"),
    );
    let cfg = neuroloop_runtime::parse(&text, &path).expect("test config is valid");
    neuroloop_runtime::start(
        cfg,
        StartOptions {
            listen: Some(listen.parse().unwrap()),
            wait_for_clients,
            ..StartOptions::default()
        },
    )
    .expect("session starts")
}

fn local(running: &RunningSession) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], running.local_addr().port()))
}

fn connect(running: &RunningSession, role: Option<Role>, token: Option<&str>) -> Client {
    Client::connect_with(
        local(running),
        &ClientOptions {
            role,
            token: token.map(str::to_string),
            timeout: Duration::from_secs(5),
            ..ClientOptions::default()
        },
    )
    .expect("client connects")
}

/// Reads messages until `pred` matches one (returned) or `timeout` passes.
fn until(
    client: &mut Client,
    timeout: Duration,
    mut pred: impl FnMut(&ServerMessage) -> bool,
) -> Option<ServerMessage> {
    let deadline = Instant::now() + timeout;
    client.set_timeout(Some(Duration::from_millis(50))).unwrap();
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        match client.next_message() {
            Ok(m) if pred(&m) => found = Some(m),
            Ok(_) => {}
            // A watchdog report while the test was not reading.
            Err(ProtocolError::Io(_) | ProtocolError::Deadman { .. }) => {}
            Err(e) => panic!("connection failed: {e}"),
        }
    }
    // Back to the blocking reads the callers expect (as `connect` sets).
    client.set_timeout(Some(Duration::from_secs(5))).unwrap();
    found
}

/// Tests in this binary run in parallel, each with its own session; the
/// one that judges the process's memory runs alone (write lock), the others
/// side by side (read lock).
static MEMORY_JUDGED: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn alongside_others() -> std::sync::RwLockReadGuard<'static, ()> {
    MEMORY_JUDGED.read().unwrap_or_else(|e| e.into_inner())
}

fn alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    MEMORY_JUDGED.write().unwrap_or_else(|e| e.into_inner())
}

fn error_code(m: &ServerMessage) -> Option<ErrorCode> {
    match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[test]
fn handshake_order_heartbeat_rate_and_acks() {
    let _memory = alongside_others();
    let running = session(
        false,
        "heartbeat_ms = 100\ndeadman_missed = 3",
        "127.0.0.1:0",
        0,
    );
    // A client that sends nothing is an observer and receives everything.
    let mut silent = Client::connect(local(&running), Duration::from_secs(5)).unwrap();
    let hello = silent.hello().clone();
    assert_eq!(hello.protocol, "neuroloop");
    assert_eq!((hello.version, hello.versions.as_slice()), (1, &[1][..]));
    assert_eq!(hello.classes, ["left", "right"]);
    assert_eq!(hello.clock, "process-monotonic-seconds");
    assert_eq!((hello.heartbeat_ms, hello.deadman_missed), (100, 3));
    assert_eq!(hello.deadman_ms(), Some(300));
    assert_eq!(hello.auth, Auth::None);
    assert_eq!(silent.role(), Role::Observer);

    let mut actuator = connect(&running, Some(Role::Actuator), None);
    assert_eq!(actuator.role(), Role::Actuator);
    assert_eq!(actuator.version(), 1);
    assert!(actuator.client_id().is_some());

    let start = Instant::now();
    let mut beats = Vec::new();
    let mut seqs = Vec::new();
    let mut states = Vec::new();
    actuator.set_timeout(Some(Duration::from_secs(1))).unwrap();
    while start.elapsed() < Duration::from_secs(3) {
        let message = actuator.next_message();
        let message = message.unwrap_or_else(|e| panic!("messages keep coming: {e}"));
        match message {
            ServerMessage::Heartbeat { n, t, state, .. } => {
                beats.push((n, t, Instant::now()));
                states.push(state);
            }
            ServerMessage::Hold(i) | ServerMessage::Intent(i) => {
                seqs.push(i.seq);
                actuator.ack(i.seq).unwrap();
            }
            ServerMessage::Status { state, .. } => assert_eq!(state, OutputState::Running),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(seqs.len() >= 20, "about 10 intents/s: {}", seqs.len());
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "consecutive seqs: {seqs:?}"
    );
    assert!(
        beats.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "heartbeats numbered"
    );
    let span = beats.last().unwrap().1 - beats[0].1;
    let rate = (beats.len() - 1) as f64 / span;
    eprintln!("{} heartbeats, {rate:.1}/s (configured 10/s)", beats.len());
    assert!((8.5..=11.0).contains(&rate), "heartbeat rate {rate:.1}/s");
    assert!(
        (26..=31).contains(&beats.len()),
        "about 30 heartbeats in 3 s: {}",
        beats.len()
    );
    let worst_gap = beats.windows(2).map(|w| w[1].2 - w[0].2).max().unwrap();
    assert!(
        worst_gap < Duration::from_millis(300),
        "no gap reaching the deadman time (3 × 100 ms): {worst_gap:?}"
    );
    assert!(states.iter().all(|&s| s == OutputState::Running));
    assert!(!actuator.deadman_expired());

    // The silent observer got the same stream.
    let got = until(&mut silent, Duration::from_secs(2), |m| {
        matches!(m, ServerMessage::Heartbeat { .. })
    });
    assert!(got.is_some(), "the silent observer receives heartbeats");
    drop((silent, actuator));
    let report = running.finish().unwrap();
    eprintln!("ack round trip {:?}", report.protocol.ack_rtt);
    assert!(report.protocol.ack_rtt.count as usize >= seqs.len() - 1);
    assert!(
        report.protocol.ack_rtt.p99_ms < 100.0,
        "{:?}",
        report.protocol
    );
}

#[test]
fn roles_are_enforced_and_bad_input_gets_error_codes() {
    let _memory = alongside_others();
    let running = session(
        false,
        "max_line_bytes = 300\nmax_msgs_per_s = 20",
        "127.0.0.1:0",
        0,
    );
    let observer = connect(&running, Some(Role::Observer), None);
    let actuator = connect(&running, Some(Role::Actuator), None);
    let operator = connect(&running, Some(Role::Operator), None);
    let reply = |c: &mut Client, line: &[u8]| {
        c.send_raw(line).unwrap();
        until(c, Duration::from_secs(2), |m| {
            matches!(m, ServerMessage::Error { .. })
        })
        .expect("a reply")
    };
    let mut clients = [observer, actuator, operator];
    for (who, line, code) in [
        (0, &br#"{"type":"estop"}"#[..], ErrorCode::Forbidden),
        (0, br#"{"type":"ack","seq":1}"#, ErrorCode::Forbidden),
        (0, br#"{"type":"pause"}"#, ErrorCode::Forbidden),
        (1, br#"{"type":"clear"}"#, ErrorCode::Forbidden),
        (1, br#"{"type":"resume"}"#, ErrorCode::Forbidden),
        (2, br#"{"type":"ack","seq":1}"#, ErrorCode::Forbidden),
        (1, br#"{"type":"ack","seq":999999}"#, ErrorCode::UnknownSeq),
        (1, b"{not json", ErrorCode::InvalidJson),
        (1, b"\xff\xfe", ErrorCode::InvalidJson),
        (1, br#"{"type":"selfdestruct"}"#, ErrorCode::UnknownType),
        (1, br#"{"kind":"estop"}"#, ErrorCode::InvalidMessage),
        (1, br#"{"type":"ack","seq":"x"}"#, ErrorCode::InvalidMessage),
        (
            1,
            br#"{"type":"hello","versions":[1],"role":"operator"}"#,
            ErrorCode::InvalidState,
        ),
    ] {
        let mut line = line.to_vec();
        line.push(b'\n');
        let got = reply(&mut clients[who], &line);
        assert_eq!(
            error_code(&got),
            Some(code),
            "{:?} → {got:?}",
            String::from_utf8_lossy(&line)
        );
    }
    let [mut observer, mut actuator, _operator] = clients;
    let long = format!(
        "{{\"type\":\"estop\",\"reason\":\"{}\"}}\n",
        "x".repeat(1000)
    );
    assert_eq!(
        error_code(&reply(&mut actuator, long.as_bytes())),
        Some(ErrorCode::LineTooLong)
    );
    // The connection survives all of that, and the role was not changed by
    // the refused second hello.
    assert!(
        until(&mut actuator, Duration::from_secs(1), |m| matches!(
            m,
            ServerMessage::Heartbeat { .. }
        ))
        .is_some()
    );
    // A flood is rate limited (one error, messages ignored), then allowed again.
    let flood: Vec<u8> =
        br#"{"type":"heartbeat"}"#.iter().chain(b"\n").copied().cycle().take(21 * 200).collect();
    observer.send_raw(&flood).unwrap();
    let limited = until(&mut observer, Duration::from_secs(2), |m| {
        error_code(m).is_some()
    });
    assert_eq!(
        limited.as_ref().and_then(error_code),
        Some(ErrorCode::RateLimited)
    );
    // Version negotiation: no common version closes with a code.
    let mut raw = TcpStream::connect(local(&running)).unwrap();
    raw.write_all(b"{\"type\":\"hello\",\"versions\":[7,8],\"role\":\"observer\"}\n")
        .unwrap();
    let lines = read_lines_until_closed(raw, Duration::from_secs(3));
    assert!(lines[0].contains("\"type\":\"hello\""), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"code\":\"unsupported_version\"")),
        "{lines:?}"
    );
    let report = running.finish().unwrap();
    assert!(report.protocol.errors_sent >= 15, "{:?}", report.protocol);
}

/// Every line until the server closes (panics after `timeout`).
fn read_lines_until_closed(stream: TcpStream, timeout: Duration) -> Vec<String> {
    stream.set_read_timeout(Some(timeout)).unwrap();
    BufReader::new(stream)
        .lines()
        .map(|l| l.expect("the server closes in time"))
        .collect()
}

#[test]
fn a_token_is_required_off_loopback_and_compared() {
    let _memory = alongside_others();
    // Without a token a non-loopback address is refused by the config check.
    let (text, path) = shipped_config("demo.toml");
    let open = edit(
        &text,
        r#"tcp = "127.0.0.1:7878""#,
        r#"tcp = "0.0.0.0:7878""#,
    );
    let errors = neuroloop_runtime::parse(&open, &path).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("requires publish.token")),
        "{errors:?}"
    );
    let running = session(
        false,
        &format!("token = {TOKEN:?}\nhello_timeout_ms = 300"),
        "0.0.0.0:0",
        0,
    );
    // Silent: told, then closed, having received nothing but the hello.
    let silent = TcpStream::connect(local(&running)).unwrap();
    let t = Instant::now();
    let lines = read_lines_until_closed(silent, Duration::from_secs(3));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("\"auth\":\"token\""), "{lines:?}");
    assert!(lines[1].contains("\"code\":\"unauthorized\""), "{lines:?}");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    // Wrong token and no token: refused.
    for token in [Some("a-test-token-of-32-characters-01"), None] {
        let err = Client::connect_with(
            local(&running),
            &ClientOptions {
                role: Some(Role::Actuator),
                token: token.map(str::to_string),
                ..ClientOptions::default()
            },
        )
        .err()
        .expect("refused");
        assert!(
            matches!(&err, ProtocolError::Server { code, .. } if code == "unauthorized"),
            "{err:?}"
        );
    }
    // A command before the hello: refused and closed.
    let mut early = TcpStream::connect(local(&running)).unwrap();
    early.write_all(b"{\"type\":\"estop\"}\n").unwrap();
    let lines = read_lines_until_closed(early, Duration::from_secs(3));
    assert!(lines[1].contains("\"code\":\"unauthorized\""), "{lines:?}");
    assert_eq!(
        running.hub().state(),
        OutputState::Running,
        "the estop was not applied"
    );
    // The right token: welcome, then intents.
    let mut client = connect(&running, Some(Role::Actuator), Some(TOKEN));
    assert_eq!(client.role(), Role::Actuator);
    assert!(
        until(&mut client, Duration::from_secs(3), |m| matches!(
            m,
            ServerMessage::Hold(_) | ServerMessage::Intent(_)
        ))
        .is_some()
    );
    drop(client);
    running.finish().unwrap();
}

#[test]
fn an_estop_from_an_actuator_halts_intents_for_everyone_until_an_operator_clears_it() {
    let _memory = alongside_others();
    let running = session(true, "queue = 4096", "127.0.0.1:0", 3);
    let mut actuator = connect(&running, Some(Role::Actuator), None);
    let mut operator = connect(&running, Some(Role::Operator), None);
    let mut observer = connect(&running, Some(Role::Observer), None);
    // Wait for class intents (after calibration).
    let first = until(&mut actuator, Duration::from_secs(60), |m| {
        matches!(m, ServerMessage::Intent(_))
    });
    assert!(first.is_some(), "class intents flow after calibration");
    actuator.estop("bumper").unwrap();
    let hub = running.hub();
    let check_halted = |client: &mut Client, name: &str| {
        // Up to the estop status anything goes; after it no class intent,
        // and once the first estop hold arrives (older holds may still be
        // queued), only estop holds until the operator's clear.
        let status = until(client, Duration::from_secs(5), |m| {
            matches!(
                m,
                ServerMessage::Status {
                    state: OutputState::Estop,
                    ..
                }
            )
        })
        .unwrap_or_else(|| panic!("{name} is told about the estop"));
        let ServerMessage::Status { by, reason, .. } = status else {
            unreachable!()
        };
        assert_eq!(by.unwrap().role, Role::Actuator);
        assert_eq!(reason.as_deref(), Some("bumper"));
        let mut holds = 0;
        while holds < 50 {
            match client.next_message().expect("stream continues") {
                ServerMessage::Intent(i) => panic!("{name} got intent {} during estop", i.seq),
                ServerMessage::Hold(h) => {
                    assert_eq!(h.kind, IntentKind::Hold);
                    if holds > 0 || h.hold_reason == HoldReason::Estop {
                        assert_eq!(h.hold_reason, HoldReason::Estop, "{name}: {h:?}");
                        holds += 1;
                    }
                }
                ServerMessage::Heartbeat { state, .. } => assert_eq!(state, OutputState::Estop),
                ServerMessage::Error {
                    code: ErrorCode::Lagged,
                    ..
                } => {}
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
    };
    check_halted(&mut actuator, "actuator");
    check_halted(&mut observer, "observer");
    check_halted(&mut operator, "operator");
    assert_eq!(hub.state(), OutputState::Estop);
    // Only an operator lifts it.
    actuator.clear().unwrap();
    assert_eq!(
        until(&mut actuator, Duration::from_secs(2), |m| error_code(m)
            .is_some())
        .as_ref()
        .and_then(error_code),
        Some(ErrorCode::Forbidden)
    );
    assert_eq!(hub.state(), OutputState::Estop);
    operator.clear().unwrap();
    for (client, name) in [(&mut actuator, "actuator"), (&mut observer, "observer")] {
        assert!(
            until(client, Duration::from_secs(5), |m| matches!(
                m,
                ServerMessage::Status {
                    state: OutputState::Running,
                    ..
                }
            ))
            .is_some(),
            "{name} is told about the clear"
        );
        assert!(
            until(client, Duration::from_secs(30), |m| matches!(
                m,
                ServerMessage::Intent(_)
            ))
            .is_some(),
            "{name} gets class intents again"
        );
    }
    drop((actuator, operator, observer));
    let report = running.finish().unwrap();
    assert_eq!(report.protocol.estops, 1);
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_client_that_never_reads_does_not_delay_the_others() {
    let _memory = alone();
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
    let rss_before = rss_kib();
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
    let rss_after = rss_kib();
    let hub = running.hub();
    let report = running.finish().unwrap();
    delays_us.sort_unstable();
    let pct = |p: f64| delays_us[((delays_us.len() - 1) as f64 * p) as usize] as f64 / 1e3;
    eprintln!(
        "reading client: {} lines, publish→receive p50 {:.3} ms p99 {:.3} ms max {:.3} ms; \
         stalled client: {} lines dropped, disconnected {}; RSS {} → {} KiB",
        delays_us.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0),
        report.lagged_lines,
        hub.stalled.load(std::sync::atomic::Ordering::Relaxed),
        rss_before,
        rss_after
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
    // up to its stall timeout (1 s).
    assert!(pct(0.99) < 100.0, "p99 {:.3} ms", pct(0.99));
    assert!(pct(1.0) < 500.0, "max {:.3} ms", pct(1.0));
    assert!(
        rss_after < rss_before + 64 * 1024,
        "memory bounded: {rss_before} → {rss_after} KiB"
    );
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

#[test]
fn hundreds_of_connects_and_disconnects_leak_nothing() {
    let _memory = alongside_others();
    let running = session(
        false,
        "max_connections = 16\nheartbeat_ms = 20",
        "127.0.0.1:0",
        0,
    );
    let mut keep = connect(&running, Some(Role::Observer), None);
    std::thread::sleep(Duration::from_millis(200));
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

#[test]
fn a_unix_socket_speaks_the_same_protocol_and_shares_the_output_state() {
    let _memory = alongside_others();
    use std::os::unix::net::UnixStream;
    let path = std::env::temp_dir().join(format!("neuroloop-test-{}.sock", std::process::id()));
    let running = session(
        false,
        &format!("unix = {:?}\nheartbeat_ms = 50", path.display().to_string()),
        "127.0.0.1:0",
        0,
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "owner-only socket");
    let stream = UnixStream::connect(&path).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut lines = BufReader::new(stream).lines();
    let mut next =
        || -> serde_json::Value { serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap() };
    let hello = next();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["heartbeat_ms"], 50);
    writer
        .write_all(b"{\"type\":\"hello\",\"versions\":[1],\"role\":\"actuator\"}\n")
        .unwrap();
    let mut tcp = connect(&running, Some(Role::Observer), None);
    let mut seen = std::collections::HashSet::new();
    while !["welcome", "heartbeat", "hold"]
        .iter()
        .all(|t| seen.contains(*t))
    {
        let m = next();
        seen.insert(m["type"].as_str().unwrap().to_string());
    }
    // An estop over the Unix socket stops the TCP clients too.
    writer
        .write_all(b"{\"type\":\"estop\",\"reason\":\"unix\"}\n")
        .unwrap();
    let status = until(&mut tcp, Duration::from_secs(3), |m| {
        matches!(
            m,
            ServerMessage::Status {
                state: OutputState::Estop,
                ..
            }
        )
    });
    assert!(status.is_some(), "the TCP observer is told");
    drop((writer, tcp));
    running.finish().unwrap();
    assert!(!path.exists(), "the socket file is removed at the end");
}

#[test]
fn publish_settings_are_validated() {
    let _memory = alongside_others();
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        "queue = 64\n",
        "queue = 64\nheartbeat_ms = 0\ndeadman_missed = 0\nmax_line_bytes = 10\ntoken = \"short\"\n",
    );
    let errors: Vec<String> = neuroloop_runtime::parse(&text, &path)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "publish.heartbeat_ms: must be at least 1",
        "publish.deadman_missed: must be at least 1",
        "publish.max_line_bytes: 10 is below",
        "publish.token: must be at least 16 characters",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "missing {expected:?} in {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

#[test]
fn an_operator_pauses_and_resumes_output() {
    let _memory = alongside_others();
    let running = session(false, "heartbeat_ms = 100", "127.0.0.1:0", 0);
    let mut operator = connect(&running, Some(Role::Operator), None);
    let mut actuator = connect(&running, Some(Role::Actuator), None);
    actuator.pause().unwrap();
    assert_eq!(
        until(&mut actuator, Duration::from_secs(2), |m| error_code(m)
            .is_some())
        .as_ref()
        .and_then(error_code),
        Some(ErrorCode::Forbidden),
        "actuators cannot pause"
    );
    operator.pause().unwrap();
    let paused = until(&mut actuator, Duration::from_secs(3), |m| {
        matches!(
            m,
            ServerMessage::Status {
                state: OutputState::Paused,
                ..
            }
        )
    });
    assert!(paused.is_some(), "the actuator is told");
    let hold = until(
        &mut actuator,
        Duration::from_secs(3),
        |m| matches!(m, ServerMessage::Hold(h) if h.hold_reason == HoldReason::Paused),
    );
    assert!(hold.is_some(), "outputs are holds with reason paused");
    assert_eq!(running.hub().state(), OutputState::Paused);
    operator.resume().unwrap();
    assert!(
        until(&mut actuator, Duration::from_secs(3), |m| matches!(
            m,
            ServerMessage::Status {
                state: OutputState::Running,
                ..
            }
        ))
        .is_some()
    );
    // Holds published before the resume may still be queued; the next
    // other one carries the pipeline's reason.
    let hold = until(
        &mut actuator,
        Duration::from_secs(3),
        |m| matches!(m, ServerMessage::Hold(h) if h.hold_reason != HoldReason::Paused),
    );
    let Some(ServerMessage::Hold(h)) = hold else {
        panic!("holds continue unpaused")
    };
    assert_eq!(
        h.hold_reason,
        HoldReason::Calibrating,
        "the pipeline's own reason again"
    );
    drop((operator, actuator));
    running.finish().unwrap();
}

/// A WebSocket client of the session at `addr`, with an `Origin` header if
/// given.
fn ws_connect(
    addr: SocketAddr,
    origin: Option<&str>,
) -> Result<tungstenite::WebSocket<TcpStream>, tungstenite::Error> {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/").into_client_request()?;
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    tungstenite::client(request, stream)
        .map(|(ws, _)| ws)
        .map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => panic!("blocking handshake interrupted"),
        })
}

/// The next text frame as JSON (panics on anything else).
fn ws_next(ws: &mut tungstenite::WebSocket<TcpStream>) -> serde_json::Value {
    match ws.read().expect("a frame") {
        tungstenite::Message::Text(text) => {
            assert!(!text.contains('\n'), "one message per frame: {text:?}");
            serde_json::from_str(&text).unwrap()
        }
        other => panic!("expected a text frame, got {other:?}"),
    }
}

#[test]
fn websocket_speaks_the_same_protocol_one_message_per_text_frame() {
    let _memory = alongside_others();
    use tungstenite::Message;
    use tungstenite::protocol::frame::coding::CloseCode;
    let running = session(
        false,
        "websocket = \"127.0.0.1:0\"\nwebsocket_origins = [\"http://localhost:8080\"]\nheartbeat_ms = 50",
        "127.0.0.1:0",
        0,
    );
    let addr = running.websocket_addr().expect("websocket is served");
    let mut ws = ws_connect(addr, Some("http://localhost:8080")).expect("listed origin");
    let hello = ws_next(&mut ws);
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["heartbeat_ms"], 50);
    ws.send(Message::text(
        r#"{"type":"hello","versions":[1],"role":"actuator"}"#,
    ))
    .unwrap();
    let welcome = ws_next(&mut ws);
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    assert_eq!(welcome["role"], "actuator");
    // Intents and holds in order, and heartbeats.
    let (mut last_seq, mut published, mut beats) = (0u64, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while (published < 5 || beats < 3) && Instant::now() < deadline {
        let m = ws_next(&mut ws);
        match m["type"].as_str().unwrap() {
            "intent" | "hold" => {
                let seq = m["seq"].as_u64().unwrap();
                assert!(seq > last_seq, "seq {seq} after {last_seq}");
                last_seq = seq;
                published += 1;
            }
            "heartbeat" => beats += 1,
            _ => {}
        }
    }
    assert!(
        published >= 5 && beats >= 3,
        "{published} intents/holds, {beats} heartbeats"
    );
    // A role violation is an error frame; the connection stays.
    ws.send(Message::text(r#"{"type":"clear"}"#)).unwrap();
    let error = loop {
        let m = ws_next(&mut ws);
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(error["code"], "forbidden", "{error}");
    // A frame longer than max_line_bytes is answered like a long line.
    let long = format!(r#"{{"type":"estop","reason":"{}"}}"#, "x".repeat(5000));
    ws.send(Message::text(long)).unwrap();
    let error = loop {
        let m = ws_next(&mut ws);
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(error["code"], "line_too_long", "{error}");
    // A TCP observer and a WebSocket client share the output state.
    let mut tcp = connect(&running, Some(Role::Observer), None);
    ws.send(Message::text(r#"{"type":"estop","reason":"ws"}"#))
        .unwrap();
    assert!(
        until(&mut tcp, Duration::from_secs(3), |m| matches!(
            m,
            ServerMessage::Status {
                state: OutputState::Estop,
                ..
            }
        ))
        .is_some()
    );
    // Two messages in one frame are refused: the connection is closed with
    // a policy-violation code.
    ws.send(Message::text(
        "{\"type\":\"heartbeat\"}\n{\"type\":\"heartbeat\"}",
    ))
    .unwrap();
    let close = loop {
        match ws.read() {
            Ok(Message::Close(frame)) => break frame,
            Ok(_) => {}
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Policy));
    // Binary frames are refused too.
    let mut binary = ws_connect(addr, None).expect("no origin: not a browser");
    assert_eq!(ws_next(&mut binary)["type"], "hello");
    binary.send(Message::binary(b"{}".to_vec())).unwrap();
    let close = loop {
        match binary.read() {
            Ok(Message::Close(frame)) => break frame,
            Ok(_) => {}
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Unsupported));
    // A page from another origin cannot connect.
    match ws_connect(addr, Some("http://evil.example")) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    // bye closes cleanly with a normal close.
    let mut bye = ws_connect(addr, None).unwrap();
    assert_eq!(ws_next(&mut bye)["type"], "hello");
    bye.send(Message::text(r#"{"type":"bye"}"#)).unwrap();
    let close = loop {
        match bye.read() {
            Ok(Message::Close(frame)) => break frame,
            Ok(_) => {}
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert_eq!(close.map(|f| f.code), Some(CloseCode::Normal));
    drop((ws, binary, bye, tcp));
    running.finish().unwrap();
}

#[test]
fn a_websocket_address_off_loopback_requires_a_token() {
    let _memory = alongside_others();
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        "queue = 64\n",
        "queue = 64\nwebsocket = \"0.0.0.0:7879\"\n",
    );
    let errors: Vec<String> = neuroloop_runtime::parse(&text, &path)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with("publish.websocket: 0.0.0.0:7879 is not a loopback address"),
        "{errors:#?}"
    );
}
