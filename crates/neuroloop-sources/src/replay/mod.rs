//! The replay source `replay`: a recorded session played back as a live
//! stream.
//!
//! The recording (any format `neuroloop_formats::read_recording` reads:
//! EDF, EDF+, BDF, GDF, muse-lsl CSV; and XDF) is read whole when the
//! session is validated ([`ReplayRecording::load`]), so a missing file, an
//! unknown format or a recording without channels is a config error before
//! anything starts. Its channels and rate are the session's stream. Mapped
//! annotations, events or XDF markers become cue markers (class onset;
//! rest at the event's end), so windows are labelled and calibration works
//! as with the simulator. Of an XDF file one numeric stream is played
//! (`stream`, else the first with a nominal rate and samples) with its own timestamps
//! ([`Timestamps`]), and the markers of its marker streams are the cues.
//! Played at the recording's pace or as fast as the pipeline takes it
//! ([`Pace`]); either way the source waits for room in the ring, so every
//! sample of the file reaches the pipeline, and it ends after the last one.

mod config;
mod recording;
mod source;
mod xdf;

pub use config::{MAX_BLOCK_SIZE, Pace, ReplayConfig, Timestamps};
pub use recording::{Cue, MAX_FILE_BYTES, ReplayRecording};
pub use source::ReplaySource;
