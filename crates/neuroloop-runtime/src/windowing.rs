//! The pipeline's windows: at a fixed hop ([`WindowAssembler`]) or one
//! locked to each selected marker ([`EventWindows`]), behind one interface.
//!
//! In event mode every marker the session selects
//! ([`EventLocking::selects`]) asks for one window; its class (the marker's
//! code) labels the window for calibration and online accuracy. Markers
//! that are not selected (task ends, unlisted classes) only feed the label
//! timeline, as in hop mode. Nothing here allocates after construction.

use neuroloop_core::{Marker, SampleBlock, Window};
use neuroloop_dsp::{EventCounts, EventWindows, WindowAssembler};

use crate::config::{EVENT_QUEUE, EventLocking, ValidatedSession, WindowMode};
use crate::error::RuntimeError;
use crate::labels::LabelTimeline;
use crate::stats::PipelineStats;

/// Where a window lies in the block just pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Position in the block of the newest sample seen when it was cut.
    pub position: usize,
    /// Samples from the window's first sample to `position`, inclusive.
    pub reach: usize,
    /// Event mode: the class of the window's marker, if it is one.
    pub class: Option<usize>,
}

/// The session's windowing.
#[derive(Debug)]
pub enum Windowing {
    /// A window every hop.
    Hop(WindowAssembler),
    /// One window per selected marker.
    Events {
        /// The assembler.
        windows: EventWindows,
        /// Which markers lock windows.
        locking: EventLocking,
    },
}

impl Windowing {
    /// Builds the windowing of `cfg`: in event mode with a history of one
    /// window plus the sample ring (how late a marker may arrive) and
    /// [`EVENT_QUEUE`] pending markers.
    ///
    /// # Errors
    /// [`RuntimeError::Build`] if the shape is invalid (validation
    /// prevents it).
    pub fn build(cfg: &ValidatedSession) -> Result<Self, RuntimeError> {
        let channels = cfg.pipeline.input.channel_count();
        let built = match &cfg.pipeline.windows.mode {
            WindowMode::Hop => WindowAssembler::new(
                channels,
                cfg.pipeline.windows.window_samples,
                cfg.pipeline.windows.hop_samples,
            )
            .map(Self::Hop),
            WindowMode::Events(locking) => EventWindows::new(
                channels,
                cfg.pipeline.windows.window_samples,
                cfg.pipeline
                    .windows
                    .window_samples
                    .saturating_add(cfg.pipeline.ring_samples),
                EVENT_QUEUE,
                locking.offset_s,
                cfg.pipeline.input.sample_rate,
            )
            .map(|windows| Self::Events {
                windows,
                locking: locking.clone(),
            }),
        };
        built.map_err(|e| RuntimeError::Build {
            what: "window assembler",
            message: e.to_string(),
        })
    }

    /// Samples per window.
    #[must_use]
    pub fn window_samples(&self) -> usize {
        match self {
            Self::Hop(a) => a.window_samples(),
            Self::Events { windows, .. } => windows.window_samples(),
        }
    }

    /// Index the next window will carry.
    #[must_use]
    pub fn next_index(&self) -> u64 {
        match self {
            Self::Hop(a) => a.next_index(),
            Self::Events { windows, .. } => windows.next_index(),
        }
    }

    /// What became of the selected markers (event mode).
    #[must_use]
    pub fn counts(&self) -> Option<EventCounts> {
        match self {
            Self::Hop(_) => None,
            Self::Events { windows, .. } => Some(windows.counts()),
        }
    }

    /// Takes a marker: into the label timeline, and in event mode, if
    /// selected, as a window to cut (counted in `stats`).
    pub fn on_marker(&mut self, marker: Marker, labels: &mut LabelTimeline, stats: &PipelineStats) {
        labels.push(marker);
        if let Self::Events { windows, locking } = self
            && locking.selects(marker.code)
        {
            PipelineStats::add(&stats.events.markers, 1);
            windows.add_marker(marker.time, marker.code);
        }
    }

    /// Forgets the history after a gap.
    pub fn reset(&mut self) {
        match self {
            Self::Hop(a) => a.reset(),
            Self::Events { windows, .. } => windows.reset(),
        }
    }

    /// The stream ended: markers still waiting are missed.
    pub fn finish(&mut self) {
        if let Self::Events { windows, .. } = self {
            windows.finish();
        }
    }

    /// Consumes a block; calls `emit` for every window completed.
    pub fn push_block(&mut self, block: &SampleBlock, mut emit: impl FnMut(&Window<'_>, Cut)) {
        // The block's shape always matches (both are built from the same
        // stream spec), so a push cannot fail.
        match self {
            Self::Hop(a) => {
                let reach = a.window_samples();
                let _ = a.push_block_at(block, |window, position| {
                    let cut = Cut {
                        position,
                        reach,
                        class: None,
                    };
                    emit(&window, cut);
                });
            }
            Self::Events { windows, .. } => {
                let _ = windows.push_block(block, |window, event| {
                    let cut = Cut {
                        position: event.position,
                        reach: event.reach,
                        class: usize::try_from(event.code).ok(),
                    };
                    emit(&window, cut);
                });
            }
        }
    }
}
