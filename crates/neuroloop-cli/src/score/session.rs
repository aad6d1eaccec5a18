//! One recording through the online path: a session config built from the
//! bundle (and `--config`), a replay source at fast pace, `neuroloop run`'s
//! session machinery in-process, and every published intent collected.

use std::path::{Path, PathBuf};

use neuroloop_core::{HoldReason, Intent, IntentKind};
use neuroloop_decode::bundle::Manifest;
use neuroloop_offline::OfflineError;
use neuroloop_runtime::source_registry::ReplaySection;
use neuroloop_runtime::{SessionReport, StartOptions, ValidatedSession};
use neuroloop_sources::replay::Cue;

use crate::error::CommandError;

/// What the score's sessions share: the bundle, the event mapping, and the
/// parts of `--config` a session takes.
pub(super) struct SessionPlan<'a> {
    /// The bundle directory.
    pub bundle: &'a Path,
    /// Its manifest.
    pub manifest: &'a Manifest,
    /// `--events` as `key → class`.
    pub events: toml::Table,
    /// `--events` that end a task.
    pub rest: Vec<String>,
    /// `--channels`, else the bundle's.
    pub channels: Vec<String>,
    /// `--filters` as `[pipeline] filters` tables, if given.
    pub filters: Option<Vec<toml::Value>>,
    /// `--config`: its path and its tables.
    pub config: Option<(PathBuf, toml::Table)>,
    /// `--hop`, seconds.
    pub hop_s: Option<f64>,
}

/// One recording as played: its intents, cues and shape.
#[derive(Debug, Clone)]
pub(super) struct Played {
    /// Intents in window order.
    pub intents: Vec<Intent>,
    /// The cues the replay emitted (class onsets and rests).
    pub cues: Vec<Cue>,
    /// Window length, samples.
    pub window: usize,
    /// Hop between windows, samples.
    pub hop: usize,
    /// Samples per second.
    pub sample_rate: f64,
    /// `[decoder] label_delay_s` of the session.
    pub label_delay_s: f64,
    /// Samples in the recording.
    pub samples: u64,
    /// The session's report.
    pub report: SessionReport,
}

/// Hop when neither `--hop` nor `--config` gives one, seconds.
pub(super) const DEFAULT_HOP_S: f64 = 0.25;

impl SessionPlan<'_> {
    /// The session config text replaying `recording`.
    fn config_text(&self, recording: &Path) -> Result<String, OfflineError> {
        let base = self
            .config
            .as_ref()
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let table = |name: &str| -> toml::Table {
            base.get(name)
                .and_then(toml::Value::as_table)
                .cloned()
                .unwrap_or_default()
        };
        let m = self.manifest;
        let mut session = table("session");
        session.insert("name".into(), "score".into());
        let mut source = toml::Table::new();
        source.insert("type".into(), "replay".into());
        let path = std::fs::canonicalize(recording).unwrap_or_else(|_| recording.to_path_buf());
        source.insert("path".into(), path.display().to_string().into());
        source.insert("pace".into(), "fast".into());
        source.insert("classes".into(), to_toml(&m.classes)?);
        source.insert("events".into(), self.events.clone().into());
        source.insert("rest".into(), to_toml(&self.rest)?);
        source.insert("channels".into(), to_toml(&self.channels)?);
        let mut pipeline = table("pipeline");
        let filters = match &self.filters {
            Some(f) => toml::Value::Array(f.clone()),
            None if pipeline.contains_key("filters") => pipeline["filters"].clone(),
            None => to_toml(&m.preprocessing.filters)?,
        };
        pipeline.insert("filters".into(), filters);
        pipeline.insert(
            "window_s".into(),
            (m.window_samples as f64 / m.sample_rate).into(),
        );
        if let Some(hop) = self.hop_s {
            pipeline.insert("hop_s".into(), hop.into());
        } else if !pipeline.contains_key("hop_s") {
            pipeline.insert("hop_s".into(), DEFAULT_HOP_S.into());
        }
        let mut decoder = toml::Table::new();
        decoder.insert("type".into(), "bundle".into());
        let dir = std::fs::canonicalize(self.bundle).unwrap_or_else(|_| self.bundle.to_path_buf());
        decoder.insert("path".into(), dir.display().to_string().into());
        if let Some(delay) = table("decoder").get("label_delay_s") {
            decoder.insert("label_delay_s".into(), delay.clone());
        }
        let mut publish = toml::Table::new();
        publish.insert("tcp".into(), "127.0.0.1:0".into());
        let mut doc = toml::Table::new();
        doc.insert("session".into(), session.into());
        doc.insert("source".into(), source.into());
        doc.insert("pipeline".into(), pipeline.into());
        doc.insert("decoder".into(), decoder.into());
        doc.insert("policy".into(), table("policy").into());
        doc.insert("publish".into(), publish.into());
        toml::to_string(&doc).map_err(|e| option("config", e.to_string()))
    }

    /// Validates the session replaying `recording` as `neuroloop check`
    /// would.
    ///
    /// # Errors
    /// [`OfflineError::Option`] listing every problem.
    pub(super) fn validate(&self, recording: &Path) -> Result<ValidatedSession, OfflineError> {
        let text = self.config_text(recording)?;
        // Relative paths of `--config` (its hardware profile) stay its own.
        let origin = self
            .config
            .as_ref()
            .map_or_else(|| PathBuf::from("score.toml"), |(p, _)| p.clone());
        neuroloop_runtime::parse(&text, &origin).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            option(
                "recording",
                format!("{}: {}", recording.display(), list.join("; ")),
            )
        })
    }
}

/// Plays a validated replay session to its end and collects its intents.
///
/// # Errors
/// The session's start error, a failed source, or intents lost between
/// pipeline and publisher (never expected: the source waits for the
/// pipeline).
pub(super) fn play(cfg: ValidatedSession) -> Result<Played, CommandError> {
    let Some(replay) = cfg.source.downcast_ref::<ReplaySection>() else {
        return Err(option("recording", "not a replay session".into()).into());
    };
    let cues = replay.recording.cues.clone();
    let samples = replay.recording.samples;
    let (window, hop) = (
        cfg.pipeline.windows.window_samples,
        cfg.pipeline.windows.hop_samples,
    );
    let sample_rate = cfg.pipeline.input.sample_rate;
    let label_delay_s = cfg.decoder.label_delay_s;
    let (intents, report) = play_to_end(cfg, "score")?;
    Ok(Played {
        intents,
        cues,
        window,
        hop,
        sample_rate,
        label_delay_s,
        samples,
        report,
    })
}

/// Runs a validated in-process session (a replay that waits for the
/// pipeline) to its end, every intent collected through the intent tap;
/// returns them with the report. `result` names what would be incomplete
/// if intents or samples were lost (the score, the comparison).
///
/// # Errors
/// The session's start error, a failed source, or intents or samples lost
/// on the way (never expected: the replay waits for the pipeline).
pub(crate) fn play_to_end(
    cfg: ValidatedSession,
    result: &str,
) -> Result<(Vec<Intent>, SessionReport), CommandError> {
    let (tap, intents) = crossbeam_channel::unbounded();
    let options = StartOptions {
        listen: Some(([127, 0, 0, 1], 0).into()),
        intent_tap: Some(tap),
        ..StartOptions::default()
    };
    let session = neuroloop_runtime::start(cfg, options)?;
    while !session.source_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = session.finish()?;
    if let Some(e) = &report.source_error {
        return Err(option("recording", format!("the replay failed: {e}")).into());
    }
    if report.pipeline.intents_dropped > 0 || report.ring_dropped > 0 {
        return Err(option(
            "recording",
            format!(
                "{} intents and {} samples were lost on the way; the {result} would be \
                 incomplete",
                report.pipeline.intents_dropped, report.ring_dropped
            ),
        )
        .into());
    }
    Ok((intents.try_iter().collect(), report))
}

/// Whether `intent` carries decoder probabilities (a class intent, or a
/// hold for low confidence or dwell).
pub(super) fn is_decoded(intent: &Intent) -> bool {
    intent.kind == IntentKind::Class
        || matches!(
            intent.hold_reason,
            HoldReason::LowConfidence | HoldReason::Dwell
        ) && intent.confidence > 0.0
}

pub(crate) fn to_toml<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<toml::Value, OfflineError> {
    toml::Value::try_from(value).map_err(|e| option("config", e.to_string()))
}

pub(crate) fn option(what: &'static str, message: String) -> OfflineError {
    OfflineError::Option { what, message }
}
