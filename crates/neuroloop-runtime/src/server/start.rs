//! The protocol server as a part of a session: [`ProtocolServer::start`]
//! binds the listeners of `[publish]` (TCP, and the Unix socket and the
//! WebSocket when set), spawns their accept loops on the session's tokio
//! runtime, and hands back what the rest of the session needs: the bound
//! addresses, the [`Hub`], the connection counters, and the broadcast
//! sender the forwarder publishes on.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::runtime::Runtime;
use tokio::sync::broadcast;

use super::admit::Shared;
use super::line::Line;
use super::settings::ServerConfig;
use super::{Hub, ServerStats, accept, websocket};
use crate::config::PublishSection;
use crate::error::RuntimeError;

/// A started protocol server: its listeners run on the runtime they were
/// started on until the broadcast sender ([`Self::into_lines`]) is
/// dropped, which the forwarder does when the session ends.
pub struct ProtocolServer {
    local_addr: SocketAddr,
    websocket_addr: Option<SocketAddr>,
    lines: broadcast::Sender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
}

impl ProtocolServer {
    /// Binds TCP at `listen` (the session's `publish.tcp`, or an override
    /// such as port 0 in tests), then `publish.unix` and
    /// `publish.websocket` when set, and spawns their accept loops on
    /// `runtime`. The hello names `session` and its `classes`.
    ///
    /// # Errors
    /// [`RuntimeError::Bind`] if the TCP or WebSocket address cannot be
    /// bound; [`RuntimeError::Io`] if the Unix socket cannot be bound or
    /// `publish.websocket` is not an IP:port. Nothing keeps listening after
    /// an error once `runtime` is dropped.
    pub fn start(
        runtime: &Runtime,
        publish: &PublishSection,
        session: &str,
        classes: &[String],
        listen: SocketAddr,
    ) -> Result<Self, RuntimeError> {
        let listener = bind_tcp(runtime, listen, publish)?;
        let local_addr = listener.local_addr()?;
        let (lines, _) = broadcast::channel::<Line>(publish.queue);
        let stats = Arc::new(ServerStats::default());
        let hub = Arc::new(Hub::new(publish));
        let shared = Shared::new(
            Arc::new(ServerConfig::new(publish, session, classes)),
            lines.downgrade(),
            Arc::clone(&stats),
            Arc::clone(&hub),
        );
        if let Some(path) = &publish.unix {
            spawn_unix(runtime, PathBuf::from(path), shared.clone())?;
        }
        let websocket_addr = match publish.websocket.as_deref() {
            Some(websocket) => Some(spawn_websocket(
                runtime,
                websocket,
                publish,
                shared.clone(),
            )?),
            None => None,
        };
        runtime.spawn(accept::serve(listener, shared));
        Ok(Self {
            local_addr,
            websocket_addr,
            lines,
            stats,
            hub,
        })
    }

    /// Where TCP clients connect.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where WebSocket clients connect, if `publish.websocket` is set.
    #[must_use]
    pub fn websocket_addr(&self) -> Option<SocketAddr> {
        self.websocket_addr
    }

    /// The output state, acks and protocol counters.
    #[must_use]
    pub fn hub(&self) -> Arc<Hub> {
        Arc::clone(&self.hub)
    }

    /// Connection counters.
    #[must_use]
    pub fn stats(&self) -> Arc<ServerStats> {
        Arc::clone(&self.stats)
    }

    /// The broadcast sender, for the forwarder ([`super::forward`]); other
    /// consumers (the LSL intents outlet) subscribe to it before it is
    /// handed over. The listeners end once it is dropped.
    #[must_use]
    pub fn into_lines(self) -> broadcast::Sender<Line> {
        self.lines
    }
}

fn bind_tcp(
    runtime: &Runtime,
    addr: SocketAddr,
    publish: &PublishSection,
) -> Result<tokio::net::TcpListener, RuntimeError> {
    runtime
        .block_on(async { accept::bind(addr, publish.send_buffer_bytes) })
        .map_err(|source| RuntimeError::Bind { addr, source })
}

fn spawn_unix(runtime: &Runtime, path: PathBuf, shared: Shared) -> Result<(), RuntimeError> {
    let unix = runtime
        .block_on(async { accept::bind_unix(&path) })
        .map_err(|e| {
            std::io::Error::new(e.kind(), format!("unix socket {}: {e}", path.display()))
        })?;
    runtime.spawn(accept::serve_unix(unix, path, shared));
    Ok(())
}

fn spawn_websocket(
    runtime: &Runtime,
    websocket: &str,
    publish: &PublishSection,
    shared: Shared,
) -> Result<SocketAddr, RuntimeError> {
    let addr: SocketAddr = websocket.parse().map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("publish.websocket {websocket:?}: {e}"),
        )
    })?;
    let listener = bind_tcp(runtime, addr, publish)?;
    let bound = listener.local_addr()?;
    runtime.spawn(websocket::serve(
        listener,
        publish.websocket_origins.clone(),
        shared,
    ));
    Ok(bound)
}
