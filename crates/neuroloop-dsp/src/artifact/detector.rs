//! The artifact detector: one pass over every value of a block, in place,
//! without allocating.

use neuroloop_core::{BlockMut, Stage};

use super::{ArtifactReason, ArtifactReasons};

const REASONS: usize = ArtifactReason::ALL.len();
/// "Never seen" in the samples-since counters.
const NEVER: u64 = u64::MAX;

/// The limits as the detector applies them (`f32`, off = infinite).
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub enabled: bool,
    pub low: f32,
    pub high: f32,
    pub amplitude: f32,
    pub flat_samples: u32,
    pub flat_uv: f32,
    pub settle_samples: usize,
}

/// What one block held: samples (time points) per reason; a sample counts
/// once under each reason at least one of its channels had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockArtifacts {
    /// Samples per reason, indexed by [`ArtifactReason::index`].
    pub samples: [u64; REASONS],
    /// Position of the block's last sample with an artifact, if any.
    pub last: Option<usize>,
}

impl BlockArtifacts {
    /// Whether the block had any artifact.
    #[must_use]
    pub fn any(&self) -> bool {
        self.samples.iter().any(|&n| n > 0)
    }
}

/// Classifies every value, replaces the unusable ones and remembers where
/// artifacts were (see the module docs of [`crate::artifact`]).
#[derive(Debug, Clone)]
pub struct ArtifactDetector {
    limits: Limits,
    channels: usize,
    /// Last good value per channel (what replaces a bad one).
    last_good: Vec<f32>,
    /// Value a channel's current run started at, and the run's length.
    flat_ref: Vec<f32>,
    flat_run: Vec<u32>,
    /// Samples since each reason was last seen, after each sample of the
    /// last block (0: that sample had it).
    since: Vec<[u64; REASONS]>,
    /// The same after the last sample scanned.
    carry: [u64; REASONS],
}

impl ArtifactDetector {
    pub(super) fn new(limits: Limits, channels: usize, max_block: usize) -> Self {
        Self {
            limits,
            channels,
            last_good: vec![0.0; channels],
            flat_ref: vec![0.0; channels],
            flat_run: vec![0; channels],
            since: vec![[NEVER; REASONS]; max_block.max(1)],
            carry: [NEVER; REASONS],
        }
    }

    /// Whether detection is on.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.limits.enabled
    }

    /// Classifies one value of channel `ch` and updates its flat run.
    #[inline]
    fn classify(&mut self, ch: usize, x: f32) -> Option<ArtifactReason> {
        let l = &self.limits;
        let reason = if !x.is_finite() {
            Some(ArtifactReason::NonFinite)
        } else if x <= l.low || x >= l.high {
            Some(ArtifactReason::Rail)
        } else if x.abs() > l.amplitude {
            Some(ArtifactReason::Amplitude)
        } else {
            None
        };
        if reason.is_some() {
            self.flat_run[ch] = 0;
            return reason;
        }
        if l.flat_samples == 0 {
            return None;
        }
        if self.flat_run[ch] > 0 && (x - self.flat_ref[ch]).abs() <= l.flat_uv {
            self.flat_run[ch] = self.flat_run[ch].saturating_add(1);
        } else {
            self.flat_ref[ch] = x;
            self.flat_run[ch] = 1;
        }
        // `flat_samples` intervals without a change: flat from the next value.
        (self.flat_run[ch] > l.flat_samples).then_some(ArtifactReason::Flat)
    }

    /// Whether every value is finite, inside the physical range and within
    /// the amplitude limit (one branch-free pass that vectorises).
    fn all_in_range(&self, data: &[f32]) -> bool {
        let (low, high, amplitude) = (self.limits.low, self.limits.high, self.limits.amplitude);
        // NaN fails every comparison; ±Inf fails the infinite range too.
        data.iter().fold(true, |ok, &x| {
            ok & (x > low) & (x < high) & (x.abs() <= amplitude)
        })
    }

    /// One sample of a block known to be in range: only flat lines are
    /// possible. Branch-free over the channels.
    fn in_range_sample(&mut self, sample: &[f32]) -> ArtifactReasons {
        self.last_good.copy_from_slice(sample);
        let (tolerance, limit) = (self.limits.flat_uv, self.limits.flat_samples);
        if limit == 0 {
            return ArtifactReasons::NONE;
        }
        let mut flat = false;
        for ((&x, reference), run) in sample
            .iter()
            .zip(&mut self.flat_ref)
            .zip(&mut self.flat_run)
        {
            let same = (*run > 0) & ((x - *reference).abs() <= tolerance);
            *run = if same { run.saturating_add(1) } else { 1 };
            *reference = if same { *reference } else { x };
            flat |= *run > limit;
        }
        let mut seen = ArtifactReasons::NONE;
        if flat {
            seen.insert(ArtifactReason::Flat);
        }
        seen
    }

    /// One sample of a block with values out of range: classifies each
    /// value and replaces the unusable ones.
    fn mixed_sample(&mut self, sample: &mut [f32]) -> ArtifactReasons {
        let mut seen = ArtifactReasons::NONE;
        for (ch, x) in sample.iter_mut().enumerate() {
            match self.classify(ch, *x) {
                None => self.last_good[ch] = *x,
                Some(ArtifactReason::Flat) => {
                    seen.insert(ArtifactReason::Flat);
                    self.last_good[ch] = *x;
                }
                Some(reason) => {
                    seen.insert(reason);
                    *x = self.last_good[ch];
                }
            }
        }
        seen
    }

    /// Scans `block` (interleaved; where artifacts were is remembered for
    /// its first `max_block` samples): classifies every value, replaces
    /// non-finite, rail and amplitude values by their channel's last good
    /// value, and records where each reason was seen. No allocation; with
    /// detection off the block is left alone.
    pub fn scan(&mut self, block: &mut BlockMut<'_>) -> BlockArtifacts {
        let mut out = BlockArtifacts::default();
        let c = self.channels;
        if !self.limits.enabled || c == 0 || block.channels != c {
            self.carry = [NEVER; REASONS];
            return out;
        }
        let in_range = self.all_in_range(block.data);
        for (s, sample) in block.data.chunks_exact_mut(c).enumerate() {
            let seen = if in_range {
                self.in_range_sample(sample)
            } else {
                self.mixed_sample(sample)
            };
            if !seen.is_empty() {
                out.last = Some(s);
            }
            for (r, since) in self.carry.iter_mut().enumerate() {
                if seen.contains(ArtifactReason::ALL[r]) {
                    *since = 0;
                    out.samples[r] += 1;
                } else {
                    *since = since.saturating_add(1);
                }
            }
            if let Some(slot) = self.since.get_mut(s) {
                *slot = self.carry;
            }
        }
        out
    }

    /// The reasons found in the `window` samples ending at sample `offset`
    /// of the last scanned block (earlier blocks included), or in the
    /// `settle_s` before them.
    #[must_use]
    pub fn window_reasons(&self, offset: usize, window: usize) -> ArtifactReasons {
        let mut out = ArtifactReasons::NONE;
        let Some(since) = self.since.get(offset) else {
            return out;
        };
        let reach = window.saturating_add(self.limits.settle_samples) as u64;
        for (r, &ago) in since.iter().enumerate() {
            if ago < reach {
                out.insert(ArtifactReason::ALL[r]);
            }
        }
        out
    }

    /// Forgets flat runs and where artifacts were (after a gap: the signal
    /// before it is not in any later window).
    pub fn reset(&mut self) {
        self.flat_run.fill(0);
        self.carry = [NEVER; REASONS];
        self.since.fill([NEVER; REASONS]);
    }
}

impl Stage for ArtifactDetector {
    fn process(&mut self, block: &mut BlockMut<'_>) {
        let _ = self.scan(block);
    }

    fn reset(&mut self) {
        ArtifactDetector::reset(self);
    }
}
