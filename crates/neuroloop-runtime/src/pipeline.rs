//! The pipeline thread: ring → filters → windows → decoder → policy → intents.
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
use neuroloop_core::{HoldReason, Intent, MAX_CLASSES, SampleBlock, Window, clock};
use neuroloop_dsp::{FilterChain, WindowAssembler};

use crate::decoding::{DecoderSlot, SlotAction};
use crate::labels::LabelTimeline;
use crate::policy::IntentPolicy;
use crate::stats::PipelineStats;

/// Everything the pipeline thread owns, allocated up front.
pub struct Pipeline {
    /// Samples from the source.
    pub reader: RingReader,
    /// Labels/cues from the source, if any.
    pub markers: Option<MarkerReader>,
    /// The reusable block samples are popped into.
    pub block: SampleBlock,
    /// Filters, in place.
    pub chain: FilterChain,
    /// Window assembler.
    pub assembler: WindowAssembler,
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
                self.labels.push(m);
            }
        }
        let popped = self.reader.pop_into(&mut self.block);
        if let Some(gap) = popped.gap {
            self.on_gap(gap);
        }
        if popped.samples == 0 {
            if self.reader.is_finished() {
                return Step::Finished;
            }
            if self.reader.new_stall() {
                self.on_stall();
            }
            return Step::Idle;
        }
        PipelineStats::add(&self.stats.samples, popped.samples as u64);
        self.chain.process(&mut self.block.as_mut());
        if let Some(tap) = &mut self.filtered {
            let newest = self.block.arrivals()[popped.samples - 1];
            tap.push(self.block.data(), self.block.timestamps(), newest);
        }

        let Self {
            block,
            assembler,
            labels,
            decoder,
            policy,
            intents,
            stats,
            n_classes,
            ..
        } = self;
        // The block's shape always matches the assembler (both are built
        // from the same stream spec), so push cannot fail.
        let _ = assembler.push_block(block, |window| {
            PipelineStats::add(&stats.windows, 1);
            let intent = decide(&window, labels, decoder, policy, stats, *n_classes);
            send(intents, stats, intent);
        });
        Step::Worked(popped.samples)
    }

    fn on_gap(&mut self, gap: Gap) {
        PipelineStats::add(&self.stats.gaps, 1);
        PipelineStats::add(&self.stats.gap_samples, gap.count);
        self.chain.reset();
        self.assembler.reset();
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
            .hold(HoldReason::SignalLoss, self.assembler.next_index(), now);
        intent.times.arrival = now;
        send(&self.intents, &self.stats, intent);
    }
}

/// Turns one window into an intent.
fn decide(
    window: &Window<'_>,
    labels: &LabelTimeline,
    decoder: &mut DecoderSlot,
    policy: &mut IntentPolicy,
    stats: &PipelineStats,
    n_classes: usize,
) -> Intent {
    let label = labels.label(window.oldest_time, window.newest_time);
    let (action, collected) = decoder.on_window(window, label);
    if collected {
        PipelineStats::add(&stats.calibration_windows, 1);
    }
    let decode_start = clock::now();
    let mut intent = match action {
        SlotAction::Wait => policy.hold(HoldReason::Calibrating, window.index, window.newest_time),
        SlotAction::Failed => {
            policy.hold(HoldReason::LowConfidence, window.index, window.newest_time)
        }
        SlotAction::Decode(d) => {
            let mut probabilities = [0.0f32; MAX_CLASSES];
            match d.decode(window, &mut probabilities[..n_classes]) {
                Ok(()) => {
                    PipelineStats::add(&stats.decoded, 1);
                    if let Some(truth) = label {
                        PipelineStats::add(&stats.labelled, 1);
                        if argmax(&probabilities[..n_classes]) == truth {
                            PipelineStats::add(&stats.correct, 1);
                        }
                    }
                    policy.update(
                        &probabilities[..n_classes],
                        window.index,
                        window.newest_time,
                    )
                }
                Err(e) if e.is_artifact() => {
                    PipelineStats::add(&stats.artifacts, 1);
                    policy.reset();
                    policy.hold(HoldReason::Artifact, window.index, window.newest_time)
                }
                Err(_) => {
                    PipelineStats::add(&stats.decode_errors, 1);
                    policy.hold(HoldReason::LowConfidence, window.index, window.newest_time)
                }
            }
        }
    };
    intent.times.arrival = window.newest_arrival;
    intent.times.decode_start = decode_start;
    intent.times.decode_end = clock::now();
    intent
}

fn send(intents: &Sender<Intent>, stats: &PipelineStats, intent: Intent) {
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
