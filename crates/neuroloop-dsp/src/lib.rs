//! Signal processing stages of the neuroloop runtime.
//!
//! * [`design`]: Butterworth filters (`butter`) and notches (`iirnotch`) as
//!   second-order sections, coefficient-exact with scipy.
//! * [`sosfilt`]: [`SosFilter`], streaming per-channel SOS filtering of
//!   interleaved blocks (scipy `sosfilt` with carried state), allocation-free.
//! * [`filters`] / [`car`]: the `bandpass`, `bandstop`, `highpass`,
//!   `lowpass`, `notch` and `car` stages (core's `StageConfig`/`Stage`).
//! * [`registry`]: [`StageRegistry`], building stage configs from TOML tables
//!   by `type` name; extensible with [`StageRegistry::register`].
//! * [`chain`]: [`ChainConfig`] (parse + preflight a list of tables, every
//!   error at once) and [`FilterChain`] (the built stages, run in order).
//! * [`window`]: [`WindowAssembler`], sliding channel-major analysis windows.
//! * [`events`]: [`EventWindows`], one window locked to each marker
//!   (ERP/P300 paradigms).
//! * [`artifact`]: [`ArtifactDetector`] (`[pipeline.artifacts]`), raw-sample
//!   artifact detection (non-finite, rail, amplitude, flat line) before the
//!   filters.
//!
//! Errors are core's: [`neuroloop_core::ConfigError`] (with the config path)
//! from parsing and preflight, [`neuroloop_core::Error`] (whose kind says
//! whether a retry can help) elsewhere.

pub mod artifact;
pub mod car;
pub mod chain;
pub mod complex;
pub mod design;
pub mod events;
pub mod filters;
pub mod registry;
pub mod sosfilt;
pub mod window;
pub mod zpk2sos;

pub use artifact::{
    ArtifactConfig, ArtifactDetector, ArtifactReason, ArtifactReasons, BlockArtifacts,
};
pub use car::{CarConfig, CarStage};
pub use chain::{ChainConfig, FilterChain, NonFiniteCounter};
pub use design::{Band, MAX_ORDER, Section, butter, iirnotch, notch_harmonics};
pub use events::{EventCounts, EventCut, EventWindows};
pub use filters::{
    BandpassConfig, BandstopConfig, HighpassConfig, LowpassConfig, NotchConfig, SosStage,
};
pub use registry::{StageFactory, StageRegistry, parse_table};
pub use sosfilt::{Sample, SosFilter};
pub use window::{WindowAssembler, WindowConfig, WindowShape};
