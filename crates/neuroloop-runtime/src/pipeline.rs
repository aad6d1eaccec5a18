//! The pipeline thread: ring → artifacts → filters → windows → decoder →
//! policy → intents.
//!
//! Artifacts: every block is scanned by the [`ArtifactDetector`] before the
//! filters. Unusable values (non-finite, railed, above the amplitude limit)
//! are replaced by their channel's last good value, so garbage never enters
//! a filter state or the common average, and the filter chain restarts from
//! rest right after the last artifact sample of every block. A window
//! touching an artifact sample, or beginning less than the settling time
//! after one, is not decoded and not collected for calibration: it is a
//! hold with reason `artifact`, and the policy's history is forgotten. The
//! first window decoded after an artifact is a whole clean window past the
//! settling time, so ringing cannot produce intents. A decoder output that is
//! not a probability distribution is a hold with reason `decoder_error`.
//!
//! Windows come at a fixed hop or, with `windows = "events"`, one per
//! selected marker ([`Windowing`]): each event window is decided once, so
//! every event gets exactly one intent or hold.
//!
//! One [`Pipeline`] per session, on a dedicated OS thread. Once built (every
//! buffer allocated up front) it does not allocate, lock, log or await: samples come
//! from the lock-free ring, intents leave through a bounded crossbeam
//! channel (`try_send`; a full queue is counted, never waited on), and
//! everything worth knowing is counted in [`PipelineStats`].

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Sender;
use neuroloop_core::markers::MarkerReader;
use neuroloop_core::ring::{Gap, RingReader, RingWriter};
use neuroloop_core::{
    BlockMut, HoldReason, Intent, IntentTimes, MAX_CLASSES, SampleBlock, Window, clock,
};
use neuroloop_dsp::{ArtifactDetector, ArtifactReasons, FilterChain};

use crate::decoding::{DecoderSlot, SlotAction};
use crate::labels::LabelTimeline;
use crate::offload::DeviceOffload;
use crate::policy::{IntentPolicy, is_distribution};
use crate::stats::PipelineStats;
use crate::windowing::Windowing;

/// Everything the pipeline thread owns, allocated up front.
pub struct Pipeline {
    /// Samples from the source.
    pub reader: RingReader,
    /// Labels/cues from the source, if any.
    pub markers: Option<MarkerReader>,
    /// The reusable block samples are popped into.
    pub block: SampleBlock,
    /// Artifact detection, before the filters.
    pub artifacts: ArtifactDetector,
    /// Filters, in place.
    pub chain: FilterChain,
    /// Windows at a fixed hop or locked to markers.
    pub windows: Windowing,
    /// Recent markers for labelling windows.
    pub labels: LabelTimeline,
    /// Calibrate / train / decode.
    pub decoder: DecoderSlot,
    /// Probabilities → intents.
    pub policy: IntentPolicy,
    /// To the publisher.
    pub intents: Sender<Intent>,
    /// Counters.
    pub stats: Arc<PipelineStats>,
    /// Number of classes.
    pub n_classes: usize,
    /// Where each filtered block is copied (`[lsl] filtered_outlet`): a
    /// lock-free ring that drops and counts what does not fit.
    pub filtered: Option<RingWriter>,
    /// Where each raw block and marker is copied for the recording
    /// (`[record]`): lock-free rings that drop and count what does not fit.
    pub record: Option<crate::recorder::RecordTap>,
    /// With a GPU `[decoder] device` (`"wgpu"`, `"cuda"`): the hand-off to the decode worker
    /// (see [`crate::offload`]); `None` decodes on this thread.
    pub offload: Option<DeviceOffload>,
    /// Whether each window's per-stage times are stamped (`wake`,
    /// `filtered`, `decided`: three clock reads per window); on in every
    /// session, off only to measure what the stamps cost.
    pub stage_timing: bool,
}

/// What one [`Pipeline::step`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Processed this many samples.
    Worked(usize),
    /// Nothing was waiting.
    Idle,
    /// The source ended and the ring is drained.
    Finished,
}

impl Pipeline {
    /// Runs until the source ends and the ring is drained, sleeping (parked)
    /// while idle; sources unpark this thread after each push.
    pub fn run(&mut self) {
        if let Some(offload) = &self.offload {
            offload.wake_this_thread();
        }
        loop {
            match self.step() {
                Step::Worked(_) => {}
                Step::Idle => std::thread::park_timeout(Duration::from_millis(5)),
                Step::Finished => break,
            }
        }
    }

    /// Takes what is waiting in the ring (up to one block) and processes it.
    pub fn step(&mut self) -> Step {
        if let Some(markers) = &mut self.markers {
            while let Some(m) = markers.pop() {
                if let Some(record) = &mut self.record {
                    record.push_marker(m);
                }
                self.windows.on_marker(m, &mut self.labels, &self.stats);
            }
        }
        let expected = self.reader.expected_index();
        let popped = self.reader.pop_into(&mut self.block);
        let woken = BlockTimes::woken(self.stage_timing);
        if let Some(gap) = popped.gap {
            self.on_gap(gap);
        }
        if popped.samples == 0 {
            if self.reader.is_finished() {
                self.windows.finish();
                self.count_events();
                if let Some(offload) = &mut self.offload {
                    offload.drain(&mut self.policy, &self.intents, &self.stats, self.n_classes);
                }
                return Step::Finished;
            }
            if self.reader.new_stall() {
                self.on_stall();
            }
            self.flush_offload();
            return Step::Idle;
        }
        PipelineStats::add(&self.stats.samples, popped.samples as u64);
        if let Some(record) = &mut self.record {
            record.push_block(&self.block, popped.first_index(expected));
        }
        self.clean_and_filter();
        let stamps = woken.filtered();
        if let Some(tap) = &mut self.filtered {
            let newest = self.block.arrivals()[popped.samples - 1];
            tap.push(self.block.data(), self.block.timestamps(), newest);
        }
        if let Some(offload) = &mut self.offload {
            offload.on_block(stamps);
        }
        self.decide_windows(stamps);
        self.flush_offload();
        self.count_events();
        Step::Worked(popped.samples)
    }

    /// Publishes the GPU decisions that are settled (no-op on the CPU).
    fn flush_offload(&mut self) {
        if let Some(offload) = &mut self.offload {
            offload.flush(&mut self.policy, &self.intents, &self.stats, self.n_classes);
        }
    }

    /// Artifact detection, then the filters in place; the filters restart
    /// from rest right after the block's last artifact sample.
    fn clean_and_filter(&mut self) {
        let found = self.artifacts.scan(&mut self.block.as_mut());
        let Some(last) = found.last else {
            self.chain.process(&mut self.block.as_mut());
            return;
        };
        self.stats.artifact.count_block(&found);
        let block = self.block.as_mut();
        let channels = block.channels;
        let (head, tail) = block.data.split_at_mut((last + 1) * channels);
        let (head_t, tail_t) = block.timestamps.split_at(last + 1);
        self.chain.process(&mut BlockMut {
            channels,
            data: head,
            timestamps: head_t,
        });
        self.chain.reset();
        if !tail_t.is_empty() {
            self.chain.process(&mut BlockMut {
                channels,
                data: tail,
                timestamps: tail_t,
            });
        }
    }

    /// Cuts the windows the filtered block completes, labels each (never
    /// an artifact window), decides it and sends the intent. The block's
    /// `stamps` are the `wake` and `filtered` times of every window it
    /// completes (its newest sample is in the block, except an event
    /// window that a late marker completes from samples already there).
    fn decide_windows(&mut self, stamps: BlockTimes) {
        let Self {
            block,
            artifacts,
            windows,
            labels,
            decoder,
            policy,
            intents,
            stats,
            n_classes,
            offload,
            ..
        } = self;
        windows.push_block(block, |window, cut| {
            PipelineStats::add(&stats.windows, 1);
            let touched = artifacts.window_reasons(cut.position, cut.reach);
            let label = if !touched.is_empty() {
                None
            } else if cut.class.is_some() {
                cut.class.filter(|&c| c < *n_classes)
            } else {
                labels.label(window.oldest_time, window.newest_time)
            };
            let Some(offload) = offload.as_mut() else {
                let slot = decoder.on_window(window, label);
                let intent = decided(window, touched, label, slot, policy, stats, *n_classes);
                send(intents, stats, stamps.stamp(intent));
                return;
            };
            let (action, collected) = decoder.on_window(window, label);
            let to_device = matches!(action, SlotAction::Decode(_)) && touched.is_empty();
            let decision = if to_device && offload.usable() {
                offload.submit(window, label, policy, intents, stats, *n_classes)
            } else {
                if to_device {
                    // The device failed: the CPU form of the same weights.
                    PipelineStats::add(&stats.device.cpu_fallbacks, 1);
                }
                let slot = (action, collected);
                Some(decided(
                    window, touched, label, slot, policy, stats, *n_classes,
                ))
            }
            .map(|intent| stamps.stamp(intent));
            match decision {
                Some(intent) if offload.is_busy() => {
                    offload.queue(intent, policy, intents, stats, *n_classes);
                }
                Some(intent) => send(intents, stats, intent),
                None => {}
            }
        });
    }

    /// Copies the event windows' counters into the stats (event mode).
    fn count_events(&self) {
        if let Some(counts) = self.windows.counts() {
            self.stats.events.set(counts);
        }
    }

    fn on_gap(&mut self, gap: Gap) {
        PipelineStats::add(&self.stats.gaps, 1);
        PipelineStats::add(&self.stats.gap_samples, gap.count);
        self.artifacts.reset();
        self.chain.reset();
        self.windows.reset();
        self.hold_for_signal_loss();
    }

    /// The source reported a stall (no sample for its stall time) and the
    /// ring is empty: actuators hold now, not when data returns. The hold's
    /// sample time and arrival are `clock::now()` (there is no sample), as
    /// for a gap. Filters and assembler keep their state until data resumes
    /// (the missing samples then arrive as a gap, which resets them).
    fn on_stall(&mut self) {
        PipelineStats::add(&self.stats.stalls, 1);
        self.hold_for_signal_loss();
    }

    /// Forgets the policy's history and sends a `signal_loss` hold stamped
    /// `clock::now()` (there is no sample to take times from).
    fn hold_for_signal_loss(&mut self) {
        self.policy.reset();
        let now = clock::now();
        let mut intent = self
            .policy
            .hold(HoldReason::SignalLoss, self.windows.next_index(), now);
        intent.times = IntentTimes::all_at(now);
        match &mut self.offload {
            Some(offload) if offload.is_busy() => {
                offload.queue(
                    intent,
                    &mut self.policy,
                    &self.intents,
                    &self.stats,
                    self.n_classes,
                );
            }
            _ => send(&self.intents, &self.stats, intent),
        }
    }
}

/// When the pipeline thread took a block out of the ring (`wake`) and when
/// artifact detection and the filters were done with it (`filtered`);
/// NaN, and no clock read, without stage timing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BlockTimes {
    /// When the block was taken out of the ring.
    pub wake: f64,
    /// When the filters were done with it.
    pub filtered: f64,
    /// Whether the stages are timed (see [`Pipeline::stage_timing`]).
    pub timing: bool,
}

impl BlockTimes {
    /// A block just taken out of the ring.
    #[must_use]
    pub(crate) fn woken(timing: bool) -> Self {
        Self {
            wake: if timing { clock::now() } else { f64::NAN },
            filtered: f64::NAN,
            timing,
        }
    }

    /// The block once the filters are done with it.
    #[must_use]
    pub(crate) fn filtered(mut self) -> Self {
        if self.timing {
            self.filtered = clock::now();
        }
        self
    }

    /// Writes the block's stamps into the intent of a window it completed,
    /// and the time the window was decided (now).
    #[must_use]
    pub(crate) fn stamp(self, mut intent: Intent) -> Intent {
        intent.times.wake = self.wake;
        intent.times.filtered = self.filtered;
        intent.times.decided = if self.timing { clock::now() } else { f64::NAN };
        intent
    }
}

/// What became of a window before the policy saw it.
enum Outcome {
    Artifact,
    Calibrating,
    NoDecoder,
    Decoded(Result<(), neuroloop_decode::DecodeError>),
}

/// Turns one window into an intent, once the slot has said what to do with
/// it (the slot also sees artifact windows, unlabelled, to keep its
/// calibration schedule); `touched` are the artifacts the window touches,
/// `label` its true class if known (never for artifact windows). Stamps
/// the arrival and the decode's start and end; the caller adds the block's
/// times and the decision's ([`BlockTimes::stamp`]).
fn decided(
    window: &Window<'_>,
    touched: ArtifactReasons,
    label: Option<usize>,
    (action, collected): (SlotAction<'_>, bool),
    policy: &mut IntentPolicy,
    stats: &PipelineStats,
    n_classes: usize,
) -> Intent {
    let clean = touched.is_empty();
    if collected {
        PipelineStats::add(&stats.calibration_windows, 1);
    }
    let decode_start = clock::now();
    let mut probabilities = [0.0f32; MAX_CLASSES];
    let outcome = match action {
        _ if !clean => Outcome::Artifact,
        SlotAction::Wait => Outcome::Calibrating,
        SlotAction::Failed => Outcome::NoDecoder,
        SlotAction::Decode(d) => {
            Outcome::Decoded(d.decode(window, &mut probabilities[..n_classes]))
        }
    };
    let decode_end = clock::now();
    let (index, time) = (window.index, window.newest_time);
    let mut intent = match outcome {
        Outcome::Artifact => {
            stats.artifact.count_window(touched);
            PipelineStats::add(&stats.artifacts, 1);
            policy.reset();
            policy.hold(HoldReason::Artifact, index, time)
        }
        Outcome::Calibrating => policy.hold(HoldReason::Calibrating, index, time),
        Outcome::NoDecoder => policy.hold(HoldReason::LowConfidence, index, time),
        Outcome::Decoded(Ok(())) if !is_distribution(&probabilities[..n_classes]) => {
            PipelineStats::add(&stats.artifact.decoder_rejections, 1);
            policy.reset();
            policy.hold(HoldReason::DecoderError, index, time)
        }
        Outcome::Decoded(Ok(())) => {
            let p = &probabilities[..n_classes];
            on_probabilities(p, index, time, label, policy, stats)
        }
        Outcome::Decoded(Err(e)) if e.is_artifact() => {
            PipelineStats::add(&stats.artifacts, 1);
            policy.reset();
            policy.hold(HoldReason::Artifact, index, time)
        }
        Outcome::Decoded(Err(_)) => {
            PipelineStats::add(&stats.decode_errors, 1);
            policy.reset();
            policy.hold(HoldReason::DecoderError, index, time)
        }
    };
    intent.times.arrival = window.newest_arrival;
    intent.times.decode_start = decode_start;
    intent.times.decode_end = decode_end;
    intent
}

/// The intent of a window the decoder gave `probabilities` for (a
/// distribution, checked), counting it decoded and, with a `label`,
/// whether it was right.
pub(crate) fn on_probabilities(
    probabilities: &[f32],
    index: u64,
    newest_time: f64,
    label: Option<usize>,
    policy: &mut IntentPolicy,
    stats: &PipelineStats,
) -> Intent {
    PipelineStats::add(&stats.decoded, 1);
    if let Some(truth) = label {
        PipelineStats::add(&stats.labelled, 1);
        if argmax(probabilities) == truth {
            PipelineStats::add(&stats.correct, 1);
        }
    }
    policy.update(probabilities, index, newest_time)
}

/// Hands an intent to the forwarder; a full queue is counted.
pub(crate) fn send(intents: &Sender<Intent>, stats: &PipelineStats, intent: Intent) {
    if intents.try_send(intent).is_ok() {
        PipelineStats::add(&stats.intents, 1);
    } else {
        PipelineStats::add(&stats.intents_dropped, 1);
    }
}

fn argmax(p: &[f32]) -> usize {
    p.iter()
        .enumerate()
        .fold(
            (0, f32::MIN),
            |best, (i, &v)| if v > best.1 { (i, v) } else { best },
        )
        .0
}
