//! `[source] type = "replay"`: a recording played back. The recording is
//! read at validation, its stream is the session's input, and a hardware
//! profile, when the session names one, must describe the same stream.

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_sources::Source;
use neuroloop_sources::replay::{ReplayConfig, ReplayRecording, ReplaySource};

use super::{OpenContext, SourcePlan, SourceRegistry, deserialize};
use crate::RuntimeError;
use crate::profile::HardwareProfile;

pub(super) fn register(registry: &mut SourceRegistry) {
    registry.register("replay", |table, context| {
        let config: ReplayConfig = deserialize(table, context)?;
        Ok(Arc::new(ReplaySection::load(config, context.config_path)?))
    });
}

/// A replay source with its recording loaded.
#[derive(Debug, Clone)]
pub struct ReplaySection {
    /// `[source]` as written.
    pub config: ReplayConfig,
    /// The recording, read once and shared with the running source.
    pub recording: Arc<ReplayRecording>,
}

impl ReplaySection {
    /// Checks `config` and reads its recording (relative to the directory
    /// of `config_path`).
    ///
    /// # Errors
    /// Every problem, at `source.*`.
    pub(crate) fn load(config: ReplayConfig, config_path: &Path) -> Result<Self, Vec<ConfigError>> {
        config.preflight("source")?;
        let base = config_path.parent().unwrap_or_else(|| Path::new("."));
        let recording = ReplayRecording::load(&config, base, "source")?;
        Ok(Self {
            config,
            recording: Arc::new(recording),
        })
    }

    /// The profile of a session that names none: the recording's channels,
    /// rate, unit and physical range; transport `replay`.
    #[must_use]
    pub fn profile(&self) -> HardwareProfile {
        let rec = &self.recording;
        let spec = &rec.spec;
        let (low, high) = rec.physical_range;
        let finite = low.is_finite() && high.is_finite() && low < high;
        let unit = spec
            .channels
            .first()
            .map_or_else(|| "microvolts".into(), |c| c.unit.clone());
        HardwareProfile {
            name: spec.name.clone(),
            description: format!("recording {}", rec.path.display()),
            transport: "replay".into(),
            sample_rate: spec.sample_rate,
            block_size: spec.block_size,
            scale_uv_per_count: 1.0,
            montage: "recording".into(),
            channels: spec.channels.iter().map(|c| c.label.clone()).collect(),
            channel_kind: "EEG".into(),
            channel_kinds: std::collections::BTreeMap::new(),
            unit,
            expected_latency_ms: None,
            serial: None,
            physical_min_uv: finite.then_some(low),
            physical_max_uv: finite.then_some(high),
            lsl: None,
        }
    }

    /// Compares the recording's stream with a named profile's: channel
    /// count, each label, rate.
    fn check_profile(&self, profile: &HardwareProfile, errors: &mut Vec<ConfigError>) {
        let spec = &self.recording.spec;
        let file = self.recording.path.display();
        let mut err = |msg: String| errors.push(ConfigError::new("source.path", msg));
        if spec.channel_count() != profile.channels.len() {
            err(format!(
                "{file} gives {} channels, hardware profile {:?} has {}; select channels with \
                 source.channels or name another profile",
                spec.channel_count(),
                profile.name,
                profile.channels.len()
            ));
        } else {
            for (i, (ours, theirs)) in spec.labels().zip(&profile.channels).enumerate() {
                if !ours.eq_ignore_ascii_case(theirs) {
                    err(format!(
                        "channel {i} of {file} is {ours:?}, hardware profile {:?} has {theirs:?}",
                        profile.name
                    ));
                }
            }
        }
        if spec.sample_rate != profile.sample_rate {
            err(format!(
                "{file} is sampled at {} Hz, hardware profile {:?} at {} Hz",
                spec.sample_rate, profile.name, profile.sample_rate
            ));
        }
    }
}

impl SourcePlan for ReplaySection {
    fn kind(&self) -> &'static str {
        "replay"
    }

    fn classes(&self) -> Vec<String> {
        self.config.classes.clone()
    }

    fn own_profile(&self) -> Option<HardwareProfile> {
        Some(self.profile())
    }

    /// A replay plays any profile's recording, but it must be the same
    /// stream.
    fn check(&self, profile: &HardwareProfile, _: &StreamSpec, errors: &mut Vec<ConfigError>) {
        self.check_profile(profile, errors);
    }

    /// The recording, read once at validation, with its timestamps (XDF).
    fn memory(&self, spec: &StreamSpec) -> Vec<(&'static str, f64)> {
        let samples = self.recording.samples as f64;
        let values = samples * spec.channel_count() as f64 * crate::config::VALUE_BYTES;
        let stamps = self
            .recording
            .times
            .as_ref()
            .map_or(0.0, |_| samples * std::mem::size_of::<f64>() as f64);
        vec![("replayed recording", values + stamps)]
    }

    /// Never: the pipeline waits for the trainer, so both paces decode the
    /// same windows with the same decoder.
    fn live(&self) -> bool {
        false
    }

    /// Its block from `[source] block_size` or the profile.
    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError> {
        let mut spec = context.spec.clone();
        spec.block_size = self.config.block_size.unwrap_or(spec.block_size);
        Ok(Box::new(ReplaySource::open(
            Arc::clone(&self.recording),
            spec,
            context.classes.to_vec(),
            self.config.pace,
        )?))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
