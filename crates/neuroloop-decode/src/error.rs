//! The one error type of the decode crate.

use neuroloop_core::{ConfigError, ErrorKind};

/// What went wrong while building, training or running a decoder.
///
/// [`DecodeError::kind`] maps every variant onto the runtime-wide
/// [`ErrorKind`], which says whether a retry can help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The decoder configuration is invalid; every problem, each with its path.
    #[error("invalid decoder configuration: {}", join(.0))]
    Config(Vec<ConfigError>),

    /// The window does not have the shape the decoder was built for.
    #[error(
        "window shape {channels}x{samples} ({len} values) does not match the decoder's \
         {expected_channels}x{expected_samples}"
    )]
    WindowShape {
        /// Channels the decoder expects.
        expected_channels: usize,
        /// Samples per channel the decoder expects.
        expected_samples: usize,
        /// Channels the window claims.
        channels: usize,
        /// Samples the window claims.
        samples: usize,
        /// Length of the window's data slice.
        len: usize,
    },

    /// The window holds a NaN or infinite sample (an artifact: hold, do not retry).
    #[error("non-finite sample at channel {channel}, sample {sample}")]
    NonFinite {
        /// Channel of the first bad sample.
        channel: usize,
        /// Sample index (within the channel) of the first bad sample.
        sample: usize,
    },

    /// The probability output slice has the wrong length.
    #[error("probability buffer holds {got} values, the decoder has {expected} classes")]
    ProbabilitiesLength {
        /// Number of classes.
        expected: usize,
        /// Length of the slice passed in.
        got: usize,
    },

    /// The calibration data does not hold `labels × channels × samples` values.
    #[error("calibration data holds {got} values, {expected} expected for {windows} windows")]
    TrainingShape {
        /// Values expected.
        expected: usize,
        /// Values passed.
        got: usize,
        /// Number of labels (one per window).
        windows: usize,
    },

    /// Too few calibration windows to fit and validate the model.
    #[error("{got} calibration windows, at least {needed} needed")]
    TooFewWindows {
        /// Windows passed.
        got: usize,
        /// Minimum for this class count.
        needed: usize,
    },

    /// A calibration label names no configured class.
    #[error("label {label} of window {window} is out of range (classes: {classes})")]
    LabelOutOfRange {
        /// Index of the window.
        window: usize,
        /// The label.
        label: usize,
        /// Number of classes.
        classes: usize,
    },

    /// A configured class has no calibration window.
    #[error("class {class} ({name:?}) has no calibration window")]
    EmptyClass {
        /// Class index.
        class: usize,
        /// Class label.
        name: String,
    },

    /// A calibration window holds a NaN or infinite sample.
    #[error("non-finite sample in calibration window {window}, channel {channel}, sample {sample}")]
    NonFiniteTraining {
        /// Index of the window.
        window: usize,
        /// Channel of the first bad sample.
        channel: usize,
        /// Sample index of the first bad sample.
        sample: usize,
    },

    /// The training options are out of range.
    #[error("invalid training option {field}: {message}")]
    TrainOptions {
        /// Name of the option.
        field: &'static str,
        /// What is wrong.
        message: String,
    },

    /// Training produced a non-finite loss (learning rate too high or degenerate data).
    #[error("training diverged at epoch {epoch}")]
    Diverged {
        /// Epoch (1-based) whose loss was not finite.
        epoch: usize,
    },

    /// Reading or writing a model record failed (file system).
    #[error("model record I/O: {0}")]
    Record(String),

    /// A model record is malformed or does not fit the configuration.
    #[error("model record does not fit: {0}")]
    RecordMismatch(String),

    /// The tensor backend failed (a bug or broken invariant).
    #[error("tensor backend: {0}")]
    Backend(String),

    /// A labelled epoch set is malformed (sizes, sample rate, classes).
    #[error("invalid epoch set: {0}")]
    EpochSet(String),

    /// The compute device is unknown, or not built into this binary.
    #[error("device {device:?}: {reason}")]
    DeviceUnavailable {
        /// The device asked for.
        device: String,
        /// Why it cannot be used, and how to fix that.
        reason: String,
    },

    /// The model architecture is not built into this version.
    #[error("architecture {0:?} is not available")]
    ArchitectureUnavailable(String),

    /// A model bundle's file is missing or cannot be read or written.
    #[error("model bundle {path}: {message}")]
    BundleIo {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },

    /// A bundle's `decoder.json` is not a valid manifest (syntax, unknown
    /// or missing fields, inconsistent values).
    #[error("model bundle manifest {path}: {message}")]
    BundleManifest {
        /// The manifest file.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// A bundle was written in a format version this build cannot read.
    #[error("model bundle {path} has format version {found}; this build reads version {supported}")]
    BundleVersion {
        /// The manifest file.
        path: String,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },

    /// A bundle's weights file is corrupt or does not fit its architecture.
    #[error("model bundle weights {path}: {message}")]
    BundleWeights {
        /// The weights file.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// A PyTorch weights file cannot be opened or has an unknown extension.
    #[error("PyTorch weights {path}: {message}")]
    ImportFile {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },

    /// A PyTorch weights file is not a readable state dict.
    #[error("PyTorch weights {path} cannot be read: {message}")]
    ImportFormat {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },

    /// A PyTorch state dict lacks parameters the model needs.
    #[error("PyTorch weights {path} lack {}", .keys.join(", "))]
    ImportMissingKeys {
        /// The file.
        path: String,
        /// The missing state-dict keys.
        keys: Vec<String>,
    },

    /// A PyTorch state dict holds keys the model does not use.
    #[error("PyTorch weights {path} hold keys the model does not use: {}", .keys.join(", "))]
    ImportUnexpectedKeys {
        /// The file.
        path: String,
        /// The unused state-dict keys.
        keys: Vec<String>,
    },

    /// A PyTorch tensor's shape differs from the model parameter's.
    #[error("PyTorch weights {path}: {key} has shape {found:?}, the model needs {expected:?}")]
    ImportShape {
        /// The file.
        path: String,
        /// The state-dict key.
        key: String,
        /// The model parameter's shape.
        expected: Vec<usize>,
        /// The file tensor's shape.
        found: Vec<usize>,
    },
    /// A matrix computation failed on the data: a covariance that is not
    /// symmetric positive definite, a singular system, an eigensolver that
    /// did not converge.
    #[error("{what}: {message}")]
    Numerical {
        /// What was being computed (e.g. `riemannian mean`).
        what: &'static str,
        /// Why it failed.
        message: String,
    },
}

impl DecodeError {
    /// The runtime-wide kind of this error.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        match self {
            DecodeError::Config(_)
            | DecodeError::TrainOptions { .. }
            | DecodeError::ArchitectureUnavailable(_)
            | DecodeError::DeviceUnavailable { .. }
            | DecodeError::BundleManifest { .. }
            | DecodeError::ImportFile { .. }
            | DecodeError::BundleVersion { .. } => ErrorKind::Config,
            DecodeError::WindowShape { .. }
            | DecodeError::NonFinite { .. }
            | DecodeError::TrainingShape { .. }
            | DecodeError::TooFewWindows { .. }
            | DecodeError::LabelOutOfRange { .. }
            | DecodeError::EmptyClass { .. }
            | DecodeError::NonFiniteTraining { .. }
            | DecodeError::Diverged { .. }
            | DecodeError::RecordMismatch(_)
            | DecodeError::EpochSet(_)
            | DecodeError::BundleWeights { .. }
            | DecodeError::ImportFormat { .. }
            | DecodeError::ImportMissingKeys { .. }
            | DecodeError::ImportUnexpectedKeys { .. }
            | DecodeError::ImportShape { .. }
            | DecodeError::Numerical { .. } => ErrorKind::InvalidData,
            DecodeError::Record(_) | DecodeError::BundleIo { .. } => ErrorKind::Io,
            DecodeError::ProbabilitiesLength { .. } | DecodeError::Backend(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// Whether retrying the same operation later can succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// Whether the window held bad samples: the pipeline holds with
    /// `HoldReason::Artifact` and goes on with the next window.
    #[must_use]
    pub fn is_artifact(&self) -> bool {
        matches!(self, DecodeError::NonFinite { .. })
    }
}

impl From<DecodeError> for neuroloop_core::Error {
    fn from(e: DecodeError) -> Self {
        neuroloop_core::Error::new(e.kind(), e.to_string())
    }
}

fn join(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_samples_are_artifacts_and_not_retryable() {
        let e = DecodeError::NonFinite {
            channel: 2,
            sample: 7,
        };
        assert!(e.is_artifact());
        assert!(!e.is_retryable());
        assert_eq!(e.kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn config_errors_list_every_path() {
        let e = DecodeError::Config(vec![
            ConfigError::new("decoder.bands[0]", "empty"),
            ConfigError::new("decoder.classes", "one class"),
        ]);
        assert_eq!(e.kind(), ErrorKind::Config);
        let text = e.to_string();
        assert!(text.contains("decoder.bands[0]: empty"), "{text}");
        assert!(text.contains("decoder.classes: one class"), "{text}");
        let core: neuroloop_core::Error = e.into();
        assert_eq!(core.kind(), ErrorKind::Config);
    }
}
