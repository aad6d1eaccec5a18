//! The input stream's clock, recorded as LabRecorder records it: the raw
//! timestamps of the device's clock, and beside them every clock offset
//! the source measured (a live LSL stream's time correction) as a
//! ClockOffset chunk (collection time on the device's clock, offset). A
//! reader that synchronises clocks (pyxdf, `read_xdf` by default) fits
//! those offsets and adds them back, giving the session's corrected
//! times; one that does not gets what the device sent.
//!
//! The source tells which sample each offset was first added to, so the
//! offset taken off each timestamp is exactly the one the session added.
//! A source without offsets is recorded as the session saw it.

use std::collections::VecDeque;
use std::io::Write;

use neuroloop_core::clock_offsets::{ClockOffset, ClockOffsetReader};
use neuroloop_formats::xdf::XdfWriter;

use super::streams::INPUT;

/// Offsets received and not yet in force that the recorder holds without
/// allocating (far more than arrive between two writes).
const WAITING: usize = 64;

/// The source's offsets, and the one in force for the next sample.
pub(super) struct InputClock {
    offsets: Option<ClockOffsetReader>,
    waiting: VecDeque<ClockOffset>,
    current: f64,
    /// ClockOffset chunks written.
    pub(super) written: u64,
}

impl InputClock {
    pub(super) fn new(offsets: Option<ClockOffsetReader>) -> Self {
        Self {
            offsets,
            waiting: VecDeque::with_capacity(WAITING),
            current: 0.0,
            written: 0,
        }
    }

    /// Writes a ClockOffset chunk for each offset measured since the last
    /// call (LabRecorder's collection time: the measuring moment on the
    /// device's clock).
    ///
    /// # Errors
    /// The write error.
    pub(super) fn write_new<W: Write>(&mut self, xdf: &mut XdfWriter<W>) -> std::io::Result<()> {
        let Some(offsets) = &mut self.offsets else {
            return Ok(());
        };
        while let Some(o) = offsets.pop() {
            xdf.clock_offset(INPUT, o.measured_at - o.offset, o.offset)?;
            self.waiting.push_back(o);
            self.written += 1;
        }
        Ok(())
    }

    /// Takes off each timestamp the offset the source added to it:
    /// `times` are the samples from source index `first` on.
    pub(super) fn take_off_offsets(&mut self, first: u64, times: &mut [f64]) {
        if self.offsets.is_none() {
            return;
        }
        for (index, t) in (first..).zip(times.iter_mut()) {
            while let Some(o) = self.waiting.front().copied()
                && o.from_index <= index
            {
                self.current = o.offset;
                self.waiting.pop_front();
            }
            *t -= self.current;
        }
    }

    /// Offsets the source could not queue (none unless the recorder
    /// stalled for minutes).
    pub(super) fn dropped(&self) -> u64 {
        self.offsets.as_ref().map_or(0, ClockOffsetReader::dropped)
    }
}

#[cfg(test)]
mod tests {
    use neuroloop_core::clock_offsets::clock_offset_queue;

    use super::*;

    #[test]
    fn each_sample_loses_the_offset_in_force_from_its_index() {
        let (mut tx, rx) = clock_offset_queue(8);
        let mut clock = InputClock::new(Some(rx));
        let mut xdf = XdfWriter::new(Vec::new()).unwrap();
        for (from_index, offset) in [(0, 1.0), (3, 2.0), (5, 4.0)] {
            tx.push(ClockOffset {
                from_index,
                measured_at: 10.0,
                offset,
            });
        }
        clock.write_new(&mut xdf).unwrap();
        assert_eq!(clock.written, 3);
        let mut times = [11.0, 12.0, 13.0, 15.0];
        clock.take_off_offsets(1, &mut times);
        // Indices 1, 2 had 1.0 added; 3, 4 had 2.0.
        assert_eq!(times, [10.0, 11.0, 11.0, 13.0]);
        let mut times = [20.0];
        clock.take_off_offsets(7, &mut times);
        assert_eq!(times, [16.0]);
    }

    #[test]
    fn without_offsets_timestamps_stay_as_the_session_saw_them() {
        let mut clock = InputClock::new(None);
        let mut times = [1.5, 2.5];
        clock.take_off_offsets(0, &mut times);
        assert_eq!(times, [1.5, 2.5]);
    }
}
