//! The time bound on a client's backlog (`[publish] max_lag_ms`).
//!
//! The age of a client's backlog is the age of the oldest line it has not
//! read: the oldest unread line written to its socket (see `backlog`), or
//! the line taken from its queue now, whichever is older. Above `max_lag`
//! the client is *behind*: it is sent `error` `lagged` at once, and intents
//! and holds are skipped (counted as lagged lines) while heartbeats go on,
//! until the backlog is below half the bound again; then it is sent
//! `lagged` with the number skipped, and lines flow again. A client behind
//! for longer than the stall timeout is disconnected (counted as stalled).

use std::sync::atomic::Ordering;

use neuroloop_core::clock;
use neuroloop_protocol::ErrorCode;
use tokio::io::AsyncWrite;
use tokio::time::Instant;

use super::connection::{Abort, Connection};

impl<W: AsyncWrite + Unpin + Abort> Connection<W> {
    /// Judges the backlog, the next queued line being published at
    /// `queued`; false when the connection must close.
    pub(super) async fn judge_lag(&mut self, queued: f64) -> bool {
        let now = clock::now();
        let oldest = self
            .backlog
            .oldest_unread()
            .map_or(queued, |t| t.min(queued));
        let age = now - oldest;
        let limit = self.config.max_lag.as_secs_f64();
        match self.behind {
            None if age > limit => {
                self.behind = Some((Instant::now(), 0));
                self.stats.lag_episodes.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(peer = %self.peer, client = self.id, behind_ms = age * 1e3, "client behind; intents skipped until it catches up");
                let message = format!(
                    "{:.0} ms behind (limit {:.0} ms): intents and holds are skipped until the backlog is read",
                    age * 1e3,
                    limit * 1e3
                );
                self.error(ErrorCode::Lagged, message, None).await
            }
            Some((_, skipped)) if age <= limit / 2.0 => {
                self.behind = None;
                let message = format!("caught up; {skipped} intents and holds were skipped");
                self.error(ErrorCode::Lagged, message, Some(skipped)).await
            }
            Some((since, _)) if since.elapsed() > self.config.stall_timeout => {
                self.hub.stalled.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(peer = %self.peer, client = self.id, "client behind for longer than the stall timeout; disconnected");
                false
            }
            _ => true,
        }
    }
}
