//! The error type of the formats crate.
//!
//! Every malformed input maps to one specific variant that names what was
//! wrong and where (a byte offset in the file and, for header fields, the
//! field's name). Readers never panic on bad input.

use neuroloop_core::ErrorKind;

/// What went wrong while reading a recording file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// An operating-system I/O error other than a premature end of file.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ended before `what` was complete.
    #[error(
        "truncated file: {what} needs {needed} bytes at byte offset {offset}, only {available} present"
    )]
    Truncated {
        /// The part that was being read (`"fixed header"`, `"data record 12"`, ...).
        what: String,
        /// Byte offset in the file where that part starts.
        offset: u64,
        /// Bytes that part needs.
        needed: u64,
        /// Bytes that were actually present.
        available: u64,
    },
    /// The file does not start with a known version string.
    #[error("unknown file version {found:?} (expected {expected})")]
    BadVersion {
        /// The version bytes found, lossily decoded.
        found: String,
        /// What the reader accepts.
        expected: &'static str,
    },
    /// A header field holds a value that cannot be parsed or is out of range.
    #[error("bad header field {field} at byte offset {offset}: {value:?} ({reason})")]
    BadField {
        /// The field's name, with the signal index for per-signal fields (`"signal[3].digital_max"`).
        field: String,
        /// Byte offset of the field in the file.
        offset: u64,
        /// The field's raw text (or number).
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An EDF+ annotation signal holds a malformed time-stamped annotation list.
    #[error("bad annotation list at byte offset {offset} (data record {record}): {reason}")]
    BadTal {
        /// Index of the data record holding the annotation signal.
        record: u64,
        /// Byte offset in the file of the offending byte.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// The GDF event table is malformed.
    #[error("bad event table at byte offset {offset}: {reason}")]
    BadEventTable {
        /// Byte offset in the file.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// A CSV recording has a malformed header, row or cell.
    #[error("bad CSV at line {line}{}: {reason}", column_text(.column.as_deref()))]
    BadCsv {
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column's name from the header, when one cell is at fault.
        column: Option<String>,
        /// What was wrong.
        reason: String,
    },
    /// An XDF chunk is malformed (bad length, tag, stream id, sample or XML).
    #[error("bad XDF chunk at byte offset {offset}: {reason}")]
    BadXdf {
        /// Byte offset of the chunk in the file.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// The file is well-formed but uses a feature this crate does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl FormatError {
    /// The general kind of this error: [`ErrorKind::Io`] for operating-system
    /// errors, [`ErrorKind::InvalidData`] for everything about the content.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            FormatError::Io(_) => ErrorKind::Io,
            FormatError::Truncated { .. }
            | FormatError::BadVersion { .. }
            | FormatError::BadField { .. }
            | FormatError::BadTal { .. }
            | FormatError::BadEventTable { .. }
            | FormatError::BadCsv { .. }
            | FormatError::BadXdf { .. }
            | FormatError::Unsupported(_) => ErrorKind::InvalidData,
        }
    }

    /// Whether retrying (re-reading the file) may succeed; true only for I/O errors.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// A [`FormatError::BadField`].
    pub(crate) fn field(
        field: impl Into<String>,
        offset: u64,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        FormatError::BadField {
            field: field.into(),
            offset,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// `, column "name"` or nothing.
fn column_text(column: Option<&str>) -> String {
    column.map_or_else(String::new, |c| format!(", column {c:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_io_is_retryable() {
        let io = FormatError::Io(std::io::Error::other("x"));
        assert_eq!(io.kind(), ErrorKind::Io);
        assert!(io.is_retryable());
        let bad = FormatError::field("records", 236, "abc", "not an integer");
        assert_eq!(bad.kind(), ErrorKind::InvalidData);
        assert!(!bad.is_retryable());
        assert_eq!(
            bad.to_string(),
            "bad header field records at byte offset 236: \"abc\" (not an integer)"
        );
    }
}
