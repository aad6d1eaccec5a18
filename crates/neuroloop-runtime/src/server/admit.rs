//! Admission of a new connection: its task and subscription, or a
//! refusal at the connection limit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use neuroloop_protocol::{ErrorCode, Role, ServerMessage};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::backlog::{Backlog, Probe};
use super::connection::{Abort, Connection};
use super::line::Line;
use super::settings::{ServerConfig, hello_line};
use super::{Hub, ServerStats};

/// What every connection shares: settings, the broadcast of intent lines,
/// counters, the hub and the serialised hello.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) config: Arc<ServerConfig>,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
    hello: Line,
}

impl Shared {
    pub(crate) fn new(
        config: Arc<ServerConfig>,
        lines: broadcast::WeakSender<Line>,
        stats: Arc<ServerStats>,
        hub: Arc<Hub>,
    ) -> Self {
        Self {
            hello: hello_line(&config),
            config,
            lines,
            stats,
            hub,
        }
    }

    /// False once the session has ended (the forwarder, the only strong
    /// sender of the lines, is gone).
    pub(crate) fn session_alive(&self) -> bool {
        self.lines.upgrade().is_some()
    }

    /// Serves a new connection (or refuses it at the connection limit).
    /// False once the session has ended.
    pub(crate) fn admit<R, W>(&self, read: R, mut write: W, peer: String, probe: Probe) -> bool
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + Abort + 'static,
    {
        let Some(sender) = self.lines.upgrade() else {
            return false;
        };
        let id = self.hub.next_client.fetch_add(1, Ordering::Relaxed) + 1;
        if self.stats.active.load(Ordering::Relaxed) as usize >= self.config.max_connections {
            self.hub.refused.fetch_add(1, Ordering::Relaxed);
            let mut out = self.hello.to_vec();
            error_line(
                ErrorCode::TooManyConnections,
                format!(
                    "the server is at its limit of {} connections",
                    self.config.max_connections
                ),
                None,
                &mut out,
            );
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), write.write_all(&out)).await;
                let _ = write.shutdown().await;
                drop(read);
            });
            return true;
        }
        let rx = sender.subscribe();
        drop(sender);
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        self.stats.active.fetch_add(1, Ordering::Relaxed);
        let connection = Connection {
            id,
            peer,
            config: Arc::clone(&self.config),
            hub: Arc::clone(&self.hub),
            stats: Arc::clone(&self.stats),
            role: Role::Observer,
            admitted: self.config.token.is_none(),
            said_hello: false,
            write,
            out: Vec::with_capacity(512),
            tokens: f64::from(self.config.max_msgs_per_s),
            refilled: Instant::now(),
            rate_error_at: None,
            backlog: Backlog::new(probe),
            behind: None,
            cut: false,
        };
        let hello = self.hello.clone();
        let stats = Arc::clone(&self.stats);
        tokio::spawn(async move {
            connection.run(read, hello, rx).await;
            stats.active.fetch_sub(1, Ordering::Relaxed);
        });
        true
    }
}

fn error_line(code: ErrorCode, message: String, dropped: Option<u64>, out: &mut Vec<u8>) {
    ServerMessage::Error {
        code,
        message,
        dropped,
    }
    .write_line(out);
}
