//! ADS1299 counts to microvolts: full scale (±(2^23 − 1) counts) is
//! ±VREF / gain with VREF = 4.5 V, so one count is
//! 4.5 V / gain / (2^23 − 1) × 10^6 µV.

/// The ADS1299 reference voltage, volts.
pub const VREF_V: f64 = 4.5;
/// Counts at positive full scale.
pub const FULL_SCALE_COUNTS: f64 = 8_388_607.0;

/// The programmable gains and the digit of each in a channel-settings
/// command.
pub const GAINS: [(u32, u8); 7] = [
    (1, b'0'),
    (2, b'1'),
    (4, b'2'),
    (6, b'3'),
    (8, b'4'),
    (12, b'5'),
    (24, b'6'),
];

/// Microvolts per count at `gain`.
#[must_use]
pub fn uv_per_count(gain: u32) -> f64 {
    VREF_V / f64::from(gain) / FULL_SCALE_COUNTS * 1e6
}

/// The command digit of `gain`, `None` if the ADS1299 has no such gain.
#[must_use]
pub fn gain_digit(gain: u32) -> Option<u8> {
    GAINS.iter().find(|(g, _)| *g == gain).map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_24_is_the_profiles_scale() {
        // 4.5 / 24 / 8388607 * 1e6 and 4.5 / 1 / 8388607 * 1e6.
        assert!((uv_per_count(24) - 0.022_351_744_455_307_063).abs() < 1e-17);
        assert!((uv_per_count(1) - 0.536_441_866_927_369_5).abs() < 1e-15);
        assert_eq!(gain_digit(24), Some(b'6'));
        assert_eq!(gain_digit(3), None);
        // Full scale at gain 24 is 187500 µV.
        assert!((uv_per_count(24) * FULL_SCALE_COUNTS - 187_500.0).abs() < 1e-6);
    }
}
