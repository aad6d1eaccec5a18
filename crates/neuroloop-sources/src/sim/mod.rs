//! The simulated headset `sim`.
//!
//! EEG-like multichannel signal with scripted, labelled paradigms a decoder
//! can learn (see [`generator`]), seeded and deterministic. True labels are
//! emitted as markers: the class index at task onset and
//! [`neuroloop_core::Marker::REST`] when the task ends. Paced in real time
//! by default, or as fast as the pipeline takes the samples. Amplifier
//! faults (railed, saturated, flat channels) can be injected for a time
//! span ([`faults`]).

pub mod config;
pub mod faults;
pub mod generator;
mod resonator;
mod rng;
mod schedule;
mod source;

pub use config::{ParadigmConfig, SimConfig};
pub use faults::{FaultConfig, FaultKind};
pub use generator::SimGenerator;
pub use source::SimSource;
