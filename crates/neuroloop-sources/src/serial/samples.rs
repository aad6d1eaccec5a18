//! Packets to samples. A Cyton sends one 8-channel sample per packet. A
//! Cyton with Daisy sends 16-channel samples at half the packet rate, each
//! in two packets: the Daisy's channels 9–16 in the packet with an even
//! sample number, the Cyton's channels 1–8 in the next (odd) one. A sample
//! whose two halves did not both arrive is lost, and counted as such.
//!
//! An accelerometer reading (see [`super::accelerometer`]) goes with the
//! sample of its packet; a Daisy sample takes the reading of either half
//! (the board sends one every tenth packet, so never both).

use super::accelerometer;
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
    /// The accelerometer reading its packets carried, in counts.
    pub accelerometer: Option<[i16; 3]>,
}

/// The Daisy half of a sample, waiting for its Cyton half.
#[derive(Debug, Clone, Copy)]
struct DaisyHalf {
    sequence: u64,
    counts: [i32; PACKET_CHANNELS],
    accelerometer: Option<[i16; 3]>,
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
    /// The Daisy half waiting for its Cyton half.
    daisy: Option<DaisyHalf>,
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
        let mut reading = accelerometer::reading(&framed.packet);
        let index = match self.board {
            Board::Cyton => {
                self.write(counts, &mut out[..PACKET_CHANNELS]);
                sequence
            }
            Board::CytonDaisy if sequence % 2 == 0 => {
                self.daisy = Some(DaisyHalf {
                    sequence,
                    counts: *counts,
                    accelerometer: reading,
                });
                return None;
            }
            Board::CytonDaisy => {
                let daisy = self.daisy.take()?;
                if daisy.sequence + 1 != sequence {
                    return None;
                }
                self.write(counts, &mut out[..PACKET_CHANNELS]);
                self.write(
                    &daisy.counts,
                    &mut out[PACKET_CHANNELS..2 * PACKET_CHANNELS],
                );
                reading = reading.or(daisy.accelerometer);
                sequence / 2
            }
        };
        let missing = self.last_sample.map_or(0, |last| index - last - 1);
        self.last_sample = Some(index);
        Some(Assembled {
            missing,
            accelerometer: reading,
        })
    }

    fn write(&self, counts: &[i32; PACKET_CHANNELS], out: &mut [f32]) {
        for (v, &c) in out.iter_mut().zip(counts) {
            *v = (f64::from(c) * self.scale) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serial::packet::{FOOTER_ACCELEROMETER, Packet};

    fn framed(sample_number: u8, aux: [u8; 6], lost: u8) -> Framed {
        Framed {
            packet: Packet {
                sample_number,
                counts: [i32::from(sample_number); PACKET_CHANNELS],
                aux,
                footer: FOOTER_ACCELEROMETER,
            },
            lost,
        }
    }

    #[test]
    fn a_daisy_sample_takes_the_reading_of_either_half_and_a_lost_one_loses_it() {
        let mut a = SampleAssembler::new(Board::CytonDaisy, 1.0);
        let mut out = [0f32; 16];
        let reading = [0, 1, 0, 2, 0, 3];
        // Sample 0: the reading in the Cyton (odd) half.
        assert_eq!(a.take(&framed(0, [0; 6], 0), &mut out), None);
        let s = a.take(&framed(1, reading, 0), &mut out).unwrap();
        assert_eq!(s.accelerometer, Some([1, 2, 3]));
        // Sample 1: in the Daisy (even) half.
        assert_eq!(a.take(&framed(2, reading, 0), &mut out), None);
        let s = a.take(&framed(3, [0; 6], 0), &mut out).unwrap();
        assert_eq!((s.missing, s.accelerometer), (0, Some([1, 2, 3])));
        assert_eq!((out[0], out[8]), (3.0, 2.0));
        // Sample 2's Daisy half carries one, its Cyton half is lost: the
        // sample and its reading are lost; sample 3 has none.
        assert_eq!(a.take(&framed(4, reading, 0), &mut out), None);
        assert_eq!(a.take(&framed(6, [0; 6], 1), &mut out), None);
        let s = a.take(&framed(7, [0; 6], 0), &mut out).unwrap();
        assert_eq!((s.missing, s.accelerometer), (1, None));
    }
}
