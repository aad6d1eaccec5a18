//! Writing a [`FittedModel`] as a bundle directory.

use std::path::Path;

use super::schema::{FORMAT_VERSION, MANIFEST_FILE, Manifest, Preprocessing, WindowDescription};
use crate::DecodeError;
use crate::fit::FittedModel;

/// What the caller knows about the data that the model does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BundleMeta {
    /// Channel labels in the order of the training epochs' channels.
    pub channels: Vec<String>,
    /// The filter chain the epochs went through, as `[pipeline] filters`
    /// tables in JSON form.
    pub filters: Vec<serde_json::Value>,
    /// Where the training data came from.
    pub source: Option<String>,
    /// How the windows were cut (event-locked epochs decode event-locked).
    pub windows: WindowDescription,
}

impl FittedModel {
    /// Writes the bundle into `dir` (created if missing; an existing
    /// manifest and weights file are replaced).
    ///
    /// # Errors
    /// [`DecodeError::BundleManifest`] if `meta.channels` does not name
    /// every channel, [`DecodeError::BundleIo`] if a file cannot be
    /// written.
    pub fn save_bundle(&self, dir: impl AsRef<Path>, meta: &BundleMeta) -> Result<(), DecodeError> {
        let dir = dir.as_ref();
        let manifest_path = dir.join(MANIFEST_FILE);
        if meta.channels.len() != self.shape.channels {
            return Err(DecodeError::BundleManifest {
                path: manifest_path.display().to_string(),
                message: format!(
                    "{} channel labels given for a model of {} channels",
                    meta.channels.len(),
                    self.shape.channels
                ),
            });
        }
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |e: std::io::Error| DecodeError::BundleIo {
                path,
                message: e.to_string(),
            }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let saved = self.trained.save(dir)?;
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            model: self.spec.clone(),
            channels: meta.channels.clone(),
            sample_rate: self.shape.sample_rate,
            window_samples: self.shape.samples,
            windows: meta.windows,
            classes: self.shape.classes.clone(),
            preprocessing: Preprocessing {
                filters: meta.filters.clone(),
            },
            input_scale: saved.input_scale,
            training: self.report.clone(),
            source: meta.source.clone(),
            weights: saved.file,
            alignment: saved.alignment,
        };
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| DecodeError::Backend(format!("manifest as JSON: {e}")))?;
        std::fs::write(&manifest_path, text + "\n").map_err(io(&manifest_path))
    }
}
