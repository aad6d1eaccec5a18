//! The rerun's session: the recorded session's config with its source
//! replaced by the recording's input stream (XDF replay at fast pace, with
//! the recorded timestamps), its decoder by `--bundle` if given, and
//! nothing that reaches outside (no `[record]`, no LSL outlets, the
//! protocol server on a free loopback port); played in-process to its end
//! with every intent collected.

use std::path::{Path, PathBuf};

use neuroloop_core::Intent;
use neuroloop_offline::OfflineError;
use neuroloop_runtime::ValidatedSession;

use super::recorded::Recorded;
use crate::error::CommandError;
use crate::score::session::{option, play_to_end, to_toml};

/// The session that was recorded: its config file (relative paths in it
/// are its own) and its tables.
pub(super) struct Rerun<'a> {
    /// Where the config's relative paths start.
    pub origin: PathBuf,
    /// Its tables.
    pub tables: toml::Table,
    /// The recording.
    pub file: &'a Path,
    /// What was read from it.
    pub recorded: &'a Recorded,
    /// `--bundle`.
    pub bundle: Option<&'a Path>,
}

impl Rerun<'_> {
    /// The session config text of the rerun.
    fn config_text(&self) -> Result<String, OfflineError> {
        let mut doc = self.tables.clone();
        for part in ["record", "lsl", "source"] {
            doc.remove(part);
        }
        let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let mut source = toml::Table::new();
        source.insert("type".into(), "replay".into());
        source.insert(
            "path".into(),
            absolute(self.file).display().to_string().into(),
        );
        source.insert("stream".into(), self.recorded.input.clone().into());
        source.insert("timestamps".into(), "recorded".into());
        source.insert("pace".into(), "fast".into());
        source.insert("classes".into(), to_toml(&self.recorded.classes)?);
        doc.insert("source".into(), source.into());
        let mut decoder = table(&doc, "decoder");
        // A calibrating session that saved its decoder must not overwrite it.
        decoder.remove("save_bundle");
        if let Some(bundle) = self.bundle {
            let delay = decoder.get("label_delay_s").cloned();
            decoder = toml::Table::new();
            decoder.insert("type".into(), "bundle".into());
            decoder.insert("path".into(), absolute(bundle).display().to_string().into());
            if let Some(delay) = delay {
                decoder.insert("label_delay_s".into(), delay);
            }
        }
        doc.insert("decoder".into(), decoder.into());
        let mut publish = table(&doc, "publish");
        for reaching_out in ["unix", "websocket"] {
            publish.remove(reaching_out);
        }
        publish.insert("tcp".into(), "127.0.0.1:0".into());
        doc.insert("publish".into(), publish.into());
        toml::to_string(&doc).map_err(|e| option("config", e.to_string()))
    }

    /// Validates the rerun as `neuroloop check` would.
    ///
    /// # Errors
    /// [`OfflineError::Config`] listing every problem.
    pub(super) fn validate(&self) -> Result<ValidatedSession, OfflineError> {
        let text = self.config_text()?;
        neuroloop_runtime::parse(&text, &self.origin).map_err(|errors| OfflineError::Config {
            path: format!(
                "{} (rerun of {})",
                self.origin.display(),
                self.file.display()
            ),
            errors,
        })
    }
}

fn table(doc: &toml::Table, name: &str) -> toml::Table {
    doc.get(name)
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default()
}

/// Plays a validated rerun to its end; returns every intent it published.
///
/// # Errors
/// The session's start error, a failed source, or intents or samples lost
/// on the way (never expected: the replay waits for the pipeline).
pub(super) fn play(cfg: ValidatedSession) -> Result<Vec<Intent>, CommandError> {
    Ok(play_to_end(cfg, "comparison")?.0)
}
