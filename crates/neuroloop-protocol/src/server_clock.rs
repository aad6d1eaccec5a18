//! The server's clock estimated from heartbeats (docs/protocol.md,
//! section 5): `offset = max(t − local receive time)`, allowed to fall by
//! at most [`CLOCK_DRIFT`] per second so that a drifting clock is followed
//! while a late (buffered) heartbeat never lowers the estimate by more.

use std::time::Instant;

/// Largest drift between the server's clock and this host's that the
/// clock estimate follows: 1 ms per second.
pub const CLOCK_DRIFT: f64 = 1e-3;

/// The server clock as seen from here: see the module documentation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerClock {
    pub(crate) epoch: Instant,
    /// Server time minus local seconds since `epoch`, and when it was set.
    pub(crate) offset: Option<(f64, f64)>,
    /// Whether the last heartbeat read was fresh.
    pub(crate) last_fresh: bool,
}

impl ServerClock {
    fn local(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    fn offset_now(&self, local: f64) -> Option<f64> {
        self.offset
            .map(|(offset, at)| offset - CLOCK_DRIFT * (local - at).max(0.0))
    }

    pub(crate) fn now(&self) -> Option<f64> {
        let local = self.local();
        self.offset_now(local).map(|o| local + o)
    }

    pub(crate) fn observe(&mut self, t: f64) {
        let local = self.local();
        let sample = t - local;
        let offset = match self.offset_now(local) {
            Some(o) if o > sample => o,
            _ => sample,
        };
        self.offset = Some((offset, local));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_late_heartbeat_does_not_move_the_estimate() {
        let mut clock = ServerClock {
            epoch: Instant::now().checked_sub(Duration::from_secs(10)).unwrap(),
            offset: None,
            last_fresh: false,
        };
        assert_eq!(clock.now(), None);
        // Server clock = local + 100 s, heartbeat read at once.
        clock.observe(clock.local() + 100.0);
        let fresh = clock.now().unwrap() - clock.local();
        assert!((fresh - 100.0).abs() < 1e-3, "{fresh}");
        // A heartbeat that waited 3 s in a buffer: the estimate stays.
        clock.observe(clock.local() + 97.0);
        let after = clock.now().unwrap() - clock.local();
        assert!((after - 100.0).abs() < 1e-3, "{after}");
    }
}
