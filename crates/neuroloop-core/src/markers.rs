//! A preallocated lock-free SPSC ring of [`Marker`]s (cue and label events)
//! from a source thread to the pipeline thread.
//!
//! Markers are rare and small; a full ring drops the newest marker and counts
//! it, so a stalled pipeline never blocks the source.

use crate::Marker;
use crate::event_queue::{EventReader, EventWriter, event_queue};

/// The source end.
pub type MarkerWriter = EventWriter<Marker>;

/// The pipeline end.
pub type MarkerReader = EventReader<Marker>;

/// Creates a marker ring holding up to `capacity` markers.
#[must_use]
pub fn marker_ring(capacity: usize) -> (MarkerWriter, MarkerReader) {
    event_queue(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_ring_drops_and_counts() {
        let (mut w, mut r) = marker_ring(2);
        for code in 0..3 {
            w.push(Marker { time: 0.0, code });
        }
        assert_eq!(r.dropped(), 1);
        assert_eq!(r.pop().map(|m| m.code), Some(0));
        assert_eq!(r.pop().map(|m| m.code), Some(1));
        assert_eq!(r.pop(), None);
    }
}
