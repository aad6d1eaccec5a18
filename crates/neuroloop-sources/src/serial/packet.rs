//! One OpenBCI Cyton packet: 33 bytes, `0xA0`, the sample number, eight
//! 24-bit signed big-endian channel counts, six aux bytes and a footer
//! `0xC0`–`0xC6` that says what the aux bytes hold.

/// Bytes of one packet.
pub const PACKET_LEN: usize = 33;
/// The first byte of every packet.
pub const HEADER: u8 = 0xA0;
/// The lowest footer byte (`0xC0`: the aux bytes are accelerometer axes).
pub const FOOTER_MIN: u8 = 0xC0;
/// The highest footer byte the Cyton firmware sends.
pub const FOOTER_MAX: u8 = 0xC6;
/// The footer of a packet whose aux bytes are three 16-bit accelerometer
/// axes.
pub const FOOTER_ACCELEROMETER: u8 = 0xC0;
/// Channel counts in one packet.
pub const PACKET_CHANNELS: usize = 8;

/// A decoded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Packet {
    /// The board's packet counter, modulo 256.
    pub sample_number: u8,
    /// Raw 24-bit ADC counts, sign-extended.
    pub counts: [i32; PACKET_CHANNELS],
    /// The aux bytes, as sent.
    pub aux: [u8; 6],
    /// The footer byte, `0xC0`–`0xC6`.
    pub footer: u8,
}

/// Whether `byte` is a footer the firmware sends.
#[must_use]
pub fn is_footer(byte: u8) -> bool {
    (FOOTER_MIN..=FOOTER_MAX).contains(&byte)
}

/// A 24-bit two's-complement big-endian count, sign-extended.
#[must_use]
pub fn count_from_be24(bytes: [u8; 3]) -> i32 {
    i32::from_be_bytes([bytes[0], bytes[1], bytes[2], 0]) >> 8
}

/// The low 24 bits of `count`, big-endian (the inverse of
/// [`count_from_be24`] for counts in `-2^23..2^23`).
#[must_use]
pub fn count_to_be24(count: i32) -> [u8; 3] {
    let b = count.to_be_bytes();
    [b[1], b[2], b[3]]
}

impl Packet {
    /// Decodes 33 bytes; `None` unless they start with [`HEADER`] and end
    /// with a footer.
    #[must_use]
    pub fn decode(bytes: &[u8; PACKET_LEN]) -> Option<Self> {
        if bytes[0] != HEADER || !is_footer(bytes[PACKET_LEN - 1]) {
            return None;
        }
        let mut counts = [0; PACKET_CHANNELS];
        for (c, count) in counts.iter_mut().enumerate() {
            let at = 2 + 3 * c;
            *count = count_from_be24([bytes[at], bytes[at + 1], bytes[at + 2]]);
        }
        let mut aux = [0; 6];
        aux.copy_from_slice(&bytes[26..32]);
        Some(Self {
            sample_number: bytes[1],
            counts,
            aux,
            footer: bytes[PACKET_LEN - 1],
        })
    }

    /// The 33 bytes of this packet (counts outside 24 bits are truncated).
    #[must_use]
    pub fn encode(&self) -> [u8; PACKET_LEN] {
        let mut bytes = [0; PACKET_LEN];
        bytes[0] = HEADER;
        bytes[1] = self.sample_number;
        for (c, &count) in self.counts.iter().enumerate() {
            bytes[2 + 3 * c..5 + 3 * c].copy_from_slice(&count_to_be24(count));
        }
        bytes[26..32].copy_from_slice(&self.aux);
        bytes[PACKET_LEN - 1] = self.footer;
        bytes
    }

    /// The accelerometer's X, Y, Z counts (16-bit signed big-endian), when
    /// the footer says the aux bytes hold them.
    #[must_use]
    pub fn accelerometer(&self) -> Option<[i16; 3]> {
        (self.footer == FOOTER_ACCELEROMETER).then(|| {
            let a = &self.aux;
            [
                i16::from_be_bytes([a[0], a[1]]),
                i16::from_be_bytes([a[2], a[3]]),
                i16::from_be_bytes([a[4], a[5]]),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_24_bit_signed_big_endian() {
        assert_eq!(count_from_be24([0x7F, 0xFF, 0xFF]), 8_388_607);
        assert_eq!(count_from_be24([0x80, 0x00, 0x00]), -8_388_608);
        assert_eq!(count_from_be24([0xFF, 0xFF, 0xFF]), -1);
        assert_eq!(count_from_be24([0x00, 0x01, 0x02]), 258);
        assert_eq!(count_to_be24(-2), [0xFF, 0xFF, 0xFE]);
    }

    #[test]
    fn a_packet_decodes_field_by_field() {
        let mut bytes = [0u8; PACKET_LEN];
        bytes[0] = HEADER;
        bytes[1] = 17;
        bytes[2..5].copy_from_slice(&[0x00, 0x00, 0x2A]); // channel 1: 42
        bytes[23..26].copy_from_slice(&[0xFF, 0xFF, 0xD6]); // channel 8: -42
        bytes[26..32].copy_from_slice(&[0x01, 0x00, 0xFF, 0x00, 0x00, 0x10]);
        bytes[32] = 0xC0;
        let p = Packet::decode(&bytes).unwrap();
        assert_eq!(p.sample_number, 17);
        assert_eq!(p.counts, [42, 0, 0, 0, 0, 0, 0, -42]);
        assert_eq!(p.accelerometer(), Some([256, -256, 16]));
        assert_eq!(p.encode(), bytes);
        bytes[32] = 0xC1;
        assert_eq!(Packet::decode(&bytes).unwrap().accelerometer(), None);
        bytes[32] = 0xC7;
        assert_eq!(Packet::decode(&bytes), None, "0xC7 is no footer");
        bytes[32] = 0xC0;
        bytes[0] = 0xA1;
        assert_eq!(Packet::decode(&bytes), None, "0xA1 is no header");
    }
}
