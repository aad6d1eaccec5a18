//! `neuroloop listen [ADDR]`: print what a session publishes.

use std::process::ExitCode;

use neuroloop_core::IntentKind;
use neuroloop_protocol::{Client, ClientOptions, ProtocolError, Role, ServerMessage};

/// Connects (as an observer, or with the token when one is given),
/// prints the hello and every intent and hold until the server says bye.
pub fn listen(addr: &str, json: bool, count: Option<u64>, token: Option<String>) -> ExitCode {
    let options = ClientOptions {
        role: token.is_some().then_some(Role::Observer),
        token,
        name: Some("neuroloop listen".into()),
        ..ClientOptions::default()
    };
    let mut client = match Client::connect_with(addr, &options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot connect to {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hello = client.hello().clone();
    eprintln!(
        "connected to session {:?} (protocol {} v{}), classes {:?}, heartbeat every {} ms",
        hello.session,
        hello.protocol,
        client.version(),
        hello.classes,
        hello.heartbeat_ms
    );
    if let Err(e) = client.set_timeout(None) {
        eprintln!("cannot configure the socket: {e}");
        return ExitCode::FAILURE;
    }
    let mut received = 0u64;
    loop {
        match client.next_message() {
            Ok(ServerMessage::Intent(i) | ServerMessage::Hold(i)) => {
                received += 1;
                if json {
                    println!("{}", serde_json::to_string(&i).expect("intents serialise"));
                } else {
                    let what = match i.kind {
                        IntentKind::Class => format!("{:<8}", i.class),
                        IntentKind::Hold => format!("hold ({:?})", i.hold_reason).to_lowercase(),
                    };
                    let p = i
                        .confidence
                        .map_or_else(|| "-".to_string(), |c| format!("{:.2}", c.get()));
                    println!(
                        "#{:<6} {what:<22} p={p:<4} latency {:.3} ms",
                        i.seq,
                        (i.t.publish - i.t.arrival) * 1e3
                    );
                }
                if count.is_some_and(|c| received >= c) {
                    return ExitCode::SUCCESS;
                }
            }
            Ok(ServerMessage::Status { state, by, reason }) => {
                eprintln!("output state {state:?} (by {by:?}, reason {reason:?})");
            }
            Ok(ServerMessage::Error { code, message, .. }) => {
                eprintln!("server error {}: {message}", code.as_str());
            }
            Ok(ServerMessage::Bye { reason }) => {
                eprintln!("server closed the session: {reason}");
                return ExitCode::SUCCESS;
            }
            Ok(ServerMessage::Heartbeat { .. } | ServerMessage::Welcome { .. }) => {}
            Ok(ServerMessage::Hello(_)) => eprintln!("unexpected second hello; ignored"),
            Err(ProtocolError::Closed) => {
                eprintln!("connection closed");
                return ExitCode::SUCCESS;
            }
            Err(e @ ProtocolError::Deadman { .. }) => eprintln!("warning: {e}"),
            Err(e) => {
                eprintln!("error: {e}");
                if !matches!(
                    e,
                    ProtocolError::InvalidMessage(_) | ProtocolError::LineTooLong { .. }
                ) {
                    return ExitCode::FAILURE;
                }
            }
        }
    }
}
