//! `neuroloop actuator [ADDR]`: an example actuator, a simulated cursor or
//! wheelchair, or audio feedback ([`crate::actuator_sound`]), that follows the protocol's safety rules (docs/protocol.md,
//! section 4): it moves only on a current `intent` (before its
//! `valid_until`), stops on every `hold`, on a stale intent, on an e-stop,
//! when no fresh heartbeat arrived for the deadman time, when the last
//! confirming intent is older than the deadman time, and when the link
//! closes. After any heartbeat gap (its own watchdog, or a heartbeat that
//! was sent longer than the deadman time ago, as after the actuator itself
//! was frozen) it stays stopped until a fresh heartbeat *and* a new current
//! intent arrive. It acks every intent and hold it reads (a stale intent is
//! handled, and acked, as a hold).
//!
//! Every change of motion is one line on stdout, for people and tests:
//! `move <class> seq=<n> age_ms=<a>`, `stop <why> …`, `connected …`,
//! `heartbeat fresh …`, `stale …`, `ignored …`, `resumed …`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use neuroloop_audio::Cue;
use neuroloop_protocol::{Client, ClientOptions, OutputState, ProtocolError, Role, ServerMessage};

use crate::actuator_sound::Sound;

/// The simulated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Device {
    /// A cursor moving along x.
    Cursor,
    /// A wheelchair turning left/right (forward on any other class).
    Wheelchair,
    /// Audio feedback: a tone per intent class, silence on stops, a siren
    /// on e-stop and beeps on deadman (`--audio-device`).
    Audio,
}

/// What must arrive before the device may move again.
struct Gate {
    /// A fresh heartbeat (sent within the deadman time).
    need_heartbeat: bool,
    /// A new, current intent.
    need_intent: bool,
}

struct Motion {
    class: Option<String>,
    confirmed: Instant,
    position: f64,
    updated: Instant,
    sound: Option<Sound>,
}

impl Motion {
    fn advance(&mut self, device: Device) {
        let dt = self.updated.elapsed().as_secs_f64();
        self.updated = Instant::now();
        let speed = match device {
            Device::Cursor => 200.0,   // px/s
            Device::Wheelchair => 0.5, // m/s
            Device::Audio => 0.0,
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
        if let Some(sound) = &mut self.sound {
            sound.stop(why);
        }
    }

    /// The sound's summary line, if it has one.
    fn finish(&mut self) {
        if let Some(sound) = &mut self.sound {
            println!("{}", sound.summary());
        }
    }
}

/// Runs the actuator until the server closes (exit 0) or the connection
/// fails (exit 1).
pub fn actuator(
    addr: &str,
    token: Option<String>,
    device: Device,
    audio_device: Option<String>,
) -> ExitCode {
    if audio_device.is_some() && device != Device::Audio {
        eprintln!("--audio-device needs --device audio");
        return ExitCode::FAILURE;
    }
    let sound = match device {
        Device::Audio => match Sound::open(audio_device) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("cannot open the audio output: {e}");
                return ExitCode::FAILURE;
            }
        },
        _ => None,
    };
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
        sound,
    };
    // No motion before a fresh heartbeat (the server clock is unknown until
    // then), and after a heartbeat gap, e-stop or pause none before a new
    // intent as well.
    let mut gate = Gate {
        need_heartbeat: true,
        need_intent: false,
    };
    loop {
        if motion.class.is_some() && motion.confirmed.elapsed() >= deadman {
            motion.stop(
                device,
                "stale (no intent confirmed the motion within the deadman time)",
            );
        }
        match client.next_message() {
            Ok(ServerMessage::Intent(i)) => {
                let age_ms = client
                    .age_of(i.t.arrival.get())
                    .map_or(f64::NAN, |a| a * 1e3);
                // Every intent read is acked, also those handled as holds
                // below: the server judges the actuator's lag by its acks.
                let _ = client.ack(i.seq);
                if gate.need_heartbeat {
                    motion.stop(device, "waiting for a fresh heartbeat");
                    println!("ignored seq={} (no fresh heartbeat yet)", i.seq);
                    continue;
                }
                if !client.is_current(&i) {
                    // Past its valid_until (it waited in a buffer): a hold.
                    motion.stop(device, &format!("stale intent seq={}", i.seq));
                    println!("stale seq={} age_ms={age_ms:.0}", i.seq);
                    continue;
                }
                if gate.need_intent {
                    gate.need_intent = false;
                    println!("resumed seq={}", i.seq);
                }
                motion.advance(device);
                motion.confirmed = Instant::now();
                if let Some(sound) = &mut motion.sound {
                    sound.cue(Cue::Class(i.class_index));
                }
                if motion.class.as_deref() != Some(i.class.as_str()) {
                    println!("move {} seq={} age_ms={age_ms:.0}", i.class, i.seq);
                    motion.class = Some(i.class);
                }
            }
            Ok(ServerMessage::Hold(h)) => {
                let _ = client.ack(h.seq);
                motion.stop(device, &hold_stop(h.hold_reason, h.seq));
            }
            Ok(ServerMessage::Status { state, by, reason }) => {
                if state != OutputState::Running {
                    gate.need_intent = true;
                    motion.stop(device, &status_stop(state, by.as_ref(), reason.as_ref()));
                    println!("state {state:?}");
                } else {
                    println!("state Running");
                }
            }
            Ok(ServerMessage::Heartbeat { n, t, .. }) => {
                let age_ms = client.age_of(t.get()).map_or(f64::NAN, |a| a * 1e3);
                if client.last_heartbeat_fresh() {
                    if gate.need_heartbeat {
                        gate.need_heartbeat = false;
                        println!("heartbeat fresh n={n} t={t} age_ms={age_ms:.0}");
                    }
                } else {
                    // Sent longer than the deadman time ago: there was a gap.
                    motion.stop(device, "stale heartbeat");
                    if !gate.need_heartbeat {
                        println!("stale heartbeat n={n} age_ms={age_ms:.0}");
                    }
                    gate.need_heartbeat = true;
                    gate.need_intent = true;
                }
            }
            Ok(ServerMessage::Error { code, message, .. }) => {
                eprintln!("server error {}: {message}", code.as_str());
            }
            Ok(ServerMessage::Bye { reason }) => {
                motion.stop(device, "bye");
                println!("stop bye reason={reason:?}");
                motion.finish();
                return ExitCode::SUCCESS;
            }
            Ok(ServerMessage::Welcome { .. } | ServerMessage::Hello(_)) => {}
            Err(ProtocolError::Deadman {
                silent_ms,
                limit_ms,
            }) => {
                // Stopped whether or not it was moving: the gate is what
                // matters for the next intent.
                motion.stop(device, "deadman");
                println!("deadman silent_ms={silent_ms} limit_ms={limit_ms}");
                gate.need_heartbeat = true;
                gate.need_intent = true;
            }
            Err(ProtocolError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(ProtocolError::InvalidMessage(m)) => eprintln!("ignored a bad line: {m}"),
            Err(e) => {
                motion.stop(device, "link");
                println!("link lost: {e}");
                motion.finish();
                return if matches!(e, ProtocolError::Closed) {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                };
            }
        }
    }
}

/// Why the device stops on a hold: `hold:<reason> seq=<seq>`.
pub(crate) fn hold_stop(reason: neuroloop_core::HoldReason, seq: u64) -> String {
    format!(
        "hold:{} seq={seq}",
        neuroloop_protocol::hold_reason_name(reason)
    )
}

/// Why the device stops when the output leaves `running`: the state, who
/// changed it and why, in lower case.
pub(crate) fn status_stop(
    state: OutputState,
    by: Option<&impl std::fmt::Debug>,
    reason: Option<&impl std::fmt::Debug>,
) -> String {
    format!("{state:?} by={by:?} reason={reason:?}").to_lowercase()
}
