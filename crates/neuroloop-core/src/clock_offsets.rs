//! A preallocated lock-free SPSC queue of [`ClockOffset`]s: the clock
//! offsets a source measured between its device's clock and the process
//! clock (LSL time correction), for the recorder to store beside the raw
//! timestamps.
//!
//! Offsets are rare (one every few seconds); a full queue drops the newest
//! and counts it, so a stalled reader never blocks the source.

use crate::event_queue::{EventReader, EventWriter, event_queue};

/// One measured clock offset, and the samples it was applied to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClockOffset {
    /// Source index (as in the sample ring) of the first sample whose
    /// timestamp had this offset added; it holds until the next offset.
    pub from_index: u64,
    /// When it was measured, on the process clock.
    pub measured_at: f64,
    /// Seconds added to the device's timestamps to put them on the
    /// process clock.
    pub offset: f64,
}

/// The source end.
pub type ClockOffsetWriter = EventWriter<ClockOffset>;

/// The recorder end.
pub type ClockOffsetReader = EventReader<ClockOffset>;

/// Creates a queue holding up to `capacity` offsets.
#[must_use]
pub fn clock_offset_queue(capacity: usize) -> (ClockOffsetWriter, ClockOffsetReader) {
    event_queue(capacity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_come_out_in_order_and_a_full_queue_counts_drops() {
        let (mut w, mut r) = clock_offset_queue(2);
        for k in 0..3 {
            w.push(ClockOffset {
                from_index: k,
                measured_at: k as f64,
                offset: 1e-6 * k as f64,
            });
        }
        assert_eq!(r.dropped(), 1);
        assert_eq!(r.pop().map(|o| o.from_index), Some(0));
        assert_eq!(r.pop().map(|o| o.from_index), Some(1));
        assert_eq!(r.pop(), None);
    }
}
