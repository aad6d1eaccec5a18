//! EDF, EDF+ and BDF: header, streaming record reader, annotation lists.
//!
//! Samples are 16-bit (EDF) or 24-bit (BDF) little-endian integers scaled to
//! physical units with `(d - dmin) * (pmax - pmin) / (dmax - dmin) + pmin`.

// Reads bytes from outside: no unwrap, no unchecked integer arithmetic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

mod header;
mod reader;
mod signals;
pub mod tal;

pub use header::{Continuity, EdfHeader, EdfKind, StartDateTime};
pub use reader::{EdfReader, EdfRecord, read_edf};
