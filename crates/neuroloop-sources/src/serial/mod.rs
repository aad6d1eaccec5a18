//! The serial amplifier source `serial`: an OpenBCI Cyton (8 channels,
//! 250 Hz) or Cyton with Daisy (16 channels, 125 Hz) read straight from
//! its USB serial dongle.
//!
//! The parts, in the order bytes flow:
//! * [`board`]: the ASCII command set: `v` (reset, answered by a banner
//!   ending in `$$$` that names a Daisy when one is attached), channel
//!   settings, `b` (start) and `s` (stop).
//! * [`framer`]: 33-byte packets found in the byte stream, with look-ahead
//!   validation and lost packets counted from the sample numbers.
//! * [`samples`]: packets to scaled samples ([`scale`]: counts to µV);
//!   a Daisy sample is two packets.
//! * [`accelerometer`]: the readings some packets carry, a further
//!   stream in g.
//! * [`dejitter`]: host arrival times fitted to the board's rate.
//! * [`source`]: the [`crate::Source`]: reads on the source thread into
//!   preallocated buffers, pushes samples and gaps to the ring, and after
//!   the port disappears reports a stall and a gap, reopens it with
//!   backoff and re-initialises the board.
//! * [`ports`]: the serial ports this machine has.

pub mod accelerometer;
pub mod board;
pub mod config;
pub mod dejitter;
pub mod framer;
pub mod packet;
pub mod ports;
pub mod samples;
pub mod scale;
pub mod source;

pub use config::{BoardSetup, SerialConfig};
pub use framer::{Framed, Framer, FramerCounts};
pub use packet::Packet;
pub use samples::{Board, SampleAssembler};
pub use source::SerialSource;
