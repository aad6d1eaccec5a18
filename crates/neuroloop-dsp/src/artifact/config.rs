//! `[pipeline.artifacts]`: the limits of the artifact detector, checked by
//! preflight with their allowed ranges.

use neuroloop_core::{ConfigError, Error, ErrorKind, Stage, StageConfig, StreamSpec};
use serde::{Deserialize, Serialize};

use super::detector::{ArtifactDetector, Limits};
use crate::registry::parse_table;

/// Largest magnitude of a physical range limit, µV (1 kV: no EEG amplifier
/// takes more; anything beyond is garbage, which is what the rail finds).
pub const MAX_PHYSICAL_UV: f64 = 1e9;
/// Longest flat-line time, seconds.
pub const MAX_FLAT_S: f64 = 60.0;
/// Largest flat-line tolerance, µV (more would call ordinary EEG flat).
pub const MAX_FLAT_UV: f64 = 100.0;
/// Longest settling time after an artifact, seconds.
pub const MAX_SETTLE_S: f64 = 10.0;

/// The artifact limits. The physical range normally comes from the hardware
/// profile ([`Self::with_physical_range`]); every key can override it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactConfig {
    /// Detection on (default) or off.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    /// Lowest value the amplifier can represent, µV; values at or below it
    /// are `rail` artifacts.
    #[serde(default)]
    pub physical_min_uv: Option<f64>,
    /// Highest value the amplifier can represent, µV; values at or above it
    /// are `rail` artifacts.
    #[serde(default)]
    pub physical_max_uv: Option<f64>,
    /// Values with a larger magnitude are `amplitude` artifacts; default
    /// [`default_amplitude_uv`] of the physical range (off without one).
    #[serde(default)]
    pub amplitude_uv: Option<f64>,
    /// Seconds a channel must stay within `flat_uv` of one value to be a
    /// `flat` artifact; 0 turns flat-line detection off.
    #[serde(default = "default_flat_s")]
    pub flat_s: f64,
    /// How far a value may move and still count as "no change", µV.
    #[serde(default)]
    pub flat_uv: f64,
    /// Seconds after an artifact during which windows still hold: the
    /// filters restart from rest at the first clean sample and ring while
    /// they settle.
    #[serde(default = "default_settle_s")]
    pub settle_s: f64,
}

fn default_enabled() -> bool {
    true
}
fn default_flat_s() -> f64 {
    0.5
}
fn default_settle_s() -> f64 {
    0.5
}

impl Default for ArtifactConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            physical_min_uv: None,
            physical_max_uv: None,
            amplitude_uv: None,
            flat_s: default_flat_s(),
            flat_uv: 0.0,
            settle_s: default_settle_s(),
        }
    }
}

/// The default amplitude limit for a physical range: 90 % of its larger
/// magnitude (values in the last tenth before a rail are outside an
/// amplifier's linear range).
#[must_use]
pub fn default_amplitude_uv(min: f64, max: f64) -> f64 {
    0.9 * min.abs().max(max.abs())
}

impl ArtifactConfig {
    const FIELDS: &'static [&'static str] = &[
        "enabled",
        "physical_min_uv",
        "physical_max_uv",
        "amplitude_uv",
        "flat_s",
        "flat_uv",
        "settle_s",
    ];

    /// Parses a `[pipeline.artifacts]` table at config path `path`.
    ///
    /// # Errors
    /// Every unknown key, or the first type error, at its key's path.
    pub fn from_toml(table: &toml::Value, path: &str) -> Result<Self, Vec<ConfigError>> {
        parse_table(table, path, Self::FIELDS)
    }

    /// Fills the physical range from `range` (the hardware profile's) where
    /// the configuration does not set its own.
    #[must_use]
    pub fn with_physical_range(mut self, range: Option<(f64, f64)>) -> Self {
        if let Some((min, max)) = range {
            self.physical_min_uv.get_or_insert(min);
            self.physical_max_uv.get_or_insert(max);
        }
        self
    }

    /// The amplitude limit in force: the configured one, else the default
    /// of the physical range, else none.
    #[must_use]
    pub fn amplitude_limit(&self) -> Option<f64> {
        self.amplitude_uv
            .or(match (self.physical_min_uv, self.physical_max_uv) {
                (Some(min), Some(max)) => Some(default_amplitude_uv(min, max)),
                _ => None,
            })
    }

    /// Every problem of the limits for a stream sampled at `fs` Hz.
    fn problems(&self, fs: f64, path: &str) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        let mut err = |key: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}.{key}"), msg));
        };
        let in_range = |v: f64| v.is_finite() && v.abs() <= MAX_PHYSICAL_UV;
        for (key, value) in [
            ("physical_min_uv", self.physical_min_uv),
            ("physical_max_uv", self.physical_max_uv),
        ] {
            if let Some(v) = value.filter(|v| !in_range(*v)) {
                err(
                    key,
                    format!("{v} must be between -{MAX_PHYSICAL_UV:e} and {MAX_PHYSICAL_UV:e} µV"),
                );
            }
        }
        match (self.physical_min_uv, self.physical_max_uv) {
            (Some(min), Some(max)) if in_range(min) && in_range(max) && min >= max => err(
                "physical_min_uv",
                format!("{min} must be below physical_max_uv ({max})"),
            ),
            (Some(_), None) => err(
                "physical_max_uv",
                "missing: set both ends of the physical range or neither".into(),
            ),
            (None, Some(_)) => err(
                "physical_min_uv",
                "missing: set both ends of the physical range or neither".into(),
            ),
            _ => {}
        }
        if let Some(a) = self
            .amplitude_uv
            .filter(|a| !(*a > 0.0 && *a <= MAX_PHYSICAL_UV))
        {
            err(
                "amplitude_uv",
                format!("{a} must be in (0, {MAX_PHYSICAL_UV:e}] µV"),
            );
        }
        let shortest = 2.0 / fs;
        if !(self.flat_s == 0.0 || (self.flat_s >= shortest && self.flat_s <= MAX_FLAT_S)) {
            err(
                "flat_s",
                format!(
                    "{} must be 0 (off) or between {shortest} s (2 samples at {fs} Hz) and \
                     {MAX_FLAT_S} s",
                    self.flat_s
                ),
            );
        }
        if !(self.flat_uv >= 0.0 && self.flat_uv <= MAX_FLAT_UV) {
            err(
                "flat_uv",
                format!("{} must be between 0 and {MAX_FLAT_UV} µV", self.flat_uv),
            );
        }
        if !(self.settle_s >= 0.0 && self.settle_s <= MAX_SETTLE_S) {
            err(
                "settle_s",
                format!("{} must be between 0 and {MAX_SETTLE_S} s", self.settle_s),
            );
        }
        errors
    }

    /// Builds the detector for `input`, for blocks of up to `max_block`
    /// samples (every buffer allocated here).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when preflight would reject the limits.
    pub fn build(&self, input: &StreamSpec, max_block: usize) -> Result<ArtifactDetector, Error> {
        if let Some(e) = self
            .problems(input.sample_rate, "pipeline.artifacts")
            .first()
        {
            return Err(Error::new(ErrorKind::Config, e.to_string()));
        }
        let (low, high) = match (self.physical_min_uv, self.physical_max_uv) {
            (Some(min), Some(max)) if self.enabled => (min as f32, max as f32),
            _ => (f32::NEG_INFINITY, f32::INFINITY),
        };
        let amplitude = match self.amplitude_limit() {
            Some(a) if self.enabled => a as f32,
            _ => f32::INFINITY,
        };
        let flat_samples = if self.enabled {
            // At most 60 s of samples: far below u32::MAX at any real rate.
            (self.flat_s * input.sample_rate)
                .round()
                .min(f64::from(u32::MAX)) as u32
        } else {
            0
        };
        let limits = Limits {
            enabled: self.enabled,
            low,
            high,
            amplitude,
            flat_samples,
            flat_uv: self.flat_uv as f32,
            settle_samples: (self.settle_s * input.sample_rate).round() as usize,
        };
        Ok(ArtifactDetector::new(
            limits,
            input.channel_count(),
            max_block,
        ))
    }
}

impl StageConfig for ArtifactConfig {
    fn kind(&self) -> &'static str {
        "artifacts"
    }

    fn preflight(&self, input: &StreamSpec, path: &str) -> Result<StreamSpec, Vec<ConfigError>> {
        let errors = self.problems(input.sample_rate, path);
        if errors.is_empty() {
            Ok(input.clone())
        } else {
            Err(errors)
        }
    }

    fn initialize(&self, input: &StreamSpec, max_block: usize) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(self.build(input, max_block)?))
    }
}
