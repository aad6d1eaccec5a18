//! The recorder part: with `[record]`, the session writes itself to an XDF
//! file as it runs — the input stream as it arrived (before artifact
//! replacement and filters, with its source timestamps), the cue markers,
//! every published intent and hold (their protocol JSON), and the decoder's
//! probabilities per decided window; when the source has one, its aux
//! stream (a serial board's accelerometer, `aux_stream.rs`). A live LSL
//! input is recorded as LabRecorder records it: raw timestamps and the
//! source's time corrections as ClockOffset chunks (`input_clock`).
//!
//! The pipeline thread only copies each block into a preallocated SPSC
//! ring and each marker into a marker ring (a full ring drops and counts,
//! never waits); the intents come from the forwarder through a queue of
//! their own ([`LineFeed`]). A thread of its own writes the file, flushing
//! and syncing it at least every `flush_s`, so a session killed or cut off
//! keeps all but its last second, and the reader recovers every whole
//! chunk. A write error (disk full) ends the recording, not the session:
//! the report says why. A clean stop writes each stream's footer (first and last timestamp,
//! sample count). The file header stores the session config
//! ([`crate::config::StoredConfig`]), so the file alone can rerun the
//! session.

mod aux_stream;
mod input_clock;
mod line_feed;
mod streams;
mod writer_thread;

pub use line_feed::LineFeed;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use neuroloop_core::StreamSpec;
use neuroloop_core::clock_offsets::ClockOffsetReader;
use neuroloop_core::markers::{MarkerWriter, marker_ring};
use neuroloop_core::ring::{RingWriter, sample_ring};
use neuroloop_sources::AuxStream;
use serde::Serialize;

use crate::config::RecordPlan;
use crate::error::RuntimeError;

/// Markers the record tap holds between two writes.
const MARKER_QUEUE: usize = 1024;

/// How long a lossless tap waits between looks for room.
const ROOM_POLL: std::time::Duration = std::time::Duration::from_micros(100);

/// The pipeline's ends of the recorder's rings.
pub struct RecordTap {
    /// Raw input blocks, as popped from the source's ring.
    samples: RingWriter,
    /// Cue markers, as popped from the source's marker ring.
    markers: MarkerWriter,
    /// Wait for room instead of dropping (a source that is not live: a
    /// replay or a fast simulation is recorded whole).
    lossless: bool,
    /// Set by the recorder when it stops writing.
    stopped: Arc<AtomicBool>,
    /// The recorder's thread, woken after each push.
    recorder: Option<std::thread::Thread>,
}

impl RecordTap {
    /// Copies a popped block (before anything changes it) whose first
    /// sample has source index `first`; the tap keeps the source's indices
    /// (a gap stays a gap), so the recorder knows which clock offset each
    /// sample had. Never allocates; waits for room only when lossless and
    /// the recorder is still writing, else drops and counts what does not
    /// fit.
    pub fn push_block(&mut self, block: &neuroloop_core::SampleBlock, first: u64) {
        let n = block.len();
        let Some(&newest) = block.arrivals().last() else {
            return;
        };
        if first > self.samples.next_index() {
            self.samples.skip(first - self.samples.next_index());
        }
        while self.lossless && self.samples.room() < n && !self.stopped.load(Ordering::Acquire) {
            self.wake();
            std::thread::sleep(ROOM_POLL);
        }
        self.samples.push(block.data(), block.timestamps(), newest);
        // A live tap leaves the recorder to look on its own (every 10 ms),
        // out of step with the pipeline's work; a lossless one wakes it.
        if self.lossless {
            self.wake();
        }
    }

    /// Copies a marker; a full ring drops and counts it.
    pub fn push_marker(&mut self, marker: neuroloop_core::Marker) {
        self.markers.push(marker);
    }

    fn wake(&self) {
        if let Some(thread) = &self.recorder {
            thread.unpark();
        }
    }
}

/// What the recording did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordReport {
    /// The file.
    pub path: String,
    /// Input samples written.
    pub samples: u64,
    /// Input samples the pipeline could not hand over (tap full), never
    /// written.
    pub samples_dropped: u64,
    /// Markers written.
    pub markers: u64,
    /// Markers the tap dropped.
    pub markers_dropped: u64,
    /// Intents and holds written.
    pub intents: u64,
    /// Intents and holds the recorder's queue could not take (the writer
    /// more than 65536 lines behind, or stopped).
    pub intents_dropped: u64,
    /// Samples of the source's aux stream (accelerometer readings)
    /// written.
    pub aux_samples: u64,
    /// Aux samples the source's ring dropped (the recorder fell behind).
    pub aux_dropped: u64,
    /// Clock offsets of the input written (a live LSL source's time
    /// corrections; its timestamps are then recorded raw).
    pub clock_offsets: u64,
    /// Clock offsets the source could not hand over.
    pub clock_offsets_dropped: u64,
    /// Bytes in the file.
    pub bytes: u64,
    /// Why recording stopped early (e.g. the disk is full); the session
    /// went on.
    pub error: Option<String>,
}

/// What a source hands the recorder besides its samples.
#[derive(Default)]
pub struct SourceFeeds {
    /// The source's time corrections (a live LSL input): the input is then
    /// recorded LabRecorder-style, raw timestamps and ClockOffset chunks.
    pub offsets: Option<ClockOffsetReader>,
    /// The source's aux stream (a serial board's accelerometer).
    pub aux: Option<AuxStream>,
}

/// The recorder, started: the pipeline's tap and the writing thread.
pub struct Recorder {
    /// For the pipeline (`Pipeline::record`).
    pub tap: Option<RecordTap>,
    /// For the forwarder: the intents and holds it publishes.
    pub lines: Option<LineFeed>,
    /// Joined at the end of the session.
    pub thread: JoinHandle<RecordReport>,
}

impl Recorder {
    /// Creates the file and starts the writing thread: the `input` stream
    /// with `classes` for its markers and decoder outputs, intents from
    /// the forwarder ([`Recorder::lines`]), and what the source hands over
    /// (`from_source`); the tap holds `ring_samples` samples and, if `lossless`, waits for room
    /// rather than drop.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] naming the file if it cannot be created or its
    /// headers written; [`RuntimeError::Thread`] if the thread cannot start.
    pub fn start(
        plan: &RecordPlan,
        input: &StreamSpec,
        classes: &[String],
        ring_samples: usize,
        lossless: bool,
        from_source: SourceFeeds,
    ) -> Result<Self, RuntimeError> {
        let SourceFeeds { offsets, aux } = from_source;
        let mut file = streams::RecordFile::create(plan, input, classes)?;
        let aux = aux
            .map(|stream| aux_stream::AuxFeed::start(stream, &mut file.xdf))
            .transpose()
            .map_err(|e| {
                RuntimeError::Io(std::io::Error::new(
                    e.kind(),
                    format!("recording {}: {e}", plan.path.display()),
                ))
            })?;
        let (samples, sample_reader) = sample_ring(input.channel_count(), ring_samples.max(1));
        let (markers, marker_reader) = marker_ring(MARKER_QUEUE);
        let stopped = Arc::new(AtomicBool::new(false));
        let (feed, lines, lines_dropped) = LineFeed::new();
        let inputs = writer_thread::Inputs {
            samples: sample_reader,
            markers: marker_reader,
            clock: input_clock::InputClock::new(offsets),
            lines,
            lines_dropped,
            flush_s: plan.flush_s,
            stopped: Arc::clone(&stopped),
            aux,
        };
        let thread = std::thread::Builder::new()
            .name("neuroloop-recorder".into())
            .spawn(move || writer_thread::run(file, inputs))
            .map_err(|_| RuntimeError::Thread("recorder"))?;
        tracing::info!(path = %plan.path.display(), "recording the session");
        let tap = RecordTap {
            samples,
            markers,
            lossless,
            stopped,
            recorder: Some(thread.thread().clone()),
        };
        Ok(Self {
            tap: Some(tap),
            lines: Some(feed),
            thread,
        })
    }
}
