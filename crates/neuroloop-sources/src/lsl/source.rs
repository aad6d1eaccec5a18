//! The LSL source running on its own thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_core::ring::sample_ring;
use neuroloop_core::{StreamSpec, clock};
use neuroloop_lsl::{Lsl, LslError, Settings};

use super::LslConfig;
use super::align::{Aligner, Lane};
use super::markers::{MarkerInlet, open_markers};
use super::outage::Outage;
use super::resolve::{Reresolver, resolve_one};
use super::secondary::{LaneReport, Secondary};
use super::stream::{DataInlet, PULL_TIMEOUT_S, Target, connect};
use crate::{Source, SourceError, SourceIo, SourceReport};

/// An LSL stream (or several, aligned), resolved, checked and connected,
/// ready to run.
pub struct LslSource {
    lsl: &'static Lsl,
    spec: StreamSpec,
    classes: Vec<String>,
    target: Target,
    inlet: Option<DataInlet>,
    secondaries: Vec<Secondary>,
    aligner: Option<Aligner>,
    markers: Option<MarkerInlet>,
    correction_every_s: f64,
    stall_s: f64,
}

/// The profile's channels `from..from + count` as a stream of their own.
fn sub_spec(spec: &StreamSpec, from: usize, count: usize) -> StreamSpec {
    StreamSpec {
        channels: spec.channels[from..from + count].to_vec(),
        ..spec.clone()
    }
}

/// Resolves the first stream matching `target` and connects to it; the
/// stream's source id becomes the one accepted after a loss.
fn open_target(
    lsl: &'static Lsl,
    mut target: Target,
    timeout_s: f64,
) -> Result<(DataInlet, Target), SourceError> {
    let info = resolve_one(lsl, &target.query, timeout_s)?;
    let inlet = connect(&info, &target)?;
    target.source_id = Some(inlet.source_id.clone());
    Ok((inlet, target))
}

impl LslSource {
    /// Loads liblsl with `settings` (the session's `[lsl]`), resolves the
    /// stream, any `[[source.inlets]]` and the marker stream, connects, and
    /// checks each stream's description against its channels of `spec`
    /// (from the hardware profile). Allocates every buffer the running
    /// source needs. An unset `scale_uv_per_count` means 1.
    ///
    /// # Errors
    /// [`SourceError::Config`] for an invalid config or a stream that does
    /// not match the profile (retry does not help); [`SourceError::Lsl`]
    /// if liblsl is missing (not retryable) or a stream was not found or
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
        let chunk = ((spec.sample_rate * 0.5).ceil() as usize).max(64);
        let primary_ch = config.primary_channels(spec.channel_count());
        let primary = Target {
            query: config.query().map_err(SourceError::Config)?,
            spec: sub_spec(&spec, 0, primary_ch),
            scale: config.scale_uv_per_count.unwrap_or(1.0),
            dejitter: config.dejitter,
            chunk,
            source_id: None,
        };
        let (inlet, target) = open_target(lsl, primary, config.resolve_timeout_s)?;
        let mut secondaries = Vec::new();
        let mut lanes = Vec::new();
        let mut from = primary_ch;
        for extra in &config.inlets {
            let wanted = Target {
                query: extra.query().map_err(SourceError::Config)?,
                spec: sub_spec(&spec, from, extra.channels),
                scale: extra
                    .scale_uv_per_count
                    .or(config.scale_uv_per_count)
                    .unwrap_or(1.0),
                dejitter: extra.dejitter,
                chunk,
                source_id: None,
            };
            let (inlet, target) = open_target(lsl, wanted, config.resolve_timeout_s)?;
            let capacity = ((spec.sample_rate * 4.0) as usize).max(4 * chunk);
            let (writer, reader) = sample_ring(extra.channels, capacity);
            secondaries.push(Secondary {
                inlet,
                target,
                writer,
                correction_every_s: config.time_correction_s,
            });
            lanes.push(Lane::new(reader, extra.channels, chunk));
            from += extra.channels;
        }
        let markers = config
            .markers
            .as_ref()
            .map(|m| open_markers(lsl, m, &config.classes, config.resolve_timeout_s))
            .transpose()?;
        let aligner = (!lanes.is_empty()).then(|| {
            let waiting = (config.align_timeout_s * spec.sample_rate).ceil() as usize;
            Aligner::new(
                lanes,
                primary_ch,
                spec.sample_rate,
                config.align_timeout_s,
                waiting + 4 * chunk,
            )
        });
        Ok(Self {
            lsl,
            classes: config.classes.clone(),
            correction_every_s: config.time_correction_s,
            stall_s: config.stall_s,
            target,
            inlet: Some(inlet),
            secondaries,
            aligner,
            markers,
            spec,
        })
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
        let refused = Arc::new(AtomicU64::new(0));
        let lanes_stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for secondary in self.secondaries.drain(..) {
            let thread = super::secondary::spawn(
                self.lsl,
                secondary,
                Arc::clone(&lanes_stop),
                Arc::clone(&refused),
            );
            match thread {
                Ok(t) => threads.push(t),
                Err(e) => {
                    lanes_stop.store(true, Ordering::Relaxed);
                    join_lanes(threads);
                    return Err(e.into());
                }
            }
        }
        let result = self.pull_loop(&mut io, stop, &refused);
        lanes_stop.store(true, Ordering::Relaxed);
        let lanes = join_lanes(threads);
        let mut report = result?;
        for lane in lanes {
            report.losses += lane.losses;
            report.reresolutions += lane.reresolutions;
        }
        report.refused = refused.load(Ordering::Relaxed);
        report.unaligned = self.aligner.as_ref().map_or(0, |a| a.unaligned);
        Ok(report)
    }
}

fn join_lanes(threads: Vec<JoinHandle<LaneReport>>) -> Vec<LaneReport> {
    threads
        .into_iter()
        .map(|t| t.join().unwrap_or_default())
        .collect()
}

impl LslSource {
    /// The first stream's loop: pull, time-correct, align, push; after a
    /// loss, look for the stream in the background and carry on with it.
    fn pull_loop(
        &mut self,
        io: &mut SourceIo,
        stop: &AtomicBool,
        refused: &Arc<AtomicU64>,
    ) -> Result<SourceReport, SourceError> {
        let mut report = SourceReport::default();
        let mut next_correction = clock::now() + self.correction_every_s;
        let mut outage = Outage::default();
        let mut reresolver: Option<Reresolver> = None;
        while !stop.load(Ordering::Relaxed) {
            if let Some(m) = &mut self.markers {
                report.markers += m.drain(io)?;
            }
            if let Some(r) = &mut reresolver
                && let Some(found) = r.poll()
            {
                tracing::info!(source_id = %found.source_id, "LSL stream found again; resuming");
                report.reresolutions += 1;
                self.inlet = Some(found);
                reresolver = None;
            }
            let pulled = match &mut self.inlet {
                Some(inlet) => inlet.pull(),
                None => {
                    std::thread::sleep(Duration::from_secs_f64(PULL_TIMEOUT_S));
                    Ok(0)
                }
            };
            let n = match pulled {
                Ok(n) => n,
                Err(LslError::Lost(_)) => {
                    // liblsl cannot recover the inlet (no source id, or it
                    // gave up): hold now and look for the stream again.
                    report.losses += 1;
                    tracing::warn!(
                        samples = report.samples,
                        "LSL stream lost; resolving it again in the background"
                    );
                    self.inlet = None;
                    reresolver = Some(Reresolver::start(
                        self.lsl,
                        self.target.clone(),
                        Arc::clone(refused),
                    )?);
                    if outage.lost() {
                        io.samples.set_stalled(true);
                        io.wake();
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let arrival = clock::now();
            if n > 0 {
                if arrival >= next_correction {
                    next_correction = arrival + self.correction_every_s;
                    self.refresh_corrections();
                }
                if let Some(m) = &mut self.markers {
                    // Labels reach the pipeline before the samples they cover.
                    report.markers += m.drain(io)?;
                }
                report.samples += n as u64;
            }
            let pushed = self.push(io, &mut outage, n, arrival);
            if pushed > 0 {
                outage.pushed(arrival);
                io.wake();
            } else if outage.check(arrival, self.stall_s) {
                // The pipeline holds the actuators during the outage.
                io.samples.set_stalled(true);
                io.wake();
            }
        }
        Ok(report)
    }

    /// Moves the `n` samples just pulled (and, with further streams, what
    /// can be paired by now) into the ring; returns how many went in.
    fn push(&mut self, io: &mut SourceIo, outage: &mut Outage, n: usize, now: f64) -> usize {
        let fs = self.spec.sample_rate;
        let Some(inlet) = &self.inlet else {
            return self
                .aligner
                .as_mut()
                .map_or(0, |a| a.emit(&mut io.samples, now));
        };
        let missing = if n > 0 {
            let times = inlet.times(n);
            outage.resume(times[0], times[n - 1], now, fs)
        } else {
            0
        };
        match &mut self.aligner {
            Some(a) => {
                if n > 0 {
                    a.add(missing, inlet.data(n), inlet.times(n), now);
                }
                a.emit(&mut io.samples, now)
            }
            None if n > 0 => {
                // Samples the outlet never delivered (an outage, a restarted
                // or re-resolved outlet) become a gap the pipeline sees.
                if missing > 0 {
                    io.samples.skip(missing);
                }
                // The push also ends a stall the ring was marked with.
                io.samples.push(inlet.data(n), inlet.times(n), now);
                n
            }
            None => 0,
        }
    }

    /// Takes liblsl's latest clock offsets; keeps the old ones on failure.
    fn refresh_corrections(&mut self) {
        if let Some(inlet) = &mut self.inlet {
            inlet.refresh_correction();
        }
        if let Some(m) = &mut self.markers {
            m.refresh_correction();
        }
    }
}
