//! The actuator protocol server (tokio side of the publisher).
//!
//! Every connection gets the hello, then (once admitted: immediately
//! without a token, after a client hello with the token otherwise) the
//! broadcast intent/hold lines, its own heartbeats every `heartbeat_ms`,
//! and a `status` whenever the output state changes. Client lines are
//! framed with a size limit, rate limited, parsed and checked against the
//! client's role; every refusal is an `error` with a code.
//!
//! The output state (running / paused / estop) lives in the [`Hub`]: the
//! forwarder thread reads it with one atomic load per intent and turns class
//! intents into holds while paused or stopped; each connection also drops
//! class intents still queued for it when a stop arrives. Nothing here waits
//! on the pipeline, and the pipeline never sees any of it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use neuroloop_core::{HoldReason, Intent, IntentKind, clock};
use neuroloop_protocol::{
    Actor, Auth, ClientMessage, ErrorCode, Hello, IntentMessage, Limits, OutputState,
    PROTOCOL_NAME, PROTOCOL_VERSION, Role, ServerMessage, Split, constant_time_eq,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::PublishSection;
use crate::latency::LatencySummary;
use crate::publisher::{Line, ServerStats};

/// Protocol versions this server speaks.
pub const SUPPORTED_VERSIONS: &[u32] = &[PROTOCOL_VERSION];

/// Intents whose publish time is remembered for acks.
const PUBLISH_RING: usize = 4096;

const PAUSED: u8 = 1;
const ESTOP: u8 = 2;

/// Server settings from `[publish]`.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The hello every connection receives first.
    pub hello: Hello,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Token every client must present, if set.
    pub token: Option<String>,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Longest client line.
    pub max_line_bytes: usize,
    /// Sustained client messages per second (also the burst).
    pub max_msgs_per_s: u32,
    /// How long a required client hello may take.
    pub hello_timeout: Duration,
    /// A client that accepts no bytes for this long is disconnected.
    pub stall_timeout: Duration,
}

impl ServerConfig {
    /// Settings and hello of a session.
    #[must_use]
    pub fn new(publish: &PublishSection, session: &str, classes: &[String]) -> Self {
        let hello = Hello {
            protocol: PROTOCOL_NAME.into(),
            version: PROTOCOL_VERSION,
            versions: SUPPORTED_VERSIONS.to_vec(),
            session: session.into(),
            classes: classes.to_vec(),
            clock: "process-monotonic-seconds".into(),
            heartbeat_ms: publish.heartbeat_ms,
            deadman_missed: publish.deadman_missed,
            auth: if publish.token.is_some() {
                Auth::Token
            } else {
                Auth::None
            },
            limits: Limits {
                max_line_bytes: publish.max_line_bytes,
                max_msgs_per_s: publish.max_msgs_per_s,
                hello_timeout_ms: publish.hello_timeout_ms,
            },
        };
        Self {
            hello,
            heartbeat: Duration::from_millis(publish.heartbeat_ms.max(1)),
            token: publish.token.clone(),
            max_connections: publish.max_connections,
            max_line_bytes: publish.max_line_bytes,
            max_msgs_per_s: publish.max_msgs_per_s.max(1),
            hello_timeout: Duration::from_millis(publish.hello_timeout_ms),
            stall_timeout: Duration::from_millis(publish.stall_timeout_ms),
        }
    }
}

/// The output state, its change notifications, publish times for acks and
/// the protocol counters, shared by the forwarder and every connection.
pub struct Hub {
    flags: AtomicU8,
    status: watch::Sender<Status>,
    seqs: Box<[AtomicU64]>,
    publish_bits: Box<[AtomicU64]>,
    last_seq: AtomicU64,
    rtt_us: Mutex<Histogram<u64>>,
    /// Error replies sent.
    pub errors_sent: AtomicU64,
    /// Connections closed because they accepted no bytes.
    pub stalled: AtomicU64,
    /// Connections refused at the connection limit.
    pub refused: AtomicU64,
    /// Emergency stops received.
    pub estops: AtomicU64,
    /// Connection ids handed out.
    next_client: AtomicU64,
}

/// The output state as told to clients.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Status {
    /// Running, paused or estop.
    pub state: OutputState,
    /// Who changed it last.
    pub by: Option<Actor>,
    /// With what reason.
    pub reason: Option<String>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            flags: AtomicU8::new(0),
            status: watch::channel(Status::default()).0,
            seqs: (0..PUBLISH_RING).map(|_| AtomicU64::new(0)).collect(),
            publish_bits: (0..PUBLISH_RING).map(|_| AtomicU64::new(0)).collect(),
            last_seq: AtomicU64::new(0),
            rtt_us: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")),
            errors_sent: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            estops: AtomicU64::new(0),
            next_client: AtomicU64::new(0),
        }
    }
}

impl Hub {
    /// The output state now (one atomic load).
    #[must_use]
    pub fn state(&self) -> OutputState {
        let flags = self.flags.load(Ordering::Acquire);
        if flags & ESTOP != 0 {
            OutputState::Estop
        } else if flags & PAUSED != 0 {
            OutputState::Paused
        } else {
            OutputState::Running
        }
    }

    /// Forwarder side: turns a class intent into a hold while paused or
    /// stopped, and remembers its publish time for acks.
    pub fn gate(&self, intent: &mut Intent, seq: u64) {
        let reason = match self.state() {
            OutputState::Running => None,
            OutputState::Paused => Some(HoldReason::Paused),
            OutputState::Estop => Some(HoldReason::Estop),
        };
        if let Some(reason) = reason {
            intent.kind = IntentKind::Hold;
            intent.hold_reason = reason;
        }
        let i = (seq as usize) % PUBLISH_RING;
        self.publish_bits[i].store(intent.times.publish.to_bits(), Ordering::Relaxed);
        self.seqs[i].store(seq, Ordering::Release);
        self.last_seq.store(seq, Ordering::Relaxed);
    }

    /// Publish time of intent `seq`, if still remembered.
    #[must_use]
    pub fn publish_time(&self, seq: u64) -> Option<f64> {
        let i = (seq as usize) % PUBLISH_RING;
        if seq == 0 || self.seqs[i].load(Ordering::Acquire) != seq {
            return None;
        }
        let t = f64::from_bits(self.publish_bits[i].load(Ordering::Relaxed));
        (self.seqs[i].load(Ordering::Acquire) == seq).then_some(t)
    }

    /// Newest sequence number published.
    #[must_use]
    pub fn last_seq(&self) -> u64 {
        self.last_seq.load(Ordering::Relaxed)
    }

    /// Applies a command and tells every connection.
    pub fn command(&self, message: &ClientMessage, by: Actor) {
        let (set, clear, reason) = match message {
            ClientMessage::Estop { reason } => (ESTOP, 0, reason.clone()),
            ClientMessage::Clear {} => (0, ESTOP, None),
            ClientMessage::Pause {} => (PAUSED, 0, None),
            ClientMessage::Resume {} => (0, PAUSED, None),
            _ => return,
        };
        if set == ESTOP {
            self.estops.fetch_add(1, Ordering::Relaxed);
        }
        let _ = self
            .flags
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                Some((f | set) & !clear)
            });
        let state = self.state();
        tracing::warn!(client = by.client, role = ?by.role, ?state, "output state changed");
        self.status.send_replace(Status {
            state,
            by: Some(by),
            reason,
        });
    }

    /// Records an ack's round trip (publish → client → ack received).
    pub fn record_rtt(&self, seconds: f64) {
        let us = (seconds * 1e6).round().max(1.0) as u64;
        if let Ok(mut h) = self.rtt_us.lock() {
            h.saturating_record(us);
        }
    }

    /// Round trips of every ack so far.
    #[must_use]
    pub fn rtt_summary(&self) -> LatencySummary {
        self.rtt_us
            .lock()
            .map(|h| crate::latency::LatencyHistograms::summary(&h))
            .unwrap_or_default()
    }
}

/// Serialises a published intent: `intent` for class intents, `hold`
/// otherwise.
pub fn intent_line(intent: &Intent, seq: u64, classes: &[String], out: &mut Vec<u8>) {
    let message = IntentMessage::from_intent(intent, seq, classes);
    match intent.kind {
        IntentKind::Class => ServerMessage::Intent(message),
        IntentKind::Hold => ServerMessage::Hold(message),
    }
    .write_line(out);
}

fn is_class_intent(line: &[u8]) -> bool {
    line.starts_with(br#"{"type":"intent""#)
}

/// Binds the listener; accepted connections inherit its kernel send
/// buffer size.
///
/// # Errors
/// Socket errors (address in use, …).
pub fn bind(addr: SocketAddr, send_buffer_bytes: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_send_buffer_size(send_buffer_bytes)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Accepts clients until the forwarder (the only strong sender of `lines`)
/// is gone.
pub async fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
) {
    let hello = hello_line(&config);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let shared = Shared {
            config: &config,
            lines: &lines,
            stats: &stats,
            hub: &hub,
            hello: &hello,
        };
        if !shared.admit(read, write, peer.to_string()) {
            break;
        }
    }
}

/// Binds a Unix domain socket at `path` (a stale socket file is replaced),
/// readable and writable by the owner only. Call inside the runtime.
///
/// # Errors
/// Socket errors, or `path` existing as something other than a socket.
pub fn bind_unix(path: &std::path::Path) -> std::io::Result<tokio::net::UnixListener> {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// As [`serve`], on a Unix domain socket; removes the socket file when it
/// ends (or when the runtime drops it).
pub async fn serve_unix(
    listener: tokio::net::UnixListener,
    path: std::path::PathBuf,
    config: Arc<ServerConfig>,
    lines: broadcast::WeakSender<Line>,
    stats: Arc<ServerStats>,
    hub: Arc<Hub>,
) {
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _remove = Remove(path.clone());
    let hello = hello_line(&config);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let (read, write) = stream.into_split();
        let shared = Shared {
            config: &config,
            lines: &lines,
            stats: &stats,
            hub: &hub,
            hello: &hello,
        };
        if !shared.admit(read, write, format!("unix:{}", path.display())) {
            break;
        }
    }
}

pub(crate) fn hello_line(config: &ServerConfig) -> Line {
    let mut line = Vec::new();
    ServerMessage::Hello(config.hello.clone()).write_line(&mut line);
    line.into()
}

/// What every accept loop hands a new connection.
pub(crate) struct Shared<'a> {
    pub(crate) config: &'a Arc<ServerConfig>,
    pub(crate) lines: &'a broadcast::WeakSender<Line>,
    pub(crate) stats: &'a Arc<ServerStats>,
    pub(crate) hub: &'a Arc<Hub>,
    pub(crate) hello: &'a Line,
}

impl Shared<'_> {
    /// Serves a new connection (or refuses it at the connection limit).
    /// False once the session has ended.
    pub(crate) fn admit<R, W>(&self, read: R, mut write: W, peer: String) -> bool
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
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
            config: Arc::clone(self.config),
            hub: Arc::clone(self.hub),
            stats: Arc::clone(self.stats),
            role: Role::Observer,
            admitted: self.config.token.is_none(),
            said_hello: false,
            write,
            out: Vec::with_capacity(512),
            tokens: f64::from(self.config.max_msgs_per_s),
            refilled: Instant::now(),
            rate_error_at: None,
        };
        let hello = Arc::clone(self.hello);
        let stats = Arc::clone(self.stats);
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

/// What to do after a client line.
enum Next {
    Go,
    Close,
}

struct Connection<W> {
    id: u64,
    peer: String,
    config: Arc<ServerConfig>,
    hub: Arc<Hub>,
    stats: Arc<ServerStats>,
    role: Role,
    admitted: bool,
    said_hello: bool,
    write: W,
    out: Vec<u8>,
    tokens: f64,
    refilled: Instant,
    rate_error_at: Option<Instant>,
}

impl<W: AsyncWrite + Unpin> Connection<W> {
    async fn run<R: AsyncRead + Unpin>(
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
    async fn write(&mut self, bytes: &[u8]) -> bool {
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

    async fn send(&mut self, message: &ServerMessage) -> bool {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        message.write_line(&mut out);
        let ok = self.write(&out).await;
        self.out = out;
        ok
    }

    async fn error(&mut self, code: ErrorCode, message: String, dropped: Option<u64>) -> bool {
        self.hub.errors_sent.fetch_add(1, Ordering::Relaxed);
        self.send(&ServerMessage::Error {
            code,
            message,
            dropped,
        })
        .await
    }

    /// Token bucket: `max_msgs_per_s` sustained, the same as burst.
    fn within_rate(&mut self) -> bool {
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

    async fn client_line(&mut self, item: Split) -> Next {
        if !self.within_rate() {
            // One error per second at most, so a flood is not mirrored back.
            let now = Instant::now();
            if self
                .rate_error_at
                .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
            {
                self.rate_error_at = Some(now);
                let limit = self.config.max_msgs_per_s;
                if !self
                    .error(
                        ErrorCode::RateLimited,
                        format!("more than {limit} messages per second; ignored"),
                        None,
                    )
                    .await
                {
                    return Next::Close;
                }
            }
            return Next::Go;
        }
        let line = match item {
            Split::TooLong => {
                let limit = self.config.max_line_bytes;
                return self
                    .reply_error(
                        ErrorCode::LineTooLong,
                        format!("line longer than {limit} bytes; discarded"),
                    )
                    .await;
            }
            Split::Line(line) => line,
        };
        let message = match ClientMessage::parse(&line) {
            Ok(m) => m,
            Err(e) => return self.reply_error(e.code, e.message).await,
        };
        if let ClientMessage::Hello(hello) = message {
            if self.said_hello {
                return self
                    .reply_error(ErrorCode::InvalidState, "hello was already sent".into())
                    .await;
            }
            let Some(version) = hello
                .versions
                .iter()
                .copied()
                .filter(|v| SUPPORTED_VERSIONS.contains(v))
                .max()
            else {
                return self
                    .reply_error(
                        ErrorCode::UnsupportedVersion,
                        format!(
                            "no common version: client {:?}, server {SUPPORTED_VERSIONS:?}",
                            hello.versions
                        ),
                    )
                    .await;
            };
            if let Some(token) = &self.config.token {
                let given = hello.token.as_deref().unwrap_or("");
                if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
                    return self
                        .reply_error(ErrorCode::Unauthorized, "missing or wrong token".into())
                        .await;
                }
            }
            self.said_hello = true;
            self.admitted = true;
            self.role = hello.role;
            tracing::info!(peer = %self.peer, client = self.id, role = ?self.role, name = ?hello.name, "client hello");
            let welcome = ServerMessage::Welcome {
                version,
                role: self.role,
                client: self.id,
            };
            let s = self.hub.status.borrow().clone();
            let status = ServerMessage::Status {
                state: s.state,
                by: s.by,
                reason: s.reason,
            };
            return if self.send(&welcome).await && self.send(&status).await {
                Next::Go
            } else {
                Next::Close
            };
        }
        if !self.admitted {
            return self
                .reply_error(
                    ErrorCode::Unauthorized,
                    "send a hello with the session token first".into(),
                )
                .await;
        }
        if !self.role.may_send(&message) {
            let kind = line_type(&line);
            return self
                .reply_error(
                    ErrorCode::Forbidden,
                    format!("role {:?} may not send {kind}", self.role).to_lowercase(),
                )
                .await;
        }
        match message {
            ClientMessage::Ack { seq } => match self.hub.publish_time(seq) {
                Some(t) => {
                    self.hub.record_rtt(clock::now() - t);
                    Next::Go
                }
                None => {
                    self.reply_error(ErrorCode::UnknownSeq, format!("no intent {seq} to ack"))
                        .await
                }
            },
            ClientMessage::Estop { .. }
            | ClientMessage::Clear {}
            | ClientMessage::Pause {}
            | ClientMessage::Resume {} => {
                self.hub.command(
                    &message,
                    Actor {
                        client: self.id,
                        role: self.role,
                    },
                );
                Next::Go
            }
            ClientMessage::Bye { .. } => Next::Close,
            ClientMessage::Heartbeat {} | ClientMessage::Hello(_) => Next::Go,
        }
    }

    async fn reply_error(&mut self, code: ErrorCode, message: String) -> Next {
        if self.error(code, message, None).await && !code.is_fatal() {
            Next::Go
        } else {
            Next::Close
        }
    }
}

fn line_type(line: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(str::to_string))
        .unwrap_or_default()
}
