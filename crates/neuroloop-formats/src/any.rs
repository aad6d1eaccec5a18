//! [`AnyReader`]: a recording of any supported format behind one
//! [`SampleReader`], as [`open_reader`](crate::open_reader) returns it.

use std::fs::File;
use std::io::BufReader;

use crate::csv::CsvReader;
use crate::edf::EdfReader;
use crate::gdf::GdfReader;
use crate::{ChannelInfo, Chunk, FormatError, Recording, SampleReader};

/// An opened recording file of any supported format.
#[derive(Debug)]
pub enum AnyReader {
    /// EDF, EDF+ or BDF.
    Edf(EdfReader<BufReader<File>>),
    /// GDF 1.x.
    Gdf(GdfReader<BufReader<File>>),
    /// CSV as muse-lsl writes it.
    Csv(CsvReader),
}

impl AnyReader {
    /// The format's name (`"EDF"`, `"GDF"`, `"CSV"`).
    #[must_use]
    pub fn format(&self) -> &'static str {
        match self {
            AnyReader::Edf(_) => "EDF",
            AnyReader::Gdf(_) => "GDF",
            AnyReader::Csv(_) => "CSV",
        }
    }

    fn inner(&self) -> &dyn SampleReader {
        match self {
            AnyReader::Edf(r) => r,
            AnyReader::Gdf(r) => r,
            AnyReader::Csv(r) => r,
        }
    }

    /// Reads every remaining chunk into a [`Recording`].
    ///
    /// # Errors
    /// As [`SampleReader::next_chunk`].
    pub fn read_all(self) -> Result<Recording, FormatError> {
        Recording::read_all(self)
    }
}

impl SampleReader for AnyReader {
    fn channels(&self) -> &[ChannelInfo] {
        self.inner().channels()
    }

    fn sample_rate(&self) -> f64 {
        self.inner().sample_rate()
    }

    fn n_samples(&self) -> Option<u64> {
        self.inner().n_samples()
    }

    fn next_chunk(&mut self) -> Result<Option<Chunk>, FormatError> {
        match self {
            AnyReader::Edf(r) => r.next_chunk(),
            AnyReader::Gdf(r) => r.next_chunk(),
            AnyReader::Csv(r) => r.next_chunk(),
        }
    }
}
