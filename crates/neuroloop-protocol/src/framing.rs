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
        self.line.clear();
        let mut too_long = false;
        loop {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                return Err(ProtocolError::Closed);
            }
            let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1),
                None => (available, available.len()),
            };
            let found_newline = done > chunk.len();
            if !too_long && self.line.len() + chunk.len() <= self.limit {
                self.line.extend_from_slice(chunk);
            } else {
                too_long = true;
            }
            self.inner.consume(done);
            if found_newline {
                break;
            }
        }
        if too_long {
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
