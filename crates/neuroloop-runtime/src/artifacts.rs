//! Artifacts in the session: the `[pipeline.artifacts]` limits (the
//! hardware profile's physical range, overridden by the config), and the
//! counters the pipeline thread keeps for the report.
//!
//! The detection itself is [`neuroloop_dsp::ArtifactDetector`]; what the
//! pipeline does with it is in [`crate::pipeline`].

use std::sync::atomic::{AtomicU64, Ordering};

use neuroloop_core::{ConfigError, StageConfig, StreamSpec};
use neuroloop_dsp::{ArtifactConfig, ArtifactReason, ArtifactReasons, BlockArtifacts};
use serde::Serialize;

use crate::profile::HardwareProfile;

/// Config path of the artifact table.
pub const PATH: &str = "pipeline.artifacts";

/// The artifact limits of a session: `table` (`[pipeline.artifacts]`, if
/// any) over the profile's physical range, checked against `input`.
/// Problems are added to `errors`.
pub fn artifact_config(
    table: Option<&toml::Value>,
    profile: &HardwareProfile,
    input: &StreamSpec,
    errors: &mut Vec<ConfigError>,
) -> Option<ArtifactConfig> {
    let parsed = match table {
        Some(t) => ArtifactConfig::from_toml(t, PATH),
        None => Ok(ArtifactConfig::default()),
    };
    let config = match parsed {
        Ok(c) => c.with_physical_range(profile.physical_range()),
        Err(e) => {
            errors.extend(e);
            return None;
        }
    };
    match config.preflight(input, PATH) {
        Ok(_) => Some(config),
        Err(e) => {
            errors.extend(e);
            None
        }
    }
}

const REASONS: usize = ArtifactReason::ALL.len();

/// Artifact counters of the pipeline thread (relaxed atomics).
#[derive(Debug, Default)]
pub struct ArtifactStats {
    samples: [AtomicU64; REASONS],
    windows: [AtomicU64; REASONS],
    /// Windows that touched an artifact (each held with reason `artifact`).
    pub held_windows: AtomicU64,
    /// Decoder outputs that were not a probability distribution (each
    /// held with reason `decoder_error`).
    pub decoder_rejections: AtomicU64,
}

impl ArtifactStats {
    /// Counts the samples of one scanned block.
    pub fn count_block(&self, block: &BlockArtifacts) {
        for (counter, &n) in self.samples.iter().zip(&block.samples) {
            if n > 0 {
                counter.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Counts one window held for `reasons`.
    pub fn count_window(&self, reasons: ArtifactReasons) {
        self.held_windows.fetch_add(1, Ordering::Relaxed);
        for r in reasons.iter() {
            self.windows[r.index()].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A plain copy of the counters.
    #[must_use]
    pub fn snapshot(&self) -> ArtifactReport {
        let get = |c: &[AtomicU64; REASONS]| {
            let v = |r: ArtifactReason| c[r.index()].load(Ordering::Relaxed);
            ReasonCounts {
                non_finite: v(ArtifactReason::NonFinite),
                rail: v(ArtifactReason::Rail),
                amplitude: v(ArtifactReason::Amplitude),
                flat: v(ArtifactReason::Flat),
            }
        };
        ArtifactReport {
            samples: get(&self.samples),
            windows: get(&self.windows),
            held_windows: self.held_windows.load(Ordering::Relaxed),
            decoder_rejections: self.decoder_rejections.load(Ordering::Relaxed),
        }
    }
}

/// A count per artifact reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReasonCounts {
    /// NaN or ±Inf.
    pub non_finite: u64,
    /// At or beyond the physical range.
    pub rail: u64,
    /// Above the amplitude limit.
    pub amplitude: u64,
    /// Flat line.
    pub flat: u64,
}

/// The artifact block of the session report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ArtifactReport {
    /// Samples (time points) with at least one channel of each reason.
    pub samples: ReasonCounts,
    /// Held windows that touched each reason (a window may count under
    /// several).
    pub windows: ReasonCounts,
    /// Windows held with reason `artifact`.
    pub held_windows: u64,
    /// Decoder outputs rejected (not finite, outside [0, 1], or not
    /// summing to 1), each held with reason `decoder_error`.
    pub decoder_rejections: u64,
}

impl ArtifactReport {
    /// One line for the human summary.
    #[must_use]
    pub fn summary_line(&self) -> String {
        let (s, w) = (&self.samples, &self.windows);
        format!(
            "artifacts       {} windows held; samples: {} rail, {} amplitude, {} flat, {} non-finite; \
             windows: {} rail, {} amplitude, {} flat, {} non-finite; {} decoder outputs rejected",
            self.held_windows,
            s.rail,
            s.amplitude,
            s.flat,
            s.non_finite,
            w.rail,
            w.amplitude,
            w.flat,
            w.non_finite,
            self.decoder_rejections
        )
    }
}
