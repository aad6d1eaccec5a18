//! Core types of the neuroloop runtime.
//!
//! Everything here is shared by every other crate and depends on no I/O,
//! no async runtime and no tensor library:
//!
//! * [`StreamSpec`] describes a stream: channel labels, types, units, sample rate.
//! * [`SampleBlock`] / [`BlockMut`] hold channel-interleaved `f32` samples with a
//!   source timestamp per sample and an arrival time per sample.
//! * [`clock`] is the one process clock (monotonic seconds, the domain of
//!   liblsl's `local_clock`).
//! * [`Intent`] is what the decoder pipeline publishes to actuators.
//! * [`stage`] holds the stage lifecycle: preflight → initialize → process.
//! * [`ring`] is the preallocated lock-free SPSC ring from a source thread to
//!   the pipeline thread; overflow is a counted [`ring::Gap`], never a stall.
//! * [`clock_offsets`] carries a live source's measured clock offsets (and
//!   the samples they apply to) to the recorder.
//! * [`Error`] / [`ErrorKind`] say what went wrong and whether a retry can help.

pub mod block;
pub mod channel_pick;
pub mod clock;
pub mod clock_offsets;
pub mod error;
pub mod event_queue;
pub mod intent;
pub mod markers;
pub mod ring;
mod ring_timing;
pub mod spec;
pub mod stage;
pub mod window;

pub use block::{BlockMut, SampleBlock};
pub use error::{ConfigError, Error, ErrorKind};
pub use intent::{HoldReason, Intent, IntentKind, IntentTimes, MAX_CLASSES};
pub use spec::{ChannelSpec, StreamSpec};
pub use stage::{Stage, StageConfig};
pub use window::{Marker, Window};
