//! One connected LSL data stream: what to connect to (and to accept again
//! after a loss), the inlet, and its preallocated pull buffers.

use neuroloop_core::{StreamSpec, clock};
use neuroloop_lsl::{Inlet, LslError, StreamInfo};

use super::check::{StreamFacts, check_stream};
use crate::SourceError;

/// Seconds a blocking pull waits before the loop checks `stop` again.
pub(super) const PULL_TIMEOUT_S: f64 = 0.05;
/// Seconds to wait for an inlet to connect and describe its stream.
pub(super) const OPEN_TIMEOUT_S: f64 = 5.0;
/// Seconds of data liblsl buffers per inlet.
const INLET_BUFFER_S: u32 = 30;

/// What a data stream must be.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// XPath predicate of the configured name / type / source id.
    pub query: String,
    /// The channels it must carry (a slice of the profile's), and the rate.
    pub spec: StreamSpec,
    /// Microvolts per value.
    pub scale: f64,
    /// Whether liblsl dejitters the timestamps.
    pub dejitter: bool,
    /// Samples one pull takes at most.
    pub chunk: usize,
    /// The source id of the stream first connected: after a loss only a
    /// stream with the same id (empty included) is adopted.
    pub source_id: Option<String>,
}

/// A connected data stream with its buffers.
pub(super) struct DataInlet {
    inlet: Inlet,
    /// Seconds added to the stream's timestamps (liblsl's time correction).
    correction: f64,
    /// When `correction` was measured, on the process clock.
    corrected_at: f64,
    dejitter: bool,
    scale: f64,
    channels: usize,
    data: Vec<f32>,
    times: Vec<f64>,
    /// The stream's source id.
    pub source_id: String,
}

/// Connects to the stream `info` describes and checks its full
/// description against `target` (a stream sending raw counts, `scale` ≠ 1,
/// is not held to the profile's units).
///
/// # Errors
/// [`SourceError::Config`] if it does not match; [`SourceError::Lsl`] if it
/// does not answer.
pub(super) fn connect(info: &StreamInfo, target: &Target) -> Result<DataInlet, SourceError> {
    let mut inlet = Inlet::open(info, INLET_BUFFER_S, OPEN_TIMEOUT_S)?;
    let full = inlet.info(OPEN_TIMEOUT_S)?;
    let mut facts = StreamFacts {
        name: full.name(),
        channels: full.channel_count(),
        rate: full.nominal_rate(),
        format: full.format(),
        desc: full.channels(),
    };
    if target.scale != 1.0 {
        for d in &mut facts.desc {
            d.unit.clear();
        }
    }
    let problems = check_stream(&facts, &target.spec);
    if !problems.is_empty() {
        return Err(SourceError::Config(problems.join("; ")));
    }
    if target.dejitter {
        inlet.set_dejitter(true)?;
    }
    let correction = inlet.time_correction(OPEN_TIMEOUT_S)?;
    let corrected_at = clock::now();
    let source_id = full.source_id();
    tracing::info!(
        stream = %facts.name, source_id = %source_id, host = %full.hostname(),
        channels = facts.channels, rate = facts.rate, correction,
        dejitter = target.dejitter, scale = target.scale, "LSL stream connected"
    );
    let channels = facts.channels;
    Ok(DataInlet {
        inlet,
        correction,
        corrected_at,
        dejitter: target.dejitter,
        scale: target.scale,
        channels,
        data: vec![0.0; target.chunk * channels],
        times: vec![0.0; target.chunk],
        source_id,
    })
}

impl DataInlet {
    /// Waits up to [`PULL_TIMEOUT_S`] for a sample, then takes whatever
    /// else is waiting; returns the number of samples in the buffers, with
    /// timestamps on the local clock and values in microvolts.
    ///
    /// # Errors
    /// [`LslError::Lost`] when liblsl gives the stream up.
    pub(super) fn pull(&mut self) -> Result<usize, LslError> {
        let ch = self.channels;
        let Some(first) = self
            .inlet
            .pull_sample(&mut self.data[..ch], PULL_TIMEOUT_S)?
        else {
            return Ok(0);
        };
        self.times[0] = first;
        let more = self
            .inlet
            .pull_chunk(&mut self.data[ch..], &mut self.times[1..], 0.0)?;
        let n = 1 + more;
        // With dejitter liblsl has already added its time correction.
        if !self.dejitter {
            for t in &mut self.times[..n] {
                *t += self.correction;
            }
        }
        if self.scale != 1.0 {
            for v in &mut self.data[..n * ch] {
                *v = (f64::from(*v) * self.scale) as f32;
            }
        }
        Ok(n)
    }

    /// Values of the last pull's `n` samples.
    ///
    /// # Shapes
    /// `n × channels`, channel-interleaved.
    pub(super) fn data(&self, n: usize) -> &[f32] {
        &self.data[..n * self.channels]
    }

    /// Timestamps of the last pull's `n` samples.
    pub(super) fn times(&self, n: usize) -> &[f64] {
        &self.times[..n]
    }

    /// Takes liblsl's latest clock offset; keeps the old one on failure.
    /// Returns whether it was refreshed.
    pub(super) fn refresh_correction(&mut self) -> bool {
        match self.inlet.time_correction(0.5) {
            Ok(c) => {
                self.correction = c;
                self.corrected_at = clock::now();
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "time correction not refreshed");
                false
            }
        }
    }

    /// The clock offset the next pulls add (seconds; none with `dejitter`,
    /// where liblsl corrects), and when it was measured.
    pub(super) fn correction(&self) -> (f64, f64) {
        (self.correction, self.corrected_at)
    }
}
