//! Event-locked analysis windows: one window per marker.
//!
//! [`EventWindows`] keeps the last `history` samples of every channel in a
//! preallocated ring. Each marker handed to [`EventWindows::add_marker`]
//! asks for the window `[marker time + offset, + window samples)`: its first
//! sample is the first one within half a sample period of (or after)
//! `marker time + offset`, and the window is cut as soon as its last sample
//! has been pushed. A marker that arrives after its window's samples (a
//! late marker stream) is cut at the start of the next push, as long as its
//! first sample is still in the history.
//!
//! Nothing is allocated after construction: pending markers wait in a queue
//! of fixed capacity; a marker that finds it full is counted as
//! `overflowed` and dropped. A marker whose first sample is older than the
//! history, or fell into a gap ([`EventWindows::reset`]), is counted as
//! `missed`; so is every marker still pending at [`EventWindows::finish`].
//!
//! # Shapes
//! Input: `data[s * channels + ch]`, one timestamp and one arrival per
//! sample. Output: `Window::data[ch * window + t]`, as [`crate::window`].

use neuroloop_core::{Error, ErrorKind, SampleBlock, Window};

/// Where a cut window lies in the block just pushed, and its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCut {
    /// Position in the pushed block of the newest sample seen when the
    /// window was cut (its last sample, or the block's first sample for a
    /// window cut after a late marker).
    pub position: usize,
    /// Samples from the window's first sample to `position`, inclusive
    /// (the window length, or more for a late marker): the span whose
    /// artifacts concern the window.
    pub reach: usize,
    /// The marker's code.
    pub code: i32,
}

/// What became of the markers so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Windows cut.
    pub locked: u64,
    /// Markers whose window could not be cut: its first sample was older
    /// than the history, fell into a gap, or the stream ended first.
    pub missed: u64,
    /// Markers dropped because the pending queue was full.
    pub overflowed: u64,
}

/// A marker waiting for its window.
#[derive(Debug, Clone, Copy)]
struct Pending {
    start_time: f64,
    code: i32,
    /// Sample number of the window's first sample, once known.
    start: Option<u64>,
}

/// Cuts one window per marker from streamed blocks without allocating.
#[derive(Debug, Clone)]
pub struct EventWindows {
    channels: usize,
    window: usize,
    history: usize,
    offset_s: f64,
    half_period: f64,
    /// Channel-major ring: `ring[ch * history + pos]`, pos = number % history.
    ring: Vec<f32>,
    times: Vec<f64>,
    arrivals: Vec<f64>,
    out: Vec<f32>,
    pending: Vec<Pending>,
    /// Sample number of the next sample pushed.
    next: u64,
    /// First sample number after the last reset.
    valid_from: u64,
    index: u64,
    counts: EventCounts,
}

impl EventWindows {
    /// Allocates every buffer: windows of `window` samples of `channels`
    /// channels, starting `offset_s` seconds after each marker, cut from a
    /// history of `history` samples (at least `window`), with up to
    /// `queue` markers pending, for a stream of `sample_rate` Hz.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when `channels`, `window` or `queue` is 0,
    /// `history < window`, or the rate or offset is not finite.
    pub fn new(
        channels: usize,
        window: usize,
        history: usize,
        queue: usize,
        offset_s: f64,
        sample_rate: f64,
    ) -> Result<Self, Error> {
        if channels == 0 || window == 0 || queue == 0 || history < window {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "event windows need channels, window and queue >= 1 and a history of at \
                     least one window (got {channels}, {window}, {queue}, history {history})"
                ),
            ));
        }
        if !(sample_rate.is_finite() && sample_rate > 0.0 && offset_s.is_finite()) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "event windows need a finite rate and offset (got {sample_rate} Hz, {offset_s} s)"
                ),
            ));
        }
        Ok(Self {
            channels,
            window,
            history,
            offset_s,
            half_period: 0.5 / sample_rate,
            ring: vec![0.0; channels * history],
            times: vec![0.0; history],
            arrivals: vec![0.0; history],
            out: vec![0.0; channels * window],
            pending: Vec::with_capacity(queue),
            next: 0,
            valid_from: 0,
            index: 0,
            counts: EventCounts::default(),
        })
    }

    /// Samples per window.
    #[must_use]
    pub fn window_samples(&self) -> usize {
        self.window
    }

    /// Index the next cut window will carry.
    #[must_use]
    pub fn next_index(&self) -> u64 {
        self.index
    }

    /// What became of the markers so far.
    #[must_use]
    pub fn counts(&self) -> EventCounts {
        self.counts
    }

    /// Queues the window of a marker at `time` (never allocates; a full
    /// queue counts the marker as overflowed, a window starting before the
    /// history counts it as missed).
    pub fn add_marker(&mut self, time: f64, code: i32) {
        if self.pending.len() == self.pending.capacity() {
            self.counts.overflowed += 1;
            return;
        }
        let start_time = time + self.offset_s;
        if !start_time.is_finite() {
            self.counts.missed += 1; // no sample lies at a NaN or infinite time
            return;
        }
        let oldest = self.oldest();
        let mut start = None;
        if self.next > oldest && self.time_of(self.next - 1) >= start_time - self.half_period {
            // The first sample is already here (or was dropped from the history).
            let (mut lo, mut hi) = (oldest, self.next - 1);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.time_of(mid) >= start_time - self.half_period {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            if lo == oldest && self.time_of(lo) > start_time + self.half_period {
                self.counts.missed += 1;
                return;
            }
            start = Some(lo);
        }
        self.pending.push(Pending {
            start_time,
            code,
            start,
        });
    }

    /// Forgets the history (after a gap): the windows of pending markers
    /// whose first sample has arrived are missed; the others wait.
    pub fn reset(&mut self) {
        let before = self.pending.len();
        self.pending.retain(|p| p.start.is_none());
        self.counts.missed += (before - self.pending.len()) as u64;
        self.valid_from = self.next;
    }

    /// The stream ended: every pending marker is missed.
    pub fn finish(&mut self) {
        self.counts.missed += self.pending.len() as u64;
        self.pending.clear();
    }

    /// Consumes the valid samples of a block; calls `emit` for each window
    /// cut and returns how many were cut. Never allocates.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] (nothing consumed) when the block's
    /// channel count is not the assembler's.
    pub fn push_block(
        &mut self,
        block: &SampleBlock,
        mut emit: impl FnMut(Window<'_>, EventCut),
    ) -> Result<usize, Error> {
        let (data, timestamps, arrivals) = (block.data(), block.timestamps(), block.arrivals());
        let n = timestamps.len();
        if data.len() != n * self.channels || arrivals.len() != n {
            return Err(Error::new(
                ErrorKind::InvalidData,
                "block shape does not match the event windows",
            ));
        }
        let mut cut = 0;
        if n > 0 && self.next > 0 && !self.pending.is_empty() {
            // Late markers: their windows are complete already and are cut
            // before the new samples overwrite the history; their reach
            // runs to the block's first sample.
            cut += self.cut_complete(self.next - 1, 0, 1, &mut emit);
        }
        for (s, sample) in data.chunks_exact(self.channels).enumerate() {
            let number = self.next;
            let pos = self.pos(number);
            for (ch, &x) in sample.iter().enumerate() {
                self.ring[ch * self.history + pos] = x;
            }
            self.times[pos] = timestamps[s];
            self.arrivals[pos] = arrivals[s];
            self.next += 1;
            if !self.pending.is_empty() {
                self.resolve(number, timestamps[s]);
                cut += self.cut_complete(number, s, 0, &mut emit);
            }
        }
        Ok(cut)
    }

    /// Finds the first sample of waiting markers at sample `number` (time
    /// `t`).
    fn resolve(&mut self, number: u64, t: f64) {
        let (half, first) = (self.half_period, number == self.valid_from);
        let before = self.pending.len();
        self.pending.retain_mut(|p| {
            if p.start.is_none() && t >= p.start_time - half {
                if first && t > p.start_time + half {
                    return false; // the first sample fell into a gap
                }
                p.start = Some(number);
            }
            true
        });
        self.counts.missed += (before - self.pending.len()) as u64;
    }

    /// Cuts every pending window whose last sample is at or before sample
    /// `newest`; `position` is the place in the block of the sample `lead`
    /// samples after `newest`.
    fn cut_complete(
        &mut self,
        newest: u64,
        position: usize,
        lead: u64,
        emit: &mut impl FnMut(Window<'_>, EventCut),
    ) -> usize {
        let mut cut = 0;
        let mut i = 0;
        while i < self.pending.len() {
            let p = self.pending[i];
            match p.start {
                Some(start) if start + self.window as u64 <= newest + 1 => {
                    self.pending.remove(i);
                    let reach = usize::try_from(newest + 1 + lead - start).unwrap_or(usize::MAX);
                    let window = self.assemble(start);
                    emit(
                        window,
                        EventCut {
                            position,
                            reach,
                            code: p.code,
                        },
                    );
                    self.counts.locked += 1;
                    cut += 1;
                }
                _ => i += 1,
            }
        }
        cut
    }

    /// Copies the window starting at sample number `start` into `out`.
    fn assemble(&mut self, start: u64) -> Window<'_> {
        let (w, h) = (self.window, self.history);
        let first = self.pos(start);
        let head = (h - first).min(w);
        for (src, dst) in self.ring.chunks_exact(h).zip(self.out.chunks_exact_mut(w)) {
            dst[..head].copy_from_slice(&src[first..first + head]);
            dst[head..].copy_from_slice(&src[..w - head]);
        }
        let last = self.pos(start + w as u64 - 1);
        let index = self.index;
        self.index += 1;
        Window {
            index,
            channels: self.channels,
            samples: w,
            data: &self.out,
            oldest_time: self.times[first],
            newest_time: self.times[last],
            newest_arrival: self.arrivals[last],
        }
    }

    /// Oldest sample number still in the history.
    fn oldest(&self) -> u64 {
        self.valid_from
            .max(self.next.saturating_sub(self.history as u64))
    }

    fn pos(&self, number: u64) -> usize {
        usize::try_from(number % self.history as u64).unwrap_or(0)
    }

    fn time_of(&self, number: u64) -> f64 {
        self.times[self.pos(number)]
    }
}
