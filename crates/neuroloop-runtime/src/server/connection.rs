//! One connection's loop: the hello, broadcast lines, status changes and
//! heartbeats out, client lines in; writes with the stall timeout and the
//! client's rate limit.
//!
//! Before a line from the broadcast is written, the client's lag is judged
//! (`lag`), and the line's kind decides: a class intent is not sent while
//! the output is paused or stopped, nor once expired (counted in the hub);
//! intents and holds are skipped for a client that is behind.
//! A write that stalls in the middle of a line ends the connection with a
//! reset (TCP), never with an orderly end after half a line.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use neuroloop_core::clock;
use neuroloop_protocol::{ErrorCode, Finite, OutputState, Role, ServerMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio::time::{Instant, MissedTickBehavior};

use super::backlog::Backlog;
use super::line::{Line, LineKind};
use super::settings::ServerConfig;
use super::{Hub, ServerStats};

/// How long a closing connection reads what the client still sends.
const CLOSE_DRAIN: Duration = Duration::from_millis(100);
/// At most this much of it.
const CLOSE_DRAIN_BYTES: usize = 64 * 1024;

/// What to do after a client line.
pub(super) enum Next {
    Go,
    Close,
}

/// A write half that can be dropped without ending the stream in order
/// (so that closing resets a TCP connection whose last line was cut).
pub(crate) trait Abort {
    /// Drops the half without shutting the stream down.
    fn abort(self);
}

impl Abort for tokio::net::tcp::OwnedWriteHalf {
    fn abort(self) {
        self.forget();
    }
}

impl Abort for tokio::net::unix::OwnedWriteHalf {
    fn abort(self) {
        self.forget();
    }
}

impl<T> Abort for tokio::io::WriteHalf<T> {
    fn abort(self) {}
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
    pub(super) backlog: Backlog,
    /// Since when the client's backlog is over `max_lag` (intents and
    /// holds are skipped meanwhile), and how many were skipped.
    pub(super) behind: Option<(Instant, u64)>,
    /// A stalled write left part of a line in the socket.
    pub(super) cut: bool,
}

impl<W: AsyncWrite + Unpin + Abort> Connection<W> {
    pub(super) async fn run<R: AsyncRead + Unpin>(
        mut self,
        mut read: R,
        hello: Line,
        mut lines: broadcast::Receiver<Line>,
    ) {
        tracing::info!(peer = %self.peer, client = self.id, "client connected");
        // What the client sent that is not handled yet: the rest of a read
        // after the line that ended the connection, and a line cut in two.
        let mut unread = neuroloop_protocol::LineSplitter::new(self.config.max_line_bytes);
        if self.write_line(&hello, hello.published, 0).await {
            self.serve(&mut read, &mut lines, &mut unread).await;
        }
        if self.cut {
            self.backlog.probe.reset_on_close();
            self.write.abort();
        } else {
            let _ = tokio::time::timeout(Duration::from_millis(200), self.write.shutdown()).await;
            // Closing with unread input would reset the connection and could
            // discard the last lines on the client's side: read a little of
            // what it still sends first.
            let _ = tokio::time::timeout(CLOSE_DRAIN, self.drain(&mut read, &mut unread)).await;
        }
        drop(read);
        tracing::info!(peer = %self.peer, client = self.id, "client disconnected");
    }

    async fn serve<R: AsyncRead + Unpin>(
        &mut self,
        read: &mut R,
        lines: &mut broadcast::Receiver<Line>,
        splitter: &mut neuroloop_protocol::LineSplitter,
    ) {
        let mut status = self.hub.status.subscribe();
        status.mark_unchanged();
        let mut heartbeat = tokio::time::interval_at(
            Instant::now() + self.config.heartbeat,
            self.config.heartbeat,
        );
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let hello_deadline = tokio::time::sleep(self.config.hello_timeout);
        tokio::pin!(hello_deadline);
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
                    if !was_admitted && splitter.discarding() {
                        // An oversize first line cannot be a valid hello.
                        self.refuse_unadmitted("the first line is longer than max_line_bytes").await;
                        break;
                    }
                    while let Some(item) = splitter.pop() {
                        if let Next::Close = self.client_line(item).await {
                            break 'connection;
                        }
                    }
                    if !was_admitted && self.admitted {
                        // Lines published before admission are not this
                        // client's: start at the newest, without a lag report.
                        *lines = lines.resubscribe();
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
                line = lines.recv(), if self.admitted => {
                    if !self.on_line(line, &mut dropped).await {
                        break;
                    }
                }
                _ = heartbeat.tick(), if self.admitted => {
                    beats += 1;
                    if !self.heartbeat(beats).await {
                        break;
                    }
                }
            }
        }
    }

    /// A published line (or the broadcast's lag or end) for this client:
    /// judged for lag, a class intent dropped if the output has stopped
    /// or it has expired, intents and holds skipped while the client is
    /// behind; false when the connection should end.
    async fn on_line(
        &mut self,
        line: Result<Line, broadcast::error::RecvError>,
        dropped: &mut u64,
    ) -> bool {
        let line = match line {
            Ok(line) => line,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                *dropped += n;
                self.stats.lagged_lines.fetch_add(n, Ordering::Relaxed);
                tracing::warn!(peer = %self.peer, dropped = n, "client too slow; oldest lines dropped");
                let all = *dropped;
                return self
                    .error(
                        ErrorCode::Lagged,
                        format!("{n} lines dropped ({all} in all); read faster"),
                        Some(n),
                    )
                    .await;
            }
            Err(broadcast::error::RecvError::Closed) => return false,
        };
        if !self.judge_lag(line.published).await {
            return false;
        }
        // Judged right before the write: nothing written since could have
        // delayed it.
        if let LineKind::Intent { valid_until } = line.kind {
            // Paused or stopped since it was published: a class intent
            // still queued is not sent.
            if self.hub.state() != OutputState::Running {
                return true;
            }
            if clock::now() > valid_until {
                self.hub
                    .stale_intents_dropped
                    .fetch_add(1, Ordering::Relaxed);
                return true;
            }
        }
        if line.kind.droppable()
            && let Some((_, skipped)) = &mut self.behind
        {
            *skipped += 1;
            self.stats.lagged_lines.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        self.write_line(&line, line.published, line.seq).await
    }

    /// Reads until the end of stream, an error or [`CLOSE_DRAIN_BYTES`],
    /// after what `unread` holds of the earlier reads; the acks in it still
    /// count (the last intents' round trips, acked while the `bye` was on
    /// its way, and an ack whose line the close cut in two), nothing else
    /// is answered.
    async fn drain<R: AsyncRead + Unpin>(
        &mut self,
        read: &mut R,
        unread: &mut neuroloop_protocol::LineSplitter,
    ) {
        self.late_acks(unread);
        let mut buffer = [0u8; 4096];
        let mut total = 0;
        while total < CLOSE_DRAIN_BYTES {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    unread.push(&buffer[..n]);
                    self.late_acks(unread);
                }
            }
        }
    }

    /// Counts the acks among the whole lines `splitter` holds.
    fn late_acks(&mut self, splitter: &mut neuroloop_protocol::LineSplitter) {
        while let Some(item) = splitter.pop() {
            if let neuroloop_protocol::Split::Line(line) = item {
                self.late_ack(&line);
            }
        }
    }

    /// Heartbeat number `n`, after judging the client's lag; false when
    /// the connection should end.
    async fn heartbeat(&mut self, n: u64) -> bool {
        let now = clock::now();
        if !self.judge_lag(now).await {
            return false;
        }
        let beat = ServerMessage::Heartbeat {
            n,
            t: Finite::new(now).unwrap_or(Finite::ZERO),
            state: self.hub.state(),
            last_seq: self.hub.last_seq(),
        };
        self.send(&beat).await
    }

    /// Writes a line published at `published` (`seq`: of an intent or
    /// hold, else 0); false when the client is gone or stalled.
    pub(super) async fn write_line(&mut self, bytes: &[u8], published: f64, seq: u64) -> bool {
        let mut written = 0;
        let write = &mut self.write;
        let result = tokio::time::timeout(self.config.stall_timeout, async {
            while written < bytes.len() {
                match write.write(&bytes[written..]).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => written += n,
                }
            }
            true
        })
        .await;
        match result {
            Ok(true) => {
                if seq != 0 {
                    self.hub.record_written(clock::now() - published);
                }
                self.backlog.wrote(bytes.len(), published, seq);
                true
            }
            Ok(false) => false,
            Err(_) => {
                self.cut = written > 0;
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
        let ok = self.write_line(&out, clock::now(), 0).await;
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
