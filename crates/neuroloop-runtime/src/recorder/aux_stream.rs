//! The recording's fifth stream, when the source has an aux stream (a
//! serial board's accelerometer: X, Y, Z in g at a nominal 25 Hz): its
//! header at the start, its samples (each stamped with the timestamp of
//! the input sample it came with) as they come, its footer at a clean
//! stop. The source's ring holds the readings; a full ring drops and
//! counts them, never holding the source up.

use std::fs::File;
use std::io::BufWriter;

use neuroloop_core::SampleBlock;
use neuroloop_core::ring::RingReader;
use neuroloop_formats::xdf::{
    ChannelFormat, StreamInfo, XdfWriter, stream_footer_xml, stream_header_xml,
};
use neuroloop_sources::AuxStream;

use super::streams::Extent;

/// The stream id in the file.
pub(super) const AUX: u32 = 5;
/// Samples taken from the ring per write.
const BLOCK: usize = 64;

/// The aux stream's reader and what it has written.
pub(super) struct AuxFeed {
    reader: RingReader,
    block: SampleBlock,
    extent: Extent,
}

impl AuxFeed {
    /// Writes the stream's header and returns the feed.
    ///
    /// # Errors
    /// The write error.
    pub(super) fn start(
        stream: AuxStream,
        xdf: &mut XdfWriter<BufWriter<File>>,
    ) -> std::io::Result<Self> {
        let spec = &stream.spec;
        let info = StreamInfo {
            name: spec.name.clone(),
            kind: spec
                .channels
                .first()
                .map_or_else(String::new, |c| c.kind.clone()),
            channel_count: spec.channel_count(),
            nominal_srate: spec.sample_rate,
            format: ChannelFormat::Float32,
            source_id: String::new(),
            labels: spec.labels().map(str::to_owned).collect(),
            units: spec.channels.iter().map(|c| c.unit.clone()).collect(),
            xml: String::new(),
        };
        xdf.stream_header(AUX, &stream_header_xml(&info))?;
        Ok(Self {
            block: SampleBlock::with_capacity(spec.channel_count(), BLOCK),
            reader: stream.reader,
            extent: Extent::default(),
        })
    }

    /// Writes the samples waiting in the ring; returns how many.
    ///
    /// # Errors
    /// The write error.
    pub(super) fn write(&mut self, xdf: &mut XdfWriter<BufWriter<File>>) -> std::io::Result<usize> {
        let mut written = 0;
        loop {
            let popped = self.reader.pop_into(&mut self.block);
            if popped.samples == 0 {
                return Ok(written);
            }
            xdf.samples_f32(AUX, self.block.timestamps(), self.block.data())?;
            self.extent.add(self.block.timestamps());
            written += popped.samples;
        }
    }

    /// Writes the stream's footer.
    ///
    /// # Errors
    /// The write error.
    pub(super) fn close(&self, xdf: &mut XdfWriter<BufWriter<File>>) -> std::io::Result<()> {
        let e = &self.extent;
        xdf.stream_footer(
            AUX,
            &stream_footer_xml(e.first.unwrap_or(0.0), e.last, e.count),
        )
    }

    /// Samples written.
    pub(super) fn written(&self) -> u64 {
        self.extent.count
    }

    /// Samples the ring dropped.
    pub(super) fn dropped(&self) -> u64 {
        self.reader.stats().dropped()
    }
}
