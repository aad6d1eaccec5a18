//! A preallocated lock-free SPSC ring of [`Marker`]s (cue and label events)
//! from a source thread to the pipeline thread.
//!
//! Markers are rare and small; a full ring drops the newest marker and counts
//! it, so a stalled pipeline never blocks the source.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Producer, Split};

use crate::Marker;

/// Creates a marker ring holding up to `capacity` markers.
#[must_use]
pub fn marker_ring(capacity: usize) -> (MarkerWriter, MarkerReader) {
    let (tx, rx) = HeapRb::<Marker>::new(capacity.max(1)).split();
    let dropped = Arc::new(AtomicU64::new(0));
    (
        MarkerWriter {
            tx,
            dropped: Arc::clone(&dropped),
        },
        MarkerReader { rx, dropped },
    )
}

/// The source end.
pub struct MarkerWriter {
    tx: ringbuf::HeapProd<Marker>,
    dropped: Arc<AtomicU64>,
}

impl MarkerWriter {
    /// Pushes a marker; returns `false` (and counts it) if the ring was full.
    pub fn push(&mut self, marker: Marker) -> bool {
        let ok = self.tx.try_push(marker).is_ok();
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// The pipeline end.
pub struct MarkerReader {
    rx: ringbuf::HeapCons<Marker>,
    dropped: Arc<AtomicU64>,
}

impl MarkerReader {
    /// Pops the oldest marker, if any.
    pub fn pop(&mut self) -> Option<Marker> {
        self.rx.try_pop()
    }

    /// Markers dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
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
