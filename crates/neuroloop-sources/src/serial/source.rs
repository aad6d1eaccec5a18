//! The serial source: the port opened and the board initialised
//! ([`SerialSource::open`]), then, on the source thread, bytes read into a
//! preallocated buffer, framed, assembled, stamped and pushed to the ring
//! (`source/reader.rs`: the read loop with its stall, gap and reconnection
//! handling). Accelerometer readings go to a ring of their own, stamped
//! with their sample's timestamp, once the session takes that stream.

use std::time::Duration;

use neuroloop_core::StreamSpec;
use neuroloop_core::ring::{RingWriter, sample_ring};
use serialport::SerialPort;

use super::accelerometer;
use super::board::{Banner, initialise};
use super::config::{BoardSetup, SerialConfig};
use super::dejitter::Dejitter;
use super::framer::Framer;
use super::samples::SampleAssembler;
use super::scale::uv_per_count;
use crate::{AuxStream, SourceError};

mod reader;

/// How long one read waits before the loop checks `stop` and stalls.
const READ_TIMEOUT: Duration = Duration::from_millis(20);
/// Bytes one read takes at most.
const READ_BYTES: usize = 1024;
/// Samples pushed to the ring together at most.
const BATCH: usize = 64;
/// Seconds of arrivals the timestamp fit spans.
const DEJITTER_S: f64 = 4.0;
/// Accelerometer readings the aux ring holds: 10 s at 25 Hz.
const ACCELEROMETER_RING: usize = 256;

/// An OpenBCI board on a serial port, initialised and streaming.
pub struct SerialSource {
    config: SerialConfig,
    setup: BoardSetup,
    spec: StreamSpec,
    port: Option<Box<dyn SerialPort>>,
    framer: Framer,
    assembler: SampleAssembler,
    dejitter: Dejitter,
    bytes: Box<[u8; READ_BYTES]>,
    values: Vec<f32>,
    stamps: Vec<f64>,
    banner: Banner,
    /// Where accelerometer readings go, once the aux stream is taken.
    accelerometer: Option<RingWriter>,
}

/// Opens `name` and initialises the board on it.
fn connect(
    config: &SerialConfig,
    setup: &BoardSetup,
) -> Result<(Box<dyn SerialPort>, Banner), SourceError> {
    let mut port = serialport::new(&config.port, setup.baud)
        .timeout(READ_TIMEOUT)
        .open()
        .map_err(|e| open_error(&config.port, e))?;
    let timeout = Duration::from_secs_f64(config.answer_timeout_s);
    let banner = initialise(&mut *port, &config.port, setup.board, setup.gain, timeout)?;
    Ok((port, banner))
}

fn open_error(port: &str, e: serialport::Error) -> SourceError {
    match e.kind() {
        serialport::ErrorKind::NoDevice => {
            SourceError::Unavailable(format!("{port}: no such serial device ({e})"))
        }
        serialport::ErrorKind::InvalidInput => {
            SourceError::Config(format!("{port}: cannot be opened as a serial port ({e})"))
        }
        _ => SourceError::Unavailable(format!("{port}: cannot be opened ({e})")),
    }
}

impl SerialSource {
    /// Opens the port, resets the board and reads its banner (a Daisy is
    /// found there), sets every channel's gain and starts streaming.
    /// Allocates every buffer the running source needs; `spec` (from the
    /// hardware profile) must have the board's channel count.
    ///
    /// # Errors
    /// [`SourceError::Config`] for an invalid config, a `spec` that is not
    /// the board's, or a board without the Daisy the profile expects;
    /// [`SourceError::Unavailable`] for a port that cannot be opened or a
    /// board that does not answer (naming the port and the answer
    /// expected).
    pub fn open(
        config: &SerialConfig,
        setup: BoardSetup,
        spec: StreamSpec,
    ) -> Result<Self, SourceError> {
        config.preflight("source").map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            SourceError::Config(list.join("; "))
        })?;
        let channels = setup.board.channels();
        if spec.channel_count() != channels {
            return Err(SourceError::Config(format!(
                "a {:?} gives {channels} channels, the stream has {}",
                setup.board,
                spec.channel_count()
            )));
        }
        let (port, banner) = connect(config, &setup)?;
        tracing::info!(
            port = %config.port, board = ?setup.board, gain = setup.gain,
            banner = %banner.text.trim(), "serial board streaming"
        );
        let window = (DEJITTER_S * spec.sample_rate).ceil().max(8.0) as usize;
        Ok(Self {
            framer: Framer::new(),
            assembler: SampleAssembler::new(setup.board, uv_per_count(setup.gain)),
            dejitter: Dejitter::new(spec.sample_rate, window),
            bytes: Box::new([0; READ_BYTES]),
            values: vec![0.0; BATCH * channels],
            stamps: vec![0.0; BATCH],
            port: Some(port),
            config: config.clone(),
            setup,
            spec,
            banner,
            accelerometer: None,
        })
    }

    /// The banner the board answered the reset with.
    #[must_use]
    pub fn banner(&self) -> &Banner {
        &self.banner
    }

    /// The accelerometer stream (the [`crate::Source::take_aux_stream`]
    /// of this source): its ring is made here, once.
    fn accelerometer_stream(&mut self) -> Option<AuxStream> {
        if self.accelerometer.is_some() {
            return None;
        }
        let (writer, reader) = sample_ring(accelerometer::AXES.len(), ACCELEROMETER_RING);
        self.accelerometer = Some(writer);
        Some(AuxStream {
            spec: accelerometer::spec(&self.spec.name),
            reader,
        })
    }
}
