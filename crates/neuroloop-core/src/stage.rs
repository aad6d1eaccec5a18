//! The stage lifecycle, after BCI2000's GenericFilter and Vector's
//! config → validate → build split.
//!
//! 1. [`StageConfig::preflight`]: pure, no I/O. Checks the configuration
//!    against the input stream and returns the output stream, or every
//!    problem at once, each with its config path.
//! 2. [`StageConfig::initialize`]: builds the runtime stage and allocates
//!    every buffer it will ever need (for blocks up to `max_block` samples).
//! 3. [`Stage::process`]: the hot path. No allocation, no locks, no logging,
//!    no panics on bad values (NaN/Inf pass through or are counted).

use crate::{BlockMut, ConfigError, Error, StreamSpec};

/// A configured-but-not-built stage (the serde config side).
pub trait StageConfig: std::fmt::Debug + Send + Sync {
    /// Short name of the stage type, as written in config (`type = "bandpass"`).
    fn kind(&self) -> &'static str;

    /// Validates the configuration against `input`.
    ///
    /// `path` is the config path of this stage (e.g. `pipeline.filters[1]`);
    /// errors use it as the prefix of their field paths.
    ///
    /// # Errors
    /// Every problem found, each with its full config path.
    fn preflight(&self, input: &StreamSpec, path: &str) -> Result<StreamSpec, Vec<ConfigError>>;

    /// Builds the runtime stage, allocating all its state for blocks of up to
    /// `max_block` samples.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Config`] when called with an input that preflight
    /// would reject.
    fn initialize(&self, input: &StreamSpec, max_block: usize) -> Result<Box<dyn Stage>, Error>;
}

/// A built stage that transforms samples in place.
pub trait Stage: Send {
    /// Processes one block in place.
    ///
    /// Must not allocate, lock, log or panic. The block's channel count equals
    /// the input spec's and its length is at most `max_block`.
    fn process(&mut self, block: &mut BlockMut<'_>);

    /// Clears internal state (filter memory) as after a gap in the signal.
    fn reset(&mut self);
}
