//! Outages of an LSL stream: stalls (no sample pushed for `stall_s`, or the
//! stream lost) and the samples missing when it resumes.

/// Tracks the newest sample to find samples that never arrived.
#[derive(Debug, Default)]
pub(super) struct Outage {
    /// Corrected timestamp of the newest sample received.
    last_time: Option<f64>,
    /// When a sample last went into the ring.
    last_push: f64,
    /// Whether a stall was reported and not yet resolved.
    stalled: bool,
}

impl Outage {
    /// Reports (once) that no sample went into the ring for `stall_s`;
    /// true when this call found the stall.
    pub(super) fn check(&mut self, now: f64, stall_s: f64) -> bool {
        if !self.stalled && self.last_time.is_some() && now - self.last_push > stall_s {
            self.stalled = true;
            tracing::warn!(
                silent_s = now - self.last_push,
                "LSL stream stalled; waiting for it (liblsl reconnects to the same source id)"
            );
            return true;
        }
        false
    }

    /// The stream was lost: a stall now, without waiting for `stall_s`;
    /// true if it was not stalled already.
    pub(super) fn lost(&mut self) -> bool {
        !std::mem::replace(&mut self.stalled, true)
    }

    /// A chunk from `first` to `last` arrived at `arrival`: the number of
    /// whole samples missing between the previous chunk and this one (at
    /// least two, so timestamp jitter is no gap). A gap is logged with its
    /// duration. The first chunk starts the stall clock.
    pub(super) fn resume(&mut self, first: f64, last: f64, arrival: f64, fs: f64) -> u64 {
        if self.last_time.is_none() {
            self.last_push = arrival;
        }
        let missing = self
            .last_time
            .map_or(0, |prev| ((first - prev) * fs).round() as i64 - 1);
        let missing = if missing >= 2 { missing as u64 } else { 0 };
        if missing > 0 {
            tracing::warn!(
                missing,
                gap_s = missing as f64 / fs,
                "LSL stream resumed after a gap"
            );
        }
        self.last_time = Some(last);
        missing
    }

    /// Samples went into the ring at `arrival` (ending any stall).
    pub(super) fn pushed(&mut self, arrival: f64) {
        if self.stalled {
            tracing::info!("LSL samples flow again");
        }
        self.stalled = false;
        self.last_push = arrival;
    }
}

#[cfg(test)]
mod tests {
    use super::Outage;

    #[test]
    fn whole_missing_samples_become_a_gap_and_jitter_does_not() {
        let fs = 250.0;
        let mut o = Outage::default();
        assert_eq!(o.resume(10.0, 10.036, 10.04, fs), 0, "first chunk");
        assert!(
            !o.check(10.05, 0.1),
            "the first chunk starts the stall clock"
        );
        // Next sample due at 10.040; 0.3 sample of jitter is no gap.
        assert_eq!(o.resume(10.0412, 10.08, 10.09, fs), 0);
        // One sample late (10.084 missing) is within the tolerance.
        assert_eq!(o.resume(10.088, 10.1, 10.11, fs), 0);
        o.pushed(10.11);
        // Due 10.104; arrives at 10.504: 100 samples missing.
        assert!(!o.check(10.5, 1.0), "0.4 s silent is no stall");
        assert!(o.check(11.2, 1.0));
        assert!(!o.check(11.25, 1.0), "reported once");
        assert!(!o.lost(), "already stalled");
        assert_eq!(o.resume(10.504, 10.6, 11.3, fs), 100);
        o.pushed(11.3);
        assert!(!o.stalled);
        assert!(o.lost(), "a loss is a stall at once");
    }
}
