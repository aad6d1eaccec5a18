//! GDF channel data types (the per-signal `GDFTYP` field).

/// How one channel's samples are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GdfType {
    /// 1: `i8`.
    Int8,
    /// 2: `u8`.
    Uint8,
    /// 3: `i16`.
    Int16,
    /// 4: `u16`.
    Uint16,
    /// 5: `i32`.
    Int32,
    /// 6: `u32`.
    Uint32,
    /// 7: `i64`.
    Int64,
    /// 8: `u64`.
    Uint64,
    /// 16: `f32`.
    Float32,
    /// 17: `f64`.
    Float64,
}

impl GdfType {
    /// The type for a `GDFTYP` code, or `None` for codes not read here.
    #[must_use]
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            1 => Self::Int8,
            2 => Self::Uint8,
            3 => Self::Int16,
            4 => Self::Uint16,
            5 => Self::Int32,
            6 => Self::Uint32,
            7 => Self::Int64,
            8 => Self::Uint64,
            16 => Self::Float32,
            17 => Self::Float64,
            _ => return None,
        })
    }

    /// Bytes per sample.
    #[must_use]
    pub fn size(self) -> usize {
        match self {
            Self::Int8 | Self::Uint8 => 1,
            Self::Int16 | Self::Uint16 => 2,
            Self::Int32 | Self::Uint32 | Self::Float32 => 4,
            Self::Int64 | Self::Uint64 | Self::Float64 => 8,
        }
    }

    /// Decodes one little-endian sample of `self.size()` bytes as `f64`.
    pub(crate) fn decode(self, b: &[u8]) -> f64 {
        fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
            let mut a = [0u8; N];
            a.copy_from_slice(&b[..N]);
            a
        }
        match self {
            Self::Int8 => f64::from(b[0].cast_signed()),
            Self::Uint8 => f64::from(b[0]),
            Self::Int16 => f64::from(i16::from_le_bytes(arr(b))),
            Self::Uint16 => f64::from(u16::from_le_bytes(arr(b))),
            Self::Int32 => f64::from(i32::from_le_bytes(arr(b))),
            Self::Uint32 => f64::from(u32::from_le_bytes(arr(b))),
            Self::Int64 => i64::from_le_bytes(arr(b)) as f64,
            Self::Uint64 => u64::from_le_bytes(arr(b)) as f64,
            Self::Float32 => f64::from(f32::from_le_bytes(arr(b))),
            Self::Float64 => f64::from_le_bytes(arr(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_type() {
        let cases: [(u32, Vec<u8>, f64); 10] = [
            (1, vec![0xfe], -2.0),
            (2, vec![0xfe], 254.0),
            (3, (-300i16).to_le_bytes().to_vec(), -300.0),
            (4, 65000u16.to_le_bytes().to_vec(), 65000.0),
            (5, (-70000i32).to_le_bytes().to_vec(), -70000.0),
            (6, 4_000_000_000u32.to_le_bytes().to_vec(), 4e9),
            (7, (-5i64).to_le_bytes().to_vec(), -5.0),
            (8, 7u64.to_le_bytes().to_vec(), 7.0),
            (16, 1.5f32.to_le_bytes().to_vec(), 1.5),
            (17, (-0.25f64).to_le_bytes().to_vec(), -0.25),
        ];
        for (code, bytes, want) in cases {
            let t = GdfType::from_code(code).unwrap();
            assert_eq!(t.size(), bytes.len());
            assert_eq!(t.decode(&bytes), want, "type {code}");
        }
        assert_eq!(GdfType::from_code(9), None);
    }
}
