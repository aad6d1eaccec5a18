//! A stream that comes back under the same source id with another shape:
//! liblsl's own recovery looks for the old shape, so the inlet would just
//! stall. While the stream is stalled, a background search by source id
//! finds such a stream and names the change, and the source ends with that
//! error instead of waiting for ever.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use neuroloop_lsl::{Lsl, StreamInfo, xpath_literal};

use super::resolve::Reresolver;
use super::stream::Target;
use crate::SourceError;

/// Starts looking for a stream with `target`'s source id whose channel
/// count or rate differs from the target's; `None` when the stream has no
/// source id (then nothing can be said about its identity).
///
/// # Errors
/// [`SourceError::Io`] if the thread cannot start.
pub(super) fn start_probe(
    lsl: &'static Lsl,
    target: &Target,
) -> Result<Option<Reresolver<String>>, SourceError> {
    let Some(id) = target.source_id.clone().filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    let Ok(literal) = xpath_literal(&id) else {
        return Ok(None);
    };
    let query = format!("source_id={literal}");
    let channels = target.spec.channel_count();
    let rate = target.spec.sample_rate;
    let probe = Reresolver::start(
        lsl,
        query,
        id,
        // Not a refusal: the search only reads the description.
        Arc::new(AtomicU64::new(0)),
        move |info: &StreamInfo| match describe_change(info, channels, rate) {
            Some(change) => Ok(change),
            None => Err(SourceError::Unavailable("same shape".into())),
        },
    )?;
    Ok(Some(probe))
}

/// The error message if `info` differs in channel count or rate.
fn describe_change(info: &StreamInfo, channels: usize, rate: f64) -> Option<String> {
    let (now_channels, now_rate) = (info.channel_count(), info.nominal_rate());
    let what = if now_channels != channels {
        format!("{now_channels} channels instead of {channels}")
    } else if (now_rate - rate).abs() > 1e-9 * rate.abs().max(1.0) {
        format!("a nominal rate of {now_rate} Hz instead of {rate} Hz")
    } else {
        return None;
    };
    Some(format!(
        "LSL stream {:?} (source id {:?}) on {} came back with {what}; the session cannot use it \
         (a stream that changes its shape must get a new source id, and the hardware profile must match it)",
        info.name(),
        info.source_id(),
        info.hostname()
    ))
}
