//! EEG recording files: readers for tests, replay and offline decoding, and
//! the XDF writer a session records itself with.
//!
//! * [`edf`]: EDF, EDF+ (continuous and discontinuous) and BDF: header, data
//!   records scaled to physical units, and the `EDF Annotations` signal parsed
//!   as time-stamped annotation lists ([`edf::tal`]).
//! * [`gdf`]: GDF 1.x (e.g. 1.25 as written by OpenViBE): header, samples of
//!   every integer and float storage type, and the event table (modes 1 and 3).
//! * [`csv`]: CSV recordings as muse-lsl writes them (`timestamps`,
//!   channels in µV, `Marker`), the rate derived from the timestamps.
//! * [`xdf`]: XDF as LabRecorder writes it: every stream's header,
//!   samples of every format, clock offsets and footer, timestamps
//!   synchronised and de-jittered as pyxdf does by default
//!   ([`xdf::read_xdf`]); [`xdf::XdfWriter`] writes it, each chunk whole.
//!   XDF files are read with [`xdf::read_xdf`], not [`read_recording`].
//! * [`Recording`] is the format-independent result: channel descriptions
//!   ([`ChannelInfo`]), the sample rate, channel-major `f64` samples and
//!   [`Event`]s. [`SampleReader`] streams the same content chunk by chunk
//!   ([`Chunk`]) for replay.
//! * [`stream_spec`] and [`Chunk::interleaved_f32`] convert to the core
//!   crate's stream description and sample-interleaved `f32` blocks.
//! * [`FormatError`] names what is malformed and where (byte offset, field);
//!   readers never panic on bad input.
//!
//! ```no_run
//! use neuroloop_formats::{read_edf, SampleReader, edf::EdfReader};
//!
//! let rec = read_edf("S001R04.edf")?;
//! println!("{} channels at {} Hz, {} events", rec.channels.len(), rec.sample_rate, rec.events.len());
//!
//! let mut reader = EdfReader::open("S001R04.edf")?;
//! while let Some(chunk) = reader.next_chunk()? {
//!     let _first_channel: &[f64] = chunk.channel(0);
//! }
//! # Ok::<(), neuroloop_formats::FormatError>(())
//! ```
//!
//! # Verification
//!
//! The tests compare both readers with MNE-Python on the recordings in
//! `../shared/data` (PhysioNet motor imagery EDF+, Kalunga 2016 SSVEP GDF 1.25):
//! labels, rates, sample counts, data excerpts, per-channel RMS and every
//! annotation / event. `tools/formats/make_reference.py` regenerates the
//! fixtures in `tests/fixtures/`.
//!
//! Onsets of GDF events are `(position - 1) / rate` seconds (positions are
//! 1-based), as in MNE; event-table mode 1 has no durations, so
//! [`Event::duration_s`] is 0 where MNE reports one sample.
//!
//! # Shapes
//!
//! Sample data ([`Recording::data`], [`Chunk::data`], [`edf::EdfRecord::data`])
//! is channel-major: sample `s` of channel `c` is at `data[c * n_samples + s]`.
//! Values are in the physical unit of each channel ([`ChannelInfo::unit`],
//! usually `uV`); [`ChannelInfo::volts_per_unit`] converts to volts.

mod any;
mod bytes;
pub mod csv;
pub mod edf;
mod error;
pub mod gdf;
mod interop;
mod recording;
pub mod xdf;

pub use any::AnyReader;
pub use csv::read_csv;
pub use edf::read_edf;
pub use error::FormatError;
pub use gdf::read_gdf;
pub use interop::{interleave_f32, stream_spec};
pub use recording::{ChannelInfo, Chunk, Event, Recording, SampleReader};

/// Reads a recording, choosing the format from the name and the first bytes
/// of the file: a `.csv` name (any case) → [`read_csv`], else `GDF ` → GDF,
/// otherwise EDF/BDF.
///
/// # Errors
///
/// As [`read_csv`] / [`read_edf`] / [`read_gdf`].
pub fn read_recording(path: impl AsRef<std::path::Path>) -> Result<Recording, FormatError> {
    open_reader(path)?.read_all()
}

/// Opens a recording for chunked reading ([`SampleReader`]), choosing the
/// format as [`read_recording`] does.
///
/// # Errors
///
/// As [`csv::CsvReader::open`] / [`edf::EdfReader::open`] /
/// [`gdf::GdfReader::open`]; [`FormatError::Unsupported`] for a path that
/// is not a regular file.
pub fn open_reader(path: impl AsRef<std::path::Path>) -> Result<AnyReader, FormatError> {
    use std::io::Read;
    let path = path.as_ref();
    // A device or FIFO would block or never end: only regular files.
    if !std::fs::metadata(path)?.is_file() {
        return Err(FormatError::Unsupported(format!(
            "{} is not a regular file (a device, FIFO, socket or directory)",
            path.display()
        )));
    }
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        return Ok(AnyReader::Csv(csv::CsvReader::open(path)?));
    }
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path)?.read(&mut magic)?;
    if n == 4 && &magic == b"GDF " {
        Ok(AnyReader::Gdf(gdf::GdfReader::open(path)?))
    } else {
        Ok(AnyReader::Edf(edf::EdfReader::open(path)?))
    }
}
