//! The session a latency benchmark measures: started with a tap on every
//! published intent (all its stage stamps) and, unless the actuator is
//! external, an actuator client in this process that acks each intent and
//! hold, so the report has the publish → ack round trip.

use std::net::SocketAddr;
use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_core::{Intent, clock};
use neuroloop_protocol::{Client, ClientMessage, ClientOptions, Role, ServerMessage};
use neuroloop_runtime::{SessionReport, StartOptions};

use super::ClientKind;

/// What a benchmark run leaves: the report, every published intent, and
/// the session's facts.
pub struct BenchRun {
    /// The session's end-of-run report.
    pub report: SessionReport,
    /// Every intent and hold as published, in order.
    pub intents: Vec<Intent>,
    /// Process-clock time the session started.
    pub started: f64,
    /// Seconds between windows (`hop_s`).
    pub hop_s: f64,
    /// Sample rate and channel count of the input.
    pub rate_hz: f64,
    /// Channels of the input.
    pub channels: usize,
    /// The `[source] type`.
    pub source: String,
    /// The bundle directory of a `[decoder] type = "bundle"`.
    pub bundle: Option<std::path::PathBuf>,
    /// The actuator.
    pub client: ClientKind,
    /// Acks the in-process client sent.
    pub acks: u64,
}

/// Runs the session of `config` for `duration_s` (or until its source
/// ends or a signal).
///
/// # Errors
/// The config's problems, a session that cannot start or fails, or an
/// in-process client that cannot connect.
pub fn run(config: &Path, duration_s: f64, client: ClientKind) -> Result<BenchRun, String> {
    let waiter = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the signal handling runtime: {e}"))?;
    let signals = {
        let _context = waiter.enter();
        crate::run::Signals::install()
    };
    let validated = neuroloop_runtime::load(config).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        format!(
            "{}: {} problem(s); nothing started\n{}",
            config.display(),
            errors.len(),
            lines.join("\n")
        )
    })?;
    let input = &validated.pipeline.input;
    let (rate_hz, channels) = (input.sample_rate, input.channel_count());
    let hop_s = validated.pipeline.windows.hop_samples as f64 / rate_hz;
    let source = validated.source.kind().to_string();
    let bundle = validated
        .decoder
        .is_bundle()
        .then(|| validated.decoder.bundle_dir(&validated.path))
        .flatten();
    let token = validated.publish.token.clone();
    let (tap, tapped) = crossbeam_channel::unbounded();
    let options = StartOptions {
        intent_tap: Some(tap),
        wait_for_clients: usize::from(client == ClientKind::InProcess),
        ..StartOptions::default()
    };
    let session = neuroloop_runtime::start(validated, options)
        .map_err(|e| format!("cannot start session: {e}"))?;
    let started = clock::now();
    let acker = match client {
        ClientKind::InProcess => {
            let (thread, connected) = spawn_acker(session.local_addr(), token);
            // The source waits for this client: a client that cannot
            // connect ends the benchmark now, not after the duration.
            let failure = match connected.recv_timeout(Duration::from_secs(30)) {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("the in-process client did not connect within 30 s".into()),
            };
            if let Some(e) = failure {
                session.stop();
                let _ = session.finish();
                return Err(e);
            }
            Some(thread)
        }
        ClientKind::External => {
            errln!("intents on {}: connect the actuator", session.local_addr());
            None
        }
    };
    crate::run::wait_for_end(&waiter, signals, &session, Some(duration_s));
    let report = session
        .finish()
        .map_err(|e| format!("session failed: {e}"))?;
    let acks = match acker {
        Some(thread) => thread
            .join()
            .map_err(|_| "the in-process client panicked".to_string())??,
        None => 0,
    };
    Ok(BenchRun {
        report,
        intents: tapped.try_iter().collect(),
        started,
        hop_s,
        rate_hz,
        channels,
        source,
        bundle,
        client,
        acks,
    })
}

/// The in-process client's thread: its acks, or why it failed.
type Acker = JoinHandle<Result<u64, String>>;
/// Whether the in-process client connected.
type Connected = std::sync::mpsc::Receiver<Result<(), String>>;

/// An actuator that acks every intent and hold until the session says
/// `bye`; returns the number of acks. The channel says whether it
/// connected.
fn spawn_acker(addr: SocketAddr, token: Option<String>) -> (Acker, Connected) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let options = ClientOptions {
            role: Some(Role::Actuator),
            token,
            name: Some("bench latency".into()),
            timeout: Duration::from_secs(10),
            ..ClientOptions::default()
        };
        let mut client = match Client::connect_with(addr, &options) {
            Ok(c) => c,
            Err(e) => {
                let message = format!("the in-process client cannot connect to {addr}: {e}");
                let _ = tx.send(Err(message.clone()));
                return Err(message);
            }
        };
        let _ = tx.send(Ok(()));
        let mut acks = 0;
        loop {
            match client.next_message() {
                Ok(ServerMessage::Intent(m) | ServerMessage::Hold(m)) => {
                    if client.send(&ClientMessage::Ack { seq: m.seq }).is_err() {
                        break;
                    }
                    acks += 1;
                }
                Ok(ServerMessage::Bye { .. }) | Err(_) => break,
                Ok(_) => {}
            }
        }
        Ok(acks)
    });
    (thread, rx)
}
