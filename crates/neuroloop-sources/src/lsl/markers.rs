//! The cue/label marker stream of an LSL source.

use neuroloop_core::Marker;
use neuroloop_lsl::{ChannelFormat, Inlet, Lsl, LslError, StreamInfo};

use super::LslMarkersConfig;
use super::resolve::resolve_one;
use super::stream::OPEN_TIMEOUT_S;
use crate::{SourceError, SourceIo};

/// Seconds of markers liblsl buffers (× 100 for an irregular stream).
const MARKER_BUFFER_S: u32 = 30;

/// A marker inlet with the string → code table.
pub(super) struct MarkerInlet {
    inlet: Inlet,
    correction: f64,
    /// Class labels as bytes (code = index).
    pub classes: Vec<Vec<u8>>,
    /// The string that ends a task.
    pub rest: Vec<u8>,
    /// The stream's source id (after a loss only the same is adopted).
    pub source_id: String,
    /// Whether liblsl reported the stream lost.
    pub lost: bool,
}

/// Resolves and connects the marker stream; returns it with its query.
///
/// # Errors
/// [`SourceError::Config`] if it is not one string channel;
/// [`SourceError::Lsl`] if it is not found or does not answer.
pub(super) fn open_markers(
    lsl: &'static Lsl,
    config: &LslMarkersConfig,
    classes: &[String],
    timeout_s: f64,
) -> Result<(MarkerInlet, String), SourceError> {
    let query = config.query().map_err(SourceError::Config)?;
    let info = resolve_one(lsl, &query, timeout_s)?;
    let classes: Vec<Vec<u8>> = classes.iter().map(|c| c.as_bytes().to_vec()).collect();
    let inlet = connect_markers(&info, &classes, config.rest.as_bytes())?;
    Ok((inlet, query))
}

/// Connects to the marker stream `info` describes.
///
/// # Errors
/// As [`open_markers`].
pub(super) fn connect_markers(
    info: &StreamInfo,
    classes: &[Vec<u8>],
    rest: &[u8],
) -> Result<MarkerInlet, SourceError> {
    if info.format() != ChannelFormat::String || info.channel_count() != 1 {
        return Err(SourceError::Config(format!(
            "marker stream {:?} has {} {:?} channels; a one-channel string stream is needed",
            info.name(),
            info.channel_count(),
            info.format()
        )));
    }
    let mut inlet = Inlet::open(info, MARKER_BUFFER_S, OPEN_TIMEOUT_S)?;
    let correction = inlet.time_correction(OPEN_TIMEOUT_S)?;
    Ok(MarkerInlet {
        inlet,
        correction,
        classes: classes.to_vec(),
        rest: rest.to_vec(),
        source_id: info.source_id(),
        lost: false,
    })
}

impl MarkerInlet {
    /// Moves every waiting marker into the marker ring; returns how many.
    /// A lost marker stream ends no session: it is marked [`Self::lost`]
    /// (and looked for again) while the data goes on unlabelled.
    ///
    /// # Errors
    /// A liblsl failure other than a loss.
    pub(super) fn drain(&mut self, io: &mut SourceIo) -> Result<u64, SourceError> {
        let mut count = 0;
        if self.lost {
            return Ok(0);
        }
        loop {
            let (classes, rest) = (&self.classes, &self.rest);
            let pulled = self.inlet.pull_string(0.0, |bytes| {
                if bytes == rest.as_slice() {
                    Some(Marker::REST)
                } else {
                    classes.iter().position(|c| c == bytes).map(|i| i as i32)
                }
            });
            let pulled = match pulled {
                Ok(p) => p,
                Err(LslError::Lost(_)) => {
                    self.lost = true;
                    return Ok(count);
                }
                Err(e) => return Err(e.into()),
            };
            let Some((code, time)) = pulled else {
                return Ok(count);
            };
            count += 1;
            if let (Some(code), Some(writer)) = (code, io.markers.as_mut()) {
                writer.push(Marker {
                    time: time + self.correction,
                    code,
                });
            }
        }
    }

    /// Takes liblsl's latest clock offset; keeps the old one on failure.
    pub(super) fn refresh_correction(&mut self) {
        if let Ok(c) = self.inlet.time_correction(0.5) {
            self.correction = c;
        }
    }
}
