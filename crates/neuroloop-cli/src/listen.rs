//! `neuroloop listen [ADDR]`: a minimal actuator client.

use std::process::ExitCode;
use std::time::Duration;

use neuroloop_core::IntentKind;
use neuroloop_protocol::{Client, ProtocolError, ServerMessage};

/// Connects, prints the hello and every intent until the server says bye.
pub fn listen(addr: &str, json: bool, count: Option<u64>) -> ExitCode {
    let mut client = match Client::connect(addr, Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot connect to {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hello = client.hello().clone();
    eprintln!(
        "connected to session {:?} (protocol {} v{}), classes {:?}",
        hello.session, hello.protocol, hello.version, hello.classes
    );
    if let Err(e) = client.set_timeout(None) {
        eprintln!("cannot configure the socket: {e}");
        return ExitCode::FAILURE;
    }
    let mut received = 0u64;
    loop {
        match client.next_message() {
            Ok(ServerMessage::Intent(i)) => {
                received += 1;
                if json {
                    println!("{}", serde_json::to_string(&i).expect("intents serialise"));
                } else {
                    let what = match i.kind {
                        IntentKind::Class => format!("{:<8}", i.class),
                        IntentKind::Hold => format!("hold ({:?})", i.hold_reason).to_lowercase(),
                    };
                    println!(
                        "#{:<6} {what:<22} p={:.2} latency {:.3} ms",
                        i.seq,
                        i.confidence,
                        (i.t.publish - i.t.arrival) * 1e3
                    );
                }
                if count.is_some_and(|c| received >= c) {
                    return ExitCode::SUCCESS;
                }
            }
            Ok(ServerMessage::Bye { reason }) => {
                eprintln!("server closed the session: {reason}");
                return ExitCode::SUCCESS;
            }
            Ok(ServerMessage::Hello(_)) => eprintln!("unexpected second hello; ignored"),
            Err(ProtocolError::Closed) => {
                eprintln!("connection closed");
                return ExitCode::SUCCESS;
            }
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
