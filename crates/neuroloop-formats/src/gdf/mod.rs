//! GDF 1.x: header, data types, event table, chunked reader.
//!
//! Samples of every storage type are scaled to physical units with
//! `(d - dmin) * (pmax - pmin) / (dmax - dmin) + pmin`, as for EDF.

// Reads bytes from outside: no unwrap, no unchecked integer arithmetic.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

mod events;
mod header;
mod reader;
mod types;

pub use events::{GdfEvent, GdfEventTable};
pub use header::{GdfHeader, GdfSignal};
pub use reader::{GdfReader, read_gdf};
pub use types::GdfType;
