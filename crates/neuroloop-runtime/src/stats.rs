//! Lock-free counters of the pipeline thread, readable from any thread.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters the pipeline thread bumps (relaxed atomics, no locks).
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Samples taken from the ring.
    pub samples: AtomicU64,
    /// Gaps seen (ring overflow or source outage).
    pub gaps: AtomicU64,
    /// Samples missing in those gaps.
    pub gap_samples: AtomicU64,
    /// Source stalls seen while the ring was empty (each sent a hold).
    pub stalls: AtomicU64,
    /// Windows assembled.
    pub windows: AtomicU64,
    /// Windows the decoder classified.
    pub decoded: AtomicU64,
    /// Windows held for artifacts (see also `artifact`).
    pub artifacts: AtomicU64,
    /// Other decoder failures.
    pub decode_errors: AtomicU64,
    /// Labelled windows collected for calibration.
    pub calibration_windows: AtomicU64,
    /// Intents handed to the publisher.
    pub intents: AtomicU64,
    /// Intents dropped because the publisher's queue was full.
    pub intents_dropped: AtomicU64,
    /// Decoded windows that carried a true label (from markers).
    pub labelled: AtomicU64,
    /// Of those, how many the decoder got right (raw argmax).
    pub correct: AtomicU64,
    /// Artifact samples and windows, decoder output rejections (reported
    /// on their own, [`crate::artifacts::ArtifactReport`]).
    pub artifact: crate::artifacts::ArtifactStats,
    /// Event-locked windows (`windows = "events"`).
    pub events: EventStats,
    /// The GPU decoder's counters (`[decoder] device = "wgpu"` or `"cuda"`).
    pub device: DeviceStats,
}

/// Counters of a decoder on a GPU, kept by the pipeline thread; all zero
/// with `device = "cpu"`.
#[derive(Debug, Default)]
pub struct DeviceStats {
    /// Windows handed to the decode worker.
    pub offloaded: AtomicU64,
    /// Windows held with reason `late`: the result missed its deadline, or
    /// no slot was free for the window.
    pub late: AtomicU64,
    /// Of those, windows that found every slot taken.
    pub no_slot: AtomicU64,
    /// Windows decoded on the CPU because the worker had failed.
    pub cpu_fallbacks: AtomicU64,
}

impl DeviceStats {
    /// A copy of the counters.
    #[must_use]
    pub fn snapshot(&self) -> DeviceSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        DeviceSnapshot {
            offloaded: get(&self.offloaded),
            late: get(&self.late),
            no_slot: get(&self.no_slot),
            cpu_fallbacks: get(&self.cpu_fallbacks),
        }
    }
}

/// [`DeviceStats`] at one moment (the report's `pipeline.device`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeviceSnapshot {
    /// Windows handed to the decode worker.
    pub offloaded: u64,
    /// Windows held with reason `late`.
    pub late: u64,
    /// Of those, windows that found every slot taken.
    pub no_slot: u64,
    /// Windows decoded on the CPU because the worker had failed.
    pub cpu_fallbacks: u64,
}

/// What became of the markers that lock windows (event mode; all 0 at a
/// fixed hop). `markers = locked + missed + overflowed` once the session
/// has drained.
#[derive(Debug, Default)]
pub struct EventStats {
    /// Markers selected to lock a window.
    pub markers: AtomicU64,
    /// Windows cut (each decided once: one intent or hold).
    pub locked: AtomicU64,
    /// Markers whose window could not be cut (older than the history, in a
    /// gap, or the stream ended first).
    pub missed: AtomicU64,
    /// Markers dropped because the pending queue was full.
    pub overflowed: AtomicU64,
}

impl EventStats {
    /// Copies the assembler's totals.
    pub fn set(&self, counts: neuroloop_dsp::EventCounts) {
        self.locked.store(counts.locked, Ordering::Relaxed);
        self.missed.store(counts.missed, Ordering::Relaxed);
        self.overflowed.store(counts.overflowed, Ordering::Relaxed);
    }

    /// A plain copy.
    #[must_use]
    pub fn snapshot(&self) -> EventSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        EventSnapshot {
            markers: get(&self.markers),
            locked: get(&self.locked),
            missed: get(&self.missed),
            overflowed: get(&self.overflowed),
        }
    }
}

/// A copy of [`EventStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EventSnapshot {
    /// See [`EventStats::markers`].
    pub markers: u64,
    /// See [`EventStats::locked`].
    pub locked: u64,
    /// See [`EventStats::missed`].
    pub missed: u64,
    /// See [`EventStats::overflowed`].
    pub overflowed: u64,
}

impl PipelineStats {
    /// Adds `n` to `counter`.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// A plain copy of every counter.
    #[must_use]
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            samples: get(&self.samples),
            gaps: get(&self.gaps),
            gap_samples: get(&self.gap_samples),
            stalls: get(&self.stalls),
            windows: get(&self.windows),
            decoded: get(&self.decoded),
            artifacts: get(&self.artifacts),
            decode_errors: get(&self.decode_errors),
            calibration_windows: get(&self.calibration_windows),
            intents: get(&self.intents),
            intents_dropped: get(&self.intents_dropped),
            labelled: get(&self.labelled),
            correct: get(&self.correct),
            events: self.events.snapshot(),
            device: self.device.snapshot(),
        }
    }
}

/// A copy of [`PipelineStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// See [`PipelineStats::samples`].
    pub samples: u64,
    /// See [`PipelineStats::gaps`].
    pub gaps: u64,
    /// See [`PipelineStats::gap_samples`].
    pub gap_samples: u64,
    /// See [`PipelineStats::stalls`].
    pub stalls: u64,
    /// See [`PipelineStats::windows`].
    pub windows: u64,
    /// See [`PipelineStats::decoded`].
    pub decoded: u64,
    /// See [`PipelineStats::artifacts`].
    pub artifacts: u64,
    /// See [`PipelineStats::decode_errors`].
    pub decode_errors: u64,
    /// See [`PipelineStats::calibration_windows`].
    pub calibration_windows: u64,
    /// See [`PipelineStats::intents`].
    pub intents: u64,
    /// See [`PipelineStats::intents_dropped`].
    pub intents_dropped: u64,
    /// See [`PipelineStats::labelled`].
    pub labelled: u64,
    /// See [`PipelineStats::correct`].
    pub correct: u64,
    /// See [`PipelineStats::events`].
    pub events: EventSnapshot,
    /// The GPU decoder's counters.
    pub device: DeviceSnapshot,
}

impl StatsSnapshot {
    /// Online accuracy over labelled decoded windows, if there were any.
    #[must_use]
    pub fn online_accuracy(&self) -> Option<f64> {
        (self.labelled > 0).then(|| self.correct as f64 / self.labelled as f64)
    }
}
