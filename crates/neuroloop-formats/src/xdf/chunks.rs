//! XDF chunk framing: the `XDF:` magic, then chunks of
//! `[NumLengthBytes][Length][Tag][Content]`, lengths and counts as
//! variable-length integers (a byte saying 1, 4 or 8, then that many
//! little-endian bytes).
//!
//! A file cut anywhere (a recorder killed, power lost) reads up to its last
//! whole chunk: a chunk that runs past the end of the file ends the chunk
//! list, and the file is marked truncated.

use crate::FormatError;

/// The file's first four bytes.
pub const MAGIC: &[u8; 4] = b"XDF:";

/// Chunk tags (XDF 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// XML of the file header.
    FileHeader,
    /// Stream id, XML of the stream's header.
    StreamHeader,
    /// Stream id, samples.
    Samples,
    /// Stream id, collection time and clock offset.
    ClockOffset,
    /// A 16-byte marker for re-synchronising in a damaged file.
    Boundary,
    /// Stream id, XML of the stream's footer.
    StreamFooter,
}

impl Tag {
    fn from_code(code: u16) -> Option<Self> {
        Some(match code {
            1 => Tag::FileHeader,
            2 => Tag::StreamHeader,
            3 => Tag::Samples,
            4 => Tag::ClockOffset,
            5 => Tag::Boundary,
            6 => Tag::StreamFooter,
            _ => return None,
        })
    }

    /// Whether the content begins with a 4-byte stream id.
    fn has_stream_id(self) -> bool {
        matches!(
            self,
            Tag::StreamHeader | Tag::Samples | Tag::ClockOffset | Tag::StreamFooter
        )
    }
}

/// One chunk: its tag, stream id (for stream chunks), content after the id,
/// and where it starts in the file.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// The tag.
    pub tag: Tag,
    /// The stream id, for stream chunks.
    pub stream: Option<u32>,
    /// The content after tag and stream id.
    pub content: &'a [u8],
    /// Byte offset of the chunk in the file.
    pub offset: u64,
}

/// The chunks of a whole file, and whether it was cut in a chunk.
#[derive(Debug)]
pub struct Chunks<'a> {
    /// Every whole chunk of a known tag, in file order.
    pub chunks: Vec<Chunk<'a>>,
    /// The file ends inside a chunk (everything before it was read).
    pub truncated: bool,
    /// Chunks of unknown tags skipped.
    pub unknown: usize,
}

/// Splits `bytes` (a whole file) into chunks.
///
/// # Errors
/// [`FormatError::BadVersion`] without the magic; [`FormatError::BadXdf`]
/// for a length field that is not 1, 4 or 8 bytes or a chunk too short for
/// its tag and stream id.
pub fn split(bytes: &[u8]) -> Result<Chunks<'_>, FormatError> {
    if bytes.get(..4) != Some(&MAGIC[..]) {
        return Err(FormatError::BadVersion {
            found: String::from_utf8_lossy(bytes.get(..4).unwrap_or(bytes)).into_owned(),
            expected: "XDF:",
        });
    }
    let mut out = Chunks {
        chunks: Vec::new(),
        truncated: false,
        unknown: 0,
    };
    let mut at = 4usize;
    while at < bytes.len() {
        let offset = at as u64;
        let mut cursor = Cursor { bytes, at };
        let Some(length) = cursor.varlen(offset)? else {
            out.truncated = true;
            break;
        };
        let end = usize::try_from(length)
            .ok()
            .and_then(|l| cursor.at.checked_add(l));
        let Some(body) = end.and_then(|end| bytes.get(cursor.at..end)) else {
            out.truncated = true;
            break;
        };
        at = cursor.at + body.len();
        let bad = |reason: String| FormatError::BadXdf { offset, reason };
        let (code, rest) =
            split_u16(body).ok_or_else(|| bad(format!("length {length} leaves no tag")))?;
        let Some(tag) = Tag::from_code(code) else {
            out.unknown += 1;
            continue;
        };
        let (stream, content) = if tag.has_stream_id() {
            let (id, content) = split_u32(rest)
                .ok_or_else(|| bad(format!("{tag:?} chunk of {length} bytes has no stream id")))?;
            (Some(id), content)
        } else {
            (None, rest)
        };
        out.chunks.push(Chunk {
            tag,
            stream,
            content,
            offset,
        });
    }
    Ok(out)
}

/// A read position in a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// The position.
    pub at: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes, or `None` past the end.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    /// A variable-length integer; `Ok(None)` past the end.
    ///
    /// # Errors
    /// [`FormatError::BadXdf`] (at `offset`) for a width other than 1, 4, 8.
    pub fn varlen(&mut self, offset: u64) -> Result<Option<u64>, FormatError> {
        let Some(&[width]) = self.take(1) else {
            return Ok(None);
        };
        let value = match width {
            1 => self.take(1).map(|b| u64::from(b[0])),
            4 => self
                .take(4)
                .and_then(|b| b.try_into().ok())
                .map(|b| u64::from(u32::from_le_bytes(b))),
            8 => self
                .take(8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes),
            other => {
                return Err(FormatError::BadXdf {
                    offset,
                    reason: format!("a length or count of {other} bytes (only 1, 4 or 8)"),
                });
            }
        };
        Ok(value)
    }

    /// A little-endian `f64`, or `None` past the end.
    pub fn f64(&mut self) -> Option<f64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(f64::from_le_bytes)
    }
}

fn split_u16(b: &[u8]) -> Option<(u16, &[u8])> {
    let (head, rest) = b.split_first_chunk::<2>()?;
    Some((u16::from_le_bytes(*head), rest))
}

fn split_u32(b: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = b.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head), rest))
}
