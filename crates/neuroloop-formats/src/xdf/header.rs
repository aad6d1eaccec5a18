//! The stream header XML of an XDF stream (`<info>`: name, type, channel
//! count and format, nominal rate, source id, channel labels and units) and
//! the footer's sample count.

use crate::FormatError;

/// Largest channel count accepted from a header.
pub const MAX_CHANNELS: usize = 1 << 16;

/// How each value of a stream is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFormat {
    /// `float32`.
    Float32,
    /// `double64`.
    Double64,
    /// `string` (each value length-prefixed).
    String,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
}

impl ChannelFormat {
    /// The format named `name` in a header.
    #[must_use]
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "float32" => Self::Float32,
            "double64" => Self::Double64,
            "string" => Self::String,
            "int8" => Self::Int8,
            "int16" => Self::Int16,
            "int32" => Self::Int32,
            "int64" => Self::Int64,
            _ => return None,
        })
    }

    /// Bytes per value (`None` for strings).
    #[must_use]
    pub fn width(self) -> Option<usize> {
        match self {
            Self::Float32 | Self::Int32 => Some(4),
            Self::Double64 | Self::Int64 => Some(8),
            Self::Int8 => Some(1),
            Self::Int16 => Some(2),
            Self::String => None,
        }
    }

    /// Decodes one little-endian value of this format (`bytes` has its
    /// width); `int64` beyond 2^53 loses precision.
    #[must_use]
    pub fn decode(self, bytes: &[u8]) -> f64 {
        let array = |b: &[u8]| -> [u8; 8] {
            let mut a = [0u8; 8];
            a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
            a
        };
        let a = array(bytes);
        match self {
            Self::Float32 => f64::from(f32::from_le_bytes([a[0], a[1], a[2], a[3]])),
            Self::Double64 => f64::from_le_bytes(a),
            Self::Int8 => f64::from(a[0] as i8),
            Self::Int16 => f64::from(i16::from_le_bytes([a[0], a[1]])),
            Self::Int32 => f64::from(i32::from_le_bytes([a[0], a[1], a[2], a[3]])),
            Self::Int64 => i64::from_le_bytes(a) as f64,
            Self::String => f64::NAN,
        }
    }
}

/// What a stream header says.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    /// `name`.
    pub name: String,
    /// `type` (`EEG`, `Markers`, ...).
    pub kind: String,
    /// `channel_count`.
    pub channel_count: usize,
    /// `nominal_srate` in Hz; 0 for an irregular stream.
    pub nominal_srate: f64,
    /// `channel_format`.
    pub format: ChannelFormat,
    /// `source_id` (empty if none).
    pub source_id: String,
    /// `desc/channels/channel/label`, one per channel if the header lists
    /// them (else empty).
    pub labels: Vec<String>,
    /// `desc/channels/channel/unit`, likewise.
    pub units: Vec<String>,
    /// The header XML as written.
    pub xml: String,
}

impl StreamInfo {
    /// Parses a stream header.
    ///
    /// # Errors
    /// [`FormatError::BadXdf`] (at `offset`) for XML that does not parse, a
    /// missing or bad `channel_count`, `nominal_srate` or `channel_format`.
    pub fn parse(xml: &[u8], offset: u64) -> Result<Self, FormatError> {
        let bad = |reason: String| FormatError::BadXdf { offset, reason };
        let text = String::from_utf8_lossy(xml).into_owned();
        let doc = roxmltree::Document::parse(&text)
            .map_err(|e| bad(format!("stream header XML: {e}")))?;
        let info = doc.root_element();
        let field = |name: &str| child_text(info, name).unwrap_or_default();
        let channel_count = field("channel_count")
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&n| (1..=MAX_CHANNELS).contains(&n))
            .ok_or_else(|| {
                bad(format!(
                    "channel_count {:?} is not a count from 1 to {MAX_CHANNELS}",
                    field("channel_count")
                ))
            })?;
        let nominal_srate = field("nominal_srate")
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| bad(format!("nominal_srate {:?}", field("nominal_srate"))))?;
        let format = ChannelFormat::named(field("channel_format").trim())
            .ok_or_else(|| bad(format!("channel_format {:?}", field("channel_format"))))?;
        let channels: Vec<_> = info
            .children()
            .filter(|n| n.has_tag_name("desc"))
            .flat_map(|d| d.children().filter(|n| n.has_tag_name("channels")))
            .flat_map(|c| c.children().filter(|n| n.has_tag_name("channel")))
            .collect();
        let listed = |name: &str| -> Vec<String> {
            if channels.len() != channel_count {
                return Vec::new();
            }
            channels
                .iter()
                .map(|c| child_text(*c, name).unwrap_or_default())
                .collect()
        };
        Ok(Self {
            name: field("name"),
            kind: field("type"),
            channel_count,
            nominal_srate,
            format,
            source_id: field("source_id"),
            labels: listed("label"),
            units: listed("unit"),
            xml: text.clone(),
        })
    }
}

/// The `sample_count` of a stream footer, if it states one.
#[must_use]
pub fn footer_sample_count(xml: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(xml);
    let doc = roxmltree::Document::parse(&text).ok()?;
    let count = child_text(doc.root_element(), "sample_count")?;
    let value: f64 = count.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value as u64)
}

fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> Option<String> {
    node.children()
        .find(|n| n.has_tag_name(name))
        .map(|n| n.text().unwrap_or_default().to_owned())
}
