//! The intent policy: class probabilities → intent.
//!
//! 1. Smoothing: the mean of the last `smoothing` probability vectors.
//! 2. Threshold: the most probable class must reach `threshold`, else the
//!    intent holds ([`HoldReason::LowConfidence`]).
//! 3. Dwell: the same class must stay above threshold for `dwell_s` seconds
//!    (of sample time) before it is issued; until then it holds
//!    ([`HoldReason::Dwell`]).
//!
//! [`IntentPolicy::reset`] forgets history after a gap or artifact. No
//! allocation after construction. [`is_distribution`] is the check every
//! decoder output passes before it reaches the policy.

use neuroloop_core::{HoldReason, Intent, IntentKind, IntentTimes, MAX_CLASSES};

use crate::config::MAX_SMOOTHING;

/// How far the sum of a decoder's probabilities may be from 1.
pub const PROBABILITY_SUM_TOLERANCE: f32 = 1e-3;

/// Whether `p` is a probability distribution: every value finite and in
/// [0, 1], the sum within [`PROBABILITY_SUM_TOLERANCE`] of 1, at least one
/// class.
#[must_use]
pub fn is_distribution(p: &[f32]) -> bool {
    let in_range = p.iter().all(|v| (0.0..=1.0).contains(v));
    let sum: f32 = p.iter().sum();
    !p.is_empty() && in_range && (sum - 1.0).abs() <= PROBABILITY_SUM_TOLERANCE
}

/// Smoothing, threshold and dwell state.
#[derive(Debug, Clone)]
pub struct IntentPolicy {
    n_classes: usize,
    smoothing: usize,
    threshold: f32,
    dwell_s: f64,
    history: [[f32; MAX_CLASSES]; MAX_SMOOTHING],
    filled: usize,
    next: usize,
    candidate: Option<(u8, f64)>,
}

impl IntentPolicy {
    /// A policy for `n_classes` classes (clamped to the supported ranges).
    #[must_use]
    pub fn new(n_classes: usize, smoothing: usize, threshold: f32, dwell_s: f64) -> Self {
        Self {
            n_classes: n_classes.clamp(1, MAX_CLASSES),
            smoothing: smoothing.clamp(1, MAX_SMOOTHING),
            threshold,
            dwell_s,
            history: [[0.0; MAX_CLASSES]; MAX_SMOOTHING],
            filled: 0,
            next: 0,
            candidate: None,
        }
    }

    /// Forgets all history.
    pub fn reset(&mut self) {
        self.filled = 0;
        self.next = 0;
        self.candidate = None;
    }

    /// Feeds the decoder's probabilities for the window ending at `time`
    /// and returns the intent (timestamps other than `sample_time` are left
    /// for the caller).
    pub fn update(&mut self, probabilities: &[f32], window: u64, time: f64) -> Intent {
        let n = self.n_classes.min(probabilities.len());
        let slot = &mut self.history[self.next];
        slot[..n].copy_from_slice(&probabilities[..n]);
        self.next = (self.next + 1) % self.smoothing;
        self.filled = (self.filled + 1).min(self.smoothing);

        let mut smoothed = [0.0f32; MAX_CLASSES];
        for row in &self.history[..self.filled] {
            for (s, p) in smoothed[..n].iter_mut().zip(row) {
                *s += p;
            }
        }
        let scale = 1.0 / self.filled as f32;
        smoothed[..n].iter_mut().for_each(|s| *s *= scale);
        let (class, confidence) =
            smoothed[..n]
                .iter()
                .enumerate()
                .fold(
                    (0usize, f32::MIN),
                    |best, (i, &p)| if p > best.1 { (i, p) } else { best },
                );
        let class = class as u8;

        let hold_reason = if confidence < self.threshold {
            self.candidate = None;
            HoldReason::LowConfidence
        } else {
            let since = match self.candidate {
                Some((c, since)) if c == class => since,
                _ => {
                    self.candidate = Some((class, time));
                    time
                }
            };
            if time - since + 1e-9 >= self.dwell_s {
                HoldReason::None
            } else {
                HoldReason::Dwell
            }
        };
        Intent {
            window,
            kind: if hold_reason == HoldReason::None {
                IntentKind::Class
            } else {
                IntentKind::Hold
            },
            hold_reason,
            class,
            confidence,
            probabilities: smoothed,
            n_classes: n as u8,
            times: IntentTimes {
                sample_time: time,
                ..IntentTimes::default()
            },
        }
    }

    /// An explicit hold carrying no probabilities, e.g. on signal loss.
    #[must_use]
    pub fn hold(&self, reason: HoldReason, window: u64, time: f64) -> Intent {
        Intent {
            window,
            kind: IntentKind::Hold,
            hold_reason: reason,
            class: 0,
            confidence: 0.0,
            probabilities: [0.0; MAX_CLASSES],
            n_classes: self.n_classes as u8,
            times: IntentTimes {
                sample_time: time,
                ..IntentTimes::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooths_over_k_windows() {
        let mut p = IntentPolicy::new(2, 2, 0.5, 0.0);
        p.update(&[1.0, 0.0], 0, 0.0);
        let i = p.update(&[0.0, 1.0], 1, 0.1);
        assert_eq!(i.probabilities(), &[0.5, 0.5]);
        let i = p.update(&[0.0, 1.0], 2, 0.2);
        assert_eq!(
            i.probabilities(),
            &[0.0, 1.0],
            "oldest window left the average"
        );
        assert_eq!(i.kind, IntentKind::Class);
        assert_eq!(i.class, 1);
    }

    #[test]
    fn holds_below_threshold() {
        let mut p = IntentPolicy::new(2, 1, 0.8, 0.0);
        let i = p.update(&[0.7, 0.3], 0, 0.0);
        assert_eq!(
            (i.kind, i.hold_reason),
            (IntentKind::Hold, HoldReason::LowConfidence)
        );
        assert_eq!(i.class, 0, "still names the most probable class");
    }

    #[test]
    fn dwell_delays_a_new_class() {
        let mut p = IntentPolicy::new(2, 1, 0.6, 0.3);
        let seq = [
            (0.0, [0.9, 0.1]),
            (0.1, [0.9, 0.1]),
            (0.2, [0.9, 0.1]),
            (0.3, [0.9, 0.1]),
            (0.4, [0.1, 0.9]),
        ];
        let kinds: Vec<(IntentKind, u8)> = seq
            .iter()
            .enumerate()
            .map(|(w, (t, pr))| {
                let i = p.update(pr, w as u64, *t);
                (i.kind, i.class)
            })
            .collect();
        assert_eq!(kinds[..3], [(IntentKind::Hold, 0); 3]);
        assert_eq!(kinds[3], (IntentKind::Class, 0), "0.3 s of dwell reached");
        assert_eq!(
            kinds[4],
            (IntentKind::Hold, 1),
            "a new class restarts the dwell"
        );
    }

    #[test]
    fn only_distributions_pass() {
        assert!(is_distribution(&[0.25, 0.75]));
        assert!(is_distribution(&[1.0, 0.0, 0.0]));
        assert!(
            is_distribution(&[0.5, 0.5 + 0.9e-3]),
            "within the tolerance"
        );
        for bad in [
            &[f32::NAN, 1.0][..],
            &[f32::INFINITY, 0.0],
            &[0.5, 0.6],
            &[1.5, -0.5],
            &[f32::MIN, 1.0],
            &[0.4, 0.4],
            &[],
        ] {
            assert!(!is_distribution(bad), "{bad:?}");
        }
    }

    #[test]
    fn reset_forgets_history() {
        let mut p = IntentPolicy::new(2, 4, 0.5, 0.0);
        p.update(&[1.0, 0.0], 0, 0.0);
        p.reset();
        let i = p.update(&[0.2, 0.8], 1, 0.1);
        assert_eq!(i.probabilities(), &[0.2, 0.8]);
    }
}
