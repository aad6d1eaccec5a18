//! [`AudioError`]: what can go wrong with a sound device.

use thiserror::Error;

/// An audio failure.
#[derive(Debug, Error)]
pub enum AudioError {
    /// No output device matches the requested name (the names there are
    /// listed), or the host has no output device at all.
    #[error("no audio {direction} device {wanted}; available: {}", list(.available))]
    NoDevice {
        /// `output` or `input`.
        direction: &'static str,
        /// The name asked for (`"(default)"` for the default device).
        wanted: String,
        /// The output devices the host has.
        available: Vec<String>,
    },
    /// The device's configuration cannot be used (no default
    /// configuration, an unsupported sample format, no channels).
    #[error("audio device {device}: {message}")]
    Config {
        /// The device.
        device: String,
        /// What is wrong.
        message: String,
    },
    /// The stream could not be built or started; the device may be busy or
    /// the sound server restarting, so a retry can succeed.
    #[error("audio stream on {device}: {message}")]
    Stream {
        /// The device.
        device: String,
        /// The host's message.
        message: String,
    },
}

impl AudioError {
    /// Whether trying again later can succeed (a busy or restarting sound
    /// server), as opposed to a device or configuration that is wrong.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Stream { .. })
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
