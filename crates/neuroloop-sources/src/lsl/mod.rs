//! The live LSL source `lsl`.
//!
//! Resolves an LSL stream by name, type and/or source id, checks it against
//! the hardware profile (channel count, rate, value format, channel labels
//! and units from the stream's description), then pulls it on the source
//! thread into the sample ring. Timestamps are mapped onto the local clock
//! with liblsl's time correction (refreshed periodically); the arrival time
//! is the local clock when a chunk is pulled. Samples that never arrive (an
//! outage, a restarted outlet: liblsl reconnects to the same source id by
//! itself) are found from the timestamps and recorded as a ring gap.
//!
//! An optional irregular string marker stream (`[source.markers]`) labels
//! the session: a marker equal to a class label starts that class's task
//! period, the configured end string ([`neuroloop_core::Marker::REST`]) ends
//! it; other strings are ignored.

pub mod check;
pub mod config;
mod source;

pub use check::{StreamFacts, check_stream};
pub use config::{LslConfig, LslMarkersConfig};
pub use source::LslSource;
