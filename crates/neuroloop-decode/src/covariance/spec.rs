//! Hyperparameters of the covariance decoders, with their validation.
//!
//! Defaults follow the published reference pipelines: Ledoit–Wolf
//! covariances, `C = 1` logistic regression (pyriemann's TS+LR), 4 CSP
//! components (MNE's CSP+LDA example), and for FBCSP nine 4 Hz bands from
//! 4 to 40 Hz, every feature to the shrinkage LDA.

use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::spd::Estimator;

/// Default memory of the online re-centring reference, in windows.
pub const DEFAULT_RECENTER_MEMORY: usize = 100;

/// Highest Butterworth order of a filter bank.
pub const MAX_BANK_ORDER: usize = 8;
/// At most this many bands in a filter bank.
pub const MAX_BANDS: usize = 32;

/// `tangent_space`: covariances, Riemannian mean, tangent vectors, L2
/// logistic regression. With `bands_hz`, one covariance per band
/// (filter-bank tangent space, for SSVEP), the vectors concatenated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TangentSpaceSpec {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// Inverse regularisation strength of the logistic regression.
    pub c: f64,
    /// Bands `[low, high]` Hz of the filter bank; empty: the window as is.
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band (applied forward and backward).
    pub filter_order: usize,
    /// Re-centre each recording on its own Riemannian mean (fit) and each
    /// decoded recording on a running mean of its windows (decode); see
    /// [`crate::covariance::RecenterRecord`].
    pub recenter: bool,
    /// Memory of the running mean, in windows (step floor `1/N`), within
    /// [`ONLINE_MEMORY_RANGE`](crate::spd::ONLINE_MEMORY_RANGE).
    pub recenter_memory: usize,
}

impl Default for TangentSpaceSpec {
    fn default() -> Self {
        Self {
            estimator: Estimator::Lwf,
            c: 1.0,
            bands_hz: Vec::new(),
            filter_order: 4,
            recenter: false,
            recenter_memory: DEFAULT_RECENTER_MEMORY,
        }
    }
}

/// `mdm`: minimum distance to the Riemannian class means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MdmSpec {
    /// Covariance estimator.
    pub estimator: Estimator,
    /// Re-centring, as [`TangentSpaceSpec::recenter`].
    pub recenter: bool,
    /// Memory of the running mean, as
    /// [`TangentSpaceSpec::recenter_memory`].
    pub recenter_memory: usize,
}

impl Default for MdmSpec {
    fn default() -> Self {
        Self {
            estimator: Estimator::default(),
            recenter: false,
            recenter_memory: DEFAULT_RECENTER_MEMORY,
        }
    }
}

/// Checks the re-centring memory.
pub(crate) fn check_recenter(path: &str, memory: usize, errors: &mut Vec<ConfigError>) {
    let range = crate::spd::ONLINE_MEMORY_RANGE;
    if !range.contains(&memory) {
        errors.push(ConfigError::new(
            format!("{path}.recenter_memory"),
            format!("{memory} is outside {}..={}", range.start(), range.end()),
        ));
    }
}

/// `csp_lda` and `fbcsp`: CSP spatial filters (per band for a filter
/// bank), log-variance features, shrinkage LDA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CspSpec {
    /// Covariance estimator of the trial covariances.
    pub estimator: Estimator,
    /// Filters taken from each end of every CSP problem (two classes: one
    /// problem; more: one per class against the rest).
    pub pairs: usize,
    /// Bands `[low, high]` Hz; empty: the window as is.
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band (applied forward and backward).
    pub filter_order: usize,
    /// Keep only this many features, ranked by their Fisher score; `None`
    /// keeps all.
    pub select: Option<usize>,
}

impl CspSpec {
    /// `csp_lda`'s defaults: broadband, 2 pairs (4 filters), all features.
    #[must_use]
    pub fn csp_lda() -> Self {
        Self {
            estimator: Estimator::Lwf,
            pairs: 2,
            bands_hz: Vec::new(),
            filter_order: 4,
            select: None,
        }
    }

    /// `fbcsp`'s defaults: nine 4 Hz bands from 4 to 40 Hz, 2 pairs per
    /// band, every feature to the shrinkage LDA (selecting the 8 best by
    /// Fisher score overfitted 24–51 training trials: SSVEP 73.6 % against
    /// 92.3 % with all features, docs/benchmarks.md).
    #[must_use]
    pub fn fbcsp() -> Self {
        Self {
            bands_hz: (1..10)
                .map(|i| [4.0 * f64::from(i), 4.0 * f64::from(i + 1)])
                .collect(),
            select: None,
            ..Self::csp_lda()
        }
    }
}

impl Default for CspSpec {
    fn default() -> Self {
        Self::csp_lda()
    }
}

/// `fbcsp`: [`CspSpec`] with filter-bank defaults (nine 4 Hz bands from 4
/// to 40 Hz, 2 pairs per band, every feature).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FbcspSpec {
    /// Covariance estimator of the trial covariances.
    pub estimator: Estimator,
    /// Filters taken from each end of every CSP problem, per band.
    pub pairs: usize,
    /// Bands `[low, high]` Hz.
    pub bands_hz: Vec<[f64; 2]>,
    /// Butterworth order of each band.
    pub filter_order: usize,
    /// Keep only this many features (Fisher score); `None` keeps all.
    pub select: Option<usize>,
}

impl Default for FbcspSpec {
    fn default() -> Self {
        let s = CspSpec::fbcsp();
        Self {
            estimator: s.estimator,
            pairs: s.pairs,
            bands_hz: s.bands_hz,
            filter_order: s.filter_order,
            select: s.select,
        }
    }
}

impl FbcspSpec {
    /// The same settings as a [`CspSpec`].
    #[must_use]
    pub fn csp(&self) -> CspSpec {
        CspSpec {
            estimator: self.estimator,
            pairs: self.pairs,
            bands_hz: self.bands_hz.clone(),
            filter_order: self.filter_order,
            select: self.select,
        }
    }
}

/// Checks a filter bank's bands against the sample rate.
pub(crate) fn check_bands(
    path: &str,
    bands: &[[f64; 2]],
    order: usize,
    sample_rate: f64,
    errors: &mut Vec<ConfigError>,
) {
    if bands.len() > MAX_BANDS {
        errors.push(ConfigError::new(
            format!("{path}.bands_hz"),
            format!("{} bands; at most {MAX_BANDS}", bands.len()),
        ));
    }
    if !(1..=MAX_BANK_ORDER).contains(&order) {
        errors.push(ConfigError::new(
            format!("{path}.filter_order"),
            format!("{order} is outside 1..={MAX_BANK_ORDER}"),
        ));
    }
    let nyquist = sample_rate / 2.0;
    for (i, [low, high]) in bands.iter().enumerate() {
        if !(low.is_finite() && high.is_finite() && *low > 0.0 && low < high && *high < nyquist) {
            errors.push(ConfigError::new(
                format!("{path}.bands_hz[{i}]"),
                format!("[{low}, {high}] must satisfy 0 < low < high < {nyquist} (Nyquist)"),
            ));
        }
    }
}

/// Checks CSP settings against the data's channels and rate.
pub(crate) fn check_csp(
    path: &str,
    spec: &CspSpec,
    channels: usize,
    sample_rate: f64,
    errors: &mut Vec<ConfigError>,
) {
    if spec.pairs == 0 || spec.pairs.saturating_mul(2) > channels {
        errors.push(ConfigError::new(
            format!("{path}.pairs"),
            format!(
                "{} is outside 1..={} ({channels} channels)",
                spec.pairs,
                channels / 2
            ),
        ));
    }
    if spec.select == Some(0) {
        errors.push(ConfigError::new(
            format!("{path}.select"),
            "0 keeps no feature (at least 1)",
        ));
    }
    if !spec.bands_hz.is_empty() || spec.filter_order != CspSpec::csp_lda().filter_order {
        check_bands(path, &spec.bands_hz, spec.filter_order, sample_rate, errors);
    }
}

/// Checks the regularisation strength.
pub(crate) fn check_c(path: &str, c: f64, errors: &mut Vec<ConfigError>) {
    if !(c.is_finite() && (1e-6..=1e6).contains(&c)) {
        errors.push(ConfigError::new(
            format!("{path}.c"),
            format!("{c} is outside 1e-6..=1e6"),
        ));
    }
}
