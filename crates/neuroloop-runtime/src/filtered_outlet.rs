//! The filtered signal as an LSL stream (`[lsl] filtered_outlet`).
//!
//! The pipeline thread copies each block, right after the filter chain,
//! into a preallocated lock-free SPSC ring ([`neuroloop_core::ring`]): one
//! push per block that never blocks; when the ring is full the block is
//! dropped and counted. A thread of its own (not real-time) pops the ring
//! and pushes the samples to a float32 LSL outlet at the stream's nominal
//! rate, each stamped with its source time (the local clock = liblsl's),
//! with the filtered stream's channel labels, units and types in its
//! description. It ends when the pipeline has ended and the ring is empty.

use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_core::ring::{RingReader, RingWriter, sample_ring};
use neuroloop_core::{SampleBlock, StreamSpec};
use neuroloop_lsl::{ChannelDesc, ChannelFormat, Outlet, Settings, StreamInfo};
use serde::Serialize;

use crate::config::ValidatedSession;
use crate::error::RuntimeError;

/// Seconds of samples liblsl buffers for slow consumers.
const OUTLET_BUFFER_S: u32 = 30;
/// Largest chunk pushed to liblsl at once.
const CHUNK: usize = 256;
/// How long the idle thread sleeps before it looks at the ring again.
const IDLE: Duration = Duration::from_millis(2);
/// How long the outlet stays up after the last sample when inlets are
/// connected (liblsl has no flush).
const LINGER: Duration = Duration::from_millis(500);

/// What the filtered outlet did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FilteredOutletReport {
    /// Samples pushed to LSL.
    pub pushed: u64,
    /// Samples the pipeline could not hand over (ring full).
    pub overflowed: u64,
}

/// The outlet's thread and the pipeline's end of its ring.
pub struct FilteredOutlet {
    /// Handed to the pipeline ([`crate::pipeline::Pipeline::filtered`]).
    pub tap: RingWriter,
    /// Joined at the end of the session.
    pub thread: JoinHandle<FilteredOutletReport>,
}

/// Opens the outlet and starts its thread, if `[lsl] filtered_outlet` is
/// set; the ring holds `session.ring_s` of samples.
///
/// # Errors
/// [`RuntimeError::Lsl`] if liblsl is missing or the outlet cannot open;
/// [`RuntimeError::Thread`] if the thread cannot start.
pub fn spawn(cfg: &ValidatedSession) -> Result<Option<FilteredOutlet>, RuntimeError> {
    let Some(name) = &cfg.lsl.filtered_outlet else {
        return Ok(None);
    };
    let source_id = format!("neuroloop-{}-{name}", cfg.session.name);
    spawn_outlet(
        &cfg.lsl.settings(),
        name,
        &source_id,
        &cfg.pipeline.filters.output,
        cfg.pipeline.ring_samples,
    )
    .map(Some)
}

/// Opens a float32 outlet named `name` for `spec` (rate, channel labels,
/// units, types) and starts the thread that pushes what arrives through a
/// ring of `capacity` samples.
///
/// # Errors
/// As [`spawn`].
pub fn spawn_outlet(
    settings: &Settings,
    name: &str,
    source_id: &str,
    spec: &StreamSpec,
    capacity: usize,
) -> Result<FilteredOutlet, RuntimeError> {
    let lsl = neuroloop_lsl::load(settings)?;
    let ch = spec.channel_count();
    let mut info = StreamInfo::new(
        lsl,
        name,
        "EEG",
        ch,
        spec.sample_rate,
        ChannelFormat::Float32,
        source_id,
    )?;
    let desc: Vec<ChannelDesc> = spec
        .channels
        .iter()
        .map(|c| ChannelDesc {
            label: c.label.clone(),
            unit: c.unit.clone(),
            kind: c.kind.clone(),
        })
        .collect();
    info.set_channels(&desc)?;
    let outlet = Outlet::open(&info, OUTLET_BUFFER_S)?;
    let (tap, reader) = sample_ring(ch, capacity.max(CHUNK));
    let block = SampleBlock::with_capacity(ch, CHUNK);
    let thread = std::thread::Builder::new()
        .name("neuroloop-lsl-filtered".into())
        .spawn(move || push_filtered(outlet, reader, block))
        .map_err(|_| RuntimeError::Thread("lsl filtered outlet"))?;
    tracing::info!(stream = %name, channels = ch, "LSL filtered-signal outlet open");
    Ok(FilteredOutlet { tap, thread })
}

fn push_filtered(
    mut outlet: Outlet,
    mut reader: RingReader,
    mut block: SampleBlock,
) -> FilteredOutletReport {
    let mut pushed = 0;
    loop {
        let popped = reader.pop_into(&mut block);
        if popped.samples == 0 {
            if reader.is_finished() {
                break;
            }
            std::thread::sleep(IDLE);
            continue;
        }
        match outlet.push_chunk(block.data(), block.timestamps()) {
            Ok(()) => pushed += popped.samples as u64,
            Err(e) => tracing::warn!(error = %e, "filtered samples not pushed to LSL"),
        }
    }
    if outlet.have_consumers() {
        std::thread::sleep(LINGER);
    }
    FilteredOutletReport {
        pushed,
        overflowed: reader.stats().dropped(),
    }
}
