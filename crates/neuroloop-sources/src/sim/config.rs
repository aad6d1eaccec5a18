//! Configuration of the simulated headset.

use neuroloop_core::{ConfigError, StreamSpec};
use serde::Deserialize;

/// `[source]` with `type = "sim"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Always `"sim"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// PRNG seed; equal seeds give bit-identical sessions.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Pace samples in real time (default) or emit them as fast as the
    /// pipeline takes them.
    #[serde(default = "default_true")]
    pub realtime: bool,
    /// Samples per block pushed to the ring; defaults to the hardware
    /// profile's block size.
    #[serde(default)]
    pub block_size: Option<usize>,
    /// Mains frequency of the simulated line noise (50 or 60 Hz; 0 disables).
    #[serde(default = "default_line_hz")]
    pub line_hz: f64,
    /// Stop after this many seconds of signal (default: run until stopped).
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// The scripted task.
    pub paradigm: ParadigmConfig,
    /// Amplifier faults injected for a time span (`[[source.faults]]`).
    #[serde(default)]
    pub faults: Vec<super::faults::FaultConfig>,
}

/// The scripted, labelled task the simulated subject performs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ParadigmConfig {
    /// Two-class motor imagery: `classes[0]` is left hand (mu/beta
    /// desynchronisation over C4), `classes[1]` right hand (over C3).
    MotorImagery {
        /// Class labels, left first.
        #[serde(default = "default_mi_classes")]
        classes: Vec<String>,
        /// Seconds of imagery per trial.
        #[serde(default = "default_trial_s")]
        trial_s: f64,
        /// Seconds of rest between trials.
        #[serde(default = "default_rest_s")]
        rest_s: f64,
        /// Fractional drop of mu/beta amplitude during imagery (0–1).
        #[serde(default = "default_erd")]
        erd_depth: f64,
    },
    /// SSVEP: the subject attends one of several flickers; the flicker
    /// frequency (and its second harmonic) appears over occipital channels.
    Ssvep {
        /// Flicker frequencies in Hz, one per class.
        frequencies_hz: Vec<f64>,
        /// Class labels, one per frequency (default: `"13Hz"` style names).
        #[serde(default)]
        classes: Vec<String>,
        /// Seconds of stimulation per trial.
        #[serde(default = "default_trial_s")]
        trial_s: f64,
        /// Seconds of rest between trials.
        #[serde(default = "default_rest_s")]
        rest_s: f64,
        /// Amplitude of the evoked response in microvolts.
        #[serde(default = "default_ssvep_uv")]
        amplitude_uv: f64,
    },
}

fn default_seed() -> u64 {
    1
}
fn default_true() -> bool {
    true
}
fn default_line_hz() -> f64 {
    50.0
}
fn default_mi_classes() -> Vec<String> {
    vec!["left".into(), "right".into()]
}
fn default_trial_s() -> f64 {
    4.0
}
fn default_rest_s() -> f64 {
    2.0
}
fn default_erd() -> f64 {
    0.6
}
fn default_ssvep_uv() -> f64 {
    3.0
}

impl ParadigmConfig {
    /// Class labels in code order.
    #[must_use]
    pub fn classes(&self) -> Vec<String> {
        match self {
            ParadigmConfig::MotorImagery { classes, .. } => classes.clone(),
            ParadigmConfig::Ssvep {
                frequencies_hz,
                classes,
                ..
            } => {
                if classes.is_empty() {
                    frequencies_hz.iter().map(|f| format!("{f}Hz")).collect()
                } else {
                    classes.clone()
                }
            }
        }
    }
}

impl SimConfig {
    /// Checks the configuration against the stream it will produce.
    /// `path` is the config path of the source table (e.g. `source`).
    ///
    /// # Errors
    /// Every problem found, each with its config path.
    pub fn preflight(&self, spec: &StreamSpec, path: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}.{field}"), msg));
        };
        if self.kind != "sim" {
            err("type", format!("expected \"sim\", found {:?}", self.kind));
        }
        if let Some(b) = self.block_size.filter(|b| !(1..=65_536).contains(b)) {
            err(
                "block_size",
                format!("{b} is outside the allowed range 1 to 65536 samples"),
            );
        }
        if !(self.line_hz == 0.0 || (self.line_hz > 0.0 && self.line_hz < spec.nyquist())) {
            err(
                "line_hz",
                format!(
                    "{} must be 0 (off) or below Nyquist ({} Hz)",
                    self.line_hz,
                    spec.nyquist()
                ),
            );
        }
        if let Some(d) = self.duration_s.filter(|d| !(*d > 0.0 && *d <= 1e7)) {
            err(
                "duration_s",
                format!("{d} must be a positive number of seconds, at most 1e7"),
            );
        }
        super::faults::preflight(&self.faults, spec, &format!("{path}.faults"), &mut errors);
        let mut err = |field: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}.{field}"), msg));
        };
        let p = "paradigm";
        let (trial_s, rest_s) = match &self.paradigm {
            ParadigmConfig::MotorImagery {
                classes,
                trial_s,
                rest_s,
                erd_depth,
            } => {
                if classes.len() != 2 {
                    err(
                        &format!("{p}.classes"),
                        format!(
                            "motor imagery has exactly 2 classes (left, right), found {}",
                            classes.len()
                        ),
                    );
                }
                if !(0.0..=1.0).contains(erd_depth) {
                    err(
                        &format!("{p}.erd_depth"),
                        format!("{erd_depth} is outside 0..=1"),
                    );
                }
                let missing: Vec<&str> = ["C3", "C4"]
                    .into_iter()
                    .filter(|l| spec.channel_index(l).is_none())
                    .collect();
                if !missing.is_empty() {
                    err(
                        &format!("{p}.type"),
                        format!(
                            "motor imagery needs channels {missing:?}, which the hardware profile lacks"
                        ),
                    );
                }
                (*trial_s, *rest_s)
            }
            ParadigmConfig::Ssvep {
                frequencies_hz,
                classes,
                trial_s,
                rest_s,
                amplitude_uv,
            } => {
                if frequencies_hz.len() < 2 || frequencies_hz.len() > neuroloop_core::MAX_CLASSES {
                    err(
                        &format!("{p}.frequencies_hz"),
                        format!(
                            "needs 2 to {} frequencies, found {}",
                            neuroloop_core::MAX_CLASSES,
                            frequencies_hz.len()
                        ),
                    );
                }
                for (i, f) in frequencies_hz.iter().enumerate() {
                    if !(*f > 0.0 && 2.0 * f < spec.nyquist()) {
                        err(
                            &format!("{p}.frequencies_hz[{i}]"),
                            format!(
                                "{f} Hz: its second harmonic must lie below Nyquist ({} Hz)",
                                spec.nyquist()
                            ),
                        );
                    }
                }
                if !classes.is_empty() && classes.len() != frequencies_hz.len() {
                    err(
                        &format!("{p}.classes"),
                        format!(
                            "{} labels for {} frequencies",
                            classes.len(),
                            frequencies_hz.len()
                        ),
                    );
                }
                if !(*amplitude_uv >= 0.0 && *amplitude_uv <= 1e6) {
                    err(
                        &format!("{p}.amplitude_uv"),
                        format!("{amplitude_uv} must be ≥ 0 and at most 1e6 µV"),
                    );
                }
                if !spec.labels().any(super::generator::is_occipital) {
                    err(&format!("{p}.type"), "SSVEP needs occipital channels (O1, O2, Oz, PO*), which the hardware profile lacks".into());
                }
                (*trial_s, *rest_s)
            }
        };
        if !(trial_s > 0.0 && trial_s <= 3600.0) {
            err(
                &format!("{p}.trial_s"),
                format!("{trial_s} must be a positive number of seconds, at most 3600"),
            );
        }
        if !(0.0..=3600.0).contains(&rest_s) {
            err(
                &format!("{p}.rest_s"),
                format!("{rest_s} must be between 0 and 3600 seconds"),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
