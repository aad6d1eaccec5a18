//! The trial schedule of a scripted paradigm: rest, cue, task, rest, …
//!
//! Classes come in shuffled blocks (each class once per block), so any
//! stretch of the session is close to balanced. Events are reported as
//! `(sample index, code)`, with code = class index at task onset and
//! [`Marker::REST`] at task end.

use neuroloop_core::Marker;

use super::rng::Rng;

/// Walks the schedule one sample at a time.
#[derive(Debug, Clone)]
pub struct Schedule {
    n_classes: usize,
    trial_samples: u64,
    rest_samples: u64,
    order: [u8; neuroloop_core::MAX_CLASSES],
    position_in_block: usize,
    current: Option<usize>,
    next_change: u64,
    rng: Rng,
}

impl Schedule {
    /// A schedule that starts with a rest period.
    #[must_use]
    pub fn new(n_classes: usize, trial_s: f64, rest_s: f64, sample_rate: f64, seed: u64) -> Self {
        let n_classes = n_classes.clamp(1, neuroloop_core::MAX_CLASSES);
        let mut s = Self {
            n_classes,
            trial_samples: ((trial_s * sample_rate).round() as u64).max(1),
            rest_samples: (rest_s * sample_rate).round() as u64,
            order: [0; neuroloop_core::MAX_CLASSES],
            position_in_block: n_classes,
            current: None,
            next_change: 0,
            rng: Rng::new(seed ^ 0x5EED_5C4E_D01E),
        };
        s.next_change = s.rest_samples;
        s
    }

    /// The class being performed at the current sample, if any.
    #[must_use]
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// Advances to sample `index` (called once per sample, in order) and
    /// returns the event that starts at this sample, if any.
    pub fn step(&mut self, index: u64) -> Option<i32> {
        if index < self.next_change {
            return None;
        }
        match self.current {
            Some(_) => {
                self.current = None;
                self.next_change = index + self.rest_samples.max(1);
                Some(Marker::REST)
            }
            None => {
                let class = self.next_class();
                self.current = Some(class);
                self.next_change = index + self.trial_samples;
                Some(class as i32)
            }
        }
    }

    fn next_class(&mut self) -> usize {
        if self.position_in_block >= self.n_classes {
            for (i, slot) in self.order[..self.n_classes].iter_mut().enumerate() {
                *slot = i as u8;
            }
            for i in (1..self.n_classes).rev() {
                let j = (self.rng.next_u64() % (i as u64 + 1)) as usize;
                self.order.swap(i, j);
            }
            self.position_in_block = 0;
        }
        let class = usize::from(self.order[self.position_in_block]);
        self.position_in_block += 1;
        class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternates_rest_and_balanced_trials() {
        let fs = 10.0;
        let mut s = Schedule::new(2, 1.0, 0.5, fs, 3);
        let mut events = Vec::new();
        for i in 0..300 {
            if let Some(code) = s.step(i) {
                events.push((i, code));
            }
        }
        assert_eq!(
            events[0],
            (5, events[0].1),
            "first cue after the rest period"
        );
        assert!(events[0].1 >= 0);
        assert_eq!(events[1], (15, Marker::REST), "task lasts trial_s");
        let cues: Vec<i32> = events.iter().map(|e| e.1).filter(|&c| c >= 0).collect();
        for pair in cues.chunks(2).filter(|c| c.len() == 2) {
            assert_ne!(pair[0], pair[1], "each block holds every class once");
        }
    }
}
