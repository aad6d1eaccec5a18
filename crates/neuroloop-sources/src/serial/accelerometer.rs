//! The Cyton's accelerometer (a LIS3DH at ±4 g, 25 Hz) as a further
//! stream beside the EEG.
//!
//! What the footer says the six aux bytes hold:
//! * `0xC0`: the accelerometer's X, Y and Z, 16-bit signed big-endian. The
//!   accelerometer has a new reading only every tenth packet (25 of 250
//!   per second); the firmware zeroes the axes after sending them, so the
//!   packets in between carry 0, 0, 0. A packet whose three axes are all
//!   zero has no reading (a real reading is never exactly zero on all three
//!   axes: gravity alone is 1 g).
//! * `0xC1`: raw aux bytes (the board's analog or digital pins, in the
//!   board modes that read them); `0xC2`: user-defined;
//!   `0xC3`–`0xC6`: time-stamped packets (a board time in four of the six
//!   bytes, one accelerometer axis or raw aux in the other two). These are
//!   not read: their aux bytes are ignored, the packets' channel counts are
//!   used as any other's.
//!
//! One count is 0.002 g / 2^4 = 0.125 mg (the LIS3DH's 12-bit readings at
//! ±4 g are 2 mg per step, left-justified in 16 bits).

use neuroloop_core::{ChannelSpec, StreamSpec};

use super::packet::Packet;

/// g per count.
pub const G_PER_COUNT: f64 = 0.002 / 16.0;
/// Readings per second.
pub const RATE_HZ: f64 = 25.0;
/// The axes, in packet order.
pub const AXES: [&str; 3] = ["X", "Y", "Z"];

/// The reading a packet carries, in counts: `None` unless the footer is
/// `0xC0` and an axis is non-zero.
#[must_use]
pub fn reading(packet: &Packet) -> Option<[i16; 3]> {
    packet
        .accelerometer()
        .filter(|axes| axes.iter().any(|&a| a != 0))
}

/// A reading's counts in g.
#[must_use]
pub fn to_g(counts: [i16; 3]) -> [f32; 3] {
    counts.map(|c| (f64::from(c) * G_PER_COUNT) as f32)
}

/// The stream the readings make: three channels X, Y, Z in g at the
/// nominal 25 Hz, named after the EEG stream `of`.
#[must_use]
pub fn spec(of: &str) -> StreamSpec {
    StreamSpec {
        name: format!("{of} accelerometer"),
        channels: AXES
            .iter()
            .map(|axis| ChannelSpec {
                label: (*axis).to_owned(),
                kind: "Accelerometer".into(),
                unit: "g".into(),
            })
            .collect(),
        sample_rate: RATE_HZ,
        block_size: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serial::packet::{FOOTER_ACCELEROMETER, PACKET_CHANNELS};

    fn packet(aux: [u8; 6], footer: u8) -> Packet {
        Packet {
            sample_number: 9,
            counts: [0; PACKET_CHANNELS],
            aux,
            footer,
        }
    }

    #[test]
    fn only_a_non_zero_0xc0_packet_carries_a_reading() {
        let axes = [0x1F, 0x40, 0xFF, 0xF8, 0x00, 0x01];
        assert_eq!(
            reading(&packet(axes, FOOTER_ACCELEROMETER)),
            Some([8000, -8, 1])
        );
        assert_eq!(reading(&packet([0; 6], FOOTER_ACCELEROMETER)), None);
        for footer in 0xC1..=0xC6 {
            assert_eq!(reading(&packet(axes, footer)), None, "footer {footer:#x}");
        }
    }

    #[test]
    fn counts_scale_to_g() {
        // 8000 counts are 1 g; -8 counts are -1 mg; full scale is ±4.096 g.
        assert_eq!(to_g([8000, -8, 1]), [1.0, -0.001, 0.000_125]);
        assert_eq!(to_g([i16::MAX, i16::MIN, 0]), [4.095_875, -4.096, 0.0]);
        let s = spec("cyton");
        assert_eq!(s.labels().collect::<Vec<_>>(), AXES);
        assert!(s.channels.iter().all(|c| c.unit == "g"));
        assert_eq!(s.sample_rate, 25.0);
    }
}
