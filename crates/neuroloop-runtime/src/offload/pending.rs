//! The queue entries of [`super::DeviceOffload`]: a decision waiting for
//! its turn, and how it becomes an intent.

use neuroloop_core::{HoldReason, Intent, MAX_CLASSES, clock};

use crate::pipeline::BlockTimes;
use crate::policy::{IntentPolicy, is_distribution};
use crate::stats::PipelineStats;

/// A decision waiting for its turn.
pub(super) struct Pending {
    pub(super) index: u64,
    pub(super) newest_time: f64,
    pub(super) arrival: f64,
    pub(super) stamps: BlockTimes,
    pub(super) label: Option<usize>,
    pub(super) what: What,
}

/// What a pending decision is.
pub(super) enum What {
    /// Decided already.
    Ready(Intent),
    /// On the worker since `submitted`.
    Device {
        seq: u64,
        submitted: f64,
        result: Option<([f32; MAX_CLASSES], bool, f64)>,
    },
}

impl Pending {
    /// The intent of a settled decision; `deadline_s` applies unless
    /// `wait`.
    pub(super) fn settle(
        self,
        (wait, deadline_s): (bool, f64),
        policy: &mut IntentPolicy,
        stats: &PipelineStats,
        n_classes: usize,
    ) -> Intent {
        let (submitted, result) = match self.what {
            What::Ready(intent) => return intent,
            What::Device {
                submitted, result, ..
            } => (submitted, result),
        };
        let late_hold = |policy: &mut IntentPolicy| {
            PipelineStats::add(&stats.device.late, 1);
            policy.reset();
            policy.hold(HoldReason::Late, self.index, self.newest_time)
        };
        let (mut intent, done_at) = match result {
            Some((_, _, done_at)) if !wait && done_at > submitted + deadline_s => {
                (late_hold(policy), done_at)
            }
            Some((probabilities, true, done_at))
                if !is_distribution(&probabilities[..n_classes]) =>
            {
                PipelineStats::add(&stats.artifact.decoder_rejections, 1);
                policy.reset();
                let hold = policy.hold(HoldReason::DecoderError, self.index, self.newest_time);
                (hold, done_at)
            }
            Some((probabilities, true, done_at)) => (
                crate::pipeline::on_probabilities(
                    &probabilities[..n_classes],
                    self.index,
                    self.newest_time,
                    self.label,
                    policy,
                    stats,
                ),
                done_at,
            ),
            Some((_, false, done_at)) => {
                PipelineStats::add(&stats.decode_errors, 1);
                policy.reset();
                let hold = policy.hold(HoldReason::DecoderError, self.index, self.newest_time);
                (hold, done_at)
            }
            None => (late_hold(policy), clock::now()),
        };
        intent.times.arrival = self.arrival;
        // A head settled early to make room has no submission time left
        // (made −∞ to force it late): its decode stage is then empty.
        intent.times.decode_start = if submitted.is_finite() {
            submitted
        } else {
            done_at
        };
        intent.times.decode_end = done_at;
        self.stamps.stamp(intent)
    }
}
