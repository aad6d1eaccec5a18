//! Reading a bundle directory back into a model.

use std::path::{Path, PathBuf};

use super::schema::{FORMAT_VERSION, MANIFEST_FILE, Manifest};
use crate::fit::{DataShape, DecoderRegistry, FittedModel, StoredWeights};
use crate::{DecodeError, Decoder};

/// A loaded bundle: its manifest and the model with its weights.
#[derive(Debug)]
pub struct Bundle {
    dir: PathBuf,
    manifest: Manifest,
    model: FittedModel,
}

impl Bundle {
    /// Loads the bundle in `dir`, of a built-in architecture.
    ///
    /// # Errors
    /// As [`Self::load_with`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DecodeError> {
        Self::load_with(dir, crate::fit::builtin_registry())
    }

    /// Loads the bundle in `dir`, of an architecture of `registry`.
    ///
    /// # Errors
    /// * [`DecodeError::BundleIo`] if `decoder.json` or the weights file is
    ///   missing or unreadable.
    /// * [`DecodeError::BundleVersion`] for another format version.
    /// * [`DecodeError::BundleManifest`] if `decoder.json` is not valid JSON,
    ///   has unknown or missing fields, an architecture `registry` does not
    ///   know, inconsistent sizes, or a weights name that is not a plain
    ///   file name.
    /// * [`DecodeError::Config`] if the hyperparameters do not build the
    ///   architecture for the bundle's shape.
    /// * [`DecodeError::BundleWeights`] if the weights file is corrupt or
    ///   does not fit the architecture.
    pub fn load_with(
        dir: impl AsRef<Path>,
        registry: &DecoderRegistry,
    ) -> Result<Self, DecodeError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = read_manifest(&manifest_path, registry)?;
        let weights_path = dir.join(&manifest.weights);
        let bytes = std::fs::read(&weights_path).map_err(|e| DecodeError::BundleIo {
            path: weights_path.display().to_string(),
            message: e.to_string(),
        })?;
        let weights_error = |e: DecodeError| match e {
            DecodeError::RecordMismatch(message) | DecodeError::Record(message) => {
                DecodeError::BundleWeights {
                    path: weights_path.display().to_string(),
                    message,
                }
            }
            other => other,
        };
        let shape = DataShape {
            channels: manifest.channels.len(),
            samples: manifest.window_samples,
            sample_rate: manifest.sample_rate,
            classes: manifest.classes.clone(),
        };
        let trained = manifest
            .model
            .load(StoredWeights {
                bytes,
                shape: &shape,
                input_scale: manifest.input_scale,
                alignment: manifest.alignment.as_ref(),
                manifest: &manifest_path,
            })
            .map_err(weights_error)?;
        let model = FittedModel {
            spec: manifest.model.clone(),
            shape,
            report: manifest.training.clone(),
            trained,
        };
        Ok(Self {
            dir,
            manifest,
            model,
        })
    }

    /// The directory it was loaded from.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The model, for offline prediction.
    #[must_use]
    pub fn model(&self) -> &FittedModel {
        &self.model
    }

    /// Reads and checks only the manifest of the bundle in `dir` (no
    /// weights), of a built-in architecture: what a session needs to know
    /// before it builds.
    ///
    /// # Errors
    /// As [`Self::load`] for `decoder.json`.
    pub fn read_manifest(dir: impl AsRef<Path>) -> Result<Manifest, DecodeError> {
        Self::read_manifest_with(dir, crate::fit::builtin_registry())
    }

    /// [`Self::read_manifest`] for an architecture of `registry`.
    ///
    /// # Errors
    /// As [`Self::load_with`] for `decoder.json`.
    pub fn read_manifest_with(
        dir: impl AsRef<Path>,
        registry: &DecoderRegistry,
    ) -> Result<Manifest, DecodeError> {
        read_manifest(&dir.as_ref().join(MANIFEST_FILE), registry)
    }

    /// The real-time decoder.
    ///
    /// # Errors
    /// As [`FittedModel::into_decoder`].
    pub fn into_decoder(self) -> Result<Box<dyn Decoder>, DecodeError> {
        self.model.into_decoder()
    }
}

/// Reads and checks `decoder.json`: the version first (a newer writer may
/// have other fields), then the strict schema, the model through
/// `registry`, then consistency.
fn read_manifest(path: &Path, registry: &DecoderRegistry) -> Result<Manifest, DecodeError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| DecodeError::BundleIo {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let bad = |message: String| DecodeError::BundleManifest {
        path: shown.clone(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    match value.get("format_version").map(serde_json::Value::as_u64) {
        None => return Err(bad("missing field `format_version`".into())),
        Some(None) => return Err(bad("`format_version` is not a whole number".into())),
        Some(Some(v)) if v != u64::from(FORMAT_VERSION) => {
            return Err(DecodeError::BundleVersion {
                path: shown,
                found: u32::try_from(v).unwrap_or(u32::MAX),
                supported: FORMAT_VERSION,
            });
        }
        Some(Some(_)) => {}
    }
    let raw: Manifest<serde_json::Value> =
        serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
    let model = registry
        .spec_from_json(raw.model.clone())
        .map_err(|e| bad(format!("`model`: {e}")))?;
    let m = raw.with_model(model);
    if m.channels.is_empty() {
        return Err(bad("`channels` is empty".into()));
    }
    if m.window_samples == 0 {
        return Err(bad("`window_samples` is 0".into()));
    }
    if let super::WindowDescription::Events { offset_s } = m.windows
        && !(offset_s.is_finite() && offset_s.abs() <= 3600.0)
    {
        return Err(bad(format!(
            "`windows.offset_s` {offset_s} is not within ±3600 s"
        )));
    }
    if !(m.sample_rate.is_finite() && m.sample_rate > 0.0) {
        return Err(bad(format!(
            "`sample_rate` {} is not positive",
            m.sample_rate
        )));
    }
    if m.classes.len() < 2 {
        return Err(bad(format!(
            "{} classes, at least 2 needed",
            m.classes.len()
        )));
    }
    if !(m.input_scale.is_finite() && m.input_scale > 0.0) {
        return Err(bad(format!(
            "`input_scale` {} is not positive",
            m.input_scale
        )));
    }
    let plain_name = Path::new(&m.weights)
        .file_name()
        .is_some_and(|n| n == m.weights.as_str());
    if !plain_name {
        return Err(bad(format!(
            "`weights` {:?} is not a file name inside the bundle",
            m.weights
        )));
    }
    Ok(m)
}
