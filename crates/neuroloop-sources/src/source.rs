//! The interface every source implements.

use std::sync::atomic::AtomicBool;
use std::thread::Thread;

use neuroloop_core::StreamSpec;
use neuroloop_core::clock_offsets::ClockOffsetReader;
use neuroloop_core::markers::MarkerWriter;
use neuroloop_core::ring::{RingReader, RingWriter};

use crate::SourceError;

/// The outputs a running source writes to.
pub struct SourceIo {
    /// Samples, to the pipeline thread.
    pub samples: RingWriter,
    /// Cue and label events, if the pipeline wants them.
    pub markers: Option<MarkerWriter>,
    /// Thread to wake after each push (the pipeline thread), if any.
    pub notify: Option<Thread>,
}

impl SourceIo {
    /// Wakes the consumer, if one asked to be woken.
    pub fn wake(&self) {
        if let Some(thread) = &self.notify {
            thread.unpark();
        }
    }
}

/// What a source did, returned when it stops.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceReport {
    /// Samples produced by the source (including any dropped by the ring).
    pub samples: u64,
    /// Markers produced.
    pub markers: u64,
    /// Times a live stream was lost (liblsl could not recover it).
    pub losses: u64,
    /// Times a lost stream was found again and the source resumed.
    pub reresolutions: u64,
    /// Streams refused while looking for a lost one (another source id,
    /// or not matching the profile).
    pub refused: u64,
    /// Samples of the first stream dropped because a further stream had
    /// no sample for them (`[[source.inlets]]`).
    pub unaligned: u64,
    /// Nominal and measured rate of each further stream
    /// (`[[source.inlets]]`; the session adds the stream it reads).
    pub streams: Vec<StreamRate>,
    /// Samples of the source's aux stream ([`Source::take_aux_stream`]:
    /// a serial board's accelerometer readings), whether or not anyone
    /// took the stream.
    pub aux_samples: u64,
    /// The time corrections applied to a live stream's timestamps (`None`
    /// for sources whose timestamps need none).
    pub clock: Option<crate::ClockDrift>,
}

/// A further stream a source produces beside its samples (a serial
/// board's accelerometer), at a rate and timing of its own.
pub struct AuxStream {
    /// What it holds: its channels, units and nominal rate.
    pub spec: StreamSpec,
    /// Its samples, each stamped with the timestamp of the main-stream
    /// sample it came with. A full ring drops (and counts) readings; it
    /// never holds the source up.
    pub reader: RingReader,
}

/// A stream's nominal rate beside the rate its samples arrived at.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StreamRate {
    /// The stream (name or query).
    pub stream: String,
    /// Nominal samples per second.
    pub nominal_hz: f64,
    /// Samples per second by arrival time (`None`: too short to say).
    pub measured_hz: Option<f64>,
    /// Whether the measured rate is more than [`StreamRate::TOLERANCE`]
    /// off the nominal one.
    pub off_nominal: bool,
}

impl StreamRate {
    /// Relative difference from the nominal rate that counts as off.
    pub const TOLERANCE: f64 = 0.1;

    /// Compares `measured_hz` with `nominal_hz`; an off-nominal stream is
    /// logged.
    #[must_use]
    pub fn new(stream: impl Into<String>, nominal_hz: f64, measured_hz: Option<f64>) -> Self {
        let stream = stream.into();
        let off_nominal =
            measured_hz.is_some_and(|m| (m / nominal_hz - 1.0).abs() > Self::TOLERANCE);
        if off_nominal {
            tracing::warn!(%stream, nominal_hz, measured_hz, "stream rate differs from its nominal rate");
        }
        Self {
            stream,
            nominal_hz,
            measured_hz,
            off_nominal,
        }
    }
}

/// An opened source, ready to run on its own thread.
pub trait Source: Send {
    /// The stream this source produces.
    fn spec(&self) -> &StreamSpec;

    /// Labels of the marker codes this source emits (code `i` is `labels[i]`;
    /// code [`neuroloop_core::Marker::REST`] ends a labelled period).
    fn marker_labels(&self) -> &[String];

    /// The source's aux stream, taken once before [`Source::run`]; a source
    /// whose aux stream nobody takes pushes none. `None` (the default):
    /// the source has none.
    fn take_aux_stream(&mut self) -> Option<AuxStream> {
        None
    }

    /// The clock offsets the source adds to its device's timestamps while
    /// it runs (a live LSL stream's time correction, each with the first
    /// sample it applies to), so that a recording can store the raw
    /// timestamps beside them. `None` (the default) when the timestamps
    /// need no offset or were corrected beyond one. Called at most once,
    /// before [`Source::run`].
    fn clock_offsets(&mut self) -> Option<ClockOffsetReader> {
        None
    }

    /// Runs until `stop` is set or the source ends, pushing into `io`.
    ///
    /// # Errors
    /// A [`SourceError`] if the stream fails in a way the source cannot
    /// recover from by itself.
    fn run(&mut self, io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError>;
}
