//! The recording's XDF file and its four streams: the input (float32 at
//! the nominal rate), cue markers (strings: the class, or `rest`), intents
//! and holds (strings: their protocol JSON), decoder outputs (float32, one
//! channel per class, one sample per decided window).

use std::fs::File;
use std::io::BufWriter;

use neuroloop_core::{Marker, StreamSpec};
use neuroloop_formats::xdf::{
    ChannelFormat, StreamInfo, XdfWriter, stream_footer_xml, stream_header_xml,
};

use crate::config::{RecordPlan, StoredConfig};
use crate::error::RuntimeError;

/// Stream ids in the file.
pub(super) const INPUT: u32 = 1;
pub(super) const MARKERS: u32 = 2;
pub(super) const INTENTS: u32 = 3;
pub(super) const OUTPUTS: u32 = 4;

/// First and last timestamp and sample count of a stream, for its footer.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extent {
    pub(super) first: Option<f64>,
    pub(super) last: f64,
    pub(super) count: u64,
}

impl Extent {
    pub(super) fn add(&mut self, stamps: &[f64]) {
        if let (Some(&a), Some(&b)) = (stamps.first(), stamps.last()) {
            self.first.get_or_insert(a);
            self.last = b;
            self.count += stamps.len() as u64;
        }
    }
}

/// The open file, with what each stream has written.
pub(super) struct RecordFile {
    pub(super) path: String,
    pub(super) xdf: XdfWriter<BufWriter<File>>,
    pub(super) classes: Vec<String>,
    /// Input, markers, intents, outputs.
    pub(super) extents: [Extent; 4],
}

impl RecordFile {
    /// Creates the file, with the session config in its header, and writes
    /// the four stream headers.
    ///
    /// # Errors
    /// [`RuntimeError::Io`] naming the file.
    pub(super) fn create(
        plan: &RecordPlan,
        input: &StreamSpec,
        classes: &[String],
    ) -> Result<Self, RuntimeError> {
        let path = plan.path.as_path();
        let named = |e: std::io::Error| {
            RuntimeError::Io(std::io::Error::new(
                e.kind(),
                format!("recording {}: {e}", path.display()),
            ))
        };
        let file = File::create(path).map_err(named)?;
        let stored = plan.session.as_ref().map(StoredConfig::header_fields);
        let fields: Vec<(&str, &str)> = stored
            .iter()
            .flatten()
            .map(|(name, text)| (*name, text.as_str()))
            .collect();
        let buffered = BufWriter::with_capacity(1 << 16, file);
        let mut xdf = XdfWriter::with_header(buffered, &fields).map_err(named)?;
        // Buffered: a disk that is full shows at the first flush, which
        // ends the recording but not the session.
        for (id, info) in headers(input, classes) {
            xdf.stream_header(id, &stream_header_xml(&info))
                .map_err(named)?;
        }
        Ok(Self {
            path: path.display().to_string(),
            xdf,
            classes: classes.to_vec(),
            extents: [Extent::default(); 4],
        })
    }

    /// The text a marker is recorded as: its class, `rest`, or its code.
    pub(super) fn marker_text(&self, marker: &Marker) -> String {
        match usize::try_from(marker.code)
            .ok()
            .and_then(|c| self.classes.get(c))
        {
            Some(class) => class.clone(),
            None if marker.code == Marker::REST => "rest".into(),
            None => marker.code.to_string(),
        }
    }

    /// Each stream's footer, then a flush.
    ///
    /// # Errors
    /// The write error.
    pub(super) fn close(&mut self) -> std::io::Result<()> {
        for (i, extent) in self.extents.iter().enumerate() {
            let id = i as u32 + 1;
            let xml = stream_footer_xml(extent.first.unwrap_or(0.0), extent.last, extent.count);
            self.xdf.stream_footer(id, &xml)?;
        }
        self.sync()
    }

    /// Flushes the buffer and syncs the file's data to disk.
    ///
    /// # Errors
    /// The flush or sync error.
    pub(super) fn sync(&mut self) -> std::io::Result<()> {
        self.xdf.flush()?;
        self.xdf.get_ref().get_ref().sync_data()
    }
}

fn headers(input: &StreamSpec, classes: &[String]) -> [(u32, StreamInfo); 4] {
    let info = |name: String, kind: &str, labels: Vec<String>, rate: f64, format| StreamInfo {
        name,
        kind: kind.into(),
        channel_count: labels.len().max(1),
        nominal_srate: rate,
        format,
        source_id: String::new(),
        units: Vec::new(),
        labels,
        xml: String::new(),
    };
    let mut eeg = info(
        input.name.clone(),
        input.channels.first().map_or("EEG", |c| c.kind.as_str()),
        input.labels().map(str::to_owned).collect(),
        input.sample_rate,
        ChannelFormat::Float32,
    );
    eeg.units = input.channels.iter().map(|c| c.unit.clone()).collect();
    [
        (INPUT, eeg),
        (
            MARKERS,
            info(
                format!("{} cues", input.name),
                "Markers",
                Vec::new(),
                0.0,
                ChannelFormat::String,
            ),
        ),
        (
            INTENTS,
            info(
                "neuroloop intents".into(),
                "Markers",
                Vec::new(),
                0.0,
                ChannelFormat::String,
            ),
        ),
        (
            OUTPUTS,
            info(
                "neuroloop decoder outputs".into(),
                "Probabilities",
                classes.to_vec(),
                0.0,
                ChannelFormat::Float32,
            ),
        ),
    ]
}
