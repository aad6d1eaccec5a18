//! The session configuration (TOML) and its validation.
//!
//! Parsing and checking are one pass that collects every problem, each with
//! its config path, before anything starts (`neuroloop check`). The result,
//! a [`ValidatedSession`], holds the validated config of each part of the
//! session: the source's plan (from the source registry), the pipeline's
//! ([`PipelinePlan`]: the stream from the hardware profile, the filter
//! chain from the stage registry, window sizes in samples), the decoder,
//! policy and publishers' sections.
//!
//! * `sections`: the TOML sections as deserialised.
//! * `defaults`: the defaults of their optional keys.
//! * [`Registries`]: the source and filter-stage registries a session is
//!   validated against (the sources themselves: [`crate::source_registry`]).
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

use neuroloop_core::ConfigError;

use crate::lsl_config::LslSection;
use crate::profile::HardwareProfile;
use crate::source_registry::{SourcePlan, SourceRegistry};

mod bounds;
mod bundle;
mod channels;
mod checked_pipeline;
mod defaults;
mod device;
mod keypath;
mod memory;
mod offline;
mod parse;
mod plans;
mod publish_timing;
mod record;
mod sections;
mod validate;
mod windows;

pub use bounds::{MAX_CONFIG_BYTES, read_config_file};
pub use channels::{ChannelSelection, select_channels};
pub use defaults::{MAX_CALIBRATION_S, MAX_SMOOTHING};
pub use device::{DEFAULT_GPU_DEADLINE_MS, GPU_DEADLINE_RANGE_MS};
pub(crate) use keypath::{deserialize_at, key_at};
pub use memory::{DEFAULT_MAX_MEMORY_MB, MAX_MEMORY_MB, MemoryEstimate};
pub(crate) use memory::{STAMP as STAMP_BYTES, VALUE as VALUE_BYTES};
pub use offline::{OfflineInputs, offline_inputs};
pub use parse::{parse, parse_with};
pub use plans::{FilterPlan, PipelinePlan};
pub use publish_timing::{DEFAULT_MAX_LAG_MS, FALLBACK_INTENT_MAX_AGE_MS, INTENT_AGE_MARGIN_MS};
pub use record::{MAX_FLUSH_S, RecordPlan, RecordSection, StoredConfig};
pub use sections::{
    DecoderSection, PipelineSection, PolicySection, PublishSection, SessionSection,
};
pub use windows::{
    EVENT_QUEUE, EventLocking, MAX_EVENT_OFFSET_S, MAX_EVENT_RATE_HZ, WindowMode, WindowPlan,
};

/// A fully checked session, ready to build: each part's validated config.
#[derive(Debug)]
pub struct ValidatedSession {
    /// `[session]`.
    pub session: SessionSection,
    /// The hardware profile.
    pub profile: HardwareProfile,
    /// The source, validated and ready to open.
    pub source: std::sync::Arc<dyn SourcePlan>,
    /// The pipeline: stream in, artifacts, filters, windows, ring.
    pub pipeline: PipelinePlan,
    /// `[decoder]`.
    pub decoder: DecoderSection,
    /// Class labels (from the source).
    pub classes: Vec<String>,
    /// `[policy]`.
    pub policy: PolicySection,
    /// `[publish]`.
    pub publish: PublishSection,
    /// The address of the intent server (`publish.tcp`, parsed).
    pub publish_addr: SocketAddr,
    /// `[lsl]`: liblsl settings, used if an LSL feature is.
    pub lsl: LslSection,
    /// `[record]`: the XDF file the session records to, if any.
    pub record: Option<RecordPlan>,
    /// Where the config file was.
    pub path: PathBuf,
}

impl ValidatedSession {
    /// Windows the calibration set keeps: every window of the calibration
    /// period at the hop, or in event mode one per event at up to
    /// [`MAX_EVENT_RATE_HZ`]; plus two.
    #[must_use]
    pub fn calibration_capacity(&self) -> usize {
        let seconds = self.decoder.calibration_s.max(0.0);
        let p = &self.pipeline;
        let windows = match p.windows.mode {
            WindowMode::Hop => seconds * p.input.sample_rate / p.windows.hop_samples.max(1) as f64,
            WindowMode::Events(_) => seconds * MAX_EVENT_RATE_HZ,
        };
        (windows.ceil() as usize).saturating_add(2)
    }
}

/// The registries a session config is validated against: sources by
/// `[source] type`, filter stages by `[[pipeline.filters]] type`, decoder
/// architectures by `[decoder] type` (kept by the validated `[decoder]`
/// for its trainer and the bundles it loads).
#[derive(Debug)]
pub struct Registries {
    /// Source kinds.
    pub sources: SourceRegistry,
    /// Filter stages.
    pub stages: neuroloop_dsp::StageRegistry,
    /// Decoder architectures.
    pub decoders: std::sync::Arc<neuroloop_decode::fit::DecoderRegistry>,
}

impl Registries {
    /// The built-in sources and stages.
    #[must_use]
    pub fn builtin() -> Self {
        Self {
            sources: SourceRegistry::builtin(),
            stages: neuroloop_dsp::StageRegistry::builtin(),
            decoders: std::sync::Arc::new(neuroloop_decode::fit::DecoderRegistry::builtin()),
        }
    }
}

impl Default for Registries {
    fn default() -> Self {
        Self::builtin()
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
