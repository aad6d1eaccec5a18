//! The error type of the core crate and the configuration error shared by all
//! preflight checks.

use std::fmt;

/// What kind of failure happened, and therefore whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The configuration is wrong; fix it, retrying will not help.
    Config,
    /// The data is malformed (bad shape, bad value); retrying the same data will not help.
    InvalidData,
    /// A resource is temporarily unavailable (stream vanished, peer not up yet); retry later.
    Unavailable,
    /// An operating-system I/O error; may or may not be transient.
    Io,
    /// A bug or broken invariant inside neuroloop.
    Internal,
}

impl ErrorKind {
    /// Whether retrying the same operation later can succeed.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::Io)
    }
}

/// The error type of `neuroloop-core`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Creates an error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether a retry can help (see [`ErrorKind::is_retryable`]).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

/// One problem found while validating a configuration, with the dotted path
/// of the offending field (e.g. `pipeline.filters[1].high_hz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted path of the field, as written in the config file.
    pub path: String,
    /// What is wrong and, where possible, what is allowed.
    pub message: String,
}

impl ConfigError {
    /// Creates a config error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_kinds_are_retryable() {
        assert!(ErrorKind::Unavailable.is_retryable());
        assert!(ErrorKind::Io.is_retryable());
        assert!(!ErrorKind::Config.is_retryable());
        assert!(!ErrorKind::InvalidData.is_retryable());
        assert!(!ErrorKind::Internal.is_retryable());
    }

    #[test]
    fn config_error_displays_path_first() {
        let e = ConfigError::new(
            "pipeline.filters[1].high_hz",
            "120 is above Nyquist (80 Hz)",
        );
        assert_eq!(
            e.to_string(),
            "pipeline.filters[1].high_hz: 120 is above Nyquist (80 Hz)"
        );
    }
}
