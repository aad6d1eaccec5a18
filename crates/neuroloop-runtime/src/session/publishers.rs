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
use crate::publisher::{Line, ServerStats, forward};
use crate::server::{Hub, ServerConfig};

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
    /// The intents LSL outlet's thread, if `[lsl] intents_outlet`.
    pub(super) lsl_outlet: Option<JoinHandle<u64>>,
    /// The filtered-signal outlet's thread, if `[lsl] filtered_outlet`.
    pub(super) filtered_outlet: Option<JoinHandle<FilteredOutletReport>>,
    /// The pipeline's end of the filtered-signal ring.
    pub(super) filtered_tap: Option<RingWriter>,
    /// The lines' only sender, until the forwarder takes it.
    lines: Option<broadcast::Sender<Line>>,
    classes: Vec<String>,
}

impl Publishers {
    /// Binds the servers (`listen` instead of `publish.tcp`, e.g. port 0)
    /// and opens the outlets.
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
        let (lines, _) = broadcast::channel::<Line>(cfg.publish.queue);
        let server = Arc::new(ServerStats::default());
        let hub = Arc::new(Hub::new(&cfg.publish));
        let config = Arc::new(ServerConfig::new(
            &cfg.publish,
            &cfg.session.name,
            &cfg.classes,
        ));
        let shared = Shared {
            config,
            lines: &lines,
            server: &server,
            hub: &hub,
        };
        let addr = listen.unwrap_or(cfg.publish_addr);
        let local_addr = serve_tcp(&runtime, cfg, addr, &shared)?;
        serve_unix(&runtime, cfg, &shared)?;
        let websocket_addr = serve_websocket(&runtime, cfg, &shared)?;
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
            classes: cfg.classes.clone(),
        })
    }

    /// A receiver of every line published from now on (`None` once the
    /// forwarder has started).
    pub(super) fn subscribe(&self) -> Option<broadcast::Receiver<Line>> {
        self.lines.as_ref().map(broadcast::Sender::subscribe)
    }

    /// Starts the forwarder on `intents`; `tap` also receives every
    /// published intent. The lines close when it ends.
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
        std::thread::Builder::new()
            .name("neuroloop-forwarder".into())
            .spawn(move || forward(intents, lines, classes, hub, tap))
            .map_err(|_| RuntimeError::Thread("forwarder"))
    }
}

/// What every server shares.
struct Shared<'a> {
    config: Arc<ServerConfig>,
    lines: &'a broadcast::Sender<Line>,
    server: &'a Arc<ServerStats>,
    hub: &'a Arc<Hub>,
}

/// The TCP server at `addr`; returns where it listens.
fn serve_tcp(
    runtime: &tokio::runtime::Runtime,
    cfg: &ValidatedSession,
    addr: SocketAddr,
    shared: &Shared<'_>,
) -> Result<SocketAddr, RuntimeError> {
    let listener = runtime
        .block_on(async { crate::server::bind(addr, cfg.publish.send_buffer_bytes) })
        .map_err(|source| RuntimeError::Bind { addr, source })?;
    let local_addr = listener.local_addr()?;
    runtime.spawn(crate::server::serve(
        listener,
        Arc::clone(&shared.config),
        shared.lines.downgrade(),
        Arc::clone(shared.server),
        Arc::clone(shared.hub),
    ));
    Ok(local_addr)
}

/// The Unix-socket server, if `publish.unix` is set.
fn serve_unix(
    runtime: &tokio::runtime::Runtime,
    cfg: &ValidatedSession,
    shared: &Shared<'_>,
) -> Result<(), RuntimeError> {
    let Some(path) = &cfg.publish.unix else {
        return Ok(());
    };
    let path = std::path::PathBuf::from(path);
    let unix = runtime
        .block_on(async { crate::server::bind_unix(&path) })
        .map_err(|e| {
            std::io::Error::new(e.kind(), format!("unix socket {}: {e}", path.display()))
        })?;
    runtime.spawn(crate::server::serve_unix(
        unix,
        path,
        Arc::clone(&shared.config),
        shared.lines.downgrade(),
        Arc::clone(shared.server),
        Arc::clone(shared.hub),
    ));
    Ok(())
}

/// The WebSocket server, if `publish.websocket` is set; returns where it
/// listens.
fn serve_websocket(
    runtime: &tokio::runtime::Runtime,
    cfg: &ValidatedSession,
    shared: &Shared<'_>,
) -> Result<Option<SocketAddr>, RuntimeError> {
    let Some(websocket) = cfg.publish.websocket.as_deref() else {
        return Ok(None);
    };
    let addr: SocketAddr = websocket.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("publish.websocket {websocket:?}: {e}"),
        )
    })?;
    let listener = runtime
        .block_on(async { crate::server::bind(addr, cfg.publish.send_buffer_bytes) })
        .map_err(|source| RuntimeError::Bind { addr, source })?;
    let bound = listener.local_addr()?;
    runtime.spawn(crate::server_ws::serve(
        listener,
        Arc::clone(&shared.config),
        cfg.publish.websocket_origins.clone(),
        shared.lines.downgrade(),
        Arc::clone(shared.server),
        Arc::clone(shared.hub),
    ));
    Ok(Some(bound))
}
