//! XDF (Extensible Data Format), as Lab Streaming Layer's LabRecorder
//! writes it: every stream with its header, samples, clock offsets and
//! footer.
//!
//! * `chunks`: the chunk framing; a file cut anywhere reads up to its last
//!   whole chunk ([`XdfFile::truncated`]).
//! * `header`: the stream header XML ([`StreamInfo`]).
//! * `samples`: samples of every channel format, missing timestamps
//!   deduced from the nominal rate.
//! * `sync`: clock synchronisation (robust linear fit of the clock offsets
//!   per segment between clock resets) and jitter removal, as pyxdf does
//!   them by default ([`XdfOptions`]).
//! * `writer`: [`XdfWriter`], each chunk written whole.
//!
//! ```no_run
//! use neuroloop_formats::xdf::{read_xdf, XdfOptions};
//! let file = read_xdf("session.xdf", &XdfOptions::default())?;
//! for stream in &file.streams {
//!     println!("{} ({}): {} samples", stream.info.name, stream.info.kind, stream.len());
//! }
//! # Ok::<(), neuroloop_formats::FormatError>(())
//! ```
//!
//! # Shapes
//! Numeric values are sample-major: channel `c` of sample `s` is
//! `values[s * channel_count + c]`; strings likewise.

mod chunks;
mod header;
mod samples;
mod sync;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;

pub use chunks::MAGIC;
pub use header::{ChannelFormat, MAX_CHANNELS, StreamInfo};
pub use samples::Samples;
pub use writer::{BOUNDARY, XdfWriter, stream_footer_xml, stream_header_xml};

use crate::FormatError;
use chunks::Tag;
use samples::SampleDecoder;

/// How timestamps are post-processed (pyxdf's `load_xdf` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XdfOptions {
    /// Apply the clock offsets.
    pub synchronize_clocks: bool,
    /// Replace a regular stream's timestamps by their linear fit per
    /// segment.
    pub dejitter: bool,
}

impl Default for XdfOptions {
    fn default() -> Self {
        Self {
            synchronize_clocks: true,
            dejitter: true,
        }
    }
}

impl XdfOptions {
    /// The timestamps as stored.
    #[must_use]
    pub fn raw() -> Self {
        Self {
            synchronize_clocks: false,
            dejitter: false,
        }
    }
}

/// One stream of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct XdfStream {
    /// The stream id in the file.
    pub id: u32,
    /// Its header.
    pub info: StreamInfo,
    /// Its samples (timestamps post-processed as asked).
    pub samples: Samples,
    /// Clock offset collection times, seconds.
    pub clock_times: Vec<f64>,
    /// Clock offset values, seconds.
    pub clock_values: Vec<f64>,
    /// The footer XML, if the recording ended cleanly.
    pub footer: Option<String>,
    /// Samples per second between the first and last timestamp of each
    /// segment (0 if not measurable).
    pub effective_srate: f64,
}

impl XdfStream {
    /// Samples in the stream.
    #[must_use]
    pub fn len(&self) -> usize {
        self.samples.time_stamps.len()
    }

    /// Whether the stream has no sample.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.samples.time_stamps.is_empty()
    }
}

/// A whole file.
#[derive(Debug)]
pub struct XdfFile {
    /// The file header XML.
    pub header: String,
    /// The streams, by id.
    pub streams: Vec<XdfStream>,
    /// The file ends inside a chunk.
    pub truncated: bool,
    /// Samples chunks that did not decode and were skipped, with why.
    pub damaged: Vec<FormatError>,
}

impl XdfFile {
    /// The text of the file header's element `name` (a child of
    /// `<info>`), if it has one.
    #[must_use]
    pub fn header_field(&self, name: &str) -> Option<String> {
        let doc = roxmltree::Document::parse(&self.header).ok()?;
        doc.root_element()
            .children()
            .find(|n| n.has_tag_name(name))
            .map(|n| n.text().unwrap_or_default().to_owned())
    }
}

/// Reads the XDF file at `path`.
///
/// # Errors
/// As [`parse_xdf`] (each naming the byte offset), or the read error
/// ([`FormatError::Io`], naming the file).
pub fn read_xdf(path: impl AsRef<Path>, options: &XdfOptions) -> Result<XdfFile, FormatError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| {
        FormatError::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })?;
    parse_xdf(&bytes, options)
}

/// Reads an XDF file held in memory.
///
/// # Errors
/// [`FormatError::BadVersion`] without the `XDF:` magic;
/// [`FormatError::BadXdf`] for a malformed chunk frame, a stream header
/// that does not parse, or a chunk of a stream without a header.
pub fn parse_xdf(bytes: &[u8], options: &XdfOptions) -> Result<XdfFile, FormatError> {
    let split = chunks::split(bytes)?;
    let mut header = String::new();
    let mut streams: BTreeMap<u32, (XdfStream, SampleDecoder)> = BTreeMap::new();
    let mut damaged = Vec::new();
    for chunk in &split.chunks {
        let id = chunk.stream.unwrap_or(0);
        let missing = || FormatError::BadXdf {
            offset: chunk.offset,
            reason: format!("{:?} chunk of stream {id}, which has no header", chunk.tag),
        };
        match chunk.tag {
            Tag::FileHeader => header = String::from_utf8_lossy(chunk.content).into_owned(),
            Tag::Boundary => {}
            Tag::StreamHeader => {
                let info = StreamInfo::parse(chunk.content, chunk.offset)?;
                let decoder = SampleDecoder::new(&info);
                streams.insert(id, (new_stream(id, info), decoder));
            }
            Tag::Samples => {
                let (stream, decoder) = streams.get_mut(&id).ok_or_else(missing)?;
                if let Err(e) = decoder.decode(chunk.content, chunk.offset, &mut stream.samples) {
                    damaged.push(e);
                }
            }
            Tag::ClockOffset => {
                let (stream, _) = streams.get_mut(&id).ok_or_else(missing)?;
                let mut cursor = chunks::Cursor {
                    bytes: chunk.content,
                    at: 0,
                };
                if let (Some(time), Some(value)) = (cursor.f64(), cursor.f64()) {
                    stream.clock_times.push(time);
                    stream.clock_values.push(value);
                }
            }
            Tag::StreamFooter => {
                let (stream, _) = streams.get_mut(&id).ok_or_else(missing)?;
                stream.footer = Some(String::from_utf8_lossy(chunk.content).into_owned());
            }
        }
    }
    let mut streams: Vec<XdfStream> = streams.into_values().map(|(s, _)| s).collect();
    for stream in &mut streams {
        post_process(stream, options);
    }
    Ok(XdfFile {
        header,
        streams,
        truncated: split.truncated,
        damaged,
    })
}

fn new_stream(id: u32, info: StreamInfo) -> XdfStream {
    XdfStream {
        id,
        info,
        samples: Samples::default(),
        clock_times: Vec::new(),
        clock_values: Vec::new(),
        footer: None,
        effective_srate: 0.0,
    }
}

/// Clock synchronisation and jitter removal, as `options` asks.
fn post_process(stream: &mut XdfStream, options: &XdfOptions) {
    if options.synchronize_clocks {
        drop_corrupted_last_offset(stream);
        sync::synchronize(
            &mut stream.samples.time_stamps,
            &stream.clock_times,
            &stream.clock_values,
        );
    }
    let stamps = &mut stream.samples.time_stamps;
    let rate = stream.info.nominal_srate;
    stream.effective_srate = if rate <= 0.0 || stamps.len() < 2 {
        0.0
    } else if options.dejitter && !can_drop_samples(&stream.info.xml) {
        sync::dejitter(stamps, rate).1
    } else {
        let seconds = stamps[stamps.len() - 1] - stamps[0];
        if seconds > 0.0 {
            (stamps.len() - 1) as f64 / seconds
        } else {
            0.0
        }
    };
}

/// Whether the header says the stream may drop samples (video, HMD), which
/// a linear fit would squeeze together.
fn can_drop_samples(xml: &str) -> bool {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return false;
    };
    doc.descendants()
        .find(|n| n.has_tag_name("can_drop_samples"))
        .and_then(|n| n.text())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("true"))
}

/// A stream closed while an inlet was connected can record one extra
/// sample with a garbage clock offset: with more samples than the footer
/// counts and an outlying last offset, both are dropped (as pyxdf does).
fn drop_corrupted_last_offset(stream: &mut XdfStream) {
    let Some(count) = stream
        .footer
        .as_deref()
        .and_then(|f| header::footer_sample_count(f.as_bytes()))
    else {
        return;
    };
    let Ok(count) = usize::try_from(count) else {
        return;
    };
    if stream.len() <= count || !last_offset_is_outlier(&stream.clock_times, &stream.clock_values) {
        return;
    }
    stream.clock_times.pop();
    stream.clock_values.pop();
    let channels = stream.info.channel_count;
    let s = &mut stream.samples;
    s.time_stamps.truncate(count);
    s.values
        .truncate(count.saturating_mul(channels).min(s.values.len()));
    s.strings
        .truncate(count.saturating_mul(channels).min(s.strings.len()));
}

/// The last interval over 10 × the median interval, or the last value over
/// 10 robust standard deviations from the others.
fn last_offset_is_outlier(times: &[f64], values: &[f64]) -> bool {
    let n = times.len();
    if n < 3 {
        return false;
    }
    let intervals: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let median = sync::median;
    let typical = median(&intervals[..intervals.len() - 1]);
    let last = intervals[intervals.len() - 1].abs();
    let time_ratio = if typical > 0.0 {
        last / typical
    } else if last > 0.0 {
        f64::INFINITY
    } else {
        1.0
    };
    let earlier = &values[..n - 1];
    let centre = median(earlier);
    let deviations: Vec<f64> = earlier.iter().map(|v| (v - centre).abs()).collect();
    let mad = median(&deviations);
    let z = if mad > f64::EPSILON {
        (values[n - 1] - centre).abs() / (1.4826 * mad)
    } else {
        0.0
    };
    time_ratio > 10.0 || z > 10.0
}
