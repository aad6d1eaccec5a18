//! The preallocated lock-free SPSC ring from a source thread to the pipeline
//! thread.
//!
//! Two `ringbuf` rings travel together: one of interleaved `f32` values and
//! one of per-sample [`Stamp`]s (sample index, source time, arrival time). The
//! writer pushes values first and stamps second, so every stamp the reader
//! sees has its values in place.
//!
//! Overflow never stalls the source: samples that do not fit are dropped and
//! counted. Because every stamp carries the source's running sample index,
//! the reader finds the exact range of every gap from the index jump, with no
//! side channel that could itself overflow.
//!
//! A live source that receives nothing for a while marks the ring stalled
//! ([`RingWriter::set_stalled`]); the reader notices the new stall with one
//! atomic load ([`RingReader::new_stall`]) while the ring is empty, so the
//! pipeline can act during the outage rather than when data returns.
//!
//! A writer made with a [`ChannelPick`] ([`sample_ring_picking`]) takes
//! samples as wide as the source's stream and stores only the picked
//! channels.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ringbuf::HeapRb;

pub use crate::ring_timing::{OVERRUN_LAG_S, PushTiming};
use ringbuf::traits::{Consumer, Observer, Producer, Split};

use crate::SampleBlock;
use crate::channel_pick::ChannelPick;

/// Per-sample metadata carried beside the values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stamp {
    /// Running index of the sample at the source, counting dropped samples.
    pub index: u64,
    /// Source timestamp on the process clock.
    pub time: f64,
    /// Arrival time on the process clock.
    pub arrival: f64,
}

/// A range of samples lost between source and pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Source index of the first missing sample.
    pub first: u64,
    /// Number of missing samples.
    pub count: u64,
}

/// Counters shared by both ends; read from any thread.
#[derive(Debug, Default)]
pub struct RingStats {
    pushed: AtomicU64,
    dropped: AtomicU64,
    overflows: AtomicU64,
    stalls: AtomicU64,
    stalled: AtomicBool,
    closed: AtomicBool,
    timing: PushTiming,
}

impl RingStats {
    /// Samples accepted into the ring.
    pub fn pushed(&self) -> u64 {
        self.pushed.load(Ordering::Relaxed)
    }
    /// Samples dropped because the ring was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    /// Number of pushes that dropped samples.
    pub fn overflows(&self) -> u64 {
        self.overflows.load(Ordering::Relaxed)
    }
    /// Number of stalls the source reported (see [`RingWriter::set_stalled`]).
    pub fn stalls(&self) -> u64 {
        self.stalls.load(Ordering::Acquire)
    }
    /// Whether the source is stalled now: no sample came for a while and
    /// none has come since.
    pub fn is_stalled(&self) -> bool {
        self.stalled.load(Ordering::Acquire)
    }
    /// Whether the writer has been dropped (the source ended).
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
    /// Lag and rate of the pushes (overruns, measured sample rate).
    pub fn timing(&self) -> &PushTiming {
        &self.timing
    }
}

/// Creates a ring for `channels` channels holding `capacity` samples.
///
/// # Panics
/// If `channels` or `capacity` is zero.
#[must_use]
pub fn sample_ring(channels: usize, capacity: usize) -> (RingWriter, RingReader) {
    sample_ring_picking(ChannelPick::all(channels), capacity)
}

/// Creates a ring holding `capacity` samples of the channels `pick`
/// keeps; its writer takes samples of `pick.source_channels()` values.
///
/// # Panics
/// If `capacity` is zero.
#[must_use]
pub fn sample_ring_picking(pick: ChannelPick, capacity: usize) -> (RingWriter, RingReader) {
    let channels = pick.kept().len();
    assert!(capacity > 0, "ring needs capacity");
    let (data_tx, data_rx) = HeapRb::<f32>::new(channels * capacity).split();
    let (stamp_tx, stamp_rx) = HeapRb::<Stamp>::new(capacity).split();
    let stats = Arc::new(RingStats::default());
    (
        RingWriter {
            channels,
            pick: (!pick.is_all()).then_some(pick),
            next_index: 0,
            stalled: false,
            data: data_tx,
            stamps: stamp_tx,
            stats: Arc::clone(&stats),
        },
        RingReader {
            channels,
            expected_index: 0,
            pending_gap: None,
            seen_stalls: 0,
            data: data_rx,
            stamps: stamp_rx,
            stats,
        },
    )
}

/// The source end.
pub struct RingWriter {
    /// Channels stored per sample.
    channels: usize,
    /// The stored channels of wider pushed samples (`None`: all, as pushed).
    pick: Option<ChannelPick>,
    next_index: u64,
    /// Local copy of the shared stall flag (no atomic store per push).
    stalled: bool,
    data: ringbuf::HeapProd<f32>,
    stamps: ringbuf::HeapProd<Stamp>,
    stats: Arc<RingStats>,
}

impl RingWriter {
    /// Pushes `timestamps.len()` samples whose interleaved values are `data`,
    /// all arrived at `arrival`. Returns how many samples were dropped.
    ///
    /// Never blocks and never allocates. A sample is
    /// [`Self::source_channels`] values wide (only the picked channels are
    /// stored); if `data.len()` is not `timestamps.len()` samples, only
    /// whole samples covered by both are pushed.
    ///
    /// Samples end a stall: pushing any clears the stalled flag.
    pub fn push(&mut self, data: &[f32], timestamps: &[f64], arrival: f64) -> usize {
        let width = self.source_channels();
        let n = timestamps.len().min(data.len() / width);
        if n > 0 && self.stalled {
            self.set_stalled(false);
        }
        let accepted = n.min(self.room());
        let values = &data[..accepted * width];
        let pushed_values = match &self.pick {
            None => self.data.push_slice(values),
            Some(pick) => values
                .chunks_exact(width)
                .map(|sample| self.data.push_iter(pick.values(sample)))
                .sum(),
        };
        debug_assert_eq!(pushed_values, accepted * self.channels);
        for (i, &time) in timestamps[..accepted].iter().enumerate() {
            let stamp = Stamp {
                index: self.next_index + i as u64,
                time,
                arrival,
            };
            // Room was checked above; a failure here is impossible for SPSC.
            let _ = self.stamps.try_push(stamp);
        }
        let dropped = n - accepted;
        self.next_index += n as u64;
        if let Some(&newest) = timestamps[..n].last() {
            self.stats.timing.record(n, newest, arrival);
        }
        self.stats
            .pushed
            .fetch_add(accepted as u64, Ordering::Relaxed);
        if dropped > 0 {
            self.stats
                .dropped
                .fetch_add(dropped as u64, Ordering::Relaxed);
            self.stats.overflows.fetch_add(1, Ordering::Relaxed);
        }
        dropped
    }

    /// Source index the next pushed sample gets (samples pushed, dropped
    /// and skipped so far).
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Records `count` samples as lost at the source itself (e.g. a stream
    /// outage), so the reader reports them as a gap.
    pub fn skip(&mut self, count: u64) {
        self.next_index += count;
    }

    /// Marks the source stalled (no sample for a while) or no longer
    /// stalled. Each change from not stalled to stalled counts one stall,
    /// which the reader sees with [`RingReader::new_stall`]; setting the
    /// current state again does nothing. [`RingWriter::push`] clears it.
    ///
    /// Never blocks and never allocates.
    pub fn set_stalled(&mut self, stalled: bool) {
        if stalled == self.stalled {
            return;
        }
        self.stalled = stalled;
        self.stats.stalled.store(stalled, Ordering::Release);
        if stalled {
            self.stats.stalls.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Shared counters.
    pub fn stats(&self) -> Arc<RingStats> {
        Arc::clone(&self.stats)
    }

    /// How many whole samples fit right now.
    ///
    /// Live sources never wait for room (overflow is a counted gap); sources
    /// that read from storage may wait until there is room (backpressure).
    pub fn room(&self) -> usize {
        self.stamps
            .vacant_len()
            .min(self.data.vacant_len() / self.channels)
    }

    /// Channels stored per sample.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Values per pushed sample: the source stream's channels.
    pub fn source_channels(&self) -> usize {
        self.pick
            .as_ref()
            .map_or(self.channels, ChannelPick::source_channels)
    }
}

impl Drop for RingWriter {
    fn drop(&mut self) {
        self.stats.closed.store(true, Ordering::Release);
    }
}

/// What one [`RingReader::pop_into`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Popped {
    /// Samples written into the block.
    pub samples: usize,
    /// A gap that precedes the popped samples, if any.
    pub gap: Option<Gap>,
}

impl Popped {
    /// Source index of the first sample popped, given the reader's
    /// [`RingReader::expected_index`] before the pop (a gap in front of
    /// the samples moves it on).
    #[must_use]
    pub fn first_index(&self, expected_before: u64) -> u64 {
        self.gap.map_or(expected_before, |g| g.first + g.count)
    }
}

/// The pipeline end.
pub struct RingReader {
    channels: usize,
    expected_index: u64,
    pending_gap: Option<Gap>,
    /// Stalls already reported by [`RingReader::new_stall`].
    seen_stalls: u64,
    data: ringbuf::HeapCons<f32>,
    stamps: ringbuf::HeapCons<Stamp>,
    stats: Arc<RingStats>,
}

impl RingReader {
    /// Channels per sample.
    #[must_use]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Pops contiguous samples into `block` (replacing its contents), up to
    /// its capacity. A block never spans a gap: samples after a gap come in
    /// the next call, which reports the gap.
    ///
    /// Never blocks and never allocates.
    pub fn pop_into(&mut self, block: &mut SampleBlock) -> Popped {
        let gap = self.pending_gap.take();
        let channels = self.channels;
        let capacity = block.capacity();
        let (data, times, arrivals) = block.buffers_mut();
        let mut n = 0;
        while n < capacity {
            let Some(&stamp) = self.stamps.try_peek() else {
                break;
            };
            if stamp.index != self.expected_index {
                let missing = Gap {
                    first: self.expected_index,
                    count: stamp.index - self.expected_index,
                };
                self.expected_index = stamp.index;
                if n > 0 || gap.is_some() {
                    self.pending_gap = Some(missing);
                    break;
                }
                block.set_len(0);
                return self.finish_pop(block, Some(missing));
            }
            let _ = self.stamps.try_pop();
            let got = self
                .data
                .pop_slice(&mut data[n * channels..(n + 1) * channels]);
            debug_assert_eq!(got, channels);
            times[n] = stamp.time;
            arrivals[n] = stamp.arrival;
            self.expected_index += 1;
            n += 1;
        }
        block.set_len(n);
        Popped { samples: n, gap }
    }

    fn finish_pop(&mut self, block: &mut SampleBlock, gap: Option<Gap>) -> Popped {
        // Called right after a gap was found at the very start: pop what follows.
        let mut rest = self.pop_into(block);
        debug_assert!(rest.gap.is_none());
        rest.gap = gap;
        rest
    }

    /// Whether the source reported a stall since the last call that is
    /// still going on. A stall that already ended (samples were pushed
    /// since) is passed over: its missing samples arrive as a gap.
    ///
    /// One atomic load when nothing changed; never blocks or allocates.
    pub fn new_stall(&mut self) -> bool {
        let stalls = self.stats.stalls();
        if stalls == self.seen_stalls {
            return false;
        }
        self.seen_stalls = stalls;
        self.stats.is_stalled()
    }

    /// Samples waiting in the ring.
    pub fn available(&self) -> usize {
        self.stamps.occupied_len()
    }

    /// Source index of the next sample expected.
    pub fn expected_index(&self) -> u64 {
        self.expected_index
    }

    /// Whether the writer is gone and the ring is drained.
    pub fn is_finished(&self) -> bool {
        self.stats.is_closed() && self.stamps.is_empty()
    }

    /// Shared counters.
    pub fn stats(&self) -> Arc<RingStats> {
        Arc::clone(&self.stats)
    }
}
