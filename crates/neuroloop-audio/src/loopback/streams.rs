//! The loopback's two callbacks: [`ClickTrain`] renders the clicks and
//! dates each when handed to the server; [`Detector`] finds and dates
//! onsets in the capture. Both only push into preallocated queues.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cpal::traits::DeviceTrait;
use cpal::{FromSample, SizedSample, StreamConfig};
use neuroloop_core::clock;
use ringbuf::HeapProd;
use ringbuf::traits::Producer;

use crate::StreamErrors;

/// Click length, seconds, and its frequency.
const CLICK_S: f64 = 0.001;
const CLICK_HZ: f64 = 4000.0;
/// Onset threshold (full scale 1) and the click's peak.
const THRESHOLD: f32 = 0.2;
const PEAK: f64 = 0.8;

/// The output side: clicks at fixed frames, each dated when handed over.
pub(super) struct ClickTrain {
    pub(super) rate: f64,
    pub(super) first: u64,
    pub(super) interval: u64,
    pub(super) clicks: u64,
    pub(super) frame: u64,
    pub(super) scheduled: HeapProd<f64>,
    pub(super) rendered: Arc<AtomicU64>,
}

impl ClickTrain {
    fn sample(&mut self, at_callback: f64, first_frame: u64) -> f32 {
        let f = self.frame;
        self.frame += 1;
        if f < self.first {
            return 0.0;
        }
        let k = (f - self.first) / self.interval;
        let offset = (f - self.first) % self.interval;
        let length = (CLICK_S * self.rate) as u64;
        if k >= self.clicks || offset >= length {
            return 0.0;
        }
        if offset == 0 {
            let when = at_callback + (f - first_frame) as f64 / self.rate;
            let _ = self.scheduled.try_push(when);
        }
        let t = offset as f64 / self.rate;
        let window =
            0.5 - 0.5 * (std::f64::consts::TAU * (offset as f64 + 0.5) / length as f64).cos();
        (PEAK * window * (std::f64::consts::TAU * CLICK_HZ * t).sin()) as f32
    }
}

/// The input side: onsets after enough quiet, each dated at capture.
pub(super) struct Detector {
    pub(super) rate: f64,
    pub(super) quiet_needed: u64,
    pub(super) quiet: u64,
    pub(super) onsets: HeapProd<f64>,
}

pub(super) fn build_output<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut train: ClickTrain,
    errors: &Arc<StreamErrors>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels.max(1));
    device.build_output_stream(
        *config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let now = clock::now();
            let first = train.frame;
            for frame in data.chunks_mut(channels) {
                let v = T::from_sample(train.sample(now, first));
                frame.fill(v);
            }
            train.rendered.store(train.frame, Ordering::Release);
        },
        errors.callback(),
        None,
    )
}

pub(super) fn build_input<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut detector: Detector,
    errors: &Arc<StreamErrors>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let channels = usize::from(config.channels.max(1));
    device.build_input_stream(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let now = clock::now();
            let frames = data.len() / channels;
            for (j, frame) in data.chunks(channels).enumerate() {
                let v: f32 = frame[0].to_sample::<f32>().abs();
                if v > THRESHOLD {
                    if detector.quiet >= detector.quiet_needed {
                        let when = now - (frames - j) as f64 / detector.rate;
                        let _ = detector.onsets.try_push(when);
                    }
                    detector.quiet = 0;
                } else {
                    detector.quiet += 1;
                }
            }
        },
        errors.callback(),
        None,
    )
}
