//! How to cut epochs ([`EpochOptions`]) and what cutting gives ([`Cut`]:
//! an [`EpochSet`] and the events that gave no epoch);
//! [`cut_epochs`](crate::cut_epochs) does the cutting.
//!
//! # Shapes
//!
//! [`EpochSet::data`] is `[n, channels, samples]`, row-major: sample `t` of
//! channel `c` of epoch `i` is at `data[(i * channels + c) * samples + t]`.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_decode::fit::EpochSet;

use crate::{EventMap, OfflineError};

/// Largest `|tmin|`, `|tmax|`, seconds from the event.
pub const MAX_EPOCH_OFFSET_S: f64 = 3600.0;
/// Most samples per channel of one epoch.
pub const MAX_EPOCH_SAMPLES: usize = 1 << 20;

/// How to cut epochs.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochOptions {
    /// Which events become epochs, and their classes.
    pub events: EventMap,
    /// Epoch start relative to the event onset, in seconds (may be negative).
    pub tmin: f64,
    /// Epoch end relative to the event onset, in seconds (exclusive).
    pub tmax: f64,
    /// Channels by label, in this order; `None`: every data channel of the
    /// recording (annotation signals are never data channels).
    pub channels: Option<Vec<String>>,
}

impl EpochOptions {
    /// Samples per epoch at `sample_rate`: `round((tmax - tmin) * rate)`
    /// (saturating; [`MAX_EPOCH_SAMPLES`] bounds what is accepted).
    #[must_use]
    pub fn samples(&self, sample_rate: f64) -> usize {
        // `as` saturates; NaN becomes 0.
        ((self.tmax - self.tmin) * sample_rate).round().max(0.0) as usize
    }

    pub(crate) fn check(&self, sample_rate: f64) -> Result<(), OfflineError> {
        let bad = |message: String| OfflineError::Option {
            what: "epoch window",
            message,
        };
        for (name, t) in [("tmin", self.tmin), ("tmax", self.tmax)] {
            if !(-MAX_EPOCH_OFFSET_S..=MAX_EPOCH_OFFSET_S).contains(&t) {
                return Err(bad(format!(
                    "{name} {t} is outside the allowed range -{MAX_EPOCH_OFFSET_S} to {MAX_EPOCH_OFFSET_S} s"
                )));
            }
        }
        if self.tmax <= self.tmin {
            return Err(bad(format!(
                "tmax ({}) must be above tmin ({})",
                self.tmax, self.tmin
            )));
        }
        if self.samples(sample_rate) > MAX_EPOCH_SAMPLES {
            return Err(bad(format!(
                "[{}, {}] s is {} samples at {sample_rate} Hz; at most {MAX_EPOCH_SAMPLES} are allowed",
                self.tmin,
                self.tmax,
                self.samples(sample_rate)
            )));
        }
        if self.samples(sample_rate) < 2 {
            return Err(OfflineError::Option {
                what: "epoch window",
                message: format!(
                    "[{}, {}] s holds fewer than 2 samples at {sample_rate} Hz",
                    self.tmin, self.tmax
                ),
            });
        }
        Ok(())
    }
}

/// An event that matched the mapping but gave no epoch because its window
/// runs past either end of the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEvent {
    /// Index of the recording in the list given to
    /// [`cut_epochs`](crate::cut_epochs).
    pub recording: usize,
    /// Event onset in seconds.
    pub onset_s: f64,
    /// Class index.
    pub class: usize,
}

/// What [`cut_epochs`](crate::cut_epochs) gives: the epochs, and the
/// matching events that gave none.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// The epochs, with their channel labels (after the filter chain),
    /// recording index and event onset each.
    pub epochs: EpochSet,
    /// Matching events left out because their window runs past an end.
    pub skipped: Vec<SkippedEvent>,
}
