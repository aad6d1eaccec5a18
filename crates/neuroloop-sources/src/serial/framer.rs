//! Finding packets in the byte stream: resynchronises after junk,
//! validates each candidate by looking ahead, and reports packets lost
//! between two accepted ones from the jump in their sample numbers.
//!
//! A candidate is `0xA0`, 31 bytes, a footer `0xC0`–`0xC6`. Checking only
//! these accepts a junk `0xA0` whenever the byte 32 further on happens to
//! be a footer, 7 / 256 ≈ 2.7 % of the time, so a candidate is accepted
//! only if its sample number is the one
//! expected after the last accepted packet, or if the next packet follows
//! right behind it (header, the next sample number, footer). The
//! look-ahead costs one packet of latency, and only after a lost packet or
//! at the start; a packet after a loss that junk follows cannot be
//! confirmed and counts as lost too, never as a wrong sample.
//!
//! The framer owns a fixed buffer: no allocation after
//! [`Framer::new`], and no byte sequence can make it panic.

use super::packet::{HEADER, PACKET_LEN, Packet, is_footer};

/// Bytes the framer holds at most (about 124 packets).
pub const FRAMER_CAPACITY: usize = 4096;

/// A packet accepted by the framer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framed {
    /// The packet.
    pub packet: Packet,
    /// Packets missing between the previous accepted packet and this one
    /// (from the sample numbers, so modulo 256); 0 for the first.
    pub lost: u8,
}

/// What the framer has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerCounts {
    /// Packets accepted.
    pub packets: u64,
    /// Packets found missing from sample-number jumps.
    pub lost: u64,
    /// Bytes skipped as not part of any accepted packet.
    pub junk_bytes: u64,
}

/// The packet framer.
#[derive(Debug)]
pub struct Framer {
    buf: Box<[u8; FRAMER_CAPACITY]>,
    start: usize,
    end: usize,
    expected: Option<u8>,
    counts: FramerCounts,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// An empty framer, not yet locked onto a sample number.
    #[must_use]
    pub fn new() -> Self {
        Self {
            buf: Box::new([0; FRAMER_CAPACITY]),
            start: 0,
            end: 0,
            expected: None,
            counts: FramerCounts::default(),
        }
    }

    /// Forgets buffered bytes and the expected sample number (a board
    /// re-initialised starts counting again); keeps the counts.
    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.expected = None;
    }

    /// Counts so far.
    #[must_use]
    pub fn counts(&self) -> FramerCounts {
        self.counts
    }

    /// Bytes held, not yet framed.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Takes as many of `bytes` as fit and returns how many; call
    /// [`Framer::next_packet`] until `None` before pushing the rest.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        if self.start > 0 && self.end + bytes.len() > FRAMER_CAPACITY {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = bytes.len().min(FRAMER_CAPACITY - self.end);
        self.buf[self.end..self.end + n].copy_from_slice(&bytes[..n]);
        self.end += n;
        n
    }

    /// The next accepted packet, or `None` when more bytes are needed.
    pub fn next_packet(&mut self) -> Option<Framed> {
        loop {
            let held = &self.buf[self.start..self.end];
            let Some(at) = held.iter().position(|&b| b == HEADER) else {
                self.skip(held.len());
                return None;
            };
            self.skip(at);
            let held = &self.buf[self.start..self.end];
            if held.len() < PACKET_LEN {
                return self.wait_or_give_up();
            }
            let sample_number = held[1];
            let Some(confirmed) = self.confirm(held, sample_number) else {
                return self.wait_or_give_up();
            };
            if !confirmed {
                self.skip(1);
                continue;
            }
            let mut bytes = [0; PACKET_LEN];
            bytes.copy_from_slice(&held[..PACKET_LEN]);
            let packet = Packet::decode(&bytes)?;
            self.start += PACKET_LEN;
            let lost = self.expected.map_or(0, |e| sample_number.wrapping_sub(e));
            self.expected = Some(sample_number.wrapping_add(1));
            self.counts.packets += 1;
            self.counts.lost += u64::from(lost);
            return Some(Framed { packet, lost });
        }
    }

    /// Whether the candidate at the start of `held` is a packet: its footer
    /// and either the expected sample number or, after a loss or at the
    /// start, a next packet right behind it (header, footer and the next
    /// sample number); `None` when that needs bytes not yet here.
    fn confirm(&self, held: &[u8], sample_number: u8) -> Option<bool> {
        if !is_footer(held[PACKET_LEN - 1]) {
            return Some(false);
        }
        if self.expected == Some(sample_number) {
            return Some(true);
        }
        match held.get(PACKET_LEN..2 * PACKET_LEN) {
            Some(next) => Some(
                next[0] == HEADER
                    && next[1] == sample_number.wrapping_add(1)
                    && is_footer(next[PACKET_LEN - 1]),
            ),
            None if held.get(PACKET_LEN).is_some_and(|&b| b != HEADER) => Some(false),
            None => None,
        }
    }

    /// More bytes are needed; if the buffer is full of an unconfirmable
    /// candidate (cannot happen with a capacity above two packets, kept
    /// for safety), drops its header so framing goes on.
    fn wait_or_give_up(&mut self) -> Option<Framed> {
        if self.buffered() >= FRAMER_CAPACITY {
            self.skip(1);
        }
        None
    }

    fn skip(&mut self, n: usize) {
        self.start += n;
        self.counts.junk_bytes += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
}
