//! The live LSL source `lsl`.
//!
//! Resolves an LSL stream by name, type and/or source id, checks it against
//! the hardware profile (channel count, rate, value format, channel labels
//! and units from the stream's description), then pulls it on the source
//! thread into the sample ring. Timestamps are mapped onto the local clock
//! with liblsl's time correction (refreshed periodically), or, with
//! `dejitter`, post-processed by liblsl (clock sync, dejitter, monotonic);
//! the arrival time is the local clock when a chunk is pulled. Values are
//! multiplied by `scale_uv_per_count` into microvolts. Samples that never
//! arrive (an outage, a restarted outlet: liblsl reconnects to the same
//! source id by itself) are found from the timestamps and recorded as a
//! ring gap.
//!
//! A stream liblsl reports lost (it cannot recover streams without a source
//! id) is resolved again in the background ([`resolve`]); only the same
//! source id is adopted, and the source resumes with a gap. A lost marker
//! stream is looked for the same way while the data goes on unlabelled.
//!
//! `[[source.inlets]]` adds data streams pulled on threads of their own
//! ([`secondary`]) and paired with the first stream by timestamp
//! ([`align`]) into one combined stream.
//!
//! An optional irregular string marker stream (`[source.markers]`) labels
//! the session: a marker equal to a class label starts that class's task
//! period, the configured end string ([`neuroloop_core::Marker::REST`]) ends
//! it; other strings are ignored.

pub mod align;
mod changed;
pub mod check;
pub mod config;
mod inlet_config;
mod markers;
mod outage;
pub mod resolve;
pub mod secondary;
mod source;
mod stream;

pub use check::{StreamFacts, check_stream};
pub use config::{LslConfig, LslInletConfig, LslMarkersConfig};
pub use source::LslSource;
