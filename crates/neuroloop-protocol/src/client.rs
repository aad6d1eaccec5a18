//! A blocking client: connect, check the hello, read intents.

use std::io::BufReader;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::ProtocolError;
use crate::framing::LineReader;
use crate::message::{Hello, PROTOCOL_NAME, PROTOCOL_VERSION, ServerMessage};

/// A connected client that has received and checked the server's hello.
pub struct Client {
    reader: LineReader<BufReader<TcpStream>>,
    hello: Hello,
}

impl Client {
    /// Connects to `addr` and reads the hello, waiting at most `timeout` for
    /// each step.
    ///
    /// # Errors
    /// Connection errors, a first line that is not a hello, or an
    /// unsupported protocol/version.
    pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> Result<Self, ProtocolError> {
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
        let stream = match stream {
            Some(s) => s,
            None => {
                return Err(last_error.map(ProtocolError::Io).unwrap_or_else(|| {
                    ProtocolError::InvalidMessage("address resolved to nothing".into())
                }));
            }
        };
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        let mut reader = LineReader::new(BufReader::new(stream));
        let hello = match reader.next_message()? {
            ServerMessage::Hello(h) => h,
            other => {
                return Err(ProtocolError::InvalidMessage(format!(
                    "expected hello, got {other:?}"
                )));
            }
        };
        if hello.protocol != PROTOCOL_NAME || hello.version != PROTOCOL_VERSION {
            return Err(ProtocolError::UnsupportedVersion {
                protocol: hello.protocol,
                version: hello.version,
            });
        }
        Ok(Self { reader, hello })
    }

    /// The server's hello.
    #[must_use]
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Sets how long [`Self::next_message`] waits (`None`: forever).
    ///
    /// # Errors
    /// Socket errors.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), ProtocolError> {
        self.reader.get_mut().get_ref().set_read_timeout(timeout)?;
        Ok(())
    }

    /// Blocks for the next message.
    ///
    /// # Errors
    /// [`ProtocolError::Closed`] when the server closed, timeouts as I/O
    /// errors, malformed lines as [`ProtocolError::InvalidMessage`].
    pub fn next_message(&mut self) -> Result<ServerMessage, ProtocolError> {
        self.reader.next_message()
    }
}
