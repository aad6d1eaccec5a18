//! One connection's loop: the hello, broadcast lines, status changes and
//! heartbeats out, client lines in; writes with the stall timeout and the
//! client's rate limit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use neuroloop_core::clock;
use neuroloop_protocol::{ErrorCode, OutputState, Role, ServerMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio::time::{Instant, MissedTickBehavior};

use super::output::is_class_intent;
use super::{Hub, ServerConfig};
use crate::publisher::{Line, ServerStats};

/// What to do after a client line.
pub(super) enum Next {
    Go,
    Close,
}

pub(super) struct Connection<W> {
    pub(super) id: u64,
    pub(super) peer: String,
    pub(super) config: Arc<ServerConfig>,
    pub(super) hub: Arc<Hub>,
    pub(super) stats: Arc<ServerStats>,
    pub(super) role: Role,
    pub(super) admitted: bool,
    pub(super) said_hello: bool,
    pub(super) write: W,
    pub(super) out: Vec<u8>,
    pub(super) tokens: f64,
    pub(super) refilled: Instant,
    pub(super) rate_error_at: Option<Instant>,
}

impl<W: AsyncWrite + Unpin> Connection<W> {
    pub(super) async fn run<R: AsyncRead + Unpin>(
        mut self,
        mut read: R,
        hello: Line,
        mut lines: broadcast::Receiver<Line>,
    ) {
        tracing::info!(peer = %self.peer, client = self.id, "client connected");
        if !self.write(&hello).await {
            return;
        }
        let mut status = self.hub.status.subscribe();
        status.mark_unchanged();
        let mut heartbeat = tokio::time::interval_at(
            Instant::now() + self.config.heartbeat,
            self.config.heartbeat,
        );
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let hello_deadline = tokio::time::sleep(self.config.hello_timeout);
        tokio::pin!(hello_deadline);
        let mut splitter = neuroloop_protocol::LineSplitter::new(self.config.max_line_bytes);
        let mut buffer = vec![0u8; 4096];
        let mut beats = 0u64;
        let mut dropped = 0u64;
        'connection: loop {
            tokio::select! {
                biased;
                read = read.read(&mut buffer) => {
                    let n = match read {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    splitter.push(&buffer[..n]);
                    let was_admitted = self.admitted;
                    while let Some(item) = splitter.pop() {
                        if let Next::Close = self.client_line(item).await {
                            break 'connection;
                        }
                    }
                    if !was_admitted && self.admitted {
                        // Lines published before admission are not this
                        // client's: start at the newest, without a lag report.
                        lines = lines.resubscribe();
                    }
                }
                () = &mut hello_deadline, if !self.admitted => {
                    self.error(ErrorCode::Unauthorized, "no hello with the session token in time".into(), None).await;
                    break;
                }
                changed = status.changed(), if self.admitted => {
                    if changed.is_err() {
                        break;
                    }
                    let s = status.borrow_and_update().clone();
                    if !self.send(&ServerMessage::Status { state: s.state, by: s.by, reason: s.reason }).await {
                        break;
                    }
                }
                line = lines.recv(), if self.admitted => match line {
                    Ok(line) => {
                        if self.hub.state() != OutputState::Running && is_class_intent(&line) {
                            continue;
                        }
                        if !self.write(&line).await {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        dropped += n;
                        self.stats.lagged_lines.fetch_add(n, Ordering::Relaxed);
                        tracing::warn!(peer = %self.peer, dropped = n, "client too slow; oldest lines dropped");
                        if !self.error(ErrorCode::Lagged, format!("{n} lines dropped ({dropped} in all); read faster"), Some(n)).await {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = heartbeat.tick(), if self.admitted => {
                    beats += 1;
                    let beat = ServerMessage::Heartbeat {
                        n: beats,
                        t: clock::now(),
                        state: self.hub.state(),
                        last_seq: self.hub.last_seq(),
                    };
                    if !self.send(&beat).await {
                        break;
                    }
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), self.write.shutdown()).await;
        tracing::info!(peer = %self.peer, client = self.id, "client disconnected");
    }

    /// Writes bytes; false when the client is gone or stalled.
    pub(super) async fn write(&mut self, bytes: &[u8]) -> bool {
        match tokio::time::timeout(self.config.stall_timeout, self.write.write_all(bytes)).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                self.hub.stalled.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(peer = %self.peer, client = self.id, "client stalled; disconnected");
                false
            }
        }
    }

    pub(super) async fn send(&mut self, message: &ServerMessage) -> bool {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        message.write_line(&mut out);
        let ok = self.write(&out).await;
        self.out = out;
        ok
    }

    pub(super) async fn error(
        &mut self,
        code: ErrorCode,
        message: String,
        dropped: Option<u64>,
    ) -> bool {
        self.hub.errors_sent.fetch_add(1, Ordering::Relaxed);
        self.send(&ServerMessage::Error {
            code,
            message,
            dropped,
        })
        .await
    }

    /// Token bucket: `max_msgs_per_s` sustained, the same as burst.
    pub(super) fn within_rate(&mut self) -> bool {
        let rate = f64::from(self.config.max_msgs_per_s);
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.refilled).as_secs_f64() * rate).min(rate);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
