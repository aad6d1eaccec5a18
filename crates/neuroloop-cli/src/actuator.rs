//! `neuroloop actuator [ADDR]`: an example actuator, a simulated cursor or
//! wheelchair that follows the protocol's safety rules (docs/protocol.md,
//! section 4): it moves only on `intent`, stops on every `hold`, on an
//! e-stop, when no heartbeat arrived for the deadman time, when the last
//! confirming intent is older than the deadman time, and when the link
//! closes. It acks every intent and hold it acts on.
//!
//! Every change of motion is one line on stdout, for people and tests:
//! `move <class> seq=<n>`, `stop <why> …`, `connected …`, `resumed …`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use neuroloop_protocol::{Client, ClientOptions, OutputState, ProtocolError, Role, ServerMessage};

/// The simulated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Device {
    /// A cursor moving along x.
    Cursor,
    /// A wheelchair turning left/right (forward on any other class).
    Wheelchair,
}

struct Motion {
    class: Option<String>,
    confirmed: Instant,
    position: f64,
    updated: Instant,
}

impl Motion {
    fn advance(&mut self, device: Device) {
        let dt = self.updated.elapsed().as_secs_f64();
        self.updated = Instant::now();
        let speed = match device {
            Device::Cursor => 200.0,   // px/s
            Device::Wheelchair => 0.5, // m/s
        };
        match self.class.as_deref() {
            Some("left") => self.position -= speed * dt,
            Some(_) => self.position += speed * dt,
            None => {}
        }
    }

    fn stop(&mut self, device: Device, why: &str) {
        self.advance(device);
        if self.class.take().is_some() {
            println!("stop {why} position={:.2}", self.position);
        }
    }
}

/// Runs the actuator until the server closes (exit 0) or the connection
/// fails (exit 1).
pub fn actuator(addr: &str, token: Option<String>, device: Device) -> ExitCode {
    let options = ClientOptions {
        role: Some(Role::Actuator),
        token,
        name: Some(format!("neuroloop actuator ({device:?})").to_lowercase()),
        ..ClientOptions::default()
    };
    let mut client = match Client::connect_with(addr, &options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot connect to {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(deadman_ms) = client.deadman_ms() else {
        eprintln!("the server sends no heartbeats; refusing to actuate without a deadman");
        return ExitCode::FAILURE;
    };
    let deadman = Duration::from_millis(deadman_ms);
    println!(
        "connected session={} role={:?} deadman_ms={deadman_ms}",
        client.hello().session,
        client.role()
    );
    let _ = client.set_timeout(Some(Duration::from_millis(20)));
    let mut motion = Motion {
        class: None,
        confirmed: Instant::now(),
        position: 0.0,
        updated: Instant::now(),
    };
    // After a deadman stop, e-stop or pause, wait for a fresh intent.
    let mut latched: Option<&'static str> = None;
    loop {
        if motion.class.is_some() && motion.confirmed.elapsed() >= deadman {
            motion.stop(
                device,
                "stale (no intent confirmed the motion within the deadman time)",
            );
        }
        match client.next_message() {
            Ok(ServerMessage::Intent(i)) => {
                let _ = client.ack(i.seq);
                if latched.is_some() {
                    latched = None;
                    println!("resumed seq={}", i.seq);
                }
                motion.advance(device);
                motion.confirmed = Instant::now();
                if motion.class.as_deref() != Some(i.class.as_str()) {
                    println!("move {} seq={}", i.class, i.seq);
                    motion.class = Some(i.class);
                }
            }
            Ok(ServerMessage::Hold(h)) => {
                let _ = client.ack(h.seq);
                let why = serde_json::to_value(h.hold_reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                motion.stop(device, &format!("hold:{why} seq={}", h.seq));
            }
            Ok(ServerMessage::Status { state, by, reason }) => {
                if state != OutputState::Running {
                    latched = Some("status");
                    motion.stop(
                        device,
                        &format!("{state:?} by={by:?} reason={reason:?}").to_lowercase(),
                    );
                    println!("state {state:?}");
                } else {
                    println!("state Running");
                }
            }
            Ok(ServerMessage::Heartbeat { .. }) => {
                if latched == Some("deadman") {
                    println!("heartbeat resumed; waiting for a new intent");
                    latched = Some("heartbeat");
                }
            }
            Ok(ServerMessage::Error { code, message, .. }) => {
                eprintln!("server error {}: {message}", code.as_str());
            }
            Ok(ServerMessage::Bye { reason }) => {
                motion.stop(device, "bye");
                println!("stop bye reason={reason:?}");
                return ExitCode::SUCCESS;
            }
            Ok(ServerMessage::Welcome { .. } | ServerMessage::Hello(_)) => {}
            Err(ProtocolError::Deadman {
                silent_ms,
                limit_ms,
            }) => {
                // Stopped whether or not it was moving: the latch is what
                // matters for the next intent.
                motion.stop(device, "deadman");
                println!("deadman silent_ms={silent_ms} limit_ms={limit_ms}");
                latched = Some("deadman");
            }
            Err(ProtocolError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(ProtocolError::InvalidMessage(m)) => eprintln!("ignored a bad line: {m}"),
            Err(e) => {
                motion.stop(device, "link");
                println!("link lost: {e}");
                return if matches!(e, ProtocolError::Closed) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                };
            }
        }
    }
}
