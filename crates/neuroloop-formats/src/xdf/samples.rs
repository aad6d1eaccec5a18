//! The samples of one XDF stream, decoded chunk by chunk: each sample has
//! an optional timestamp (absent: the previous one plus one nominal sample
//! period, as the format specifies) and its values in the stream's format.

use super::chunks::Cursor;
use super::header::{ChannelFormat, StreamInfo};
use crate::FormatError;

/// A stream's samples as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples {
    /// One per sample, seconds.
    pub time_stamps: Vec<f64>,
    /// Numeric values, sample-major (`values[s * channels + c]`); empty for
    /// a string stream.
    pub values: Vec<f64>,
    /// String values, sample-major; empty for a numeric stream.
    pub strings: Vec<String>,
}

/// Decodes samples chunks of one stream, carrying the last timestamp.
#[derive(Debug)]
pub struct SampleDecoder {
    format: ChannelFormat,
    channels: usize,
    period: f64,
    last_timestamp: f64,
}

impl SampleDecoder {
    /// A decoder for the stream `info` describes.
    #[must_use]
    pub fn new(info: &StreamInfo) -> Self {
        let period = if info.nominal_srate > 0.0 {
            1.0 / info.nominal_srate
        } else {
            0.0
        };
        Self {
            format: info.format,
            channels: info.channel_count,
            period,
            last_timestamp: 0.0,
        }
    }

    /// Appends the samples of one chunk's content to `out`; a chunk that
    /// does not decode whole leaves `out` as it was.
    ///
    /// # Errors
    /// [`FormatError::BadXdf`] (at `offset`) naming what does not fit.
    pub fn decode(
        &mut self,
        content: &[u8],
        offset: u64,
        out: &mut Samples,
    ) -> Result<(), FormatError> {
        let bad = |reason: String| FormatError::BadXdf { offset, reason };
        let mut cursor = Cursor {
            bytes: content,
            at: 0,
        };
        let count = cursor
            .varlen(offset)?
            .ok_or_else(|| bad("samples chunk without a sample count".into()))?;
        // Every sample takes at least its timestamp flag byte.
        let count = usize::try_from(count)
            .ok()
            .filter(|&n| n <= content.len())
            .ok_or_else(|| {
                bad(format!(
                    "{count} samples cannot fit in {} bytes",
                    content.len()
                ))
            })?;
        let (stamps, values, strings) =
            (out.time_stamps.len(), out.values.len(), out.strings.len());
        let last = self.last_timestamp;
        let result = (0..count).try_for_each(|s| self.sample(&mut cursor, out).ok_or(s));
        if let Err(s) = result {
            out.time_stamps.truncate(stamps);
            out.values.truncate(values);
            out.strings.truncate(strings);
            self.last_timestamp = last;
            return Err(bad(format!(
                "sample {s} of {count} runs past the chunk's {} bytes",
                content.len()
            )));
        }
        Ok(())
    }

    /// One sample; `None` if it runs past the content.
    fn sample(&mut self, cursor: &mut Cursor<'_>, out: &mut Samples) -> Option<()> {
        let stamp = match cursor.take(1)? {
            [0] => self.last_timestamp + self.period,
            _ => cursor.f64()?,
        };
        self.last_timestamp = stamp;
        out.time_stamps.push(stamp);
        match self.format.width() {
            Some(width) => {
                let bytes = cursor.take(width.checked_mul(self.channels)?)?;
                out.values
                    .extend(bytes.chunks_exact(width).map(|b| self.format.decode(b)));
            }
            None => {
                for _ in 0..self.channels {
                    let len = cursor.varlen(0).ok()??;
                    let bytes = cursor.take(usize::try_from(len).ok()?)?;
                    out.strings
                        .push(String::from_utf8_lossy(bytes).into_owned());
                }
            }
        }
        Some(())
    }
}
