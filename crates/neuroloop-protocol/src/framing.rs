//! Newline-delimited framing with a size limit.

use std::io::BufRead;

use crate::ProtocolError;
use crate::message::ServerMessage;

/// Default longest line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Reads one message per line from a buffered reader, refusing lines longer
/// than the limit without buffering them whole.
pub struct LineReader<R> {
    inner: R,
    limit: usize,
    line: Vec<u8>,
    /// A line is half read (an earlier call timed out in its middle).
    partial: bool,
    too_long: bool,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps `inner` with the default limit.
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, MAX_LINE_BYTES)
    }

    /// Wraps `inner`, accepting lines of at most `limit` bytes.
    pub fn with_limit(inner: R, limit: usize) -> Self {
        Self {
            inner,
            limit,
            line: Vec::new(),
            partial: false,
            too_long: false,
        }
    }

    /// The wrapped reader.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Reads the next line (without its `\n`).
    ///
    /// # Errors
    /// [`ProtocolError::Closed`] at end of stream, [`ProtocolError::LineTooLong`]
    /// (the rest of that line is skipped), or an I/O error.
    pub fn next_line(&mut self) -> Result<&[u8], ProtocolError> {
        // A read timeout in the middle of a line keeps what was read: the
        // next call goes on with the same line.
        if !self.partial {
            self.line.clear();
            self.too_long = false;
        }
        self.partial = true;
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                self.partial = false;
                return Err(ProtocolError::Closed);
            }
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1),
                None => (available, available.len()),
            };
            let found_newline = done > chunk.len();
            if !self.too_long && self.line.len() + chunk.len() <= self.limit {
                self.line.extend_from_slice(chunk);
            } else {
                self.too_long = true;
            }
            self.inner.consume(done);
            if found_newline {
                break;
            }
        }
        self.partial = false;
        if self.too_long {
            return Err(ProtocolError::LineTooLong { limit: self.limit });
        }
        Ok(&self.line)
    }

    /// Reads and parses the next server message.
    ///
    /// # Errors
    /// As [`Self::next_line`], plus [`ProtocolError::InvalidMessage`].
    pub fn next_message(&mut self) -> Result<ServerMessage, ProtocolError> {
        let line = self.next_line()?;
        serde_json::from_slice(line).map_err(|e| ProtocolError::InvalidMessage(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversize_lines_are_refused_and_skipped() {
        let data = format!(
            "{}\n{{\"type\":\"bye\",\"reason\":\"x\"}}\n",
            "a".repeat(100)
        );
        let mut r = LineReader::with_limit(data.as_bytes(), 50);
        assert!(matches!(
            r.next_line(),
            Err(ProtocolError::LineTooLong { limit: 50 })
        ));
        assert_eq!(
            r.next_message().unwrap(),
            ServerMessage::Bye { reason: "x".into() }
        );
        assert!(matches!(r.next_line(), Err(ProtocolError::Closed)));
    }

    #[test]
    fn garbage_is_an_invalid_message() {
        let mut r = LineReader::new(&b"\xff\xfe not json\n{\"type\":\"nope\"}\n"[..]);
        assert!(matches!(
            r.next_message(),
            Err(ProtocolError::InvalidMessage(_))
        ));
        assert!(matches!(
            r.next_message(),
            Err(ProtocolError::InvalidMessage(_))
        ));
    }
}

/// One item out of a [`LineSplitter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// A complete line, without its `\n` (and without a trailing `\r`).
    Line(Vec<u8>),
    /// A line longer than the limit ended; its bytes were discarded.
    TooLong,
}

/// Push-based line framing for non-blocking readers: feed bytes as they
/// arrive, take complete lines out. A partial line never holds more than
/// the limit; empty lines are skipped.
#[derive(Debug)]
pub struct LineSplitter {
    limit: usize,
    line: Vec<u8>,
    discarding: bool,
    ready: std::collections::VecDeque<Split>,
}

impl LineSplitter {
    /// Accepts lines of at most `limit` bytes (without the newline).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            line: Vec::new(),
            discarding: false,
            ready: std::collections::VecDeque::new(),
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let (segment, newline) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..i], true),
                None => (bytes, false),
            };
            bytes = &bytes[segment.len() + usize::from(newline)..];
            if self.discarding || self.line.len() + segment.len() > self.limit {
                self.discarding = true;
                self.line.clear();
            } else {
                self.line.extend_from_slice(segment);
            }
            if newline {
                if self.discarding {
                    self.ready.push_back(Split::TooLong);
                } else {
                    if self.line.last() == Some(&b'\r') {
                        self.line.pop();
                    }
                    if !self.line.is_empty() {
                        self.ready
                            .push_back(Split::Line(std::mem::take(&mut self.line)));
                    }
                }
                self.line.clear();
                self.discarding = false;
            }
        }
    }

    /// The next complete line, if any.
    pub fn pop(&mut self) -> Option<Split> {
        self.ready.pop_front()
    }

    /// Bytes of the partial line held now.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.line.len()
    }

    /// Whether the partial line has already passed the limit (its bytes are
    /// being discarded until its newline).
    #[must_use]
    pub fn discarding(&self) -> bool {
        self.discarding
    }
}

#[cfg(test)]
mod splitter_tests {
    use super::*;

    #[test]
    fn splits_across_pushes_and_refuses_long_lines() {
        let mut s = LineSplitter::new(8);
        s.push(b"abc");
        assert_eq!(s.pop(), None);
        s.push(b"d\n\r\n0123456789");
        assert_eq!(s.pop(), Some(Split::Line(b"abcd".to_vec())));
        assert_eq!(s.pop(), None);
        assert_eq!(s.buffered(), 0, "a line over the limit is not kept");
        s.push(b"abc\nok\r\n");
        assert_eq!(s.pop(), Some(Split::TooLong));
        assert_eq!(s.pop(), Some(Split::Line(b"ok".to_vec())));
        assert_eq!(s.pop(), None);
    }
}
