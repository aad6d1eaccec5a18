//! Running an LSL source on its own thread into a ring, and the real
//! pipeline step over that ring.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use neuroloop_core::markers::{MarkerReader, marker_ring};
use neuroloop_core::ring::{RingReader, sample_ring};
use neuroloop_core::{ChannelSpec, HoldReason, Intent, IntentKind, SampleBlock, StreamSpec};
use neuroloop_dsp::{ArtifactConfig, FilterChain, WindowAssembler};
use neuroloop_runtime::decoding::{CalibrationSet, DecoderSlot};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_sources::lsl::LslSource;
use neuroloop_sources::{Source, SourceError, SourceIo, SourceReport};

/// A source running on its thread.
pub struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<SourceReport, SourceError>>,
}

impl Running {
    /// Starts `source` pushing into a new ring of `capacity` samples.
    pub fn start(source: LslSource, capacity: usize) -> (Self, RingReader) {
        let (running, reader, _) = Self::start_marked(source, capacity);
        (running, reader)
    }

    /// As [`Self::start`], with a marker ring too.
    pub fn start_marked(
        mut source: LslSource,
        capacity: usize,
    ) -> (Self, RingReader, MarkerReader) {
        let ch = source.spec().channel_count();
        let (writer, reader) = sample_ring(ch, capacity);
        let (marker_writer, markers) = marker_ring(64);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let io = SourceIo {
                samples: writer,
                markers: Some(marker_writer),
                notify: None,
            };
            source.run(io, &thread_stop)
        });
        (Self { stop, thread }, reader, markers)
    }

    /// Whether the source thread has ended by itself.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Stops the source and returns what it returned.
    pub fn join(self) -> Result<SourceReport, SourceError> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("source thread")
    }

    /// Stops the source and returns its report.
    pub fn finish(self) -> SourceReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .expect("source thread")
            .expect("source ran")
    }
}

/// Pops everything until `samples` samples came or `timeout` passed;
/// returns (values, timestamps, gaps as (samples before, missing)).
pub fn collect(
    reader: &mut RingReader,
    ch: usize,
    samples: usize,
    timeout: Duration,
) -> (Vec<f32>, Vec<f64>, Vec<(usize, u64)>) {
    let mut block = SampleBlock::with_capacity(ch, 256);
    let (mut data, mut times, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
    let deadline = Instant::now() + timeout;
    while times.len() < samples && Instant::now() < deadline {
        let popped = reader.pop_into(&mut block);
        if let Some(g) = popped.gap {
            gaps.push((times.len(), g.count));
        }
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        data.extend_from_slice(block.data());
        times.extend_from_slice(block.timestamps());
    }
    (data, times, gaps)
}

/// The real pipeline step over `reader` (no filters, calibrating all
/// along), the intents it sends, and the trainer's channel ends (kept
/// open while the pipeline runs).
pub fn pipeline(
    reader: RingReader,
    ch: usize,
) -> (Pipeline, Receiver<Intent>, Box<dyn std::any::Any>) {
    let (intent_tx, intents) = crossbeam_channel::bounded(4096);
    let (calib_tx, calib_rx) = crossbeam_channel::bounded(1);
    let (decoder_tx, decoder_rx) = crossbeam_channel::bounded(1);
    let pipeline = Pipeline {
        reader,
        markers: None,
        block: SampleBlock::with_capacity(ch, 256),
        artifacts: ArtifactConfig::default()
            .build(
                &StreamSpec {
                    name: "lsl".into(),
                    channels: (0..ch).map(|i| ChannelSpec::eeg(format!("E{i}"))).collect(),
                    sample_rate: 250.0,
                    block_size: 10,
                },
                256,
            )
            .expect("artifact detector"),
        chain: FilterChain::new(Vec::new()),
        windows: neuroloop_runtime::windowing::Windowing::Hop(
            WindowAssembler::new(ch, 50, 25).expect("assembler"),
        ),
        labels: LabelTimeline::new(16, 0.5),
        decoder: DecoderSlot::calibrating(
            CalibrationSet::with_capacity(4, ch * 50),
            1000.0,
            calib_tx,
            decoder_rx,
            false,
        ),
        policy: IntentPolicy::new(2, 5, 0.7, 0.3),
        intents: intent_tx,
        stats: Arc::new(PipelineStats::default()),
        n_classes: 2,
        filtered: None,
        record: None,
        offload: None,
        stage_timing: true,
    };
    (pipeline, intents, Box::new((calib_rx, decoder_tx)))
}

/// What pipeline steps produced.
#[derive(Default)]
pub struct Steps {
    /// Sample values, in order.
    pub data: Vec<f32>,
    /// (samples before the gap, missing samples) of each gap.
    pub gaps: Vec<(usize, u64)>,
    /// Arrival times of `signal_loss` holds.
    pub signal_loss: Vec<f64>,
    /// Arrival of the newest sample taken when each `signal_loss` hold came.
    pub newest_at_hold: Vec<f64>,
    /// Arrival of the newest sample taken.
    pub newest_arrival: f64,
}

impl Steps {
    /// One pipeline step; sleeps a little when idle.
    pub fn step(&mut self, pipeline: &mut Pipeline, intents: &Receiver<Intent>) {
        let ch = pipeline.block.channels();
        let before = pipeline.stats.snapshot();
        let step = pipeline.step();
        let after = pipeline.stats.snapshot();
        if after.gaps > before.gaps {
            self.gaps
                .push((self.data.len() / ch, after.gap_samples - before.gap_samples));
        }
        if let Step::Worked(_) = step {
            self.data.extend_from_slice(pipeline.block.data());
            if let Some(&newest) = pipeline.block.arrivals().last() {
                self.newest_arrival = newest;
            }
        }
        for intent in intents.try_iter() {
            if intent.kind == IntentKind::Hold && intent.hold_reason == HoldReason::SignalLoss {
                self.signal_loss.push(intent.times.arrival);
                self.newest_at_hold.push(self.newest_arrival);
            }
        }
        if step == Step::Idle {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
