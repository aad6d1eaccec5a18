//! XDF files for the replay: the played stream (named by `stream`, else
//! the first numeric stream with a nominal rate and samples) as a
//! [`Recording`] with
//! each sample's timestamp, and the markers of the file's marker streams
//! (every string stream, and every one-channel numeric stream without a
//! nominal rate) as its events.
//!
//! A marker takes effect at the first sample at or after its timestamp
//! (within a microsecond; a marker before the first sample at the first,
//! one after the last is left out), so its event's onset is that sample's position: `index / rate`
//! seconds, which the replay turns back into the index.

use std::io::Read;
use std::path::Path;

use neuroloop_core::ConfigError;
use neuroloop_formats::xdf::{ChannelFormat, MAGIC, XdfFile, XdfOptions, XdfStream, parse_xdf};
use neuroloop_formats::{ChannelInfo, Event, Recording};

use super::config::{ReplayConfig, Timestamps};

/// A marker this close to a sample's stamp is at that sample (clock
/// synchronisation leaves rounding noise on both).
const SAME_TIME_S: f64 = 1e-6;

/// The played stream of an XDF file and its markers.
pub(super) struct XdfSignal {
    /// Channels, rate and channel-major samples; markers as events.
    pub(super) recording: Recording,
    /// The timestamp of each sample, seconds.
    pub(super) times: Vec<f64>,
}

/// Whether `path` is an XDF file: its name ends in `.xdf` (any case) or it
/// is a regular file that starts with the `XDF:` magic.
pub(super) fn is_xdf(path: &Path) -> bool {
    let named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xdf"));
    if named {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(&mut magic))
            .is_ok()
        && &magic == MAGIC
}

/// Reads the XDF file `path` and picks the stream `config` names.
///
/// # Errors
/// At `{at}.path`: a file that is not a regular file or not XDF (the
/// reader's error), one without a numeric stream with a nominal rate, or
/// a played sample whose timestamp is not finite; at `{at}.stream`: a
/// named stream the file lacks, has twice, or that is not numeric with a
/// nominal rate. Every message names the file and lists
/// its streams where that helps.
pub(super) fn read(
    path: &Path,
    config: &ReplayConfig,
    at: &str,
) -> Result<XdfSignal, Vec<ConfigError>> {
    let here = |field: &str, msg: String| vec![ConfigError::new(format!("{at}.{field}"), msg)];
    let file = path.display();
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Err(here("path", format!("{file} is not a regular file")));
    }
    let options = match config.timestamps {
        Timestamps::Synchronized => XdfOptions::default(),
        Timestamps::Recorded => XdfOptions::raw(),
    };
    let bytes =
        std::fs::read(path).map_err(|e| here("path", format!("cannot read {file}: {e}")))?;
    let xdf = parse_xdf(&bytes, &options)
        .map_err(|e| here("path", format!("{file} is not a readable XDF file: {e}")))?;
    drop(bytes);
    if xdf.truncated {
        tracing::warn!(file = %file, "the XDF file is cut short; playing its whole chunks");
    }
    let index = pick(&xdf, config.stream.as_deref(), path, at)?;
    let played = &xdf.streams[index];
    let times = played.samples.time_stamps.clone();
    if let Some(i) = times.iter().position(|t| !t.is_finite()) {
        return Err(here(
            "path",
            format!(
                "sample {i} of stream {:?} of {file} has the timestamp {}; a replay needs \
                 finite timestamps",
                played.info.name, times[i]
            ),
        ));
    }
    let mut recording = signal(played);
    recording.events = markers(&xdf, index, &times, played.info.nominal_srate);
    Ok(XdfSignal { recording, times })
}

/// The index of the stream to play.
fn pick(
    xdf: &XdfFile,
    name: Option<&str>,
    path: &Path,
    at: &str,
) -> Result<usize, Vec<ConfigError>> {
    let playable =
        |s: &XdfStream| s.info.format != ChannelFormat::String && s.info.nominal_srate > 0.0;
    let file = path.display();
    let listed = || list(xdf);
    let Some(name) = name else {
        let with_samples = |s: &XdfStream| playable(s) && !s.is_empty();
        return xdf.streams.iter().position(with_samples).ok_or_else(|| {
            vec![ConfigError::new(
                format!("{at}.path"),
                format!(
                    "{file} has no numeric stream with a nominal rate and samples to play{} \
                     (its streams: {})",
                    if xdf.truncated {
                        "; the file is cut short"
                    } else {
                        ""
                    },
                    listed()
                ),
            )]
        });
    };
    let named: Vec<usize> = (0..xdf.streams.len())
        .filter(|&i| xdf.streams[i].info.name == name)
        .collect();
    let err = |msg: String| vec![ConfigError::new(format!("{at}.stream"), msg)];
    match named.as_slice() {
        [] => Err(err(format!(
            "{file} has no stream named {name:?} (its streams: {})",
            listed()
        ))),
        [i] if playable(&xdf.streams[*i]) => Ok(*i),
        [i] => Err(err(format!(
            "stream {name:?} of {file} is {}; a replay plays a numeric stream with a nominal rate",
            describe(&xdf.streams[*i])
        ))),
        _ => Err(err(format!(
            "{file} has {} streams named {name:?}, so the name does not choose one (its streams: {})",
            named.len(),
            listed()
        ))),
    }
}

/// Every stream of the file, described.
fn list(xdf: &XdfFile) -> String {
    if xdf.streams.is_empty() {
        return "none".into();
    }
    xdf.streams
        .iter()
        .map(|s| format!("{:?} ({})", s.info.name, describe(s)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe(stream: &XdfStream) -> String {
    let info = &stream.info;
    let rate = if info.nominal_srate > 0.0 {
        format!("{} Hz", info.nominal_srate)
    } else {
        "irregular".into()
    };
    format!(
        "{} channel(s) of {:?}, {rate}, {} samples",
        info.channel_count,
        info.format,
        stream.len()
    )
}

/// The played stream as a recording without events: labels from the
/// header (else `1`, `2`, …), units from the header (else `microvolts`,
/// LSL's convention for EEG), no physical range.
fn signal(stream: &XdfStream) -> Recording {
    let info = &stream.info;
    let channels = info.channel_count;
    let n = stream.len();
    let label = |c: usize| {
        info.labels
            .get(c)
            .filter(|l| !l.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| (c + 1).to_string())
    };
    let unit = |c: usize| {
        info.units
            .get(c)
            .filter(|u| !u.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| "microvolts".into())
    };
    let values = &stream.samples.values;
    let mut data = vec![0.0; channels * n];
    for (s, sample) in values.chunks_exact(channels).take(n).enumerate() {
        for (c, &v) in sample.iter().enumerate() {
            data[c * n + s] = v;
        }
    }
    Recording {
        channels: (0..channels)
            .map(|c| ChannelInfo {
                label: label(c),
                unit: unit(c),
                transducer: String::new(),
                prefiltering: String::new(),
                physical_min: f64::NEG_INFINITY,
                physical_max: f64::INFINITY,
                digital_min: 0.0,
                digital_max: 0.0,
                samples_per_record: 0,
            })
            .collect(),
        sample_rate: info.nominal_srate,
        n_samples: n,
        data,
        events: Vec::new(),
    }
}

/// The markers of every marker stream but the played one, each at the
/// position of the first sample at or after it, in time order.
fn markers(xdf: &XdfFile, played: usize, times: &[f64], rate: f64) -> Vec<Event> {
    let mut found: Vec<(f64, String, Option<u32>)> = Vec::new();
    for (i, stream) in xdf.streams.iter().enumerate() {
        let info = &stream.info;
        let width = info.channel_count.max(1);
        let stamps = &stream.samples.time_stamps;
        if i == played {
            continue;
        } else if info.format == ChannelFormat::String {
            let texts = stream.samples.strings.chunks(width);
            found.extend(
                stamps
                    .iter()
                    .zip(texts)
                    .map(|(&t, s)| (t, s[0].clone(), None)),
            );
        } else if info.nominal_srate == 0.0 && info.channel_count == 1 {
            found.extend(stamps.iter().zip(&stream.samples.values).map(|(&t, &v)| {
                let code = (v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v))
                    .then_some(v as u32);
                let text = code.map_or_else(|| v.to_string(), |c| c.to_string());
                (t, text, code)
            }));
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found
        .into_iter()
        .map(|(time, description, code)| Event {
            onset_s: times.partition_point(|&t| t < time - SAME_TIME_S) as f64 / rate,
            duration_s: 0.0,
            code,
            description,
        })
        .collect()
}
