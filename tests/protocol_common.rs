//! Helpers shared by the protocol test binaries (`protocol`,
//! `protocol_load`, `protocol_safety`, `protocol_transports`): a demo
//! session with `[publish]` settings, clients, waiting for a message with a
//! deadline, and the lock that lets a test that bounds a time run alone.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use neuroloop_protocol::{Client, ClientOptions, ErrorCode, ProtocolError, Role, ServerMessage};
use neuroloop_runtime::{RunningSession, StartOptions};
use neuroloop_tests::{edit, shipped_config};

/// Tests in this binary run in parallel, each with its own session; the
/// one that judges delays runs alone (write lock), the others side by side
/// (read lock).
static DELAYS_JUDGED: std::sync::RwLock<()> = std::sync::RwLock::new(());

pub(crate) fn alongside_others() -> std::sync::RwLockReadGuard<'static, ()> {
    DELAYS_JUDGED
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    DELAYS_JUDGED
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) const TOKEN: &str = "a-test-token-of-32-characters-00";

/// The demo session with `[publish]` settings appended; `fast` runs the
/// simulated headset as fast as the pipeline goes (240 s of signal).
pub(crate) fn session(
    fast: bool,
    publish: &str,
    listen: &str,
    wait_for_clients: usize,
) -> RunningSession {
    session_of(fast.then_some(240.0), publish, listen, wait_for_clients)
}

/// As [`session`]; `fast_for_s`: run the simulated headset as fast as the
/// pipeline goes for that many seconds of signal (real time if `None`).
pub(crate) fn session_of(
    fast_for_s: Option<f64>,
    publish: &str,
    listen: &str,
    wait_for_clients: usize,
) -> RunningSession {
    let (text, path) = shipped_config("demo.toml");
    let mut text = text;
    if let Some(duration_s) = fast_for_s {
        text = edit(
            &text,
            "realtime = true",
            &format!("realtime = false\nduration_s = {duration_s:?}"),
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

pub(crate) fn local(running: &RunningSession) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], running.local_addr().port()))
}

pub(crate) fn connect(running: &RunningSession, role: Option<Role>, token: Option<&str>) -> Client {
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
pub(crate) fn until(
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

pub(crate) fn error_code(m: &ServerMessage) -> Option<ErrorCode> {
    match m {
        ServerMessage::Error { code, .. } => Some(*code),
        _ => None,
    }
}

/// Every line until the server closes (panics after `timeout`).
pub(crate) fn read_lines_until_closed(stream: TcpStream, timeout: Duration) -> Vec<String> {
    stream.set_read_timeout(Some(timeout)).unwrap();
    BufReader::new(stream)
        .lines()
        .map(|l| l.expect("the server closes in time"))
        .collect()
}
