//! The running LSL source: the first stream's pull loop on the source
//! thread, the further streams' threads, and the report.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_core::clock_offsets::{ClockOffset, ClockOffsetReader, clock_offset_queue};
use neuroloop_core::{StreamSpec, clock};
use neuroloop_lsl::LslError;

use super::LslSource;
use crate::lsl::align::Aligner;
use crate::lsl::markers::{MarkerInlet, connect_markers};
use crate::lsl::outage::Outage;
use crate::lsl::resolve::Reresolver;
use crate::lsl::secondary::LaneReport;
use crate::lsl::stream::PULL_TIMEOUT_S;
use crate::lsl::stream::{DataInlet, connect};
use crate::{Source, SourceError, SourceIo, SourceReport};

/// Time corrections waiting for the recorder (one every
/// `time_correction_s` ≥ 0.5 s, drained every few milliseconds).
const OFFSET_QUEUE: usize = 256;

impl Source for LslSource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    fn marker_labels(&self) -> &[String] {
        &self.classes
    }

    /// Every time correction added to the first stream's timestamps (none
    /// with `dejitter`: liblsl's post-processing is more than an offset).
    fn clock_offsets(&mut self) -> Option<ClockOffsetReader> {
        if self.target.dejitter {
            return None;
        }
        let (writer, reader) = clock_offset_queue(OFFSET_QUEUE);
        self.offsets = Some(writer);
        Some(reader)
    }

    fn run(&mut self, mut io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let refused = Arc::new(AtomicU64::new(0));
        let lanes_stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for secondary in self.secondaries.drain(..) {
            let thread = crate::lsl::secondary::spawn(
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
            report.streams.push(lane.rate);
        }
        report.refused = refused.load(Ordering::Relaxed);
        report.unaligned = self.aligner.as_ref().map_or(0, |a| a.unaligned);
        report.clock = self.drift.measured();
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
        let mut reresolver: Option<Reresolver<DataInlet>> = None;
        let mut marker_search: Option<Reresolver<MarkerInlet>> = None;
        // While stalled: a stream with our source id but another shape?
        let mut shape_probe: Option<Reresolver<String>> = None;
        self.publish_offset(io);
        while !stop.load(Ordering::Relaxed) {
            if let Some(change) = shape_probe.as_mut().and_then(Reresolver::poll) {
                tracing::error!(%change, "LSL stream changed its shape");
                return Err(SourceError::InvalidData(change));
            }
            if let Some(m) = &mut self.markers {
                report.markers += m.drain(io)?;
            }
            self.watch_markers(&mut marker_search, refused, &mut report)?;
            if let Some(r) = &mut reresolver
                && let Some(found) = r.poll()
            {
                tracing::info!(source_id = %found.source_id, "LSL stream found again; resuming");
                report.reresolutions += 1;
                self.inlet = Some(found);
                self.publish_offset(io);
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
                    let target = self.target.clone();
                    reresolver = Some(Reresolver::start(
                        self.lsl,
                        target.query.clone(),
                        target.source_id.clone().unwrap_or_default(),
                        Arc::clone(refused),
                        move |info| connect(info, &target),
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
                if let Some(m) = &mut self.markers {
                    // Labels reach the pipeline before the samples they cover.
                    report.markers += m.drain(io)?;
                }
                report.samples += n as u64;
            }
            let pushed = self.push(io, &mut outage, n, arrival);
            // After the push: a new offset applies from the next pull on.
            if n > 0 && arrival >= next_correction {
                next_correction = arrival + self.correction_every_s;
                if self.refresh_corrections() {
                    self.publish_offset(io);
                }
            }
            if pushed > 0 {
                outage.pushed(arrival);
                if let Some(probe) = shape_probe.take() {
                    probe.detach();
                }
                io.wake();
            } else if outage.check(arrival, self.stall_s) {
                // The pipeline holds the actuators during the outage.
                io.samples.set_stalled(true);
                io.wake();
                if reresolver.is_none() {
                    shape_probe = crate::lsl::changed::start_probe(self.lsl, &self.target)?;
                }
            }
        }
        Ok(report)
    }

    /// Starts looking for a lost marker stream, and takes it back once
    /// found (same source id, empty included).
    fn watch_markers(
        &mut self,
        search: &mut Option<Reresolver<MarkerInlet>>,
        refused: &Arc<AtomicU64>,
        report: &mut SourceReport,
    ) -> Result<(), SourceError> {
        let Some(m) = &mut self.markers else {
            return Ok(());
        };
        if !m.lost {
            return Ok(());
        }
        match search {
            None => {
                report.losses += 1;
                tracing::warn!("LSL marker stream lost; resolving it again in the background");
                let (classes, rest) = (m.classes.clone(), m.rest.clone());
                *search = Some(Reresolver::start(
                    self.lsl,
                    self.marker_query.clone(),
                    m.source_id.clone(),
                    Arc::clone(refused),
                    move |info| connect_markers(info, &classes, &rest),
                )?);
            }
            Some(s) => {
                if let Some(found) = s.poll() {
                    tracing::info!("LSL marker stream found again");
                    report.reresolutions += 1;
                    *m = found;
                    *search = None;
                }
            }
        }
        Ok(())
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
    /// Returns whether the first stream's was refreshed.
    fn refresh_corrections(&mut self) -> bool {
        if let Some(m) = &mut self.markers {
            m.refresh_correction();
        }
        self.inlet
            .as_mut()
            .is_some_and(DataInlet::refresh_correction)
    }

    /// Hands the first stream's current time correction to the report's
    /// drift and to the recorder (if one asked), from the next sample the
    /// ring gets on. Never allocates; a full queue drops it and counts.
    fn publish_offset(&mut self, io: &SourceIo) {
        if let Some(inlet) = &self.inlet {
            let (offset, measured_at) = inlet.correction();
            self.drift.observe(offset, measured_at);
        }
        let (Some(queue), Some(inlet)) = (&mut self.offsets, &self.inlet) else {
            return;
        };
        let from_index = self
            .aligner
            .as_ref()
            .map_or_else(|| io.samples.next_index(), Aligner::next_index);
        let (offset, measured_at) = inlet.correction();
        queue.push(ClockOffset {
            from_index,
            measured_at,
            offset,
        });
    }
}
