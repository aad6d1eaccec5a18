//! Low-level reading: exact reads that report truncation with an offset,
//! little-endian numbers and fixed-width ASCII fields.

// Reads bytes from outside: no unwrap, no unchecked integer arithmetic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use std::io::{ErrorKind as IoKind, Read};

use crate::FormatError;

/// Fills `buf` from `reader`; a premature end of file becomes
/// [`FormatError::Truncated`] naming `what` and its starting `offset`.
pub(crate) fn read_exact(
    reader: &mut impl Read,
    buf: &mut [u8],
    what: impl FnOnce() -> String,
    offset: u64,
) -> Result<(), FormatError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(FormatError::Truncated {
                    what: what(),
                    offset,
                    needed: buf.len() as u64,
                    available: filled as u64,
                });
            }
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(e) => return Err(FormatError::Io(e)),
        }
    }
    Ok(())
}

/// Reads into `buf` until it is full or the input ends; returns the bytes read.
pub(crate) fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, FormatError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(e) => return Err(FormatError::Io(e)),
        }
    }
    Ok(filled)
}

/// A header held in memory, read field by field with the file offset of each
/// field known, so that errors can say where they are.
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    /// File offset of `bytes[0]`.
    base: u64,
    pos: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(bytes: &'a [u8], base: u64) -> Self {
        Self {
            bytes,
            base,
            pos: 0,
        }
    }

    /// File offset of the next field.
    pub(crate) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    /// The next `len` raw bytes. Callers size the buffer beforehand, so running
    /// past its end is a broken invariant; it is reported as truncation anyway.
    pub(crate) fn take(&mut self, len: usize, field: &str) -> Result<&'a [u8], FormatError> {
        let start = self.pos;
        let end = start.saturating_add(len);
        if end > self.bytes.len() {
            return Err(FormatError::Truncated {
                what: format!("header field {field}"),
                offset: self.offset(),
                needed: len as u64,
                available: self.bytes.len().saturating_sub(start) as u64,
            });
        }
        self.pos = end;
        Ok(&self.bytes[start..end])
    }

    /// Skips `len` bytes.
    pub(crate) fn skip(&mut self, len: usize, field: &str) -> Result<(), FormatError> {
        self.take(len, field).map(|_| ())
    }

    /// A fixed-width text field, trailing spaces and NULs removed (latin-1).
    pub(crate) fn text(&mut self, len: usize, field: &str) -> Result<String, FormatError> {
        Ok(ascii(self.take(len, field)?))
    }

    /// A fixed-width ASCII number (EDF style: left-aligned, space padded).
    pub(crate) fn number<T: std::str::FromStr>(
        &mut self,
        len: usize,
        field: &str,
    ) -> Result<T, FormatError> {
        let offset = self.offset();
        let text = self.text(len, field)?;
        text.trim().parse::<T>().map_err(|_| {
            FormatError::field(
                field,
                offset,
                text.clone(),
                "not a number of the expected type",
            )
        })
    }

    pub(crate) fn u16(&mut self, field: &str) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn u32(&mut self, field: &str) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn i64(&mut self, field: &str) -> Result<i64, FormatError> {
        Ok(i64::from_le_bytes(self.array(field)?))
    }

    pub(crate) fn f64(&mut self, field: &str) -> Result<f64, FormatError> {
        Ok(f64::from_le_bytes(self.array(field)?))
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], FormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
}

/// Decodes a fixed-width latin-1 field up to its first NUL (GDF pads some
/// fields C-style) and strips trailing spaces.
pub(crate) fn ascii(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let s: String = bytes[..end].iter().map(|&b| char::from(b)).collect();
    s.trim_end_matches(' ').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_report_offsets() {
        let bytes = b"12      abc     ";
        let mut f = Fields::new(bytes, 100);
        assert_eq!(f.number::<u32>(8, "n").unwrap(), 12);
        match f.number::<u32>(8, "m") {
            Err(FormatError::BadField { field, offset, .. }) => {
                assert_eq!(field, "m");
                assert_eq!(offset, 108);
            }
            other => panic!("expected BadField, got {other:?}"),
        }
        assert!(matches!(
            f.take(1, "x"),
            Err(FormatError::Truncated { offset: 116, .. })
        ));
    }

    #[test]
    fn read_exact_reports_available_bytes() {
        let mut r: &[u8] = b"abc";
        let mut buf = [0u8; 5];
        match read_exact(&mut r, &mut buf, || "part".into(), 7) {
            Err(FormatError::Truncated {
                what,
                offset: 7,
                needed: 5,
                available: 3,
            }) => assert_eq!(what, "part"),
            other => panic!("expected Truncated, got {other:?}"),
        }
    }
}
