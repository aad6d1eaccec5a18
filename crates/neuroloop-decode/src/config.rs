//! Configuration of the log-bandpower decoder and its validation.

use neuroloop_core::{ConfigError, MAX_CLASSES};
use serde::{Deserialize, Serialize};

/// Taper applied to each channel before the DFT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Taper {
    /// Hann window: low leakage between neighbouring bands (the default).
    #[default]
    Hann,
    /// No taper (rectangular window): finest resolution, more leakage.
    Rectangular,
}

/// Configuration of a [`BandpowerDecoder`](crate::BandpowerDecoder).
///
/// Typical values: motor imagery, 16 channels at 250 Hz, 1 s windows,
/// bands `[[8, 13], [13, 30]]`; SSVEP, 8 occipital channels with narrow
/// bands around the flicker frequencies.
///
/// # Shapes
/// Windows are `[channels, samples]`; the feature vector has
/// `channels × bands.len()` entries, channel-major (`f[ch * bands + b]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandpowerConfig {
    /// Number of channels in each window.
    pub channels: usize,
    /// Window length in samples.
    pub samples: usize,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Frequency bands `[low_hz, high_hz)`; a DFT bin `k·fs/N` belongs to a
    /// band when `low_hz ≤ k·fs/N < high_hz`.
    pub bands: Vec<[f64; 2]>,
    /// Class labels, 2 to [`MAX_CLASSES`].
    pub classes: Vec<String>,
    /// Taper applied before the DFT.
    #[serde(default)]
    pub taper: Taper,
}

impl BandpowerConfig {
    /// A config with the default taper.
    #[must_use]
    pub fn new(
        channels: usize,
        samples: usize,
        sample_rate: f64,
        bands: Vec<[f64; 2]>,
        classes: Vec<String>,
    ) -> Self {
        Self {
            channels,
            samples,
            sample_rate,
            bands,
            classes,
            taper: Taper::default(),
        }
    }

    /// Frequency resolution `sample_rate / samples` in Hz.
    #[must_use]
    pub fn resolution_hz(&self) -> f64 {
        self.sample_rate / self.samples as f64
    }

    /// Number of features (`channels × bands`).
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.channels * self.bands.len()
    }

    /// DFT bins `[first, end)` of band `b`, empty if the band holds none.
    ///
    /// # Panics
    /// If `b >= bands.len()`.
    #[must_use]
    pub fn band_bins(&self, b: usize) -> std::ops::Range<usize> {
        let [lo, hi] = self.bands[b];
        let df = self.resolution_hz();
        let nyquist_bin = self.samples / 2;
        let first = bin_at_or_above(lo, df).min(nyquist_bin + 1);
        let end = bin_at_or_above(hi, df).min(nyquist_bin + 1);
        first..end.max(first)
    }

    /// Checks the configuration; `path` is its config path (e.g. `decoder`).
    ///
    /// # Errors
    /// Every problem found, each with its full path (e.g. `decoder.bands[1]`).
    pub fn validate(&self, path: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let at = |field: &str| format!("{path}.{field}");
        if self.channels == 0 {
            errors.push(ConfigError::new(at("channels"), "must be at least 1"));
        }
        if self.samples < 2 {
            errors.push(ConfigError::new(at("samples"), "must be at least 2"));
        }
        let rate_ok = self.sample_rate.is_finite() && self.sample_rate > 0.0;
        if !rate_ok {
            errors.push(ConfigError::new(
                at("sample_rate"),
                format!("{} is not a positive sample rate", self.sample_rate),
            ));
        }
        if self.bands.is_empty() {
            errors.push(ConfigError::new(at("bands"), "at least one band is needed"));
        }
        if rate_ok && self.samples >= 2 {
            for (b, _) in self.bands.iter().enumerate() {
                if let Err(message) = self.check_band(b) {
                    errors.push(ConfigError::new(at(&format!("bands[{b}]")), message));
                }
            }
        }
        let n = self.classes.len();
        if !(2..=MAX_CLASSES).contains(&n) {
            errors.push(ConfigError::new(
                at("classes"),
                format!("{n} classes given, 2 to {MAX_CLASSES} allowed"),
            ));
        }
        for (i, name) in self.classes.iter().enumerate() {
            if name.trim().is_empty() {
                errors.push(ConfigError::new(
                    at(&format!("classes[{i}]")),
                    "empty label",
                ));
            } else if self.classes[..i].contains(name) {
                errors.push(ConfigError::new(
                    at(&format!("classes[{i}]")),
                    format!("duplicate label {name:?}"),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_band(&self, b: usize) -> Result<(), String> {
        let [lo, hi] = self.bands[b];
        let nyquist = self.sample_rate / 2.0;
        let df = self.resolution_hz();
        if !(lo.is_finite() && hi.is_finite()) || lo < 0.0 || lo >= hi {
            return Err(format!("[{lo}, {hi}] must satisfy 0 <= low < high"));
        }
        if hi > nyquist {
            return Err(format!("high edge {hi} Hz is above Nyquist ({nyquist} Hz)"));
        }
        if hi - lo < df * (1.0 - 1e-9) {
            return Err(format!(
                "{} Hz wide, narrower than the resolution of {df} Hz at {} samples",
                hi - lo,
                self.samples
            ));
        }
        if self.band_bins(b).is_empty() {
            return Err(format!("holds no DFT bin (bins are {df} Hz apart)"));
        }
        Ok(())
    }
}

/// Index of the first bin at or above `hz` (tolerant to rounding).
fn bin_at_or_above(hz: f64, df: f64) -> usize {
    let k = (hz / df - 1e-9).ceil();
    if k <= 0.0 { 0 } else { k as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn motor_imagery() -> BandpowerConfig {
        BandpowerConfig::new(
            16,
            250,
            250.0,
            vec![[8.0, 13.0], [13.0, 30.0]],
            vec!["left".into(), "right".into()],
        )
    }

    #[test]
    fn typical_configs_are_valid() {
        assert_eq!(motor_imagery().validate("decoder"), Ok(()));
        let latency = BandpowerConfig::new(
            64,
            500,
            1000.0,
            vec![[8.0, 13.0], [13.0, 30.0]],
            vec!["a".into(), "b".into(), "c".into()],
        );
        assert_eq!(latency.validate("decoder"), Ok(()));
    }

    #[test]
    fn bands_split_bins_without_overlap() {
        let c = motor_imagery();
        assert_eq!(c.band_bins(0), 8..13);
        assert_eq!(c.band_bins(1), 13..30);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let mut c = motor_imagery();
        c.bands = vec![[8.0, 13.0], [100.0, 140.0], [10.2, 10.4], [5.0, 5.0]];
        c.classes = vec!["only".into()];
        let errors = c.validate("decoder").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "decoder.bands[1]",
                "decoder.bands[2]",
                "decoder.bands[3]",
                "decoder.classes"
            ]
        );
        assert!(errors[0].message.contains("Nyquist"), "{}", errors[0]);
        assert!(errors[1].message.contains("resolution"), "{}", errors[1]);
    }

    #[test]
    fn too_many_and_duplicate_classes_are_rejected() {
        let mut c = motor_imagery();
        c.classes = (0..=MAX_CLASSES).map(|i| format!("c{i}")).collect();
        let errors = c.validate("d").unwrap_err();
        assert_eq!(errors[0].path, "d.classes");
        c.classes = vec!["a".into(), "a".into()];
        let errors = c.validate("d").unwrap_err();
        assert_eq!(errors[0].path, "d.classes[1]");
    }
}
