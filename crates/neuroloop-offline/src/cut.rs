//! Cutting labelled epochs from whole recordings around their events.
//!
//! The session's filter chain runs causally over each continuous recording
//! first, block by block exactly as the online pipeline runs it, so the
//! epochs hold what a decoder would have seen live. Each event whose text
//! (EDF+ annotation) or code (GDF event) the [`EventMap`](crate::EventMap)
//! names gives one epoch of samples `[onset + tmin, onset + tmax)`.
//!
//! # Shapes
//!
//! As [`EpochSet`]: `[n, channels, samples]`.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
use neuroloop_decode::fit::EpochSet;
use neuroloop_dsp::ChainConfig;
use neuroloop_formats::{Event, Recording};

use crate::{Cut, EpochOptions, OfflineError, SkippedEvent};

/// Samples per block when running the filter chain over a recording.
const BLOCK: usize = 256;
/// Most bytes of cut epochs held at once.
const MAX_EPOCH_BYTES: usize = 8 << 30;

/// Reads the recordings at `paths` (EDF/EDF+/BDF/GDF) and cuts their
/// epochs as [`cut_epochs`] does, each named by its path.
///
/// # Errors
/// [`OfflineError::Recording`] naming a file that cannot be read, then
/// every error of [`cut_epochs`].
pub fn cut_epochs_from_files(
    paths: &[std::path::PathBuf],
    options: &EpochOptions,
    chain: &ChainConfig,
) -> Result<Cut, OfflineError> {
    let mut recordings = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let recording =
            neuroloop_formats::read_recording(path).map_err(|source| OfflineError::Recording {
                path: name.clone(),
                source,
            })?;
        recordings.push((name, recording));
    }
    let named: Vec<(&str, &Recording)> = recordings.iter().map(|(n, r)| (n.as_str(), r)).collect();
    cut_epochs(&named, options, chain)
}

/// Cuts the epochs of every recording (`(name, recording)` pairs; names
/// appear in errors) and pools them, in recording then event order.
///
/// `chain` runs over each recording's selected channels from its first
/// sample, with fresh filter state per recording. Pass an empty
/// `ChainConfig::new(Vec::new())` for unfiltered data.
///
/// # Errors
/// * [`OfflineError::Option`]: `tmax <= tmin`, a window under two
///   samples, no recording, or a filter chain that does not fit the
///   channels and rate.
/// * [`OfflineError::UnknownChannel`]: a selected label is missing.
/// * [`OfflineError::NoMatchingEvents`]: no event of a recording matches.
/// * [`OfflineError::NonFiniteRecording`]: a NaN/Inf in a selected channel.
/// * [`OfflineError::RecordingMismatch`]: recordings differ in sample rate or
///   filtered channels, or every matching event runs past an end (nothing
///   to evaluate).
pub fn cut_epochs(
    recordings: &[(&str, &Recording)],
    options: &EpochOptions,
    chain: &ChainConfig,
) -> Result<Cut, OfflineError> {
    let Some((_, first)) = recordings.first() else {
        return Err(OfflineError::Option {
            what: "recordings",
            message: "at least one recording is needed".into(),
        });
    };
    options.check(first.sample_rate)?;
    let mut pool = Pool {
        channels: Vec::new(),
        samples: options.samples(first.sample_rate),
        sample_rate: first.sample_rate,
        data: Vec::new(),
        labels: Vec::new(),
        recording: Vec::new(),
        onset_s: Vec::new(),
        skipped: Vec::new(),
    };
    for (index, (name, rec)) in recordings.iter().enumerate() {
        pool.add(index, name, rec, options, chain)?;
    }
    if pool.labels.is_empty() {
        return Err(OfflineError::RecordingMismatch {
            recording: recordings[0].0.to_string(),
            what: format!(
                "all {} matching events run past an end of their recording for [{}, {}] s",
                pool.skipped.len(),
                options.tmin,
                options.tmax
            ),
        });
    }
    let epochs = EpochSet::new(
        pool.channels.len(),
        pool.samples,
        pool.sample_rate,
        options.events.classes().to_vec(),
        pool.data,
        pool.labels,
    )?
    .with_recordings(pool.recording)?
    .with_onsets(pool.onset_s)?
    .with_channel_labels(pool.channels)?;
    Ok(Cut {
        epochs,
        skipped: pool.skipped,
    })
}

/// The epochs of the recordings cut so far, column by column.
struct Pool {
    /// Channel labels after the filter chain (the first recording's).
    channels: Vec<String>,
    samples: usize,
    sample_rate: f64,
    /// `[n, channels, samples]`.
    data: Vec<f32>,
    labels: Vec<usize>,
    recording: Vec<usize>,
    onset_s: Vec<f64>,
    skipped: Vec<SkippedEvent>,
}

impl Pool {
    /// Filters recording `index` and adds the epoch of each matching event.
    fn add(
        &mut self,
        index: usize,
        name: &str,
        rec: &Recording,
        options: &EpochOptions,
        chain: &ChainConfig,
    ) -> Result<(), OfflineError> {
        let mismatch = |what: String| OfflineError::RecordingMismatch {
            recording: name.to_string(),
            what,
        };
        if rec.sample_rate != self.sample_rate {
            return Err(mismatch(format!(
                "sample rate {} Hz differs from the first recording's {} Hz",
                rec.sample_rate, self.sample_rate
            )));
        }
        let selected = select_channels(name, rec, options.channels.as_deref())?;
        let (labels, filtered) = filter(name, rec, &selected, chain)?;
        if index == 0 {
            self.channels = labels;
        } else if labels != self.channels {
            return Err(mismatch(format!(
                "filtered channels {labels:?} differ from the first recording's {:?}",
                self.channels
            )));
        }
        let matched: Vec<(&Event, usize)> = rec
            .events
            .iter()
            .filter_map(|e| options.events.class_of(e).map(|c| (e, c)))
            .collect();
        if matched.is_empty() {
            return Err(OfflineError::NoMatchingEvents {
                recording: name.to_string(),
                keys: options.events.keys().join(","),
                seen: distinct_events(&rec.events),
            });
        }
        self.check_size(matched.len())?;
        let n_ch = self.channels.len();
        let total = filtered.len().checked_div(n_ch).unwrap_or(0);
        for (event, class) in matched {
            let Some(start) = epoch_start(event.onset_s, options.tmin, rec.sample_rate)
                .filter(|s| s.checked_add(self.samples).is_some_and(|end| end <= total))
            else {
                self.skipped.push(SkippedEvent {
                    recording: index,
                    onset_s: event.onset_s,
                    class,
                });
                continue;
            };
            for c in 0..n_ch {
                self.data.extend(
                    filtered
                        .iter()
                        .skip(start.saturating_mul(n_ch).saturating_add(c))
                        .step_by(n_ch.max(1))
                        .take(self.samples),
                );
            }
            self.labels.push(class);
            self.recording.push(index);
            self.onset_s.push(event.onset_s);
        }
        Ok(())
    }

    /// Refuses `events` more epochs when all of them would exceed
    /// [`MAX_EPOCH_BYTES`].
    fn check_size(&self, events: usize) -> Result<(), OfflineError> {
        let n_ch = self.channels.len();
        let bytes = events
            .checked_mul(n_ch)
            .and_then(|v| v.checked_mul(self.samples))
            .and_then(|v| v.checked_add(self.data.len()))
            .and_then(|v| v.checked_mul(4));
        if bytes.is_none_or(|b| b > MAX_EPOCH_BYTES) {
            return Err(OfflineError::Option {
                what: "epoch window",
                message: format!(
                    "{events} events x {n_ch} channels x {} samples would take more than {} GB; shorten [tmin, tmax] or select fewer channels",
                    self.samples,
                    MAX_EPOCH_BYTES >> 30
                ),
            });
        }
        Ok(())
    }
}

/// The first sample of the epoch of an event at `onset_s`, or `None` when
/// it lies before the recording or beyond any index (huge or non-finite
/// onsets from a file are skipped, never overflow).
fn epoch_start(onset_s: f64, tmin: f64, rate: f64) -> Option<usize> {
    let start = ((onset_s + tmin) * rate).round();
    // 2^52: every index up to here is exact in f64 and fits usize.
    (0.0..4_503_599_627_370_496.0)
        .contains(&start)
        .then_some(start as usize)
}

/// Indices of the selected channels: `labels` in order, or every channel.
fn select_channels(
    name: &str,
    rec: &Recording,
    labels: Option<&[String]>,
) -> Result<Vec<usize>, OfflineError> {
    match labels {
        None => Ok((0..rec.channels.len()).collect()),
        Some(labels) => labels
            .iter()
            .map(|l| {
                rec.channel_index(l)
                    .ok_or_else(|| OfflineError::UnknownChannel {
                        recording: name.to_string(),
                        label: l.clone(),
                    })
            })
            .collect(),
    }
}

/// Runs `chain` over the selected channels of the whole recording; returns
/// the output labels and the sample-interleaved output.
fn filter(
    name: &str,
    rec: &Recording,
    selected: &[usize],
    chain: &ChainConfig,
) -> Result<(Vec<String>, Vec<f32>), OfflineError> {
    let n = rec.n_samples;
    for &c in selected {
        if let Some(s) = rec.channel(c).iter().position(|v| !v.is_finite()) {
            return Err(OfflineError::NonFiniteRecording {
                recording: name.to_string(),
                channel: rec.channels[c].label.clone(),
                sample: s,
            });
        }
    }
    let spec = StreamSpec {
        name: name.to_string(),
        channels: selected
            .iter()
            .map(|&c| ChannelSpec::eeg(rec.channels[c].label.clone()))
            .collect(),
        sample_rate: rec.sample_rate,
        block_size: BLOCK,
    };
    let bad_chain = |what: String| OfflineError::Option {
        what: "filters",
        message: format!("{name}: {what}"),
    };
    let out_spec = chain.preflight(&spec).map_err(|e| {
        bad_chain(format!(
            "filters do not fit its channels: {}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let mut filters = chain
        .initialize(&spec, BLOCK)
        .map_err(|e| bad_chain(format!("filters cannot be built: {e}")))?;
    if out_spec.channel_count() != spec.channel_count() {
        return Err(bad_chain(
            "filters that change the channel count are not supported offline".into(),
        ));
    }
    let n_ch = selected.len();
    let Some(values) = n.checked_mul(n_ch) else {
        return Err(bad_chain(format!(
            "{n} samples x {n_ch} channels is too many"
        )));
    };
    let mut out = vec![0.0_f32; values];
    let mut block = SampleBlock::with_capacity(n_ch, BLOCK);
    let mut start = 0;
    while start < n {
        let len = BLOCK.min(n.saturating_sub(start));
        let (data, _, _) = block.buffers_mut();
        for s in 0..len {
            for (k, &c) in selected.iter().enumerate() {
                // In range: s < len <= BLOCK, start + s < n, k < n_ch.
                data[s.saturating_mul(n_ch).saturating_add(k)] =
                    rec.channel(c)[start.saturating_add(s)] as f32;
            }
        }
        block.set_len(len);
        filters.process(&mut block.as_mut());
        let from = start.saturating_mul(n_ch);
        out[from..from.saturating_add(len.saturating_mul(n_ch))].copy_from_slice(block.data());
        start = start.saturating_add(len);
    }
    let labels = out_spec.channels.into_iter().map(|c| c.label).collect();
    Ok((labels, out))
}

/// The first distinct event texts of a recording, for error messages.
fn distinct_events(events: &[Event]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for e in events {
        let d = e.description.trim();
        if !seen.contains(&d) {
            seen.push(d);
        }
    }
    let more = if seen.len() > 12 { ", ..." } else { "" };
    seen.truncate(12);
    if seen.is_empty() {
        "none".into()
    } else {
        format!("{}{more}", seen.join(","))
    }
}
