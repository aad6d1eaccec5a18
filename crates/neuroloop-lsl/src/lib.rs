//! Safe bindings to liblsl, the Lab Streaming Layer library, loaded at run
//! time.
//!
//! Nothing links against liblsl: the library is located and loaded on the
//! first call of [`load`] (see [`library`] for the search order: `LSL_LIB`,
//! an installed pylsl, the system), so programs that never use LSL run
//! without it. The C API is declared by hand in [`ffi`] (from `lsl_c.h`);
//! [`StreamInfo`], [`Inlet`] and [`Outlet`] own their liblsl objects and
//! destroy them on drop.
//!
//! Timestamps are seconds on `lsl_local_clock`, which on Linux is
//! `CLOCK_MONOTONIC` — the process clock of neuroloop.

pub mod error;
pub mod ffi;
pub mod info;
pub mod inlet;
pub mod library;
pub mod outlet;

pub use error::LslError;
pub use info::{ChannelDesc, ChannelFormat, StreamInfo, xpath_literal};
pub use inlet::Inlet;
pub use library::{Lsl, Scope, Settings, load};
pub use outlet::{ConsumerWatch, Outlet};
