//! Common average reference (`type = "car"`).
//!
//! ```toml
//! { type = "car" }
//! { type = "car", exclude = ["EOG", "EMG1"] }   # labels, case-insensitive
//! ```
//!
//! For every sample the mean of the included channels is subtracted from the
//! included channels; excluded channels (EOG, triggers, …) are neither part
//! of the mean nor re-referenced.
//!
//! # Non-finite input
//! NaN/Inf values are left out of the mean (it is taken over the finite
//! included values of that sample) and stay non-finite themselves; the other
//! channels are re-referenced normally. Nothing is carried between samples.

use neuroloop_core::{BlockMut, ConfigError, Error, ErrorKind, Stage, StageConfig, StreamSpec};
use serde::{Deserialize, Serialize};

use crate::registry::{StageRegistry, parse_table};

/// Configuration of the common average reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarConfig {
    /// Labels of channels kept out of the average and left untouched.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl CarConfig {
    const FIELDS: &'static [&'static str] = &["exclude"];

    /// Which channels take part, or every problem found.
    fn mask(&self, input: &StreamSpec, path: &str) -> Result<Vec<bool>, Vec<ConfigError>> {
        let mut include = vec![true; input.channel_count()];
        let mut errors = Vec::new();
        for (i, label) in self.exclude.iter().enumerate() {
            match input.channel_index(label) {
                Some(ch) => include[ch] = false,
                None => errors.push(ConfigError::new(
                    format!("{path}.exclude[{i}]"),
                    format!(
                        "unknown channel label \"{label}\"; the stream has: {}",
                        input.labels().collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
        if errors.is_empty() && include.iter().filter(|&&b| b).count() < 2 {
            errors.push(ConfigError::new(
                if self.exclude.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}.exclude")
                },
                format!(
                    "a common average needs at least 2 included channels; {} of {} remain",
                    include.iter().filter(|&&b| b).count(),
                    include.len()
                ),
            ));
        }
        if errors.is_empty() {
            Ok(include)
        } else {
            Err(errors)
        }
    }
}

impl StageConfig for CarConfig {
    fn kind(&self) -> &'static str {
        "car"
    }

    fn preflight(&self, input: &StreamSpec, path: &str) -> Result<StreamSpec, Vec<ConfigError>> {
        self.mask(input, path).map(|_| input.clone())
    }

    fn initialize(&self, input: &StreamSpec, _max_block: usize) -> Result<Box<dyn Stage>, Error> {
        let include = self.mask(input, "car").map_err(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Error::new(ErrorKind::Config, text.join("; "))
        })?;
        Ok(Box::new(CarStage { include }))
    }
}

pub(crate) fn register_builtin(r: &mut StageRegistry) {
    r.register("car", |table, path| {
        parse_table::<CarConfig>(table, path, CarConfig::FIELDS)
            .map(|c| Box::new(c) as Box<dyn StageConfig>)
    });
}

/// The running common average reference.
#[derive(Debug, Clone)]
pub struct CarStage {
    include: Vec<bool>,
}

impl CarStage {
    /// A stage re-referencing the channels where `include` is true.
    #[must_use]
    pub fn new(include: Vec<bool>) -> Self {
        Self { include }
    }
}

impl Stage for CarStage {
    #[allow(clippy::cast_possible_truncation)]
    fn process(&mut self, block: &mut BlockMut<'_>) {
        let c = block.channels;
        if c == 0 || c != self.include.len() {
            return;
        }
        for frame in block.data.chunks_exact_mut(c) {
            let mut sum = 0.0f64;
            let mut n = 0u32;
            for (&x, &inc) in frame.iter().zip(&self.include) {
                if inc && x.is_finite() {
                    sum += f64::from(x);
                    n += 1;
                }
            }
            if n == 0 {
                continue;
            }
            let mean = (sum / f64::from(n)) as f32;
            for (x, &inc) in frame.iter_mut().zip(&self.include) {
                if inc {
                    *x -= mean;
                }
            }
        }
    }

    fn reset(&mut self) {}
}
