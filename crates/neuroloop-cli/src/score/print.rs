//! The score's figures: computed once ([`Summary`]), printed as a readable
//! summary, and written as JSON with every window and trial.

use neuroloop_decode::bundle::Manifest;
use serde::Serialize;
use serde_json::json;

use super::ScoreArgs;
use super::metrics::{Scores, bits_per_minute, median, wolpaw_bits};
use super::session::Played;
use super::windows::{Trial, WindowRow};

/// What was run, for the printout.
pub(super) struct Context<'a> {
    /// The command line.
    pub args: &'a ScoreArgs,
    /// The bundle's manifest.
    pub manifest: &'a Manifest,
    /// Each recording as played.
    pub played: &'a [Played],
    /// Wall-clock seconds of the whole score.
    pub seconds: f64,
}

/// Every figure of a score.
#[derive(Debug, Serialize)]
pub(super) struct Summary {
    /// Class labels, in index order.
    pub classes: Vec<String>,
    /// Windows published.
    pub windows: usize,
    /// Windows decoded (with probabilities).
    pub decoded_windows: usize,
    /// Decoded windows with a live label, scored.
    pub per_window: Scores,
    /// Trials with at least one decoded window, scored by mean probability.
    pub per_trial: Scores,
    /// Trials without a decoded window (left out of `per_trial`).
    pub undecided_trials: usize,
    /// Mean seconds from a cue to the end of its trial's span: the
    /// selection time of the ITR.
    pub trial_s: f64,
    /// Wolpaw bits per trial at the per-trial accuracy.
    pub itr_bits_per_trial: Option<f64>,
    /// The same per minute, one trial every `trial_s`.
    pub itr_bits_per_minute: Option<f64>,
    /// Median seconds from cue to the first correct class intent, over the
    /// trials that had one.
    pub first_correct_median_s: Option<f64>,
    /// Trials with a correct class intent in their span.
    pub trials_with_correct_intent: usize,
}

impl Summary {
    pub(super) fn new(classes: &[String], rows: &[WindowRow], trials: &[Trial]) -> Self {
        let n = classes.len();
        let scored: Vec<&WindowRow> = rows
            .iter()
            .filter(|r| r.label.is_some() && r.probabilities.is_some())
            .collect();
        let p: Vec<Vec<f32>> = scored
            .iter()
            .filter_map(|r| r.probabilities.clone())
            .collect();
        let l: Vec<usize> = scored.iter().filter_map(|r| r.label).collect();
        let per_window = Scores::of(&p, &l, n);
        let decided: Vec<&Trial> = trials
            .iter()
            .filter(|t| t.mean_probabilities.is_some())
            .collect();
        let tp: Vec<Vec<f32>> = decided
            .iter()
            .filter_map(|t| t.mean_probabilities.clone())
            .collect();
        let tl: Vec<usize> = decided.iter().map(|t| t.class).collect();
        let per_trial = Scores::of(&tp, &tl, n);
        // A trial's selection takes from its cue to the end of its span.
        let spans: Vec<f64> = trials.iter().map(|t| t.span_s[1] - t.onset_s).collect();
        let trial_s = spans.iter().sum::<f64>() / spans.len().max(1) as f64;
        let bits = (per_trial.n > 0)
            .then(|| wolpaw_bits(n, per_trial.accuracy))
            .flatten();
        let firsts: Vec<f64> = trials.iter().filter_map(|t| t.first_correct_s).collect();
        Self {
            classes: classes.to_vec(),
            windows: rows.len(),
            decoded_windows: rows.iter().filter(|r| r.probabilities.is_some()).count(),
            per_window,
            undecided_trials: trials.len() - decided.len(),
            per_trial,
            trial_s,
            itr_bits_per_trial: bits,
            itr_bits_per_minute: bits.and_then(|b| bits_per_minute(b, trial_s)),
            first_correct_median_s: median(&firsts),
            trials_with_correct_intent: firsts.len(),
        }
    }

    /// Prints the summary on stdout; `trials` for the per-trial times.
    pub(super) fn print(&self, cx: &Context<'_>, trials: &[Trial]) {
        let m = cx.manifest;
        outln!(
            "{} bundle {} ({} channels at {} Hz, window {} samples, classes {})",
            m.model.architecture(),
            cx.args.bundle.display(),
            m.channels.len(),
            m.sample_rate,
            m.window_samples,
            self.classes.join(", ")
        );
        for (played, path) in cx.played.iter().zip(&cx.args.source.recordings) {
            let r = &played.report;
            let online = r
                .online_accuracy
                .map_or_else(|| "-".into(), |a| format!("{a:.3}"));
            outln!(
                "{}: {} samples played ({} in the report, ring overflows {}), {} windows, hop {} samples; \
                 the pipeline's own count: decoder argmax right on {online} of {} labelled windows",
                path.display(),
                played.samples,
                r.samples_produced,
                r.ring_overflows,
                played.intents.len(),
                played.hop,
                r.pipeline.labelled
            );
        }
        outln!(
            "{} windows published, {} decoded; per window (policy output vs the live label):",
            self.windows,
            self.decoded_windows
        );
        print_scores(&self.per_window, "windows", &self.classes);
        outln!(
            "\nper trial (mean probability over its decoded windows; {} trial(s) without one left out):",
            self.undecided_trials
        );
        print_scores(&self.per_trial, "trials", &self.classes);
        let fmt =
            |v: Option<f64>, unit: &str| v.map_or_else(|| "-".into(), |v| format!("{v:.3}{unit}"));
        outln!(
            "\ninformation transfer rate (Wolpaw): {} bits/trial, {} bits/min at {:.2} s from cue to decision",
            fmt(self.itr_bits_per_trial, ""),
            fmt(self.itr_bits_per_minute, ""),
            self.trial_s
        );
        outln!(
            "cue to first correct class intent: median {} over {} of {} trials",
            fmt(self.first_correct_median_s, " s"),
            self.trials_with_correct_intent,
            self.per_trial.n + self.undecided_trials
        );
        let each: Vec<String> = trials
            .iter()
            .map(|t| {
                t.first_correct_s
                    .map_or_else(|| "-".into(), |s| format!("{s:.2}"))
            })
            .collect();
        outln!("  per trial, s: {}", each.join(" "));
        outln!("{:.1} s", cx.seconds);
    }

    /// Everything, with each window and trial.
    pub(super) fn to_json(
        &self,
        cx: &Context<'_>,
        rows: &[WindowRow],
        trials: &[Trial],
    ) -> serde_json::Value {
        let sessions: Vec<serde_json::Value> = cx
            .played
            .iter()
            .zip(&cx.args.source.recordings)
            .map(|(p, path)| {
                json!({
                    "recording": path,
                    "samples": p.samples,
                    "window_samples": p.window,
                    "hop_samples": p.hop,
                    "sample_rate": p.sample_rate,
                    "label_delay_s": p.label_delay_s,
                    "report": p.report,
                })
            })
            .collect();
        json!({
            "bundle": cx.args.bundle,
            "architecture": cx.manifest.model.architecture(),
            "events": cx.args.source.events,
            "tmin": cx.args.tmin,
            "tmax": cx.args.tmax,
            "summary": self,
            "sessions": sessions,
            "trials": trials,
            "windows": rows,
            "seconds": cx.seconds,
        })
    }
}

fn print_scores(s: &Scores, items: &str, classes: &[String]) {
    if s.n == 0 {
        outln!("  no {items} to score");
        return;
    }
    let opt = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.3}"));
    outln!(
        "  accuracy {:.3} on {} {items} (chance: majority {:.3}, p <= 0.05 bar {}), ROC-AUC {}",
        s.accuracy,
        s.n,
        s.chance_majority,
        opt(s.chance_threshold_p05),
        opt(s.auc)
    );
    let corner = "true \\ predicted";
    let width = classes.iter().map(String::len).max().unwrap_or(4).max(6);
    let first = width.max(corner.len());
    let mut head = format!("  {corner:first$}");
    for c in classes {
        head.push_str(&format!("  {c:>width$}"));
    }
    outln!("{head}");
    for (c, row) in classes.iter().zip(&s.confusion) {
        let mut line = format!("  {c:first$}");
        for n in row {
            line.push_str(&format!("  {n:>width$}"));
        }
        outln!("{line}");
    }
}
