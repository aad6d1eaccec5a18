//! Writing XDF: the magic and file header, then stream headers, samples,
//! clock offsets, boundaries and footers as chunks, each written whole (a
//! reader of a file cut after any write sees every chunk before it).
//!
//! Each chunk is assembled, length first, in a buffer the writer keeps and
//! handed to the underlying writer in one call (a buffered writer never
//! holds back half a chunk); writing allocates only while that buffer
//! grows to the largest chunk.

use std::io::Write;

use super::chunks::MAGIC;

/// The 16 bytes of a boundary chunk (the specification's UUID).
pub const BOUNDARY: [u8; 16] = [
    0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4,
];

/// Bytes kept in front of each chunk for its length (a variable-length
/// integer: one byte of size, up to eight of value).
const LENGTH_ROOM: usize = 9;

/// Writes an XDF file to `W`.
#[derive(Debug)]
pub struct XdfWriter<W: Write> {
    out: W,
    chunk: Vec<u8>,
    written: u64,
}

impl<W: Write> XdfWriter<W> {
    /// Writes the magic and a file header (XDF 1.0).
    ///
    /// # Errors
    /// The write error.
    pub fn new(out: W) -> std::io::Result<Self> {
        Self::with_header(out, &[])
    }

    /// Writes the magic and a file header (XDF 1.0) holding `fields` as
    /// further elements of `<info>`: `(name, text)`, the text escaped
    /// (read back with [`XdfFile::header_field`](super::XdfFile::header_field)).
    ///
    /// # Errors
    /// The write error.
    pub fn with_header(out: W, fields: &[(&str, &str)]) -> std::io::Result<Self> {
        let mut writer = Self {
            out,
            chunk: Vec::with_capacity(4096),
            written: 0,
        };
        writer.out.write_all(MAGIC)?;
        writer.written = MAGIC.len() as u64;
        writer.begin(1, None);
        let mut xml = String::from("<?xml version=\"1.0\"?><info><version>1.0</version>");
        for (name, text) in fields {
            xml.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        }
        xml.push_str("</info>");
        writer.chunk.extend_from_slice(xml.as_bytes());
        writer.finish()?;
        Ok(writer)
    }

    /// Bytes written so far.
    #[must_use]
    pub fn written(&self) -> u64 {
        self.written
    }

    /// A stream header chunk.
    ///
    /// # Errors
    /// The write error.
    pub fn stream_header(&mut self, stream: u32, xml: &str) -> std::io::Result<()> {
        self.begin(2, Some(stream));
        self.chunk.extend_from_slice(xml.as_bytes());
        self.finish()
    }

    /// A samples chunk of `f32` values, sample-major (`values.len()` is
    /// `stamps.len()` × the stream's channels).
    ///
    /// # Errors
    /// The write error.
    pub fn samples_f32(
        &mut self,
        stream: u32,
        stamps: &[f64],
        values: &[f32],
    ) -> std::io::Result<()> {
        self.numeric(stream, stamps, values.len(), |chunk, range| {
            values[range]
                .iter()
                .for_each(|v| chunk.extend_from_slice(&v.to_le_bytes()));
        })
    }

    /// A samples chunk of `f64` values, sample-major.
    ///
    /// # Errors
    /// The write error.
    pub fn samples_f64(
        &mut self,
        stream: u32,
        stamps: &[f64],
        values: &[f64],
    ) -> std::io::Result<()> {
        self.numeric(stream, stamps, values.len(), |chunk, range| {
            values[range]
                .iter()
                .for_each(|v| chunk.extend_from_slice(&v.to_le_bytes()));
        })
    }

    /// A samples chunk of one-channel string samples.
    ///
    /// # Errors
    /// The write error.
    pub fn samples_strings(
        &mut self,
        stream: u32,
        stamps: &[f64],
        values: &[&str],
    ) -> std::io::Result<()> {
        self.begin(3, Some(stream));
        push_varlen(&mut self.chunk, stamps.len() as u64);
        for (t, v) in stamps.iter().zip(values) {
            self.chunk.push(8);
            self.chunk.extend_from_slice(&t.to_le_bytes());
            push_varlen(&mut self.chunk, v.len() as u64);
            self.chunk.extend_from_slice(v.as_bytes());
        }
        self.finish()
    }

    /// A clock offset: at `collection_time` the stream's clock was
    /// `offset` seconds from the recorder's.
    ///
    /// # Errors
    /// The write error.
    pub fn clock_offset(
        &mut self,
        stream: u32,
        collection_time: f64,
        offset: f64,
    ) -> std::io::Result<()> {
        self.begin(4, Some(stream));
        self.chunk.extend_from_slice(&collection_time.to_le_bytes());
        self.chunk.extend_from_slice(&offset.to_le_bytes());
        self.finish()
    }

    /// A boundary chunk (lets a reader find its place in a damaged file).
    ///
    /// # Errors
    /// The write error.
    pub fn boundary(&mut self) -> std::io::Result<()> {
        self.begin(5, None);
        self.chunk.extend_from_slice(&BOUNDARY);
        self.finish()
    }

    /// A stream footer chunk.
    ///
    /// # Errors
    /// The write error.
    pub fn stream_footer(&mut self, stream: u32, xml: &str) -> std::io::Result<()> {
        self.begin(6, Some(stream));
        self.chunk.extend_from_slice(xml.as_bytes());
        self.finish()
    }

    /// Flushes the underlying writer.
    ///
    /// # Errors
    /// The flush error.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// The underlying writer, e.g. to sync a file.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn numeric(
        &mut self,
        stream: u32,
        stamps: &[f64],
        values: usize,
        mut put: impl FnMut(&mut Vec<u8>, std::ops::Range<usize>),
    ) -> std::io::Result<()> {
        let channels = if stamps.is_empty() {
            0
        } else {
            values / stamps.len()
        };
        self.begin(3, Some(stream));
        push_varlen(&mut self.chunk, stamps.len() as u64);
        for (s, t) in stamps.iter().enumerate() {
            self.chunk.push(8);
            self.chunk.extend_from_slice(&t.to_le_bytes());
            put(&mut self.chunk, s * channels..(s + 1) * channels);
        }
        self.finish()
    }

    /// Starts a chunk: room for its length, then tag and stream id into
    /// the buffer.
    fn begin(&mut self, tag: u16, stream: Option<u32>) {
        self.chunk.clear();
        self.chunk.extend_from_slice(&[0; LENGTH_ROOM]);
        self.chunk.extend_from_slice(&tag.to_le_bytes());
        if let Some(id) = stream {
            self.chunk.extend_from_slice(&id.to_le_bytes());
        }
    }

    /// Puts the chunk's length in front of it and writes both in one
    /// call, so a buffered writer never holds back half a chunk.
    fn finish(&mut self) -> std::io::Result<()> {
        let mut length = [0u8; LENGTH_ROOM];
        let n = varlen_into(&mut length, (self.chunk.len() - LENGTH_ROOM) as u64);
        let start = LENGTH_ROOM - n;
        self.chunk[start..LENGTH_ROOM].copy_from_slice(&length[..n]);
        self.out.write_all(&self.chunk[start..])?;
        self.written += (self.chunk.len() - start) as u64;
        Ok(())
    }
}

fn push_varlen(out: &mut Vec<u8>, n: u64) {
    let mut bytes = [0u8; LENGTH_ROOM];
    let len = varlen_into(&mut bytes, n);
    out.extend_from_slice(&bytes[..len]);
}

/// `n` as a variable-length integer into `out`; returns its length.
fn varlen_into(out: &mut [u8; LENGTH_ROOM], n: u64) -> usize {
    if let Ok(small) = u8::try_from(n) {
        out[..2].copy_from_slice(&[1, small]);
        2
    } else if let Ok(mid) = u32::try_from(n) {
        out[0] = 4;
        out[1..5].copy_from_slice(&mid.to_le_bytes());
        5
    } else {
        out[0] = 8;
        out[1..9].copy_from_slice(&n.to_le_bytes());
        9
    }
}

/// A stream header's XML: name, type, channel count and format, nominal
/// rate (0 for irregular), source id, channel labels and units.
#[must_use]
pub fn stream_header_xml(info: &super::StreamInfo) -> String {
    let format = match info.format {
        super::ChannelFormat::Float32 => "float32",
        super::ChannelFormat::Double64 => "double64",
        super::ChannelFormat::String => "string",
        super::ChannelFormat::Int8 => "int8",
        super::ChannelFormat::Int16 => "int16",
        super::ChannelFormat::Int32 => "int32",
        super::ChannelFormat::Int64 => "int64",
    };
    let channels: String = info
        .labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let unit = info.units.get(i).map_or("", String::as_str);
            format!(
                "<channel><label>{}</label><unit>{}</unit><type>{}</type></channel>",
                escape(label),
                escape(unit),
                escape(&info.kind)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><info><name>{}</name><type>{}</type>\
         <channel_count>{}</channel_count><nominal_srate>{}</nominal_srate>\
         <channel_format>{format}</channel_format><source_id>{}</source_id>\
         <desc><channels>{channels}</channels></desc></info>",
        escape(&info.name),
        escape(&info.kind),
        info.channel_count,
        info.nominal_srate,
        escape(&info.source_id),
    )
}

/// A stream footer's XML: first and last timestamp, sample count.
#[must_use]
pub fn stream_footer_xml(first: f64, last: f64, samples: u64) -> String {
    format!(
        "<?xml version=\"1.0\"?><info><first_timestamp>{first}</first_timestamp>\
         <last_timestamp>{last}</last_timestamp><sample_count>{samples}</sample_count></info>"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
