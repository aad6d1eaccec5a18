//! The recorder's thread: drains the taps, the forwarder's intent queue and the
//! source's aux stream into the file every few milliseconds, flushes and
//! syncs it every `flush_s`, and writes the footers when the session has
//! drained.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::TryRecvError;
use neuroloop_core::SampleBlock;
use neuroloop_core::markers::MarkerReader;
use neuroloop_core::ring::RingReader;

use super::RecordReport;
use super::aux_stream::AuxFeed;
use super::input_clock::InputClock;
use super::streams::{INPUT, INTENTS, MARKERS, OUTPUTS, RecordFile};
use crate::server::Line;

/// How long the thread waits for a wake-up when there is nothing to write.
const IDLE: Duration = Duration::from_millis(10);
/// Samples taken from the tap per write.
const BLOCK: usize = 1024;

/// What the thread reads.
pub(super) struct Inputs {
    pub(super) samples: RingReader,
    pub(super) markers: MarkerReader,
    /// The input's clock offsets.
    pub(super) clock: InputClock,
    pub(super) lines: crossbeam_channel::Receiver<Line>,
    /// Lines the forwarder could not queue.
    pub(super) lines_dropped: Arc<AtomicU64>,
    pub(super) flush_s: f64,
    /// Set when the thread stops writing (a lossless tap stops waiting).
    pub(super) stopped: Arc<AtomicBool>,
    /// The source's aux stream, if it has one.
    pub(super) aux: Option<AuxFeed>,
}

/// Records until the pipeline has hung up and the forwarder has ended;
/// then writes the footers. A write error ends the recording early.
pub(super) fn run(mut file: RecordFile, mut inputs: Inputs) -> RecordReport {
    crate::background::yield_to_real_time();
    let mut report = RecordReport {
        path: file.path.clone(),
        ..RecordReport::default()
    };
    let mut block = SampleBlock::with_capacity(inputs.samples.channels(), BLOCK);
    let flush_every = Duration::from_secs_f64(inputs.flush_s);
    let mut flushed = Instant::now();
    let mut lines_open = true;
    let result = loop {
        let pipeline_done = inputs.samples.is_finished();
        let wrote = write_samples(&mut file, &mut inputs, &mut block, &mut report)
            .and_then(|n| Ok(n + write_markers(&mut file, &mut inputs, &mut report)?))
            .and_then(|n| {
                Ok(n + write_lines(&mut file, &mut inputs, &mut report, &mut lines_open)?)
            })
            .and_then(|n| match inputs.aux.as_mut() {
                Some(aux) => Ok(n + aux.write(&mut file.xdf)?),
                None => Ok(n),
            });
        let wrote = match wrote {
            Ok(n) => n,
            Err(e) => break Err(e),
        };
        if flushed.elapsed() >= flush_every {
            if let Err(e) = file.sync() {
                break Err(e);
            }
            flushed = Instant::now();
        }
        if pipeline_done && !lines_open {
            if let Some(Err(e)) = inputs.aux.as_ref().map(|aux| aux.close(&mut file.xdf)) {
                break Err(e);
            }
            break file.close();
        }
        if wrote == 0 {
            std::thread::park_timeout(IDLE);
        }
    };
    inputs.stopped.store(true, Ordering::Release);
    if let Err(e) = result {
        tracing::error!(path = %report.path, error = %e, "recording stopped; the session goes on");
        report.error = Some(format!("{}: {e}", report.path));
    }
    report.samples_dropped = inputs.samples.stats().dropped();
    report.markers_dropped = inputs.markers.dropped();
    report.intents_dropped = inputs.lines_dropped.load(Ordering::Relaxed);
    if let Some(aux) = &inputs.aux {
        report.aux_samples = aux.written();
        report.aux_dropped = aux.dropped();
    }
    report.clock_offsets = inputs.clock.written;
    report.clock_offsets_dropped = inputs.clock.dropped();
    report.bytes = file.xdf.written();
    report
}

/// Input samples waiting in the tap.
fn write_samples(
    file: &mut RecordFile,
    inputs: &mut Inputs,
    block: &mut SampleBlock,
    report: &mut RecordReport,
) -> std::io::Result<usize> {
    let mut written = 0;
    loop {
        let expected = inputs.samples.expected_index();
        let popped = inputs.samples.pop_into(block);
        // Offsets come before the samples they apply to: all are queued
        // by the time those samples are popped.
        inputs.clock.write_new(&mut file.xdf)?;
        if popped.samples == 0 {
            return Ok(written);
        }
        let (_, times, _) = block.buffers_mut();
        inputs
            .clock
            .take_off_offsets(popped.first_index(expected), &mut times[..popped.samples]);
        file.xdf
            .samples_f32(INPUT, block.timestamps(), block.data())?;
        file.extents[0].add(block.timestamps());
        report.samples += popped.samples as u64;
        written += popped.samples;
    }
}

/// Markers waiting in the tap, each as its class name.
fn write_markers(
    file: &mut RecordFile,
    inputs: &mut Inputs,
    report: &mut RecordReport,
) -> std::io::Result<usize> {
    let mut written = 0;
    while let Some(marker) = inputs.markers.pop() {
        let text = file.marker_text(&marker);
        file.xdf
            .samples_strings(MARKERS, &[marker.time], &[&text])?;
        file.extents[1].add(&[marker.time]);
        report.markers += 1;
        written += 1;
    }
    Ok(written)
}

/// Intents and holds published since the last call: their JSON, and the
/// probabilities of decided windows.
fn write_lines(
    file: &mut RecordFile,
    inputs: &mut Inputs,
    report: &mut RecordReport,
    open: &mut bool,
) -> std::io::Result<usize> {
    let mut written = 0;
    while *open {
        let line = match inputs.lines.try_recv() {
            Ok(line) => line,
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => {
                *open = false;
                break;
            }
        };
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(&line) else {
            continue;
        };
        let Some(time) = message
            .pointer("/t/sample")
            .and_then(serde_json::Value::as_f64)
        else {
            continue; // hello, bye, status: not an intent
        };
        let text = String::from_utf8_lossy(&line);
        file.xdf
            .samples_strings(INTENTS, &[time], &[text.trim_end()])?;
        file.extents[2].add(&[time]);
        report.intents += 1;
        written += 1;
        let probabilities: Vec<f32> = message
            .get("probabilities")
            .and_then(serde_json::Value::as_array)
            .map(|p| {
                p.iter()
                    .filter_map(serde_json::Value::as_f64)
                    .map(|p| p as f32)
                    .collect()
            })
            .unwrap_or_default();
        if !probabilities.is_empty() && probabilities.len() == file.classes.len() {
            file.xdf.samples_f32(OUTPUTS, &[time], &probabilities)?;
            file.extents[3].add(&[time]);
        }
    }
    Ok(written)
}
