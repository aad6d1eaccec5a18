//! A preallocated lock-free SPSC queue of rare, small events from one
//! thread to another, that drops and counts what does not fit: the shared
//! mechanism of the marker ring ([`crate::markers`]) and the clock-offset
//! queue ([`crate::clock_offsets`]).
//!
//! A full queue drops the newest event and counts it, so a stalled reader
//! never blocks the writer; pushing and popping never allocate.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Producer, Split};

/// Creates a queue holding up to `capacity` events (at least one).
#[must_use]
pub fn event_queue<T>(capacity: usize) -> (EventWriter<T>, EventReader<T>) {
    let (tx, rx) = HeapRb::<T>::new(capacity.max(1)).split();
    let dropped = Arc::new(AtomicU64::new(0));
    (
        EventWriter {
            tx,
            dropped: Arc::clone(&dropped),
        },
        EventReader { rx, dropped },
    )
}

/// The writing end.
pub struct EventWriter<T> {
    tx: ringbuf::HeapProd<T>,
    dropped: Arc<AtomicU64>,
}

impl<T> EventWriter<T> {
    /// Pushes an event; never blocks or allocates. Returns `false` (and
    /// counts it) if the queue was full.
    pub fn push(&mut self, event: T) -> bool {
        let ok = self.tx.try_push(event).is_ok();
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

/// The reading end.
pub struct EventReader<T> {
    rx: ringbuf::HeapCons<T>,
    dropped: Arc<AtomicU64>,
}

impl<T> EventReader<T> {
    /// Pops the oldest event, if any.
    pub fn pop(&mut self) -> Option<T> {
        self.rx.try_pop()
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}
