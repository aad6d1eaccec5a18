//! The protocol on its other transports and settings, with real sessions:
//! Unix sockets and WebSocket speak the same protocol and share the output
//! state, an operator pauses and resumes, an e-stop dominates a pause, and
//! `[publish]` is validated.

#[path = "protocol_common.rs"]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::*;
use neuroloop_core::HoldReason;
use neuroloop_protocol::{ErrorCode, OutputState, Role, ServerMessage};
use neuroloop_tests::{edit, shipped_config};

#[test]
fn a_unix_socket_speaks_the_same_protocol_and_shares_the_output_state() {
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

/// The next `status` (or error) the client reads, within 3 s.
fn next_status(client: &mut neuroloop_protocol::Client) -> OutputState {
    match until(client, Duration::from_secs(3), |m| {
        matches!(
            m,
            ServerMessage::Status { .. } | ServerMessage::Error { .. }
        )
    }) {
        Some(ServerMessage::Status { state, .. }) => state,
        other => panic!("expected a status, got {other:?}"),
    }
}

/// The reason of the next hold whose reason is not `skip` (holds gated
/// before a command may still be queued), within 3 s.
fn next_hold_other_than(client: &mut neuroloop_protocol::Client, skip: HoldReason) -> HoldReason {
    match until(
        client,
        Duration::from_secs(3),
        |m| matches!(m, ServerMessage::Hold(h) if h.hold_reason != skip),
    ) {
        Some(ServerMessage::Hold(h)) => h.hold_reason,
        other => panic!("expected a hold, got {other:?}"),
    }
}

#[test]
fn an_estop_dominates_a_pause_resume_cannot_lift_it_and_clear_returns_to_the_pause() {
    // docs/protocol.md 4.4 and 4.5; real time, the pipeline calibrating.
    let running = session(false, "heartbeat_ms = 100", "127.0.0.1:0", 0);
    let mut operator = connect(&running, Some(Role::Operator), None);
    let mut actuator = connect(&running, Some(Role::Actuator), None);
    let hub = running.hub();
    assert_eq!(
        next_status(&mut actuator),
        OutputState::Running,
        "the status after welcome"
    );
    operator.pause().unwrap();
    assert_eq!(next_status(&mut actuator), OutputState::Paused);
    // `clear` while paused is no error and lifts nothing: the unchanged
    // status is sent again.
    operator.clear().unwrap();
    assert_eq!(next_status(&mut actuator), OutputState::Paused);
    assert_eq!(
        next_hold_other_than(&mut actuator, HoldReason::Calibrating),
        HoldReason::Paused
    );
    operator.estop("test stop").unwrap();
    assert_eq!(
        next_status(&mut actuator),
        OutputState::Estop,
        "estop over pause"
    );
    assert_eq!(
        next_hold_other_than(&mut actuator, HoldReason::Paused),
        HoldReason::Estop
    );
    // `resume` ends the pause only; the e-stop stays in force.
    operator.resume().unwrap();
    assert_eq!(
        next_status(&mut actuator),
        OutputState::Estop,
        "resume during estop"
    );
    assert_eq!(hub.state(), OutputState::Estop);
    for _ in 0..5 {
        assert_eq!(
            next_hold_other_than(&mut actuator, HoldReason::Calibrating),
            HoldReason::Estop,
            "holds stay estop after resume"
        );
    }
    // A new pause under the e-stop; `clear` then leaves the pause in force.
    operator.pause().unwrap();
    assert_eq!(next_status(&mut actuator), OutputState::Estop);
    operator.clear().unwrap();
    assert_eq!(
        next_status(&mut actuator),
        OutputState::Paused,
        "clear returns to the pause still in force"
    );
    assert_eq!(
        next_hold_other_than(&mut actuator, HoldReason::Estop),
        HoldReason::Paused
    );
    operator.resume().unwrap();
    assert_eq!(next_status(&mut actuator), OutputState::Running);
    assert_eq!(
        next_hold_other_than(&mut actuator, HoldReason::Paused),
        HoldReason::Calibrating,
        "the pipeline's own reason again"
    );
    drop((operator, actuator));
    let report = running.finish().unwrap();
    assert_eq!(report.protocol.estops, 1);
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
