//! The pipeline's side of a decoder on a GPU: windows go to the decode
//! worker ([`Handoff`]), and their intents are published, in window
//! order, as the results come back.
//!
//! Every decision of a session with a GPU `device` goes through a queue
//! of pending decisions (preallocated): a window handed to the worker waits
//! there for its result, and any intent decided meanwhile (a hold for an
//! artifact, calibration, signal loss) waits behind it, so intents leave in
//! the order of their windows. The pipeline polls each step; a window
//! whose result has not come back within the deadline (`gpu_deadline_ms`
//! from the hand-off), or came back later than that, is a hold with reason
//! `late` and its result is thrown away: a late result never becomes an
//! intent. A window that finds no free slot is `late` at once.
//!
//! With a source that is not live (`wait`), nothing is late: the pipeline
//! waits for a free slot and for the results (as it waits for the
//! trainer), so such runs are reproducible.

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::Sender;
use neuroloop_core::{HoldReason, Intent, Window, clock};

use crate::decode_worker::Handoff;
use crate::pipeline::BlockTimes;
use crate::policy::IntentPolicy;
use crate::stats::PipelineStats;

/// Decisions waiting to be published at most (windows at the hop rate for
/// the longest deadline, and more); when full, the oldest is settled at
/// once.
const PENDING: usize = 1024;

mod pending;
use pending::{Pending, What};

/// A GPU decoder as the pipeline sees it.
pub struct DeviceOffload {
    handoff: Handoff,
    pending: VecDeque<Pending>,
    deadline_s: f64,
    wait: bool,
    next_seq: u64,
    /// The stamps of the block whose windows are being submitted.
    block: BlockTimes,
}

impl DeviceOffload {
    /// Windows go to `handoff`; results later than `deadline_s` are `late`
    /// unless `wait` (a source that is not live).
    #[must_use]
    pub fn new(handoff: Handoff, deadline_s: f64, wait: bool) -> Self {
        Self {
            handoff,
            pending: VecDeque::with_capacity(PENDING),
            deadline_s,
            wait,
            next_seq: 0,
            block: BlockTimes::default(),
        }
    }

    /// The pipeline took a new block: windows submitted from now on carry
    /// its stamps.
    pub fn on_block(&mut self, stamps: BlockTimes) {
        self.block = stamps;
    }

    /// Whether windows go to the device (`false` once it failed: they are
    /// decoded on the CPU).
    #[must_use]
    pub fn usable(&self) -> bool {
        !self.handoff.failed()
    }

    /// The worker wakes the calling thread when results are ready.
    pub fn wake_this_thread(&self) {
        self.handoff.wake_this_thread();
    }

    /// Hands `window` to the worker; `None` when it went, else the `late`
    /// hold of a window that found no free slot.
    pub fn submit(
        &mut self,
        window: &Window<'_>,
        label: Option<usize>,
        policy: &mut IntentPolicy,
        intents: &Sender<Intent>,
        stats: &PipelineStats,
        n_classes: usize,
    ) -> Option<Intent> {
        let mut slot = self.handoff.take_slot();
        while slot.is_none() && self.wait {
            self.poll();
            std::thread::park_timeout(Duration::from_millis(1));
            slot = self.handoff.take_slot();
        }
        let mut job = match slot {
            Some(job) if job.data.len() == window.data.len() => job,
            other => {
                if let Some(job) = other {
                    self.handoff.recycle(job);
                }
                PipelineStats::add(&stats.device.late, 1);
                PipelineStats::add(&stats.device.no_slot, 1);
                policy.reset();
                let mut hold = policy.hold(HoldReason::Late, window.index, window.newest_time);
                hold.times.arrival = window.newest_arrival;
                let now = clock::now();
                (hold.times.decode_start, hold.times.decode_end) = (now, now);
                // The caller stamps the block's times and `decided`.
                return Some(hold);
            }
        };
        self.next_seq += 1;
        job.seq = self.next_seq;
        job.data.copy_from_slice(window.data);
        self.make_room(policy, intents, stats, n_classes);
        self.pending.push_back(Pending {
            index: window.index,
            newest_time: window.newest_time,
            arrival: window.newest_arrival,
            stamps: self.block,
            label,
            what: What::Device {
                seq: job.seq,
                submitted: clock::now(),
                result: None,
            },
        });
        PipelineStats::add(&stats.device.offloaded, 1);
        self.handoff.submit(job);
        None
    }

    /// Windows on the worker (including results not yet taken back, and
    /// those of windows already settled as late).
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.handoff.in_flight()
    }

    /// Whether a decision is waiting (then a new one must queue behind it).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Queues an intent decided without the device behind the pending ones.
    pub fn queue(
        &mut self,
        intent: Intent,
        policy: &mut IntentPolicy,
        intents: &Sender<Intent>,
        stats: &PipelineStats,
        n_classes: usize,
    ) {
        self.make_room(policy, intents, stats, n_classes);
        self.pending.push_back(Pending {
            index: intent.window,
            newest_time: intent.times.sample_time,
            arrival: intent.times.arrival,
            // Unused: a ready intent is stamped already.
            stamps: BlockTimes {
                wake: intent.times.wake,
                filtered: intent.times.filtered,
                timing: false,
            },
            label: None,
            what: What::Ready(intent),
        });
    }

    /// Takes the results back, then publishes every decision at the head of
    /// the queue that is settled: decided, decoded, or past its deadline.
    pub fn flush(
        &mut self,
        policy: &mut IntentPolicy,
        intents: &Sender<Intent>,
        stats: &PipelineStats,
        n_classes: usize,
    ) {
        self.poll();
        let now = clock::now();
        while let Some(head) = self.pending.front() {
            let overdue = match head.what {
                What::Device {
                    submitted,
                    result: None,
                    ..
                } => !self.wait && now > submitted + self.deadline_s,
                _ => true,
            };
            if !overdue {
                break;
            }
            if let Some(p) = self.pending.pop_front() {
                let intent = p.settle((self.wait, self.deadline_s), policy, stats, n_classes);
                crate::pipeline::send(intents, stats, intent);
            }
        }
    }

    /// Flushes until nothing is pending (the session's end).
    pub fn drain(
        &mut self,
        policy: &mut IntentPolicy,
        intents: &Sender<Intent>,
        stats: &PipelineStats,
        n_classes: usize,
    ) {
        loop {
            self.flush(policy, intents, stats, n_classes);
            if self.pending.is_empty() {
                return;
            }
            std::thread::park_timeout(Duration::from_millis(1));
        }
    }

    /// Copies each result the worker returned into its pending decision (a
    /// window already settled as late ignores it) and frees the slot.
    fn poll(&mut self) {
        while let Some(job) = self.handoff.poll() {
            let found = self.pending.iter_mut().find_map(|p| match &mut p.what {
                What::Device { seq, result, .. } if *seq == job.seq => Some(result),
                _ => None,
            });
            if let Some(result) = found {
                *result = Some((job.probabilities, job.decoded, job.done_at));
            }
            self.handoff.recycle(job);
        }
    }

    /// Keeps one place free in the queue: when it is full, the oldest
    /// decision is published now (as `late` if still on the worker).
    fn make_room(
        &mut self,
        policy: &mut IntentPolicy,
        intents: &Sender<Intent>,
        stats: &PipelineStats,
        n_classes: usize,
    ) {
        if self.pending.len() < PENDING {
            return;
        }
        if let Some(mut head) = self.pending.pop_front() {
            if let What::Device { submitted, .. } = &mut head.what {
                *submitted = f64::NEG_INFINITY;
            }
            let intent = head.settle((self.wait, self.deadline_s), policy, stats, n_classes);
            crate::pipeline::send(intents, stats, intent);
        }
    }
}
