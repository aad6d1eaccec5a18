//! [`AudioOutput`]: the voice playing on an output device (cpal's default
//! host; a device chosen by name or the host's default; its default
//! configuration).

use std::sync::Arc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use crate::voice::{CueSender, Voice, cue_channel};
use crate::{AudioError, StreamErrors};

/// Frames rendered per pass inside a callback whose samples are not `f32`
/// (converted from a scratch buffer allocated once).
const SCRATCH_FRAMES: usize = 4096;

/// How to open the output.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// A device whose name is this, or else contains it (case aside);
    /// `None`: the host's default output device.
    pub device: Option<String>,
    /// Cues that may wait for the callback (default 64).
    pub queue: Option<usize>,
    /// Frames per callback buffer (default: 10 ms worth), kept within what
    /// the device supports. The host's own default can be seconds long
    /// (ALSA's pulse plugin), and every frame of it delays a cue.
    pub buffer_frames: Option<u32>,
}

/// A running output stream. Dropping it stops the sound.
pub struct AudioOutput {
    _stream: cpal::Stream,
    /// The device's name.
    pub device: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// Frames per callback buffer.
    pub buffer_frames: u32,
    /// What the stream's error callback reported.
    pub errors: Arc<StreamErrors>,
}

/// The names of the default host's output devices.
///
/// # Errors
/// [`AudioError::NoDevice`] if the host cannot list them.
pub fn output_device_names() -> Result<Vec<String>, AudioError> {
    let host = cpal::default_host();
    let devices = host.output_devices().map_err(|e| AudioError::NoDevice {
        direction: "output",
        wanted: "(any)".into(),
        available: vec![format!("(cannot list: {e})")],
    })?;
    Ok(devices.map(|d| name_of(&d)).collect())
}

/// Opens the output and starts the voice on it, silent.
///
/// # Errors
/// [`AudioError::NoDevice`] (no such device, naming those there are),
/// [`AudioError::Config`] (no usable configuration) or
/// [`AudioError::Stream`] (the stream did not start; retryable).
pub fn open(options: &OutputOptions) -> Result<(AudioOutput, CueSender), AudioError> {
    let host = cpal::default_host();
    let device = pick(&host, options.device.as_deref(), Direction::Output)?;
    let name = name_of(&device);
    let supported = device
        .default_output_config()
        .map_err(|e| AudioError::Config {
            device: name.clone(),
            message: format!("no default output configuration: {e}"),
        })?;
    let mut config: StreamConfig = supported.config();
    let frames = period_frames(
        supported.buffer_size(),
        options.buffer_frames,
        config.sample_rate,
    );
    config.buffer_size = cpal::BufferSize::Fixed(frames);
    if config.channels == 0 || config.sample_rate == 0 {
        return Err(AudioError::Config {
            device: name,
            message: format!("{config:?} has no channels or no rate"),
        });
    }
    let (sender, voice) = cue_channel(options.queue.unwrap_or(64), f64::from(config.sample_rate));
    let errors = StreamErrors::new();
    let stream = match supported.sample_format() {
        SampleFormat::F32 => build::<f32>(&device, &config, voice, &errors),
        SampleFormat::I16 => build::<i16>(&device, &config, voice, &errors),
        SampleFormat::I32 => build::<i32>(&device, &config, voice, &errors),
        SampleFormat::U16 => build::<u16>(&device, &config, voice, &errors),
        SampleFormat::F64 => build::<f64>(&device, &config, voice, &errors),
        other => {
            return Err(AudioError::Config {
                device: name,
                message: format!("sample format {other} is not supported"),
            });
        }
    }
    .and_then(|s| s.play().map(|()| s))
    .map_err(|e| AudioError::Stream {
        device: name.clone(),
        message: e.to_string(),
    })?;
    tracing::info!(device = %name, rate = config.sample_rate, channels = config.channels, frames, "audio output started");
    Ok((
        AudioOutput {
            _stream: stream,
            device: name,
            sample_rate: config.sample_rate,
            channels: config.channels,
            buffer_frames: frames,
            errors,
        },
        sender,
    ))
}

pub(crate) fn name_of(device: &cpal::Device) -> String {
    device
        .description()
        .map_or_else(|_| "(unnamed)".into(), |d| d.name().to_string())
}

/// Which side of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Output,
    Input,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Output => "output",
            Direction::Input => "input",
        }
    }
}

/// The `direction` device called `wanted` (exactly, else the first whose
/// name contains it, case aside), or the default one.
pub(crate) fn pick(
    host: &cpal::Host,
    wanted: Option<&str>,
    direction: Direction,
) -> Result<cpal::Device, AudioError> {
    let devices: Vec<cpal::Device> = match direction {
        Direction::Output => host.output_devices().map(Iterator::collect),
        Direction::Input => host.input_devices().map(Iterator::collect),
    }
    .unwrap_or_default();
    let names = || devices.iter().map(name_of).collect::<Vec<_>>();
    let Some(wanted) = wanted else {
        let default = match direction {
            Direction::Output => host.default_output_device(),
            Direction::Input => host.default_input_device(),
        };
        return default.ok_or_else(|| AudioError::NoDevice {
            direction: direction.name(),
            wanted: "(default)".into(),
            available: names(),
        });
    };
    let lower = wanted.to_lowercase();
    let exact = devices.iter().position(|d| name_of(d) == wanted);
    let partial = || {
        devices
            .iter()
            .position(|d| name_of(d).to_lowercase().contains(&lower))
    };
    match exact.or_else(partial) {
        Some(i) => Ok(devices[i].clone()),
        None => Err(AudioError::NoDevice {
            direction: direction.name(),
            wanted: format!("{wanted:?}"),
            available: names(),
        }),
    }
}

/// `wanted` frames per period (default 10 ms) within what `supported`
/// allows.
pub(crate) fn period_frames(
    supported: &cpal::SupportedBufferSize,
    wanted: Option<u32>,
    rate: u32,
) -> u32 {
    let wanted = wanted.unwrap_or(rate / 100).max(1);
    match *supported {
        cpal::SupportedBufferSize::Range { min, max } => wanted.clamp(min, max.max(min)),
        cpal::SupportedBufferSize::Unknown => wanted,
    }
}

/// The stream of `voice` in sample type `T`.
fn build<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut voice: Voice,
    errors: &Arc<StreamErrors>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels);
    let mut scratch = vec![0.0f32; SCRATCH_FRAMES * channels];
    device.build_output_stream(
        *config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            for chunk in data.chunks_mut(scratch.len()) {
                let part = &mut scratch[..chunk.len()];
                voice.render(part, channels);
                for (out, v) in chunk.iter_mut().zip(part.iter()) {
                    *out = T::from_sample(*v);
                }
            }
        },
        errors.callback(),
        None,
    )
}
