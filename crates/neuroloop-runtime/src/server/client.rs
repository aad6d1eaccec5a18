//! Handling of each client line: rate limit, framing errors, parsing, the
//! client hello (version, token, role), role checks, acks and commands.
//!
//! With a token, the first line decides: a hello with the token admits the
//! client; anything else (garbage, an oversize line, a hello without the
//! token or with a token that is not a string) gets `unauthorized` and the
//! connection closes at once.

use std::time::Duration;

use neuroloop_core::clock;
use neuroloop_protocol::{
    Actor, ClientHello, ClientMessage, ErrorCode, ServerMessage, Split, constant_time_eq,
};
use tokio::io::AsyncWrite;
use tokio::time::Instant;

use super::connection::{Abort, Connection, Next};
use super::settings::SUPPORTED_VERSIONS;

impl<W: AsyncWrite + Unpin + Abort> Connection<W> {
    /// One line from the client (or a line too long to keep).
    /// An ack read after the connection stopped serving: its round trip
    /// is recorded; any other line is ignored.
    pub(super) fn late_ack(&mut self, line: &[u8]) {
        if let Ok(message @ ClientMessage::Ack { seq }) = ClientMessage::parse(line)
            && self.admitted
            && self.role.may_send(&message)
            && let Some(t) = self.hub.publish_time(seq)
        {
            self.hub.record_rtt(clock::now() - t);
        }
    }

    pub(super) async fn client_line(&mut self, item: Split) -> Next {
        if !self.admitted {
            return self.first_line(&item).await;
        }
        if let Split::Line(line) = &item
            && let Ok(ClientMessage::Ack { seq }) = ClientMessage::parse(line)
            && self.role.may_send(&ClientMessage::Ack { seq })
        {
            // What the client has read counts even beyond its rate limit.
            self.backlog.acked(seq);
        }
        if !self.within_rate() {
            return self.rate_limited().await;
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
            return self.hello(hello).await;
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
        self.dispatch(message).await
    }

    /// The first line of a client not yet admitted: a hello, or refusal.
    async fn first_line(&mut self, item: &Split) -> Next {
        let hello = match item {
            Split::Line(line) => match ClientMessage::parse(line) {
                Ok(ClientMessage::Hello(hello)) => Ok(hello),
                Ok(_) => Err("not a hello"),
                Err(_) => Err("not a valid hello"),
            },
            Split::TooLong => Err("the first line is longer than max_line_bytes"),
        };
        match hello {
            Ok(hello) => self.hello(hello).await,
            Err(why) => {
                self.refuse_unadmitted(why).await;
                Next::Close
            }
        }
    }

    /// A line beyond the rate limit: ignored, with one error per second at
    /// most, so a flood is not mirrored back.
    async fn rate_limited(&mut self) -> Next {
        let now = Instant::now();
        if self
            .rate_error_at
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return Next::Go;
        }
        self.rate_error_at = Some(now);
        let limit = self.config.max_msgs_per_s;
        let message = format!("more than {limit} messages per second; ignored");
        if self.error(ErrorCode::RateLimited, message, None).await {
            Next::Go
        } else {
            Next::Close
        }
    }

    /// A message the client's role may send: an ack, an output command, a
    /// bye or a heartbeat.
    async fn dispatch(&mut self, message: ClientMessage) -> Next {
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

    /// A client hello: the token (checked first, when one is set), the
    /// version, then the welcome and the current status.
    async fn hello(&mut self, hello: ClientHello) -> Next {
        if self.said_hello {
            return self
                .reply_error(ErrorCode::InvalidState, "hello was already sent".into())
                .await;
        }
        if let Some(token) = &self.config.token {
            let given = hello.token.as_deref().unwrap_or("");
            if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
                return self
                    .reply_error(ErrorCode::Unauthorized, "missing or wrong token".into())
                    .await;
            }
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
        if self.send(&welcome).await && self.send(&status).await {
            Next::Go
        } else {
            Next::Close
        }
    }

    /// Refuses a client that must send a hello with the token first; the
    /// caller closes the connection.
    pub(super) async fn refuse_unadmitted(&mut self, why: &str) {
        let message = format!("{why}: the first line must be a hello with the session token");
        self.error(ErrorCode::Unauthorized, message, None).await;
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
