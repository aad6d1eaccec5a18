//! Reading a bundle directory back into a model.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};

use super::schema::{FORMAT_VERSION, MANIFEST_FILE, Manifest};
use crate::align::{AlignRecord, RunningCovarianceMean, alignment_of};
use crate::covariance::CovarianceRecord;
use crate::fit::{FittedModel, ModelSpec, Trained, arch};
use crate::{BandpowerDecoder, BandpowerModelConfig, DecodeError, Decoder};

/// A loaded bundle: its manifest and the model with its weights.
#[derive(Debug)]
pub struct Bundle {
    dir: PathBuf,
    manifest: Manifest,
    model: FittedModel,
}

impl Bundle {
    /// Loads the bundle in `dir`.
    ///
    /// # Errors
    /// * [`DecodeError::BundleIo`] if `decoder.json` or the weights file is
    ///   missing or unreadable.
    /// * [`DecodeError::BundleVersion`] for another format version.
    /// * [`DecodeError::BundleManifest`] if `decoder.json` is not valid JSON,
    ///   has unknown or missing fields, inconsistent sizes, or a weights
    ///   name that is not a plain file name.
    /// * [`DecodeError::Config`] if the hyperparameters do not build the
    ///   architecture for the bundle's shape.
    /// * [`DecodeError::BundleWeights`] if the weights file is corrupt or
    ///   does not fit the architecture.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DecodeError> {
        let dir = dir.as_ref().to_path_buf();
        let manifest = read_manifest(&dir.join(MANIFEST_FILE))?;
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
        let shape = arch::Shape {
            channels: manifest.channels.len(),
            classes: manifest.classes.len(),
            samples: manifest.window_samples,
        };
        let device = Device::flex();
        let trained = match &manifest.model {
            ModelSpec::Bandpower(spec) => {
                let config = crate::fit::bandpower_config_for(
                    spec,
                    shape,
                    manifest.sample_rate,
                    &manifest.classes,
                );
                config.validate("decoder").map_err(DecodeError::Config)?;
                let model = BandpowerModelConfig::new(config.n_features(), config.classes.len())
                    .init(&device);
                let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
                    .map_err(|e| weights_error(DecodeError::RecordMismatch(e.to_string())))?;
                let model = model
                    .try_load_record(record)
                    .map_err(|e| weights_error(DecodeError::RecordMismatch(e.to_string())))?;
                Trained::Bandpower(Box::new(BandpowerDecoder::from_model(config, model)?))
            }
            ModelSpec::Eegnet(hp) => {
                let model = arch::eegnet_config(hp, shape)?.init(&device)?;
                Trained::Deep(
                    arch::load_record(model, bytes).map_err(weights_error)?,
                    manifest.input_scale,
                    alignment(&manifest, hp, &dir)?,
                )
            }
            ModelSpec::ShallowConvnet(hp) => {
                let model = arch::shallow_config(hp, shape)?.init(&device)?;
                Trained::Deep(
                    arch::load_record(model, bytes).map_err(weights_error)?,
                    manifest.input_scale,
                    alignment(&manifest, hp, &dir)?,
                )
            }
            ModelSpec::Transformer(hp) => {
                let model = arch::transformer_config(hp, shape)?.init(&device)?;
                Trained::Deep(
                    arch::load_record(model, bytes).map_err(weights_error)?,
                    manifest.input_scale,
                    alignment(&manifest, hp, &dir)?,
                )
            }
            spec @ (ModelSpec::CspLda(_)
            | ModelSpec::Fbcsp(_)
            | ModelSpec::TangentSpace(_)
            | ModelSpec::Mdm(_)
            | ModelSpec::XdawnTangentSpace(_)
            | ModelSpec::XdawnMdm(_)
            | ModelSpec::ErpTangentSpace(_)
            | ModelSpec::ErpMdm(_)
            | ModelSpec::StackedTangentSpace(_)
            | ModelSpec::CcaLr(_)) => {
                let record = covariance_record(spec, &bytes, &manifest, shape)
                    .map_err(|message| weights_error(DecodeError::RecordMismatch(message)))?;
                Trained::Covariance(Box::new(record))
            }
        };
        let model = FittedModel {
            spec: manifest.model.clone(),
            channels: shape.channels,
            samples: shape.samples,
            sample_rate: manifest.sample_rate,
            classes: manifest.classes.clone(),
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
    /// weights): what a session needs to know before it builds.
    ///
    /// # Errors
    /// As [`Self::load`] for `decoder.json`.
    pub fn read_manifest(dir: impl AsRef<Path>) -> Result<Manifest, DecodeError> {
        read_manifest(&dir.as_ref().join(MANIFEST_FILE))
    }

    /// The real-time decoder.
    ///
    /// # Errors
    /// As [`FittedModel::into_decoder`].
    pub fn into_decoder(self) -> Result<Box<dyn Decoder>, DecodeError> {
        self.model.into_decoder()
    }
}

/// The manifest's alignment record, checked against the hyperparameters
/// (`align` on: a record of the bundle's channels with the same memory;
/// off: none) by building its running mean once.
fn alignment(
    manifest: &Manifest,
    hp: &crate::fit::Hyperparameters,
    dir: &Path,
) -> Result<Option<AlignRecord>, DecodeError> {
    let bad = |message: String| DecodeError::BundleManifest {
        path: dir.join(MANIFEST_FILE).display().to_string(),
        message,
    };
    let architecture = manifest.model.architecture();
    match (alignment_of(architecture, hp)?, &manifest.alignment) {
        (None, None) => Ok(None),
        (Some(memory), Some(record)) if record.memory == memory => {
            RunningCovarianceMean::from_record(record, manifest.channels.len())
                .map_err(|e| bad(format!("`alignment`: {e}")))?;
            Ok(Some(record.clone()))
        }
        (Some(memory), Some(record)) => Err(bad(format!(
            "`alignment.memory` {} differs from {architecture}.align_memory {memory}",
            record.memory
        ))),
        (Some(_), None) => Err(bad(format!(
            "{architecture}.align is on but there is no `alignment`"
        ))),
        (None, Some(_)) => Err(bad(format!(
            "`alignment` is given but {architecture}.align is off"
        ))),
    }
}

/// Parses a covariance decoder's record and checks it against the
/// manifest's architecture and shape by building its decoder once.
fn covariance_record(
    spec: &ModelSpec,
    bytes: &[u8],
    manifest: &Manifest,
    shape: arch::Shape,
) -> Result<CovarianceRecord, String> {
    let record: CovarianceRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let tag = serde_json::to_value(&record).ok().and_then(|v| {
        v.get("architecture")
            .and_then(|a| a.as_str().map(String::from))
    });
    if tag.as_deref() != Some(spec.architecture()) {
        return Err(format!(
            "the weights are of architecture {tag:?}, the manifest says {}",
            spec.architecture()
        ));
    }
    record
        .decoder(
            manifest.classes.clone(),
            shape.channels,
            shape.samples,
            manifest.sample_rate,
        )
        .map_err(|e| e.to_string())?;
    Ok(record)
}

/// Reads and checks `decoder.json`: the version first (a newer writer may
/// have other fields), then the strict schema, then consistency.
fn read_manifest(path: &Path) -> Result<Manifest, DecodeError> {
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
    let m: Manifest = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
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
