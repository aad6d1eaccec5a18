//! Audio loopback: how long a sound takes from the moment neuroloop
//! schedules it to the moment it comes back in a capture — the way a user
//! measures a rig's stimulus latency (with a microphone at the speaker, a
//! cable from output to input, or a sound server's monitor of its output).
//!
//! The output plays `clicks` short bursts (1 ms of 4 kHz under a Hann
//! window) every `interval_s`. A click is *scheduled* at the process-clock
//! time its first sample is handed to the sound server: the output
//! callback's start plus its offset in the buffer. The input side finds
//! each onset (the first sample above a threshold after at least half an
//! interval of quiet) and dates it: the input callback's start less the
//! frames that follow it in the buffer. The delay is onset − scheduled:
//! the output buffers, the server, and the input buffers. Both callbacks
//! only write into preallocated lock-free queues.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{SampleFormat, StreamConfig};
use ringbuf::HeapRb;
use ringbuf::traits::{Consumer, Split};

use crate::output::{Direction, name_of, period_frames, pick};
use crate::{AudioError, StreamErrors};

mod streams;
use streams::{ClickTrain, Detector, build_input, build_output};

/// Seconds of silence before the first click.
const LEAD_S: f64 = 0.3;

/// What to measure.
#[derive(Debug, Clone)]
pub struct LoopbackOptions {
    /// Output device name (or part of it); `None`: the default.
    pub output: Option<String>,
    /// Input device name (or part of it); `None`: the default.
    pub input: Option<String>,
    /// Clicks to play.
    pub clicks: usize,
    /// Seconds between clicks (at least 0.05).
    pub interval_s: f64,
    /// Frames per period on both streams (default 10 ms).
    pub buffer_frames: Option<u32>,
}

impl Default for LoopbackOptions {
    fn default() -> Self {
        Self {
            output: None,
            input: None,
            clicks: 50,
            interval_s: 0.2,
            buffer_frames: None,
        }
    }
}

/// The measured delays.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopbackReport {
    /// Clicks played.
    pub clicks: usize,
    /// Clicks found in the capture (each paired with its own onset).
    pub found: usize,
    /// Onset − scheduled of each found click, ms, in click order.
    pub delays_ms: Vec<f64>,
    /// Median delay, ms.
    pub median_ms: f64,
    /// Interquartile range of the delays, ms.
    pub spread_ms: f64,
    /// Underruns and overruns the two streams reported: each can move the
    /// delays after it (the server refills its buffer), so a measurement
    /// with any is a measurement of a disturbed rig.
    pub xruns: u64,
    /// Other errors the streams reported.
    pub stream_errors: u64,
    /// The text of the first error reported, if any.
    pub first_error: Option<String>,
    /// Frames per period of the output stream.
    pub buffer_frames: u32,
    /// Output frames per second.
    pub sample_rate: u32,
}

/// Plays the clicks and measures them.
///
/// # Errors
/// [`AudioError::NoDevice`], [`AudioError::Config`] (a sample format other
/// than f32 or i16, or input and output at different rates) or
/// [`AudioError::Stream`].
pub fn measure(options: &LoopbackOptions) -> Result<LoopbackReport, AudioError> {
    let host = cpal::default_host();
    let output = pick(&host, options.output.as_deref(), Direction::Output)?;
    let input = pick(&host, options.input.as_deref(), Direction::Input)?;
    let (out_cfg, out_format) = config(&output, Direction::Output, options.buffer_frames)?;
    let (in_cfg, in_format) = config(&input, Direction::Input, options.buffer_frames)?;
    if out_cfg.sample_rate == 0 {
        return Err(AudioError::Config {
            device: name_of(&output),
            message: "a rate of 0 Hz".into(),
        });
    }
    if out_cfg.sample_rate != in_cfg.sample_rate {
        return Err(AudioError::Config {
            device: name_of(&input),
            message: format!(
                "input at {} Hz, output at {} Hz: the loopback needs one rate",
                in_cfg.sample_rate, out_cfg.sample_rate
            ),
        });
    }
    let rate = f64::from(out_cfg.sample_rate);
    let interval = (options.interval_s.max(0.05) * rate) as u64;
    let clicks = options.clicks.max(1);
    let (sched_tx, mut sched_rx) = HeapRb::<f64>::new(clicks).split();
    let (onset_tx, mut onset_rx) = HeapRb::<f64>::new(clicks.saturating_mul(4)).split();
    let rendered = Arc::new(AtomicU64::new(0));
    let errors = StreamErrors::new();
    let train = ClickTrain {
        rate,
        first: (LEAD_S * rate) as u64,
        interval,
        clicks: clicks as u64,
        frame: 0,
        scheduled: sched_tx,
        rendered: Arc::clone(&rendered),
    };
    let detector = Detector {
        rate,
        quiet_needed: interval / 2,
        quiet: interval,
        onsets: onset_tx,
    };
    let stream_error = |device: &cpal::Device, e: cpal::Error| AudioError::Stream {
        device: name_of(device),
        message: e.to_string(),
    };
    let in_stream = match in_format {
        SampleFormat::F32 => build_input::<f32>(&input, &in_cfg, detector, &errors),
        SampleFormat::I16 => build_input::<i16>(&input, &in_cfg, detector, &errors),
        other => return Err(unsupported(&input, other)),
    }
    .and_then(|s| s.play().map(|()| s))
    .map_err(|e| stream_error(&input, e))?;
    let out_stream = match out_format {
        SampleFormat::F32 => build_output::<f32>(&output, &out_cfg, train, &errors),
        SampleFormat::I16 => build_output::<i16>(&output, &out_cfg, train, &errors),
        other => return Err(unsupported(&output, other)),
    }
    .and_then(|s| s.play().map(|()| s))
    .map_err(|e| stream_error(&output, e))?;
    // Played out on the audio clock, then a second for the capture.
    let end = (LEAD_S * rate) as u64 + interval * clicks as u64 + interval;
    let deadline = Instant::now() + Duration::from_secs_f64(end as f64 / rate * 3.0 + 10.0);
    while rendered.load(Ordering::Acquire) < end && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_secs(1));
    drop(out_stream);
    drop(in_stream);
    let scheduled: Vec<f64> = sched_rx.pop_iter().collect();
    let onsets: Vec<f64> = onset_rx.pop_iter().collect();
    let delays_ms = pair(&scheduled, &onsets, options.interval_s.max(0.05));
    let mut sorted = delays_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| crate::stats::quantile(&sorted, q).unwrap_or(f64::NAN);
    Ok(LoopbackReport {
        clicks,
        found: delays_ms.len(),
        median_ms: at(0.5),
        spread_ms: at(0.75) - at(0.25),
        delays_ms,
        xruns: errors.xruns(),
        stream_errors: errors.others(),
        first_error: errors.first().map(str::to_owned),
        buffer_frames: match out_cfg.buffer_size {
            cpal::BufferSize::Fixed(f) => f,
            cpal::BufferSize::Default => 0,
        },
        sample_rate: out_cfg.sample_rate,
    })
}

/// Each scheduled click's delay to the first onset after it and before
/// the next click (ms); clicks without one are left out.
fn pair(scheduled: &[f64], onsets: &[f64], interval_s: f64) -> Vec<f64> {
    scheduled
        .iter()
        .filter_map(|&s| {
            onsets
                .iter()
                .find(|&&o| o >= s && o < s + interval_s)
                .map(|o| (o - s) * 1e3)
        })
        .collect()
}

fn unsupported(device: &cpal::Device, format: SampleFormat) -> AudioError {
    AudioError::Config {
        device: name_of(device),
        message: format!("sample format {format} is not supported for the loopback"),
    }
}

/// The default configuration of `device` with a fixed period.
fn config(
    device: &cpal::Device,
    direction: Direction,
    buffer_frames: Option<u32>,
) -> Result<(StreamConfig, SampleFormat), AudioError> {
    let supported = match direction {
        Direction::Output => device.default_output_config(),
        Direction::Input => device.default_input_config(),
    }
    .map_err(|e| AudioError::Config {
        device: name_of(device),
        message: format!("no default configuration: {e}"),
    })?;
    let mut config = supported.config();
    let frames = period_frames(supported.buffer_size(), buffer_frames, config.sample_rate);
    config.buffer_size = cpal::BufferSize::Fixed(frames);
    Ok((config, supported.sample_format()))
}
