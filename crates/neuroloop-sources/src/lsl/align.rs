//! Combining several data streams into one by timestamp.
//!
//! The first stream leads. Each of its samples (time `t`) takes, from every
//! further stream, the sample nearest `t` within half a sample period; the
//! channels are concatenated in config order. A sample whose partner has
//! not arrived yet waits up to `max_wait_s` (from its own arrival); one
//! without a partner — the other stream skipped past `t`, or the wait ran
//! out — is dropped, so the ring sees a gap when the next combined sample
//! goes in. Everything is preallocated; nothing blocks.

use neuroloop_core::SampleBlock;
use neuroloop_core::ring::{RingReader, RingWriter};

/// Whether a further stream has a partner for time `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pairing {
    /// Its front sample is the partner.
    Match,
    /// Nothing new enough has arrived yet.
    Wait,
    /// It is already past `t`: no partner will come.
    Missing,
}

/// The samples of one further stream, as its thread pushed them.
pub(super) struct Lane {
    reader: RingReader,
    block: SampleBlock,
    pos: usize,
}

impl Lane {
    /// A lane over `reader`, staging up to `capacity` samples at a time.
    pub(super) fn new(reader: RingReader, channels: usize, capacity: usize) -> Self {
        Self {
            reader,
            block: SampleBlock::with_capacity(channels, capacity),
            pos: 0,
        }
    }

    /// Whether a sample is staged (refilling from the ring if needed).
    fn refill(&mut self) -> bool {
        if self.pos < self.block.len() {
            return true;
        }
        self.pos = 0;
        self.reader.pop_into(&mut self.block).samples > 0
    }

    fn pair(&mut self, t: f64, half: f64) -> Pairing {
        loop {
            if !self.refill() {
                return Pairing::Wait;
            }
            let times = self.block.timestamps();
            let s = times[self.pos];
            if s < t - half {
                self.pos += 1;
                continue;
            }
            if s > t + half {
                return Pairing::Missing;
            }
            if times
                .get(self.pos + 1)
                .is_some_and(|&next| (next - t).abs() < (s - t).abs())
            {
                self.pos += 1;
                continue;
            }
            return Pairing::Match;
        }
    }

    /// Takes the front sample's values (after a [`Pairing::Match`]).
    fn take(&mut self) -> &[f32] {
        let ch = self.block.channels();
        let at = self.pos;
        self.pos += 1;
        &self.block.data()[at * ch..(at + 1) * ch]
    }
}

/// Samples of the first stream waiting for partners, and the combined
/// samples on their way into the ring.
pub(super) struct Aligner {
    lanes: Vec<Lane>,
    primary_ch: usize,
    total_ch: usize,
    half: f64,
    max_wait_s: f64,
    pend_data: Vec<f32>,
    pend_time: Vec<f64>,
    pend_arrival: Vec<f64>,
    pend_index: Vec<u64>,
    pending: usize,
    next_in: u64,
    out_data: Vec<f32>,
    out_time: Vec<f64>,
    out_len: usize,
    next_out: u64,
    /// Samples of the first stream dropped for want of a partner.
    pub(super) unaligned: u64,
}

impl Aligner {
    /// An aligner for a first stream of `primary_ch` channels at `fs` Hz and
    /// the `lanes`; at most `capacity` samples wait at once (older ones are
    /// dropped as unaligned).
    pub(super) fn new(
        lanes: Vec<Lane>,
        primary_ch: usize,
        fs: f64,
        max_wait_s: f64,
        capacity: usize,
    ) -> Self {
        let total_ch = primary_ch + lanes.iter().map(|l| l.block.channels()).sum::<usize>();
        Self {
            lanes,
            primary_ch,
            total_ch,
            half: 0.5 / fs,
            max_wait_s,
            pend_data: vec![0.0; capacity * primary_ch],
            pend_time: vec![0.0; capacity],
            pend_arrival: vec![0.0; capacity],
            pend_index: vec![0; capacity],
            pending: 0,
            next_in: 0,
            out_data: vec![0.0; capacity * total_ch],
            out_time: vec![0.0; capacity],
            out_len: 0,
            next_out: 0,
            unaligned: 0,
        }
    }

    /// Source index the next sample added gets in the ring.
    pub(super) fn next_index(&self) -> u64 {
        self.next_in
    }

    /// Queues samples of the first stream that arrived at `arrival`, after
    /// `missing` samples it never delivered.
    ///
    /// # Shapes
    /// `data`: `times.len() × primary_ch` values, channel-interleaved (as
    /// pulled from liblsl).
    pub(super) fn add(&mut self, missing: u64, data: &[f32], times: &[f64], arrival: f64) {
        self.next_in += missing;
        let ch = self.primary_ch;
        for (i, &t) in times.iter().enumerate() {
            if self.pending == self.pend_time.len() {
                self.forget(1);
                self.unaligned += 1;
            }
            let k = self.pending;
            self.pend_data[k * ch..(k + 1) * ch].copy_from_slice(&data[i * ch..(i + 1) * ch]);
            self.pend_time[k] = t;
            self.pend_arrival[k] = arrival;
            self.pend_index[k] = self.next_in;
            self.next_in += 1;
            self.pending += 1;
        }
    }

    /// Pairs what can be paired now, drops what waited too long, and pushes
    /// the combined samples (arrival `now`); returns how many went in.
    pub(super) fn emit(&mut self, ring: &mut RingWriter, now: f64) -> usize {
        let mut done = 0;
        let mut pushed = 0;
        while done < self.pending {
            let t = self.pend_time[done];
            let mut pairing = Pairing::Match;
            for lane in &mut self.lanes {
                match lane.pair(t, self.half) {
                    Pairing::Missing => {
                        pairing = Pairing::Missing;
                        break;
                    }
                    Pairing::Wait => pairing = Pairing::Wait,
                    Pairing::Match => {}
                }
            }
            match pairing {
                Pairing::Wait if now - self.pend_arrival[done] <= self.max_wait_s => break,
                Pairing::Match => {
                    let index = self.pend_index[done];
                    if index != self.next_out {
                        pushed += self.flush(ring, now);
                        ring.skip(index - self.next_out);
                        self.next_out = index;
                    }
                    self.stage(done);
                }
                Pairing::Wait | Pairing::Missing => self.unaligned += 1,
            }
            done += 1;
        }
        pushed += self.flush(ring, now);
        self.forget(done);
        pushed
    }

    /// Copies pending sample `k` and its partners into the output.
    fn stage(&mut self, k: usize) {
        let (pch, tch) = (self.primary_ch, self.total_ch);
        let row = &mut self.out_data[self.out_len * tch..(self.out_len + 1) * tch];
        row[..pch].copy_from_slice(&self.pend_data[k * pch..(k + 1) * pch]);
        let mut at = pch;
        for lane in &mut self.lanes {
            let values = lane.take();
            row[at..at + values.len()].copy_from_slice(values);
            at += values.len();
        }
        self.out_time[self.out_len] = self.pend_time[k];
        self.out_len += 1;
        self.next_out += 1;
    }

    fn flush(&mut self, ring: &mut RingWriter, now: f64) -> usize {
        let n = self.out_len;
        if n > 0 {
            ring.push(
                &self.out_data[..n * self.total_ch],
                &self.out_time[..n],
                now,
            );
            self.out_len = 0;
        }
        n
    }

    /// Removes the `k` oldest pending samples.
    fn forget(&mut self, k: usize) {
        let ch = self.primary_ch;
        let end = self.pending;
        self.pend_data.copy_within(k * ch..end * ch, 0);
        self.pend_time.copy_within(k..end, 0);
        self.pend_arrival.copy_within(k..end, 0);
        self.pend_index.copy_within(k..end, 0);
        self.pending -= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuroloop_core::ring::sample_ring;

    #[test]
    fn pairs_nearest_partners_and_drops_the_unpaired_as_a_gap() {
        let fs = 100.0;
        let (mut emg_w, emg_r) = sample_ring(1, 64);
        // Partner samples 3 ms after the leaders, from leader index 2 on;
        // leader 5 has none (index 5 never sent).
        for j in [2u32, 3, 4, 6, 7] {
            emg_w.push(&[100.0 + j as f32], &[f64::from(j) / fs + 0.003], 0.0);
        }
        let mut a = Aligner::new(vec![Lane::new(emg_r, 1, 8)], 2, fs, 0.1, 32);
        let (mut out_w, mut out_r) = sample_ring(3, 64);
        let data: Vec<f32> = (0..9).flat_map(|i| [i as f32, -(i as f32)]).collect();
        let times: Vec<f64> = (0..9).map(|i| f64::from(i) / fs).collect();
        a.add(0, &data, &times, 1.0);
        // Leader 8 waits for its partner (none yet); the rest resolve.
        assert_eq!(a.emit(&mut out_w, 1.05), 5);
        assert_eq!(a.unaligned, 3, "leaders 0, 1 and 5");
        assert_eq!(a.pending, 1);
        // The wait runs out.
        assert_eq!(a.emit(&mut out_w, 1.2), 0);
        assert_eq!((a.unaligned, a.pending), (4, 0));
        let mut block = SampleBlock::with_capacity(3, 16);
        let first = out_r.pop_into(&mut block);
        assert_eq!(first.gap.map(|g| (g.first, g.count)), Some((0, 2)));
        assert_eq!(
            block.data(),
            &[2.0, -2.0, 102.0, 3.0, -3.0, 103.0, 4.0, -4.0, 104.0]
        );
        let second = out_r.pop_into(&mut block);
        assert_eq!(second.gap.map(|g| (g.first, g.count)), Some((5, 1)));
        assert_eq!(block.data(), &[6.0, -6.0, 106.0, 7.0, -7.0, 107.0]);
        assert_eq!(block.timestamps(), &[0.06, 0.07]);
    }
}
