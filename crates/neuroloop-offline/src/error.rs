//! The error type of the offline crate.

use neuroloop_core::{ConfigError, ErrorKind};

/// What stopped epochs from being cut, a model from being evaluated or the
/// epochs from being written.
#[derive(Debug, thiserror::Error)]
pub enum OfflineError {
    /// An option is out of range or malformed (window, folds, event
    /// mapping, filter text, a flag of an offline command).
    #[error("{what}: {message}")]
    Option {
        /// The option.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// A session config given for its filters and channels is invalid
    /// (every problem listed, each with its config path).
    #[error("config {path}: {}", join(.errors))]
    Config {
        /// The config file.
        path: String,
        /// The problems.
        errors: Vec<ConfigError>,
    },
    /// A recording file could not be read.
    #[error("recording {path}: {source}")]
    Recording {
        /// The file.
        path: String,
        /// Why.
        source: neuroloop_formats::FormatError,
    },
    /// A channel asked for is not in a recording.
    #[error("recording {recording}: no channel labelled {label:?}")]
    UnknownChannel {
        /// The recording.
        recording: String,
        /// The label asked for.
        label: String,
    },
    /// No event of a recording matches the event mapping.
    #[error("recording {recording}: no event matches {keys} (events there: {seen})")]
    NoMatchingEvents {
        /// The recording.
        recording: String,
        /// The mapping's event keys.
        keys: String,
        /// The distinct event texts the recording has (first few).
        seen: String,
    },
    /// A recording holds a NaN or infinite sample in a selected channel.
    #[error("recording {recording}: channel {channel} holds a non-finite value at sample {sample}")]
    NonFiniteRecording {
        /// The recording.
        recording: String,
        /// The channel label.
        channel: String,
        /// The sample index.
        sample: usize,
    },
    /// Recordings whose epochs cannot be pooled (different sample rates or
    /// filter outputs), or whose matching events all run past an end.
    #[error("recording {recording}: {what}")]
    RecordingMismatch {
        /// The recording.
        recording: String,
        /// What differs.
        what: String,
    },
    /// A class has too few epochs for the requested folds.
    #[error("class {class:?} has {got} epochs; {needed} are needed")]
    TooFewEpochs {
        /// The class.
        class: String,
        /// Epochs of that class.
        got: usize,
        /// Epochs needed.
        needed: usize,
    },
    /// The epochs were refused, or training or prediction failed.
    #[error(transparent)]
    Decode(#[from] neuroloop_decode::DecodeError),
    /// Writing exported epochs failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

fn join(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl OfflineError {
    /// The general kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            OfflineError::Option { .. }
            | OfflineError::Config { .. }
            | OfflineError::Recording { .. }
            | OfflineError::UnknownChannel { .. }
            | OfflineError::NoMatchingEvents { .. }
            | OfflineError::NonFiniteRecording { .. }
            | OfflineError::RecordingMismatch { .. }
            | OfflineError::TooFewEpochs { .. } => ErrorKind::Config,
            OfflineError::Decode(e) => e.kind(),
            OfflineError::Io(_) => ErrorKind::Io,
        }
    }

    /// Whether retrying may succeed (e.g. a disk that was full); a wrong
    /// option, file or recording fails again.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_io_may_succeed_on_a_retry() {
        let option = OfflineError::Option {
            what: "folds",
            message: "1".into(),
        };
        assert!(!option.is_retryable());
        let few = OfflineError::TooFewEpochs {
            class: "a".into(),
            got: 1,
            needed: 5,
        };
        assert!(!few.is_retryable());
        let io = OfflineError::Io(std::io::Error::other("disk full"));
        assert_eq!(io.kind(), ErrorKind::Io);
        assert!(io.is_retryable());
    }

    #[test]
    fn a_config_error_lists_every_problem_with_its_path() {
        let err = OfflineError::Config {
            path: "s.toml".into(),
            errors: vec![
                ConfigError::new("session.name", "missing"),
                ConfigError::new("pipeline.filters[0].low_hz", "must be positive"),
            ],
        };
        assert_eq!(
            err.to_string(),
            "config s.toml: session.name: missing; pipeline.filters[0].low_hz: must be positive"
        );
    }
}
