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
    stall_s: f64,
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
            stall_s: config.stall_s,
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
        let fs = self.spec.sample_rate;
        let mut report = SourceReport::default();
        let mut next_correction = clock::now() + self.correction_every_s;
        let mut outage = Outage::default();
        while !stop.load(Ordering::Relaxed) {
            if let Some(m) = &mut self.markers {
                report.markers += m.drain(&mut io).or_else(lost_markers)?;
            }
            // Block for one sample, then take whatever else is waiting.
            let n = match self.pull() {
                Ok(0) => {
                    if outage.check(clock::now(), self.stall_s) {
                        // The pipeline holds the actuators during the outage.
                        io.samples.set_stalled(true);
                        io.wake();
                    }
                    continue;
                }
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
            // Samples the outlet never delivered (an outage, a restarted
            // outlet) become a gap the pipeline sees.
            let missing = outage.resume(self.times[0], self.times[n - 1], arrival, fs);
            if missing > 0 {
                io.samples.skip(missing);
            }
            // The push also ends a stall the ring was marked with.
            io.samples
                .push(&self.data[..n * ch], &self.times[..n], arrival);
            io.wake();
            report.samples += n as u64;
        }
        Ok(report)
    }
}

/// Tracks the newest sample to find samples that never arrived.
#[derive(Debug, Default)]
struct Outage {
    /// Corrected timestamp of the newest sample pushed.
    last_time: Option<f64>,
    /// When it arrived.
    last_arrival: f64,
    /// Whether a stall was reported and not yet resolved.
    stalled: bool,
}

impl Outage {
    /// Reports (once) that no sample arrived for `stall_s`; true when this
    /// call found the stall.
    fn check(&mut self, now: f64, stall_s: f64) -> bool {
        if !self.stalled && self.last_time.is_some() && now - self.last_arrival > stall_s {
            self.stalled = true;
            tracing::warn!(
                silent_s = now - self.last_arrival,
                "LSL stream stalled; waiting for it (liblsl reconnects to the same source id)"
            );
            return true;
        }
        false
    }

    /// A chunk from `first` to `last` arrived: the number of whole samples
    /// missing between the previous chunk and this one (at least two, so
    /// timestamp jitter is no gap).
    fn resume(&mut self, first: f64, last: f64, arrival: f64, fs: f64) -> u64 {
        let missing = self
            .last_time
            .map_or(0, |prev| ((first - prev) * fs).round() as i64 - 1);
        let missing = if missing >= 2 { missing as u64 } else { 0 };
        if self.stalled || missing > 0 {
            tracing::warn!(missing, "LSL stream resumed");
        }
        self.stalled = false;
        self.last_time = Some(last);
        self.last_arrival = arrival;
        missing
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

#[cfg(test)]
mod tests {
    use super::Outage;

    #[test]
    fn whole_missing_samples_become_a_gap_and_jitter_does_not() {
        let fs = 250.0;
        let mut o = Outage::default();
        assert_eq!(o.resume(10.0, 10.036, 10.04, fs), 0, "first chunk");
        // Next sample due at 10.040; 0.3 sample of jitter is no gap.
        assert_eq!(o.resume(10.0412, 10.08, 10.09, fs), 0);
        // One sample late (10.084 missing) is within the tolerance.
        assert_eq!(o.resume(10.088, 10.1, 10.11, fs), 0);
        // Due 10.104; arrives at 10.504: 100 samples missing.
        assert!(!o.check(10.5, 1.0), "0.4 s silent is no stall");
        assert!(o.check(11.2, 1.0));
        assert!(!o.check(11.25, 1.0), "reported once");
        assert!(o.stalled);
        assert_eq!(o.resume(10.504, 10.6, 11.3, fs), 100);
        assert!(!o.stalled);
    }
}
