//! The publishers part: the I/O runtime with the protocol servers (TCP,
//! and with `[publish]` a Unix socket and a WebSocket listener), the LSL
//! outlets of `[lsl]` (intents, filtered signal), and the forwarder thread
//! that turns the pipeline's intents into lines for all of them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_core::Intent;
use neuroloop_core::ring::RingWriter;
use tokio::sync::broadcast;

use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::filtered_outlet::FilteredOutletReport;
use crate::latency::LatencyHistograms;
use crate::recorder::LineFeed;
use crate::server::{Hub, Line, ProtocolServer, ServerStats, Taps, forward};

/// The running servers and outlets, and the lines they all read.
pub struct Publishers {
    /// The I/O runtime the servers run on.
    pub(super) runtime: tokio::runtime::Runtime,
    /// Where protocol clients connect.
    pub(super) local_addr: SocketAddr,
    /// Where WebSocket clients connect, if listening.
    pub(super) websocket_addr: Option<SocketAddr>,
    /// Connection counters.
    pub(super) server: Arc<ServerStats>,
    /// Output state, acks and protocol counters.
    pub(super) hub: Arc<Hub>,
    /// The intents LSL outlet's thread and consumer watch, if `[lsl]
    /// intents_outlet` (the watch is dropped before the thread is joined:
    /// it keeps the outlet open).
    pub(super) lsl_outlet: Option<crate::lsl_outlet::IntentsOutlet>,
    /// The filtered-signal outlet's thread, if `[lsl] filtered_outlet`.
    pub(super) filtered_outlet: Option<JoinHandle<FilteredOutletReport>>,
    /// The pipeline's end of the filtered-signal ring.
    pub(super) filtered_tap: Option<RingWriter>,
    /// The lines' only sender, until the forwarder takes it.
    lines: Option<broadcast::Sender<Line>>,
    /// The recorder's intake, if recording (the forwarder takes it).
    pub(super) record_lines: Option<LineFeed>,
    classes: Vec<String>,
}

impl Publishers {
    /// Starts the protocol server ([`ProtocolServer::start`]: `listen`
    /// instead of `publish.tcp`, e.g. port 0) and opens the outlets.
    ///
    /// # Errors
    /// [`RuntimeError::Bind`] if an address is taken, [`RuntimeError::Lsl`]
    /// if an outlet cannot open, [`RuntimeError::Io`] for the runtime.
    pub fn start(cfg: &ValidatedSession, listen: Option<SocketAddr>) -> Result<Self, RuntimeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("neuroloop-io")
            .enable_all()
            .build()?;
        let protocol = ProtocolServer::start(
            &runtime,
            &cfg.publish,
            &cfg.session.name,
            &cfg.classes,
            listen.unwrap_or(cfg.publish_addr),
        )?;
        let (local_addr, websocket_addr) = (protocol.local_addr(), protocol.websocket_addr());
        let (server, hub) = (protocol.stats(), protocol.hub());
        let lines = protocol.into_lines();
        let lsl_outlet = crate::lsl_outlet::spawn(cfg, &lines)?;
        let (filtered_tap, filtered_outlet) = match crate::filtered_outlet::spawn(cfg)? {
            Some(f) => (Some(f.tap), Some(f.thread)),
            None => (None, None),
        };
        Ok(Self {
            runtime,
            local_addr,
            websocket_addr,
            server,
            hub,
            lsl_outlet,
            filtered_outlet,
            filtered_tap,
            lines: Some(lines),
            record_lines: None,
            classes: cfg.classes.clone(),
        })
    }

    /// Starts the forwarder on `intents`; `tap` also receives every
    /// published intent, and the recorder (if recording) every published
    /// line. The lines close when it ends.
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if the thread cannot start or was started
    /// before.
    pub(super) fn spawn_forwarder(
        &mut self,
        intents: Receiver<Intent>,
        tap: Option<Sender<Intent>>,
    ) -> Result<JoinHandle<LatencyHistograms>, RuntimeError> {
        // The forwarder holds the only sender: the servers see the end.
        let lines = self.lines.take().ok_or(RuntimeError::Thread("forwarder"))?;
        let classes = std::mem::take(&mut self.classes);
        let hub = Arc::clone(&self.hub);
        let record = self.record_lines.take();
        std::thread::Builder::new()
            .name("neuroloop-forwarder".into())
            .spawn(move || {
                forward(
                    intents,
                    lines,
                    classes,
                    hub,
                    Taps {
                        intents: tap,
                        record,
                    },
                )
            })
            .map_err(|_| RuntimeError::Thread("forwarder"))
    }
}
