//! A blocking client: connect, check the hello, optionally send a client
//! hello (role, token), read messages with a heartbeat watchdog, send acks
//! and commands.
//!
//! The client estimates the server's clock from the heartbeats it reads
//! (docs/protocol.md, section 5): `offset = max(t − local receive time)`,
//! lowered by at most [`CLOCK_DRIFT`](crate::server_clock::CLOCK_DRIFT) per second. Lines that waited in a
//! buffer (a frozen or slow reader) arrive late and do not raise it, so
//! their age shows: only a *fresh* heartbeat (sent within the deadman time)
//! re-arms the watchdog, and [`Client::is_current`] tells an intent still
//! before its `valid_until` from a stale one.

use std::collections::VecDeque;
use std::io::{BufReader, ErrorKind, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::ProtocolError;
use crate::framing::LineReader;
use crate::intent::IntentMessage;
use crate::message::{
    Auth, ClientHello, ClientMessage, Hello, PROTOCOL_NAME, PROTOCOL_VERSION, Role, ServerMessage,
};
use crate::server_clock::ServerClock;

/// How to connect.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Send a client hello asking for this role (`None`: send nothing and
    /// stay an observer, unless the server requires a hello).
    pub role: Option<Role>,
    /// The session token (required when the hello's `auth` is `token`).
    pub token: Option<String>,
    /// A name for the server's logs.
    pub name: Option<String>,
    /// Versions offered in the client hello.
    pub versions: Vec<u32>,
    /// Longest wait for the connection, the hello and the welcome.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            role: None,
            token: None,
            name: None,
            versions: vec![PROTOCOL_VERSION],
            timeout: Duration::from_secs(5),
        }
    }
}

/// A connected client that has received and checked the server's hello.
pub struct Client {
    reader: LineReader<BufReader<TcpStream>>,
    pub(crate) writer: TcpStream,
    hello: Hello,
    role: Role,
    client_id: Option<u64>,
    version: u32,
    pending: VecDeque<ServerMessage>,
    timeout: Option<Duration>,
    last_heartbeat: Instant,
    deadman_reported: bool,
    out: Vec<u8>,
    clock: ServerClock,
}

impl Client {
    /// Connects to `addr` and reads the hello, waiting at most `timeout` for
    /// each step. Sends nothing: the connection is an observer.
    ///
    /// # Errors
    /// Connection errors, a first line that is not a hello, or an
    /// unsupported protocol/version.
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Self, ProtocolError> {
        Self::connect_with(
            addr,
            &ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
    }

    /// Connects, reads the hello and, when a role or token is given (or the
    /// server requires it), sends a client hello and waits for the welcome.
    ///
    /// # Errors
    /// As [`Self::connect`], plus [`ProtocolError::Server`] when the server
    /// refuses the hello (e.g. `unauthorized`, `unsupported_version`).
    pub fn connect_with(
        addr: impl ToSocketAddrs,
        options: &ClientOptions,
    ) -> Result<Self, ProtocolError> {
        let timeout = options.timeout;
        let mut last_error = None;
        let mut stream = None;
        for a in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some(stream) = stream else {
            return Err(last_error.map_or_else(
                || ProtocolError::InvalidMessage("address resolved to nothing".into()),
                ProtocolError::Io,
            ));
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        let writer = stream.try_clone()?;
        let mut reader = LineReader::new(BufReader::new(stream));
        let hello = match reader.next_message()? {
            ServerMessage::Hello(h) => h,
            other => {
                return Err(ProtocolError::InvalidMessage(format!(
                    "expected hello, got {other:?}"
                )));
            }
        };
        let speaks = |v: u32| options.versions.contains(&v);
        if hello.protocol != PROTOCOL_NAME
            || !(speaks(hello.version) || hello.versions.iter().any(|&v| speaks(v)))
        {
            return Err(ProtocolError::UnsupportedVersion {
                protocol: hello.protocol,
                version: hello.version,
            });
        }
        let mut client = Self {
            reader,
            writer,
            version: hello.version,
            hello,
            role: Role::Observer,
            client_id: None,
            pending: VecDeque::new(),
            timeout: Some(timeout),
            last_heartbeat: Instant::now(),
            deadman_reported: false,
            out: Vec::new(),
            clock: ServerClock {
                epoch: Instant::now(),
                offset: None,
                last_fresh: false,
            },
        };
        let must_hello = client.hello.auth == Auth::Token;
        if options.role.is_some() || options.token.is_some() || must_hello {
            client.send(&ClientMessage::Hello(ClientHello {
                versions: options.versions.clone(),
                role: options.role.unwrap_or_default(),
                token: options.token.clone(),
                name: options.name.clone(),
            }))?;
            let deadline = Instant::now() + timeout;
            loop {
                if Instant::now() >= deadline {
                    return Err(ProtocolError::Io(std::io::Error::new(
                        ErrorKind::TimedOut,
                        "no welcome from the server",
                    )));
                }
                match client.reader.next_message()? {
                    ServerMessage::Welcome {
                        version,
                        role,
                        client: id,
                    } => {
                        client.version = version;
                        client.role = role;
                        client.client_id = Some(id);
                        break;
                    }
                    ServerMessage::Error { code, message, .. } => {
                        return Err(ProtocolError::Server {
                            code: code.as_str().into(),
                            message,
                        });
                    }
                    ServerMessage::Bye { .. } => return Err(ProtocolError::Closed),
                    other => {
                        client.observe(&other);
                        client.pending.push_back(other);
                    }
                }
            }
        }
        client.last_heartbeat = Instant::now();
        Ok(client)
    }

    /// The server's hello.
    #[must_use]
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The role granted (observer unless a welcome said otherwise).
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// The connection id from the welcome.
    #[must_use]
    pub fn client_id(&self) -> Option<u64> {
        self.client_id
    }

    /// The negotiated protocol version.
    #[must_use]
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Sets how long [`Self::next_message`] waits (`None`: forever, but the
    /// deadman still interrupts it).
    ///
    /// # Errors
    /// Never today; kept fallible for transports with socket options.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ProtocolError> {
        self.timeout = timeout;
        Ok(())
    }

    /// Milliseconds without a heartbeat after which an actuator must stop
    /// (from the hello; `None` when the server sends no heartbeats).
    #[must_use]
    pub fn deadman_ms(&self) -> Option<u64> {
        self.hello.deadman_ms()
    }

    /// Whether the deadman time has passed since the last heartbeat.
    #[must_use]
    pub fn deadman_expired(&self) -> bool {
        self.deadman_ms()
            .is_some_and(|ms| self.last_heartbeat.elapsed() >= Duration::from_millis(ms))
    }

    /// Time since the last fresh heartbeat (or since connecting).
    #[must_use]
    pub fn since_heartbeat(&self) -> Duration {
        self.last_heartbeat.elapsed()
    }

    /// The server's clock now, estimated from the heartbeats (`None`
    /// before the first one).
    #[must_use]
    pub fn server_now(&self) -> Option<f64> {
        self.clock.now()
    }

    /// Seconds since `server_time` (a time on the server's clock), by the
    /// estimate of [`Self::server_now`].
    #[must_use]
    pub fn age_of(&self, server_time: f64) -> Option<f64> {
        self.server_now().map(|now| now - server_time)
    }

    /// Whether the last heartbeat read was fresh: sent at most the deadman
    /// time ago. Heartbeats that waited in a buffer are not, and do not
    /// re-arm the watchdog.
    #[must_use]
    pub fn last_heartbeat_fresh(&self) -> bool {
        self.clock.last_fresh
    }

    /// Whether `intent` may still be acted on: the server clock is known
    /// and has not passed its `valid_until` (for servers that send none,
    /// its publish time plus the deadman time). A stale intent is a hold.
    #[must_use]
    pub fn is_current(&self, intent: &IntentMessage) -> bool {
        let Some(now) = self.server_now() else {
            return false;
        };
        let until = match intent.valid_until {
            Some(v) => v.get(),
            None => match self.deadman_ms() {
                Some(ms) => intent.t.publish.get() + ms as f64 / 1e3,
                None => return false,
            },
        };
        now <= until
    }

    /// Updates the clock estimate and the watchdog from a heartbeat.
    fn observe(&mut self, message: &ServerMessage) {
        let ServerMessage::Heartbeat { t, .. } = message else {
            return;
        };
        self.clock.observe(t.get());
        let fresh = match (self.deadman_ms(), self.age_of(t.get())) {
            (Some(ms), Some(age)) => age <= ms as f64 / 1e3,
            _ => true,
        };
        self.clock.last_fresh = fresh;
        if fresh {
            self.last_heartbeat = Instant::now();
            self.deadman_reported = false;
        }
    }

    /// Blocks for the next message. When the deadman time passes without a
    /// heartbeat, returns [`ProtocolError::Deadman`] once (the connection
    /// stays usable; a later heartbeat re-arms the watchdog).
    ///
    /// # Errors
    /// [`ProtocolError::Closed`] when the server closed, timeouts as I/O
    /// errors, malformed lines as [`ProtocolError::InvalidMessage`],
    /// [`ProtocolError::Deadman`] as above.
    pub fn next_message(&mut self) -> Result<ServerMessage, ProtocolError> {
        if let Some(m) = self.pending.pop_front() {
            return Ok(m);
        }
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            let now = Instant::now();
            let mut wait = deadline.map(|d| d.saturating_duration_since(now));
            if let Some(ms) = self.deadman_ms() {
                let limit = Duration::from_millis(ms);
                let silent = self.last_heartbeat.elapsed();
                if silent >= limit && !self.deadman_reported {
                    self.deadman_reported = true;
                    return Err(ProtocolError::Deadman {
                        silent_ms: silent.as_millis() as u64,
                        limit_ms: ms,
                    });
                }
                if !self.deadman_reported {
                    let left = limit.saturating_sub(silent);
                    wait = Some(wait.map_or(left, |w| w.min(left)));
                }
            }
            if wait == Some(Duration::ZERO) {
                return Err(ProtocolError::Io(std::io::Error::new(
                    ErrorKind::TimedOut,
                    "no message in time",
                )));
            }
            self.reader
                .get_mut()
                .get_ref()
                .set_read_timeout(wait.map(|w| w.max(Duration::from_millis(1))))?;
            match self.reader.next_message() {
                Ok(m) => {
                    self.observe(&m);
                    return Ok(m);
                }
                // A signal (the process was stopped and continued) is
                // not an error of the connection.
                Err(ProtocolError::Io(e))
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) =>
                {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(ProtocolError::Io(std::io::Error::new(
                            ErrorKind::TimedOut,
                            format!("no message in time ({e})"),
                        )));
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one message.
    ///
    /// # Errors
    /// Socket errors.
    pub fn send(&mut self, message: &ClientMessage) -> Result<(), ProtocolError> {
        self.out.clear();
        message.write_line(&mut self.out);
        self.writer.write_all(&self.out)?;
        Ok(())
    }
}
