//! Windows and trials of a played recording: each intent as a row with its
//! live label, and each cued event as a trial with its windows.

use neuroloop_core::{HoldReason, IntentKind, Marker};
use neuroloop_runtime::labels::LabelTimeline;
use serde::Serialize;

use super::session::{Played, is_decoded};

/// One window of one recording, as published.
#[derive(Debug, Clone, Serialize)]
pub(super) struct WindowRow {
    /// Index of the recording (`--recording` order).
    pub recording: usize,
    /// Window index in the session.
    pub window: u64,
    /// Time of the window's newest sample, seconds from the recording's
    /// start.
    pub newest_s: f64,
    /// `class` or `hold`.
    pub kind: IntentKind,
    /// Why it holds (`none` for a class intent).
    pub hold_reason: HoldReason,
    /// The policy's most probable class, when the window was decoded.
    pub class: Option<usize>,
    /// The policy's (smoothed) probabilities, when the window was decoded.
    pub probabilities: Option<Vec<f32>>,
    /// The class the live session labels the window with (latest cue a
    /// class onset at least `label_delay_s` before its oldest sample).
    pub label: Option<usize>,
}

/// One cued event of a recording and the windows decided during it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Trial {
    /// Index of the recording.
    pub recording: usize,
    /// The cue's class.
    pub class: usize,
    /// The cue, seconds from the recording's start.
    pub onset_s: f64,
    /// The span `[onset + tmin, onset + tmax]` whose windows decide it.
    pub span_s: [f64; 2],
    /// Decoded windows whose newest sample lies in the span.
    pub decoded_windows: usize,
    /// Mean of their probabilities (`None` without any).
    pub mean_probabilities: Option<Vec<f32>>,
    /// The class with the highest mean probability.
    pub decided: Option<usize>,
    /// Seconds from the cue to the newest sample of the first class
    /// intent (not a hold) for the cued class within the span.
    pub first_correct_s: Option<f64>,
}

/// The rows of one played recording, labelled as the live session labels.
pub(super) fn rows(played: &Played, recording: usize) -> Vec<WindowRow> {
    let fs = played.sample_rate;
    let mut labels = LabelTimeline::new(played.cues.len() + 2, played.label_delay_s);
    for cue in &played.cues {
        labels.push(Marker {
            time: cue.sample as f64 / fs,
            code: cue.code,
        });
    }
    played
        .intents
        .iter()
        .map(|intent| {
            let newest = (played.window - 1) as u64 + intent.window * played.hop as u64;
            let oldest_s = (newest + 1 - played.window as u64) as f64 / fs;
            let newest_s = newest as f64 / fs;
            let decoded = is_decoded(intent);
            WindowRow {
                recording,
                window: intent.window,
                newest_s,
                kind: intent.kind,
                hold_reason: intent.hold_reason,
                class: decoded.then_some(usize::from(intent.class)),
                probabilities: decoded.then(|| intent.probabilities().to_vec()),
                label: (intent.hold_reason != HoldReason::Artifact)
                    .then(|| labels.label(oldest_s, newest_s))
                    .flatten(),
            }
        })
        .collect()
}

/// The trials of one recording: each class onset among its cues, with the
/// span `[onset + tmin, onset + tmax]`. By default tmin is one window (the
/// first window lying wholly after the cue) and tmax the time to the cue's
/// end (the next cue; at least tmin).
pub(super) fn trials(
    played: &Played,
    rows: &[WindowRow],
    recording: usize,
    span: (Option<f64>, Option<f64>),
) -> Vec<Trial> {
    let fs = played.sample_rate;
    let cues = &played.cues;
    cues.iter()
        .enumerate()
        .filter(|(_, c)| c.code >= 0)
        .map(|(i, cue)| {
            let onset_s = cue.sample as f64 / fs;
            let window_s = played.window as f64 / fs;
            let tmin = span.0.unwrap_or(window_s);
            let end_s = cues[i + 1..]
                .first()
                .map_or(tmin, |next| (next.sample - cue.sample) as f64 / fs);
            let span_s = [onset_s + tmin, onset_s + span.1.unwrap_or(end_s.max(tmin))];
            decide(rows, recording, cue.code as usize, onset_s, span_s)
        })
        .collect()
}

fn decide(
    rows: &[WindowRow],
    recording: usize,
    class: usize,
    onset_s: f64,
    span_s: [f64; 2],
) -> Trial {
    let during: Vec<&WindowRow> = rows
        .iter()
        .filter(|r| r.recording == recording && r.newest_s >= span_s[0] && r.newest_s <= span_s[1])
        .collect();
    let decoded: Vec<&Vec<f32>> = during
        .iter()
        .filter_map(|r| r.probabilities.as_ref())
        .collect();
    let mean_probabilities = decoded.first().map(|first| {
        let mut sum = vec![0.0f64; first.len()];
        for p in &decoded {
            for (s, v) in sum.iter_mut().zip(p.iter()) {
                *s += f64::from(*v);
            }
        }
        sum.iter()
            .map(|s| (s / decoded.len() as f64) as f32)
            .collect::<Vec<f32>>()
    });
    let decided = mean_probabilities
        .as_ref()
        .map(|p| neuroloop_offline::metrics::argmax_rows(p, p.len())[0]);
    let first_correct_s = during
        .iter()
        .find(|r| r.kind == IntentKind::Class && r.class == Some(class))
        .map(|r| r.newest_s - onset_s);
    Trial {
        recording,
        class,
        onset_s,
        span_s,
        decoded_windows: decoded.len(),
        mean_probabilities,
        decided,
        first_correct_s,
    }
}

#[cfg(test)]
mod tests;
