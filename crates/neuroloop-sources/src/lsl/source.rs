//! The LSL source running on its own thread.

use std::sync::atomic::{AtomicBool, Ordering};

use neuroloop_core::{Marker, StreamSpec, clock};
use neuroloop_lsl::{ChannelFormat, Inlet, Lsl, LslError, Settings, StreamInfo};

use super::check::{StreamFacts, check_stream};
use super::{LslConfig, LslMarkersConfig};
use crate::{Source, SourceError, SourceIo, SourceReport};

/// Seconds a blocking pull waits before the loop checks `stop` again.
const PULL_TIMEOUT_S: f64 = 0.05;
/// Seconds to wait for an inlet to connect and describe its stream.
const OPEN_TIMEOUT_S: f64 = 5.0;
/// Seconds of data liblsl buffers per inlet.
const INLET_BUFFER_S: u32 = 30;

/// A marker inlet with the string → code table.
struct MarkerInlet {
    inlet: Inlet,
    correction: f64,
    classes: Vec<Vec<u8>>,
    rest: Vec<u8>,
}

/// An LSL stream, resolved, checked and connected, ready to run.
pub struct LslSource {
    spec: StreamSpec,
    classes: Vec<String>,
    inlet: Inlet,
    markers: Option<MarkerInlet>,
    correction: f64,
    correction_every_s: f64,
    data: Vec<f32>,
    times: Vec<f64>,
}

fn resolve_one(lsl: &'static Lsl, query: &str, timeout_s: f64) -> Result<StreamInfo, SourceError> {
    let mut found = lsl.resolve(query, timeout_s)?;
    if found.len() > 1 {
        tracing::warn!(
            query,
            count = found.len(),
            "several LSL streams match; using the first"
        );
    }
    Ok(found.swap_remove(0))
}

impl LslSource {
    /// Loads liblsl with `settings` (the session's `[lsl]`), resolves the
    /// stream (and the marker stream), connects, and checks the stream's
    /// description against `spec` (from the hardware profile). Allocates
    /// every buffer the running source needs.
    ///
    /// # Errors
    /// [`SourceError::Config`] for an invalid config or a stream that does
    /// not match the profile (retry does not help); [`SourceError::Lsl`]
    /// if liblsl is missing (not retryable) or the stream was not found or
    /// did not answer (retryable).
    pub fn open(
        config: &LslConfig,
        spec: StreamSpec,
        settings: &Settings,
    ) -> Result<Self, SourceError> {
        config.preflight(&spec, "source").map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            SourceError::Config(list.join("; "))
        })?;
        let lsl = neuroloop_lsl::load(settings)?;
        let query = config.query().map_err(SourceError::Config)?;
        let info = resolve_one(lsl, &query, config.resolve_timeout_s)?;
        let mut inlet = Inlet::open(&info, INLET_BUFFER_S, OPEN_TIMEOUT_S)?;
        let full = inlet.info(OPEN_TIMEOUT_S)?;
        let facts = StreamFacts {
            name: full.name(),
            channels: full.channel_count(),
            rate: full.nominal_rate(),
            format: full.format(),
            desc: full.channels(),
        };
        let problems = check_stream(&facts, &spec);
        if !problems.is_empty() {
            return Err(SourceError::Config(problems.join("; ")));
        }
        let correction = inlet.time_correction(OPEN_TIMEOUT_S)?;
        tracing::info!(
            stream = %facts.name, source_id = %full.source_id(), host = %full.hostname(),
            channels = facts.channels, rate = facts.rate, correction, "LSL stream connected"
        );
        let markers = config
            .markers
            .as_ref()
            .map(|m| open_markers(lsl, m, &config.classes, config.resolve_timeout_s))
            .transpose()?;
        let chunk = ((spec.sample_rate * 0.5).ceil() as usize).max(64);
        Ok(Self {
            data: vec![0.0; chunk * spec.channel_count()],
            times: vec![0.0; chunk],
            classes: config.classes.clone(),
            correction_every_s: config.time_correction_s,
            correction,
            inlet,
            markers,
            spec,
        })
    }
}

fn open_markers(
    lsl: &'static Lsl,
    config: &LslMarkersConfig,
    classes: &[String],
    timeout_s: f64,
) -> Result<MarkerInlet, SourceError> {
    let query = config.query().map_err(SourceError::Config)?;
    let info = resolve_one(lsl, &query, timeout_s)?;
    if info.format() != ChannelFormat::String || info.channel_count() != 1 {
        return Err(SourceError::Config(format!(
            "marker stream {:?} has {} {:?} channels; a one-channel string stream is needed",
            info.name(),
            info.channel_count(),
            info.format()
        )));
    }
    let mut inlet = Inlet::open(&info, INLET_BUFFER_S, OPEN_TIMEOUT_S)?;
    let correction = inlet.time_correction(OPEN_TIMEOUT_S)?;
    Ok(MarkerInlet {
        inlet,
        correction,
        classes: classes.iter().map(|c| c.as_bytes().to_vec()).collect(),
        rest: config.rest.as_bytes().to_vec(),
    })
}

impl MarkerInlet {
    /// Moves every waiting marker into the marker ring; returns how many.
    fn drain(&mut self, io: &mut SourceIo) -> Result<u64, LslError> {
        let mut count = 0;
        loop {
            let (classes, rest) = (&self.classes, &self.rest);
            let pulled = self.inlet.pull_string(0.0, |bytes| {
                if bytes == rest.as_slice() {
                    Some(Marker::REST)
                } else {
                    classes.iter().position(|c| c == bytes).map(|i| i as i32)
                }
            })?;
            let Some((code, time)) = pulled else {
                return Ok(count);
            };
            count += 1;
            if let (Some(code), Some(writer)) = (code, io.markers.as_mut()) {
                writer.push(Marker {
                    time: time + self.correction,
                    code,
                });
            }
        }
    }
}

/// A lost marker stream ends no session: the data goes on unlabelled.
fn lost_markers(e: LslError) -> Result<u64, SourceError> {
    match e {
        LslError::Lost(_) => Ok(0),
        e => Err(e.into()),
    }
}

impl Source for LslSource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    fn marker_labels(&self) -> &[String] {
        &self.classes
    }

    fn run(&mut self, mut io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let ch = self.spec.channel_count();
        let mut report = SourceReport::default();
        let mut next_correction = clock::now() + self.correction_every_s;
        while !stop.load(Ordering::Relaxed) {
            if let Some(m) = &mut self.markers {
                report.markers += m.drain(&mut io).or_else(lost_markers)?;
            }
            // Block for one sample, then take whatever else is waiting.
            let n = match self.pull() {
                Ok(0) => continue,
                Ok(n) => n,
                Err(LslError::Lost(_)) => {
                    // The outlet is gone and liblsl cannot recover it (no
                    // source id, or it never came back): the stream ended.
                    tracing::warn!(samples = report.samples, "LSL stream lost; source ends");
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let arrival = clock::now();
            if arrival >= next_correction {
                next_correction = arrival + self.correction_every_s;
                self.refresh_corrections();
            }
            if let Some(m) = &mut self.markers {
                // Labels reach the pipeline before the samples they cover.
                report.markers += m.drain(&mut io).or_else(lost_markers)?;
            }
            for t in &mut self.times[..n] {
                *t += self.correction;
            }
            io.samples
                .push(&self.data[..n * ch], &self.times[..n], arrival);
            io.wake();
            report.samples += n as u64;
        }
        Ok(report)
    }
}

impl LslSource {
    /// Waits up to [`PULL_TIMEOUT_S`] for a sample, then takes whatever
    /// else is waiting; returns the number of samples in the buffers.
    fn pull(&mut self) -> Result<usize, LslError> {
        let ch = self.spec.channel_count();
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
        Ok(1 + more)
    }

    /// Takes liblsl's latest clock offsets; keeps the old ones on failure.
    fn refresh_corrections(&mut self) {
        match self.inlet.time_correction(0.5) {
            Ok(c) => self.correction = c,
            Err(e) => tracing::debug!(error = %e, "time correction not refreshed"),
        }
        if let Some(m) = &mut self.markers
            && let Ok(c) = m.inlet.time_correction(0.5)
        {
            m.correction = c;
        }
    }
}
