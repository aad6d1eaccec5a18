//! Artifact detection on raw samples, before any filter.
//!
//! A railed or broken amplifier sends finite garbage (±1e30 µV), a detached
//! electrode a flat line, an overdriven one its full-scale value. None of it
//! may reach the filters: one huge value rings through an IIR filter for
//! seconds and through a common average into every channel. The
//! [`ArtifactDetector`] looks at every value of every block first and
//! classifies it ([`ArtifactReason`], in this order of precedence):
//!
//! * `non_finite`: NaN or ±Inf;
//! * `rail`: at or beyond the amplifier's physical input range
//!   (`value <= physical_min_uv` or `value >= physical_max_uv`);
//! * `amplitude`: `|value| > amplitude_uv` (by default 90 % of the larger
//!   magnitude of the physical range: outside the amplifier's linear range);
//! * `flat`: the channel has stayed within `flat_uv` of one value for
//!   `flat_s` seconds (`flat_s × rate` sample intervals: a detached
//!   electrode or a dead channel); flagged from then until it changes.
//!
//! Values of the first three kinds are replaced, in place, by the last good
//! value of their channel, so the filters only ever see plausible samples;
//! flat values are left as they are. The detector remembers, for every
//! sample of the last block, how long ago each reason was last seen, so the
//! pipeline can tell whether a window touches an artifact or begins less
//! than `settle_s` after one ([`ArtifactDetector::window_reasons`]), and
//! where the block's last artifact sample is (the pipeline restarts its
//! filters right after it).
//!
//! Configuration (`[pipeline.artifacts]`, every key optional):
//! ```toml
//! [pipeline.artifacts]
//! enabled = true             # false turns detection off
//! physical_min_uv = -187500  # default: the hardware profile's range
//! physical_max_uv = 187500
//! amplitude_uv = 168750      # default: 90 % of the larger range magnitude
//! flat_s = 0.5               # 0 turns flat-line detection off
//! flat_uv = 0.0              # tolerance of "no change"
//! settle_s = 0.5             # windows beginning this soon after an artifact hold too
//! ```

mod config;
mod detector;

pub use config::{
    ArtifactConfig, MAX_FLAT_S, MAX_FLAT_UV, MAX_PHYSICAL_UV, MAX_SETTLE_S, default_amplitude_uv,
};
pub use detector::{ArtifactDetector, BlockArtifacts};

/// Why a value is an artifact, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactReason {
    /// NaN or ±Inf.
    NonFinite = 0,
    /// At or beyond the physical input range.
    Rail = 1,
    /// Above the amplitude limit.
    Amplitude = 2,
    /// No change for the flat-line time.
    Flat = 3,
}

impl ArtifactReason {
    /// Every reason, in order of precedence (and of [`Self::index`]).
    pub const ALL: [ArtifactReason; 4] = [
        ArtifactReason::NonFinite,
        ArtifactReason::Rail,
        ArtifactReason::Amplitude,
        ArtifactReason::Flat,
    ];

    /// Position in [`Self::ALL`] and in per-reason arrays.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name used in reports (`non_finite`, `rail`, `amplitude`, `flat`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ArtifactReason::NonFinite => "non_finite",
            ArtifactReason::Rail => "rail",
            ArtifactReason::Amplitude => "amplitude",
            ArtifactReason::Flat => "flat",
        }
    }
}

/// A set of [`ArtifactReason`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArtifactReasons(u8);

impl ArtifactReasons {
    /// No reason.
    pub const NONE: ArtifactReasons = ArtifactReasons(0);

    /// Whether the set is empty (no artifact).
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `reason` is in the set.
    #[must_use]
    pub fn contains(self, reason: ArtifactReason) -> bool {
        self.0 & (1 << reason.index()) != 0
    }

    /// Adds `reason`.
    pub fn insert(&mut self, reason: ArtifactReason) {
        self.0 |= 1 << reason.index();
    }

    /// The reasons in the set, in order of precedence.
    pub fn iter(self) -> impl Iterator<Item = ArtifactReason> {
        ArtifactReason::ALL
            .into_iter()
            .filter(move |r| self.contains(*r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_sets_hold_what_was_inserted() {
        let mut s = ArtifactReasons::NONE;
        assert!(s.is_empty());
        s.insert(ArtifactReason::Flat);
        s.insert(ArtifactReason::Rail);
        assert!(!s.is_empty() && s.contains(ArtifactReason::Rail));
        assert!(!s.contains(ArtifactReason::Amplitude));
        let names: Vec<&str> = s.iter().map(ArtifactReason::name).collect();
        assert_eq!(names, ["rail", "flat"]);
    }
}
