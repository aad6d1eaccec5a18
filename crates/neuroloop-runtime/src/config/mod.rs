//! The session configuration (TOML) and its validation.
//!
//! Parsing and checking are one pass that collects every problem, each with
//! its config path, before anything starts (`neuroloop check`). The result,
//! a [`ValidatedSession`], holds everything the session needs to build its
//! stages: the stream spec from the hardware profile, the filter stage
//! configs from the registry, window sizes in samples, and so on.
//!
//! * `sections`: the TOML sections as deserialised.
//! * `defaults`: the defaults of their optional keys.
//! * `sources`: the source registry (`[source] type`); `replay`: the
//!   replay source's recording and its checks against a profile.
//! * `parse`: the one pass over the file.
//! * `validate`: the checks of each section.
//! * `bounds`: the allowed range of every numeric key; config files must be
//!   regular files of bounded size.
//! * `memory`: the preallocations of a session, refused above
//!   `session.max_memory_mb` before anything is allocated.
//! * `keypath`: names the key of a type error.
//! * `windows`: windows at a fixed hop or locked to markers.
//! * `bundle`: the checks of a `[decoder] type = "bundle"` against the
//!   session (channels, rate, window, filters, classes).
//! * `offline`: the filters and channels of a config for the offline
//!   commands ([`offline_inputs`]), through the same sections and checks.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_dsp::ChainConfig;

use crate::lsl_config::LslSection;
use crate::profile::HardwareProfile;

mod bounds;
mod bundle;
mod defaults;
mod keypath;
mod memory;
mod offline;
mod parse;
mod publish_timing;
mod replay;
mod sections;
mod sources;
mod validate;
mod windows;

pub use bounds::{MAX_CONFIG_BYTES, read_config_file};
pub use defaults::{MAX_CALIBRATION_S, MAX_SMOOTHING};
pub(crate) use keypath::key_at;
pub use memory::{DEFAULT_MAX_MEMORY_MB, MAX_MEMORY_MB, MemoryEstimate};
pub use offline::{OfflineInputs, offline_inputs};
pub use parse::parse;
pub use publish_timing::{DEFAULT_MAX_LAG_MS, FALLBACK_INTENT_MAX_AGE_MS, INTENT_AGE_MARGIN_MS};
pub use sections::{
    DecoderSection, PipelineSection, PolicySection, PublishSection, SessionSection,
};
pub use sources::{ReplaySection, SourceSection};
pub use windows::{EVENT_QUEUE, EventLocking, MAX_EVENT_OFFSET_S, MAX_EVENT_RATE_HZ, WindowMode};

/// A fully checked session, ready to build.
#[derive(Debug)]
pub struct ValidatedSession {
    /// `[session]`.
    pub session: SessionSection,
    /// The hardware profile.
    pub profile: HardwareProfile,
    /// The stream the source produces.
    pub input: StreamSpec,
    /// The source.
    pub source: SourceSection,
    /// Filter stage configs, in order.
    pub filters: ChainConfig,
    /// `[pipeline] filters` as written (saved with a bundle).
    pub filter_tables: Vec<toml::Value>,
    /// The stream after the filters.
    pub filtered: StreamSpec,
    /// `[pipeline.artifacts]` over the profile's physical range.
    pub artifacts: neuroloop_dsp::ArtifactConfig,
    /// How windows are cut: at a fixed hop or locked to markers.
    pub windows: WindowMode,
    /// Window length in samples.
    pub window_samples: usize,
    /// Hop in samples (the window length in event mode).
    pub hop_samples: usize,
    /// Ring capacity in samples.
    pub ring_samples: usize,
    /// `[decoder]`.
    pub decoder: DecoderSection,
    /// Class labels (from the paradigm).
    pub classes: Vec<String>,
    /// `[policy]`.
    pub policy: PolicySection,
    /// `[publish]` with the parsed address.
    pub publish: PublishSection,
    /// The address of the intent server.
    pub publish_addr: SocketAddr,
    /// Where the config file was.
    pub path: PathBuf,
    /// `[lsl]`: liblsl settings, used if an LSL feature is.
    pub lsl: LslSection,
}

impl ValidatedSession {
    /// Windows the calibration set keeps: every window of the calibration
    /// period at the hop, or in event mode one per event at up to
    /// [`MAX_EVENT_RATE_HZ`]; plus two.
    #[must_use]
    pub fn calibration_capacity(&self) -> usize {
        let seconds = self.decoder.calibration_s.max(0.0);
        let windows = match self.windows {
            WindowMode::Hop => seconds * self.input.sample_rate / self.hop_samples.max(1) as f64,
            WindowMode::Events(_) => seconds * MAX_EVENT_RATE_HZ,
        };
        (windows.ceil() as usize).saturating_add(2)
    }
}

/// Reads and validates the session config at `path`.
///
/// # Errors
/// Every problem found in the config and its hardware profile.
pub fn load(path: &Path) -> Result<ValidatedSession, Vec<ConfigError>> {
    let text = read_config_file(path)
        .map_err(|e| vec![ConfigError::new(path.display().to_string(), e)])?;
    parse(&text, path)
}
