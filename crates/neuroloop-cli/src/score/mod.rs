//! `neuroloop score BUNDLE --recording F... --events T1=a,T2=b`: plays
//! recordings through the online path and scores the intents.
//!
//! Each recording is one session of `neuroloop run`'s machinery, started
//! in-process: a replay source at fast pace (it waits for the pipeline, so
//! no sample is lost), the bundle's causal filter chain block by block, its
//! window, the hop of `--hop` or `--config`, the intent policy of
//! `--config` (else the defaults). Every published intent is collected
//! and scored:
//!
//! * per window: the policy's most probable class against the label a
//!   live session gives the window (`[decoder] label_delay_s`);
//! * per trial: a trial is a cued event's span `[onset + tmin, onset +
//!   tmax]` (default: from one window after the cue to the event's end);
//!   it is decided by the mean probability over the decoded windows whose
//!   newest sample lies in the span;
//! * ROC-AUC (binary: the second class's probability; more classes: macro
//!   one-vs-rest), confusion matrices, the binomial chance bar, Wolpaw's
//!   information transfer rate per trial and per minute (one selection per
//!   trial, taking from its cue to the end of its span), and the time from
//!   each cue to the first class intent (not a hold) for the cued class.

mod metrics;
mod print;
pub(crate) mod session;
mod windows;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use neuroloop_decode::bundle::Bundle;
use neuroloop_offline::{EventMap, OfflineError, parse_filters};

use crate::args::SourceArgs;
use crate::error::CommandError;
use session::{SessionPlan, option};

/// Options of `neuroloop score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The model bundle (written by `neuroloop train`, or saved by a
    /// calibrating session).
    bundle: PathBuf,
    /// Recordings, events (classes must be the bundle's; events mapped to
    /// `rest`, unless that is one of its classes, end the current task, for
    /// files whose events carry no duration: `33025=13Hz,32780=rest`),
    /// channels, filters, config: the same flags as train and evaluate.
    #[command(flatten)]
    source: SourceArgs,
    /// Start of each trial after its event onset, seconds (default: the
    /// bundle's window length, so that only windows lying wholly after the
    /// cue count). A trial is decided by the mean probability over its
    /// decoded windows: those whose newest sample lies in [onset + tmin,
    /// onset + tmax].
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmin: Option<f64>,
    /// End of each trial after its event onset, seconds (default: the
    /// event's end, from its duration, and at least tmin).
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmax: Option<f64>,
    /// Hop between windows, seconds (default: `--config`'s, else 0.25).
    #[arg(long, value_parser = hop_s)]
    hop: Option<f64>,
    /// Also write every figure and one row per window (index, newest
    /// sample time, class or hold reason, probabilities) as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Runs `neuroloop score`; prints the summary (exit 0) or the error (exit 1).
pub fn score(args: &ScoreArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("score: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &ScoreArgs) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    crate::args::check_distinct(&args.source.recordings, &[])?;
    if let (Some(a), Some(b)) = (args.tmin, args.tmax)
        && a >= b
    {
        return Err(option("tmax", format!("{b} s must be after --tmin {a} s")).into());
    }
    let bundle = Bundle::load(&args.bundle)?;
    let manifest = bundle.manifest().clone();
    drop(bundle);
    let (events, rest) = events_table(&args.source.events, &manifest.classes)?;
    let plan = SessionPlan {
        bundle: &args.bundle,
        manifest: &manifest,
        events,
        rest,
        channels: args
            .source
            .channels
            .clone()
            .unwrap_or_else(|| manifest.channels.clone()),
        filters: args
            .source
            .filters
            .as_deref()
            .map(filter_tables)
            .transpose()?,
        config: args.source.config.as_deref().map(read_config).transpose()?,
        hop_s: args.hop,
    };
    // Every recording is checked before any is played.
    let sessions = args
        .source
        .recordings
        .iter()
        .map(|r| plan.validate(r))
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    let mut trials = Vec::new();
    let mut played_all = Vec::new();
    for (i, cfg) in sessions.into_iter().enumerate() {
        let played = session::play(cfg)?;
        let mut r = windows::rows(&played, i);
        trials.extend(windows::trials(&played, &r, i, (args.tmin, args.tmax)));
        rows.append(&mut r);
        played_all.push(played);
    }
    let summary = print::Summary::new(&manifest.classes, &rows, &trials);
    let context = print::Context {
        args,
        manifest: &manifest,
        played: &played_all,
        seconds: started.elapsed().as_secs_f64(),
    };
    summary.print(&context, &trials);
    if let Some(path) = &args.json {
        let value = summary.to_json(&context, &rows, &trials);
        let text = serde_json::to_string(&value).map_err(|e| option("json", e.to_string()))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| option("json", format!("cannot write {}: {e}", path.display())))?;
        errln!("scores written to {}", path.display());
    }
    Ok(())
}

/// `--events` as a replay's `events` table, each class one of `classes`,
/// and its `rest` events (mapped to `rest`, when that is no class).
fn events_table(
    text: &str,
    classes: &[String],
) -> Result<(toml::Table, Vec<String>), OfflineError> {
    EventMap::parse(text)?;
    let mut table = toml::Table::new();
    let mut rest = Vec::new();
    for item in text.split(',') {
        let (key, class) = item.split_once('=').unwrap_or((item, ""));
        let (key, class) = (key.trim(), class.trim());
        if class == REST && !classes.iter().any(|c| c == REST) {
            rest.push(key.to_string());
            continue;
        }
        if !classes.iter().any(|c| c == class) {
            return Err(option(
                "events",
                format!(
                    "class {class:?} of {key:?} is not one of the bundle's classes {classes:?}"
                ),
            ));
        }
        table.insert(key.into(), class.into());
    }
    Ok((table, rest))
}

/// The `--events` class that ends a task instead of naming one.
const REST: &str = "rest";

/// `--filters` as `[pipeline] filters` tables, checked by the registry.
fn filter_tables(text: &str) -> Result<Vec<toml::Value>, OfflineError> {
    parse_filters(text)?;
    neuroloop_offline::filter_tables(text)
}

/// `--hop`: positive seconds (the session refuses more than 60 s).
fn hop_s(text: &str) -> Result<f64, String> {
    let hop = crate::bounds::epoch_s(text)?;
    if hop > 0.0 {
        Ok(hop)
    } else {
        Err(format!("{hop} s: the hop must be positive"))
    }
}

/// `--config`, read as the session reads it: its path and its sections.
fn read_config(path: &Path) -> Result<(PathBuf, toml::Table), OfflineError> {
    let inputs = crate::args::session_inputs(path)?;
    Ok((path.to_path_buf(), inputs.tables))
}
