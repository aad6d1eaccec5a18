//! Packets to samples. A Cyton sends one 8-channel sample per packet. A
//! Cyton with Daisy sends 16-channel samples at half the packet rate, each
//! in two packets: the Daisy's channels 9–16 in the packet with an even
//! sample number, the Cyton's channels 1–8 in the next (odd) one. A sample
//! whose two halves did not both arrive is lost, and counted as such.

use super::framer::Framed;
use super::packet::PACKET_CHANNELS;

/// Which board a packet stream comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    /// Cyton: 8 channels, one packet per sample.
    Cyton,
    /// Cyton with Daisy: 16 channels, two packets per sample.
    CytonDaisy,
}

impl Board {
    /// Channels per sample.
    #[must_use]
    pub fn channels(self) -> usize {
        match self {
            Board::Cyton => PACKET_CHANNELS,
            Board::CytonDaisy => 2 * PACKET_CHANNELS,
        }
    }

    /// Packets per sample.
    #[must_use]
    pub fn packets_per_sample(self) -> u64 {
        match self {
            Board::Cyton => 1,
            Board::CytonDaisy => 2,
        }
    }
}

/// One sample made from packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assembled {
    /// Samples lost just before this one.
    pub missing: u64,
}

/// Turns framed packets into scaled samples.
#[derive(Debug)]
pub struct SampleAssembler {
    board: Board,
    scale: f64,
    /// Packet sequence number (the sample numbers unwrapped), of the last
    /// packet seen.
    sequence: Option<u64>,
    /// Index of the last sample made.
    last_sample: Option<u64>,
    /// The Daisy half waiting for its Cyton half: its sequence number and
    /// counts.
    daisy: Option<(u64, [i32; PACKET_CHANNELS])>,
}

impl SampleAssembler {
    /// An assembler for `board` multiplying counts by `scale` (µV/count).
    #[must_use]
    pub fn new(board: Board, scale: f64) -> Self {
        Self {
            board,
            scale,
            sequence: None,
            last_sample: None,
            daisy: None,
        }
    }

    /// Starts over (the board was re-initialised).
    pub fn reset(&mut self) {
        self.sequence = None;
        self.last_sample = None;
        self.daisy = None;
    }

    /// Takes one framed packet; when it completes a sample, writes the
    /// sample's values into `out` and says how many samples were lost
    /// before it.
    ///
    /// # Shapes
    /// `out`: at least [`Board::channels`] values.
    pub fn take(&mut self, framed: &Framed, out: &mut [f32]) -> Option<Assembled> {
        let sequence = match self.sequence {
            Some(s) => s + u64::from(framed.lost) + 1,
            None => u64::from(framed.packet.sample_number),
        };
        self.sequence = Some(sequence);
        let counts = &framed.packet.counts;
        let index = match self.board {
            Board::Cyton => {
                self.write(counts, &mut out[..PACKET_CHANNELS]);
                sequence
            }
            Board::CytonDaisy if sequence % 2 == 0 => {
                self.daisy = Some((sequence, *counts));
                return None;
            }
            Board::CytonDaisy => {
                let (at, daisy) = self.daisy.take()?;
                if at + 1 != sequence {
                    return None;
                }
                self.write(counts, &mut out[..PACKET_CHANNELS]);
                self.write(&daisy, &mut out[PACKET_CHANNELS..2 * PACKET_CHANNELS]);
                sequence / 2
            }
        };
        let missing = self.last_sample.map_or(0, |last| index - last - 1);
        self.last_sample = Some(index);
        Some(Assembled { missing })
    }

    fn write(&self, counts: &[i32; PACKET_CHANNELS], out: &mut [f32]) {
        for (v, &c) in out.iter_mut().zip(counts) {
            *v = (f64::from(c) * self.scale) as f32;
        }
    }
}
