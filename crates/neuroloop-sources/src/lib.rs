//! Signal sources for neuroloop.
//!
//! A source owns one stream. It is configured (a serde config type per
//! driver, e.g. [`sim::SimConfig`]), checked (`preflight`, pure), opened into
//! a [`Source`], and
//! run on its own OS thread, where it pushes samples into the SPSC ring and
//! cue/label events into the marker ring. A live source never waits for the
//! pipeline: when the ring is full the samples are dropped and counted as a
//! gap.
//!
//! Drivers:
//! * [`sim`]: a simulated headset with EEG-like signal and scripted, labelled
//!   paradigms (motor imagery, SSVEP); seeded and deterministic.
//! * [`lsl`]: a live Lab Streaming Layer stream (liblsl loaded at run time
//!   only when this source is used), with an optional cue/label marker stream.
//! * [`replay`]: a recording (EDF, EDF+, BDF, GDF, muse-lsl CSV, or one
//!   stream of an XDF file with its own timestamps) played back in real
//!   time or as fast as the pipeline takes it, with its events or markers
//!   as cue markers; it waits for room in the ring instead of dropping.
//! * [`serial`]: an OpenBCI Cyton or Cyton+Daisy amplifier on its USB
//!   serial dongle, framed and de-jittered on the source thread, with
//!   lost packets as gaps and reconnection when the port comes back.

pub mod clock_drift;
pub mod error;
pub mod lsl;
pub mod replay;
pub mod serial;
pub mod sim;
pub mod source;

pub use clock_drift::ClockDrift;
pub use error::SourceError;
pub use source::{AuxStream, Source, SourceIo, SourceReport, StreamRate};
