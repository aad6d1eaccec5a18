//! The running serial source: read, frame, assemble, stamp, push (the
//! samples, and any accelerometer reading to its own ring); a
//! stall when no packet comes for `stall_s`; after the port fails, a
//! stall at once, reopening with backoff, the board re-initialised, and
//! the samples missed meanwhile (from the host clock) pushed as a gap.

use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use neuroloop_core::{StreamSpec, clock};

use super::{BATCH, SerialSource, connect};
use crate::serial::accelerometer;
use crate::serial::board::STOP;
use crate::{AuxStream, Source, SourceError, SourceIo, SourceReport};

/// First wait before reopening a vanished port, seconds.
const FIRST_BACKOFF_S: f64 = 0.1;

/// Where the read loop stands.
#[derive(Debug, Default)]
struct Progress {
    /// Index of the next sample (pushed and skipped ones counted).
    next_index: u64,
    /// Samples waiting in the batch.
    batched: usize,
    /// Arrival of the newest sample.
    last_arrival: Option<f64>,
    /// The arrival before the port failed: the gap is measured from it
    /// when samples come again.
    resume_from: Option<f64>,
    stalled: bool,
}

impl Source for SerialSource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    fn marker_labels(&self) -> &[String] {
        &self.config.classes
    }

    fn take_aux_stream(&mut self) -> Option<AuxStream> {
        self.accelerometer_stream()
    }

    fn run(&mut self, mut io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let mut report = SourceReport::default();
        let mut progress = Progress::default();
        let mut backoff = FIRST_BACKOFF_S;
        let mut retry_at = 0.0;
        while !stop.load(Ordering::Relaxed) {
            let Some(port) = self.port.as_mut() else {
                if clock::now() >= retry_at {
                    if self.reopen(&mut report) {
                        backoff = FIRST_BACKOFF_S;
                    } else {
                        retry_at = clock::now() + backoff;
                        backoff = (backoff * 2.0).min(self.config.reconnect_max_s);
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            };
            match port.read(&mut self.bytes[..]) {
                Ok(n) if n > 0 => {
                    let arrival = clock::now();
                    self.feed(n, arrival, &mut io, &mut progress, &mut report);
                }
                Ok(_) => self.check_stall(&mut io, &mut progress),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::TimedOut | ErrorKind::Interrupted | ErrorKind::WouldBlock
                    ) =>
                {
                    self.check_stall(&mut io, &mut progress);
                }
                Err(e) => {
                    tracing::warn!(port = %self.config.port, error = %e, "serial port lost; reopening it");
                    report.losses += 1;
                    self.port = None;
                    progress.resume_from = progress.last_arrival.or(progress.resume_from);
                    progress.stalled = true;
                    io.samples.set_stalled(true);
                    io.wake();
                }
            }
        }
        if let Some(port) = self.port.as_mut() {
            let _ = port.write_all(&[STOP]);
        }
        Ok(report)
    }
}

impl SerialSource {
    /// One attempt to reopen the port and re-initialise the board.
    fn reopen(&mut self, report: &mut SourceReport) -> bool {
        match connect(&self.config, &self.setup) {
            Ok((port, banner)) => {
                tracing::info!(port = %self.config.port, banner = %banner.text.trim(), "serial board back; streaming again");
                self.port = Some(port);
                self.banner = banner;
                self.framer.reset();
                self.assembler.reset();
                self.dejitter.reset();
                report.reresolutions += 1;
                true
            }
            Err(e) => {
                tracing::debug!(port = %self.config.port, error = %e, "serial port not back yet");
                false
            }
        }
    }

    /// Frames the `n` bytes just read and pushes what they complete.
    fn feed(
        &mut self,
        n: usize,
        arrival: f64,
        io: &mut SourceIo,
        progress: &mut Progress,
        report: &mut SourceReport,
    ) {
        let channels = self.setup.board.channels();
        let mut taken = 0;
        while taken < n {
            taken += self.framer.push(&self.bytes[taken..n]);
            while let Some(framed) = self.framer.next_packet() {
                let at = progress.batched * channels;
                let out = &mut self.values[at..at + channels];
                let Some(sample) = self.assembler.take(&framed, out) else {
                    continue;
                };
                let mut missing = sample.missing;
                if let Some(before) = progress.resume_from.take() {
                    let due = ((arrival - before) * self.spec.sample_rate).round() - 1.0;
                    missing += due.max(0.0) as u64;
                }
                if missing > 0 {
                    self.flush_before_gap(io, progress, arrival);
                    io.samples.skip(missing);
                    progress.next_index += missing;
                    tracing::warn!(missing, "serial samples lost");
                }
                let b = progress.batched;
                let stamp = self.dejitter.stamp(progress.next_index, arrival);
                self.stamps[b] = stamp;
                if let Some(counts) = sample.accelerometer {
                    report.aux_samples += 1;
                    if let Some(ring) = self.accelerometer.as_mut() {
                        ring.push(&accelerometer::to_g(counts), &[stamp], arrival);
                    }
                }
                progress.next_index += 1;
                progress.batched += 1;
                report.samples += 1;
                if progress.batched == BATCH {
                    self.flush(io, progress, arrival);
                }
            }
        }
        self.flush(io, progress, arrival);
    }

    /// Pushes the batch but the sample just written at its end, which
    /// moves to the front (it comes after a gap).
    fn flush_before_gap(&mut self, io: &mut SourceIo, progress: &mut Progress, arrival: f64) {
        let channels = self.setup.board.channels();
        let at = progress.batched * channels;
        self.flush(io, progress, arrival);
        self.values.copy_within(at..at + channels, 0);
    }

    /// Pushes the batched samples.
    fn flush(&mut self, io: &mut SourceIo, progress: &mut Progress, arrival: f64) {
        let b = progress.batched;
        if b == 0 {
            return;
        }
        let channels = self.setup.board.channels();
        io.samples
            .push(&self.values[..b * channels], &self.stamps[..b], arrival);
        io.wake();
        progress.batched = 0;
        progress.last_arrival = Some(arrival);
        progress.stalled = false;
    }

    /// Reports a stall (once) when no sample came for `stall_s`.
    fn check_stall(&mut self, io: &mut SourceIo, progress: &mut Progress) {
        let Some(last) = progress.last_arrival else {
            return;
        };
        if !progress.stalled && clock::now() - last > self.config.stall_s {
            tracing::warn!(port = %self.config.port, "serial stream stalled");
            progress.stalled = true;
            io.samples.set_stalled(true);
            io.wake();
        }
    }
}
