//! A recording loaded for replay: the selected channels as interleaved
//! `f32` in microvolts (when the file's unit is a volt multiple), the
//! stream it makes, its cue markers by sample index, and for XDF each
//! sample's timestamp.
//!
//! # Shapes
//! [`ReplayRecording::data`] is sample-major: sample `s` of channel `c` is
//! at `data[s * channels + c]`.

use std::path::{Path, PathBuf};

use neuroloop_core::{ConfigError, Marker, StreamSpec};
use neuroloop_formats::{Recording, read_recording};

use super::ReplayConfig;
use super::xdf;

/// Largest recording file replayed (bytes); the samples are held in
/// memory as `f32`.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// One cue of the recording: a class onset, or rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cue {
    /// Index of the sample at which it takes effect.
    pub sample: u64,
    /// Class index, or [`Marker::REST`].
    pub code: i32,
}

/// The part of a recording a replay plays.
#[derive(Clone, PartialEq)]
pub struct ReplayRecording {
    /// The file, as resolved.
    pub path: PathBuf,
    /// Channels (labels, units) and rate; `block_size` is the replay's.
    pub spec: StreamSpec,
    /// Sample-major `f32` samples of the selected channels.
    pub data: Vec<f32>,
    /// Samples per channel.
    pub samples: u64,
    /// Cues in sample order.
    pub cues: Vec<Cue>,
    /// The timestamp of each sample (XDF), seconds; `None`: sample `i` is
    /// played at `i / rate` after the replay starts.
    pub times: Option<Vec<f64>>,
    /// Lowest and highest physical value the file can hold over the
    /// selected channels, in the stream's unit.
    pub physical_range: (f64, f64),
}

impl std::fmt::Debug for ReplayRecording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayRecording")
            .field("path", &self.path)
            .field("channels", &self.spec.channel_count())
            .field("sample_rate", &self.spec.sample_rate)
            .field("samples", &self.samples)
            .field("cues", &self.cues.len())
            .finish_non_exhaustive()
    }
}

impl ReplayRecording {
    /// Reads `config.path` (relative to `base`, the config file's
    /// directory) and selects its channels.
    ///
    /// # Errors
    /// Every problem at its config path under `at`: a missing or
    /// unreadable file, a format the readers do not know, a recording
    /// without channels or samples, an unknown channel, a mapping that
    /// matches no event; for XDF, a file without a playable stream or
    /// without the one `stream` names; `stream` for another format.
    pub fn load(config: &ReplayConfig, base: &Path, at: &str) -> Result<Self, Vec<ConfigError>> {
        let path = base.join(&config.path);
        let here = |field: &str, msg: String| vec![ConfigError::new(format!("{at}.{field}"), msg)];
        let size = std::fs::metadata(&path)
            .map_err(|e| here("path", format!("cannot read {}: {e}", path.display())))?
            .len();
        if size > MAX_FILE_BYTES {
            return Err(here(
                "path",
                format!(
                    "{} is {size} bytes; a replayed recording is at most {MAX_FILE_BYTES} bytes",
                    path.display()
                ),
            ));
        }
        let (recording, times) = if xdf::is_xdf(&path) {
            let signal = xdf::read(&path, config, at)?;
            (signal.recording, Some(signal.times))
        } else if config.stream.is_some() {
            return Err(here(
                "stream",
                format!(
                    "{} is not an XDF file; only XDF recordings have streams to choose",
                    path.display()
                ),
            ));
        } else {
            let recording = read_recording(&path).map_err(|e| {
                here(
                    "path",
                    format!("{} is not a readable recording: {e}", path.display()),
                )
            })?;
            (recording, None)
        };
        let rate = recording.sample_rate;
        if recording.channels.is_empty() {
            return Err(here(
                "path",
                format!("{} has no data channels", path.display()),
            ));
        }
        if !(rate.is_finite() && rate > 0.0) || recording.n_samples == 0 {
            return Err(here(
                "path",
                format!(
                    "{} has {} samples at {rate} Hz; nothing to replay",
                    path.display(),
                    recording.n_samples
                ),
            ));
        }
        let selected = select(&recording, config.channels.as_deref(), at)?;
        let cues = cues(&recording, config, &path, at)?;
        let mut replay = Self::assemble(path, &recording, &selected, cues, config.block_size);
        replay.times = times;
        Ok(replay)
    }

    fn assemble(
        path: PathBuf,
        recording: &Recording,
        selected: &[usize],
        cues: Vec<Cue>,
        block_size: Option<usize>,
    ) -> Self {
        let n = recording.n_samples;
        let channels = selected.len();
        let mut data = vec![0.0f32; n * channels];
        let mut low = f64::INFINITY;
        let mut high = f64::NEG_INFINITY;
        for (k, &c) in selected.iter().enumerate() {
            let info = &recording.channels[c];
            // Volt multiples become microvolts; other units stay as they are.
            let scale = info.volts_per_unit().map_or(1.0, |v| v / 1e-6);
            let (a, b) = (info.physical_min * scale, info.physical_max * scale);
            low = low.min(a.min(b));
            high = high.max(a.max(b));
            for (s, &v) in recording.channel(c).iter().enumerate() {
                data[s * channels + k] = if scale == 1.0 {
                    v as f32
                } else {
                    (v * scale) as f32
                };
            }
        }
        let rate = recording.sample_rate;
        let name = path
            .file_stem()
            .map_or_else(|| "replay".into(), |s| s.to_string_lossy().into_owned());
        let spec = StreamSpec {
            name,
            channels: selected
                .iter()
                .map(|&c| recording.channels[c].to_channel_spec())
                .collect(),
            sample_rate: rate,
            // 40 ms blocks unless the config says otherwise.
            block_size: block_size.unwrap_or(((rate * 0.04).round() as usize).max(1)),
        };
        Self {
            path,
            spec,
            data,
            samples: n as u64,
            cues,
            times: None,
            physical_range: (low, high),
        }
    }

    /// Seconds of signal.
    #[must_use]
    pub fn duration_s(&self) -> f64 {
        self.samples as f64 / self.spec.sample_rate
    }
}

/// Indices of the selected channels (all by default).
fn select(
    recording: &Recording,
    labels: Option<&[String]>,
    at: &str,
) -> Result<Vec<usize>, Vec<ConfigError>> {
    let Some(labels) = labels else {
        return Ok((0..recording.channels.len()).collect());
    };
    let mut selected = Vec::with_capacity(labels.len());
    let mut missing = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        match recording.channel_index(label) {
            Some(c) => selected.push(c),
            None => missing.push((i, label)),
        }
    }
    let (at, what) = match missing.as_slice() {
        [] => return Ok(selected),
        [(i, label)] => (
            format!("{at}.channels[{i}]"),
            format!("no channel {label:?}"),
        ),
        many => (
            format!("{at}.channels"),
            format!(
                "no channels {}",
                many.iter()
                    .map(|(_, l)| format!("{l:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    let has: Vec<String> = recording
        .channels
        .iter()
        .map(|c| format!("{:?}", c.label))
        .collect();
    Err(vec![ConfigError::new(
        at,
        format!("the recording has {what} (it has {})", has.join(", ")),
    )])
}

/// The class onsets and task ends of the mapped events (an event's end,
/// and the `rest` events), in sample order.
fn cues(
    recording: &Recording,
    config: &ReplayConfig,
    path: &Path,
    at: &str,
) -> Result<Vec<Cue>, Vec<ConfigError>> {
    let rate = recording.sample_rate;
    let end = recording.n_samples as f64;
    let mut cues = Vec::new();
    let mut matched = 0usize;
    for e in &recording.events {
        if config.is_rest(&e.description, e.code) {
            let onset = (e.onset_s * rate).round();
            if onset >= 0.0 && onset < end {
                cues.push(Cue {
                    sample: onset as u64,
                    code: Marker::REST,
                });
            }
            continue;
        }
        let Some(class) = config.class_of(&e.description, e.code) else {
            continue;
        };
        matched += 1;
        let onset = (e.onset_s * rate).round();
        if !(onset >= 0.0 && onset < end) {
            continue;
        }
        cues.push(Cue {
            sample: onset as u64,
            code: class as i32,
        });
        let stop = ((e.onset_s + e.duration_s) * rate).round();
        if e.duration_s > 0.0 && stop < end {
            cues.push(Cue {
                sample: stop as u64,
                code: Marker::REST,
            });
        }
    }
    if !config.events.is_empty() && matched == 0 {
        let mut found: Vec<&str> = recording
            .events
            .iter()
            .map(|e| e.description.trim())
            .collect();
        found.sort_unstable();
        found.dedup();
        return Err(vec![ConfigError::new(
            format!("{at}.events"),
            format!(
                "no event of {} matches {:?} (its events: {})",
                path.display(),
                config.events.keys().collect::<Vec<_>>(),
                if found.is_empty() {
                    "none".into()
                } else {
                    found.join(", ")
                }
            ),
        )]);
    }
    // Stable: an onset at the sample where the previous task ends wins.
    cues.sort_by_key(|c| (c.sample, c.code != Marker::REST));
    Ok(cues)
}
