//! `neuroloop listen [ADDR]`: print what a session publishes.

use std::io::Write as _;
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
            errln!("cannot connect to {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hello = client.hello().clone();
    errln!(
        "connected to session {:?} (protocol {} v{}), classes {:?}, heartbeat every {} ms",
        hello.session,
        hello.protocol,
        client.version(),
        hello.classes,
        hello.heartbeat_ms
    );
    if let Err(e) = client.set_timeout(None) {
        errln!("cannot configure the socket: {e}");
        return ExitCode::FAILURE;
    }
    let mut received = 0u64;
    loop {
        match client.next_message() {
            Ok(ServerMessage::Intent(i) | ServerMessage::Hold(i)) => {
                received += 1;
                let mut stdout = std::io::stdout().lock();
                let written = if json {
                    serde_json::to_string(&i)
                        .map_err(std::io::Error::other)
                        .and_then(|line| writeln!(stdout, "{line}"))
                } else {
                    let what = match i.kind {
                        IntentKind::Class => format!("{:<8}", i.class),
                        IntentKind::Hold => format!("hold ({:?})", i.hold_reason).to_lowercase(),
                    };
                    let p = i
                        .confidence
                        .map_or_else(|| "-".to_string(), |c| format!("{:.2}", c.get()));
                    writeln!(
                        stdout,
                        "#{:<6} {what:<22} p={p:<4} latency {:.3} ms",
                        i.seq,
                        (i.t.publish - i.t.arrival) * 1e3
                    )
                };
                if written.and_then(|()| stdout.flush()).is_err() {
                    // stdout was closed (`| head`): nothing more to print.
                    return ExitCode::SUCCESS;
                }
                if count.is_some_and(|c| received >= c) {
                    return ExitCode::SUCCESS;
                }
            }
            Ok(ServerMessage::Status { state, by, reason }) => {
                errln!("output state {state:?} (by {by:?}, reason {reason:?})");
            }
            Ok(ServerMessage::Error { code, message, .. }) => {
                errln!("server error {}: {message}", code.as_str());
            }
            Ok(ServerMessage::Bye { reason }) => {
                errln!("server closed the session: {reason}");
                return ExitCode::SUCCESS;
            }
            Ok(ServerMessage::Heartbeat { .. } | ServerMessage::Welcome { .. }) => {}
            Ok(ServerMessage::Hello(_)) => errln!("unexpected second hello; ignored"),
            Err(ProtocolError::Closed) => {
                errln!("connection closed");
                return ExitCode::SUCCESS;
            }
            Err(e @ ProtocolError::Deadman { .. }) => errln!("warning: {e}"),
            Err(e) => {
                errln!("error: {e}");
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
