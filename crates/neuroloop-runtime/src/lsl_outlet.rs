//! Intents as an LSL string marker stream (`[lsl] intents_outlet`).
//!
//! A thread subscribes to the forwarder's broadcast of protocol lines — the
//! same serialised intents TCP clients get — and pushes each intent line
//! (class or hold: every line with a `seq` and `t.sample`)
//! (without its newline) as one sample of an irregular, one-channel string
//! stream, stamped with the intent's sample time (`t.sample`, the local
//! clock = `lsl_local_clock`), so LabRecorder records intents aligned with
//! the EEG. It never touches the pipeline thread; it ends when the
//! forwarder hangs up.

use std::thread::JoinHandle;

use neuroloop_lsl::{ChannelFormat, ConsumerWatch, LslError, Outlet, Settings, StreamInfo};
use serde::Deserialize;
use tokio::sync::broadcast;

use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::server::Line;

/// Seconds (× 100 samples for an irregular stream) liblsl buffers for slow
/// consumers.
const OUTLET_BUFFER_S: u32 = 60;

/// What marks a line as an intent (class or hold): a sequence number and
/// stage times.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default)]
    t: Option<Times>,
}

/// How long the outlet stays up after the last intent when inlets are
/// connected.
const LINGER: std::time::Duration = std::time::Duration::from_millis(500);

#[derive(Deserialize)]
struct Times {
    sample: f64,
}

/// The intents outlet's thread and a watch on its consumers.
pub struct IntentsOutlet {
    /// Returns the number of intents pushed once the forwarder hangs up.
    pub thread: JoinHandle<u64>,
    /// Whether LSL inlets are connected; keeps the outlet open while held.
    pub consumers: ConsumerWatch,
}

/// Opens the intents outlet and starts its thread, if `[lsl]
/// intents_outlet` is set.
///
/// # Errors
/// [`RuntimeError::Lsl`] if liblsl is missing or the outlet cannot open;
/// [`RuntimeError::Thread`] if the thread cannot start.
pub fn spawn(
    cfg: &ValidatedSession,
    lines: &broadcast::Sender<Line>,
) -> Result<Option<IntentsOutlet>, RuntimeError> {
    let Some(name) = &cfg.lsl.intents_outlet else {
        return Ok(None);
    };
    let source_id = format!("neuroloop-{}-{name}", cfg.session.name);
    spawn_outlet(&cfg.lsl.settings(), name, &source_id, lines.subscribe()).map(Some)
}

/// Opens an intents outlet named `name` and starts the thread that pushes
/// every intent line `rx` receives, until its sender is gone.
///
/// # Errors
/// [`RuntimeError::Lsl`] if liblsl is missing or the outlet cannot open;
/// [`RuntimeError::Thread`] if the thread cannot start.
pub fn spawn_outlet(
    settings: &Settings,
    name: &str,
    source_id: &str,
    rx: broadcast::Receiver<Line>,
) -> Result<IntentsOutlet, RuntimeError> {
    let lsl = neuroloop_lsl::load(settings)?;
    let info = StreamInfo::new(
        lsl,
        name,
        "Markers",
        1,
        0.0,
        ChannelFormat::String,
        source_id,
    )?;
    let outlet = Outlet::open(&info, OUTLET_BUFFER_S)?;
    let consumers = outlet.consumer_watch();
    let thread = std::thread::Builder::new()
        .name("neuroloop-lsl-outlet".into())
        .spawn(move || push_intents(outlet, rx))
        .map_err(|_| RuntimeError::Thread("lsl outlet"))?;
    tracing::info!(stream = %name, "LSL intents outlet open");
    Ok(IntentsOutlet { thread, consumers })
}

fn push_intents(mut outlet: Outlet, mut rx: broadcast::Receiver<Line>) -> u64 {
    let mut pushed = 0;
    loop {
        match rx.blocking_recv() {
            Ok(line) => match push_line(&mut outlet, &line) {
                Ok(true) => pushed += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "intent not pushed to LSL"),
            },
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(dropped = n, "LSL outlet fell behind; intents dropped");
            }
            Err(broadcast::error::RecvError::Closed) => {
                // liblsl has no flush: destroying the outlet drops what its
                // sockets have not sent yet, so give connected inlets a moment.
                if outlet.have_consumers() {
                    std::thread::sleep(LINGER);
                }
                return pushed;
            }
        }
    }
}

/// Pushes `line` if it is an intent; whether it was.
fn push_line(outlet: &mut Outlet, line: &[u8]) -> Result<bool, LslError> {
    let Ok(probe) = serde_json::from_slice::<Probe>(line) else {
        return Ok(false);
    };
    let (Some(_), Some(t)) = (probe.seq, probe.t) else {
        return Ok(false);
    };
    let text = std::str::from_utf8(line).unwrap_or_default().trim_end();
    outlet.push_str(text, t.sample)?;
    Ok(true)
}
