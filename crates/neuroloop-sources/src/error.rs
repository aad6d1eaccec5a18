//! The error type of the sources crate.

use neuroloop_core::ErrorKind;

/// What went wrong in a source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The source's configuration is invalid.
    #[error("invalid source configuration: {0}")]
    Config(String),
    /// The stream or device is not (yet) available; retrying may succeed.
    #[error("source unavailable: {0}")]
    Unavailable(String),
    /// The device sent data that cannot be decoded.
    #[error("invalid data from source: {0}")]
    InvalidData(String),
    /// liblsl failed: missing library (not retryable), stream not found or
    /// lost (retryable); see [`neuroloop_lsl::LslError::is_retryable`].
    #[error(transparent)]
    Lsl(#[from] neuroloop_lsl::LslError),
    /// An operating-system I/O error.
    #[error("source I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl SourceError {
    /// The general kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            SourceError::Config(_) => ErrorKind::Config,
            SourceError::Unavailable(_) => ErrorKind::Unavailable,
            SourceError::InvalidData(_) => ErrorKind::InvalidData,
            SourceError::Io(_) => ErrorKind::Io,
            SourceError::Lsl(e) if e.is_retryable() => ErrorKind::Unavailable,
            SourceError::Lsl(_) => ErrorKind::Config,
        }
    }

    /// Whether retrying (e.g. re-opening the stream) may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}
