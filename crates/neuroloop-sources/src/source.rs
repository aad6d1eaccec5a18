//! The interface every source implements.

use std::sync::atomic::AtomicBool;
use std::thread::Thread;

use neuroloop_core::StreamSpec;
use neuroloop_core::markers::MarkerWriter;
use neuroloop_core::ring::RingWriter;

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
}

/// An opened source, ready to run on its own thread.
pub trait Source: Send {
    /// The stream this source produces.
    fn spec(&self) -> &StreamSpec;

    /// Labels of the marker codes this source emits (code `i` is `labels[i]`;
    /// code [`neuroloop_core::Marker::REST`] ends a labelled period).
    fn marker_labels(&self) -> &[String];

    /// Runs until `stop` is set or the source ends, pushing into `io`.
    ///
    /// # Errors
    /// A [`SourceError`] if the stream fails in a way the source cannot
    /// recover from by itself.
    fn run(&mut self, io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError>;
}
