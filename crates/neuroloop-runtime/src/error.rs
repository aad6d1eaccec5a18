//! The error type of the runtime crate.

use neuroloop_core::{ConfigError, ErrorKind};

/// What stopped a session from starting or finishing cleanly.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The configuration is invalid (every problem listed).
    #[error("invalid configuration:\n{}", list(.0))]
    Config(Vec<ConfigError>),
    /// The intent server could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A stage failed to build.
    #[error("cannot build {what}: {message}")]
    Build {
        /// Which part.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// The source failed.
    #[error(transparent)]
    Source(#[from] neuroloop_sources::SourceError),
    /// liblsl failed (missing library: not retryable; see
    /// [`neuroloop_lsl::LslError::is_retryable`]).
    #[error(transparent)]
    Lsl(#[from] neuroloop_lsl::LslError),
    /// A session thread panicked or could not start.
    #[error("session thread {0} failed")]
    Thread(&'static str),
    /// Operating-system I/O.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A decoder or model bundle failed (loading, training or decoding).
    #[error(transparent)]
    Decode(#[from] neuroloop_decode::DecodeError),
}

fn list(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl RuntimeError {
    /// The general kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            RuntimeError::Config(_) | RuntimeError::Build { .. } => ErrorKind::Config,
            RuntimeError::Bind { .. } | RuntimeError::Io(_) => ErrorKind::Io,
            RuntimeError::Source(e) => e.kind(),
            RuntimeError::Lsl(e) if e.is_retryable() => ErrorKind::Unavailable,
            RuntimeError::Lsl(_) => ErrorKind::Config,
            RuntimeError::Thread(_) => ErrorKind::Internal,
            RuntimeError::Decode(e) => e.kind(),
        }
    }

    /// Whether retrying may succeed (e.g. the port was busy).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}
