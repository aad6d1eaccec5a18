//! A recording a session made with `[record]`, read back for a rerun: the
//! name of its input stream, its classes (the decoder outputs' channel
//! labels), every intent and hold it published (the intents stream's
//! JSON lines), with timestamps as stored, and the session config its
//! header stores.

use std::path::Path;

use neuroloop_formats::xdf::{ChannelFormat, XdfFile, XdfOptions, XdfStream, read_xdf};
use neuroloop_offline::OfflineError;
use neuroloop_protocol::ServerMessage;
use neuroloop_runtime::config::StoredConfig;

use super::compare::Decision;

/// The recorder's stream of published intents and holds.
pub(super) const INTENTS: &str = "neuroloop intents";
/// The recorder's stream of decoder outputs (one channel per class).
pub(super) const OUTPUTS: &str = "neuroloop decoder outputs";

/// What a rerun needs from the recording.
#[derive(Debug)]
pub(super) struct Recorded {
    /// The input stream's name.
    pub input: String,
    /// The session's classes, in class order.
    pub classes: Vec<String>,
    /// Every intent and hold, in file order.
    pub decisions: Vec<Decision>,
    /// The file ends inside a chunk (a session cut off).
    pub truncated: bool,
    /// The session config the header stores, if any.
    pub config: Option<StoredConfig>,
}

/// Reads `path`.
///
/// # Errors
/// [`OfflineError::Option`] (`recording`) naming the file: not XDF, no
/// input stream, no intents or outputs stream (not a recording made by
/// `[record]`), an intents line that is not an intent or hold.
pub(super) fn read(path: &Path) -> Result<Recorded, OfflineError> {
    let file = path.display();
    let bad = |message: String| OfflineError::Option {
        what: "recording",
        message: format!("{file}: {message}"),
    };
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(bad("not a readable file".into()));
    }
    let xdf = read_xdf(path, &XdfOptions::raw())
        .map_err(|e| bad(format!("not a readable XDF file: {e}")))?;
    let input = xdf
        .streams
        .iter()
        .find(|s| s.info.format != ChannelFormat::String && s.info.nominal_srate > 0.0)
        .ok_or_else(|| bad("no input stream (a numeric stream with a nominal rate)".into()))?;
    let intents = named(&xdf, INTENTS, ChannelFormat::String).ok_or_else(|| {
        bad(format!(
            "no {INTENTS:?} stream of strings; only a recording made by a session's [record] \
             can be rerun"
        ))
    })?;
    let classes = named(&xdf, OUTPUTS, ChannelFormat::Float32)
        .map(|s| s.info.labels.clone())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| bad(format!("no {OUTPUTS:?} stream naming the classes")))?;
    let mut decisions = Vec::with_capacity(intents.len());
    for (i, line) in intents.samples.strings.iter().enumerate() {
        match serde_json::from_str::<ServerMessage>(line) {
            Ok(ServerMessage::Intent(m) | ServerMessage::Hold(m)) => {
                decisions.push(Decision::from_message(&m));
            }
            _ => {
                return Err(bad(format!(
                    "line {i} of the {INTENTS:?} stream is not an intent or hold: {line:.120}"
                )));
            }
        }
    }
    Ok(Recorded {
        input: input.info.name.clone(),
        classes,
        decisions,
        truncated: xdf.truncated,
        config: StoredConfig::read(&xdf),
    })
}

/// The one stream named `name` with values of `format`.
fn named<'a>(xdf: &'a XdfFile, name: &str, format: ChannelFormat) -> Option<&'a XdfStream> {
    xdf.streams
        .iter()
        .find(|s| s.info.name == name && s.info.format == format)
}
