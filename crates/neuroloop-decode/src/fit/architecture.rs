//! [`Architecture`]: what a decoder architecture provides to be registered
//! by name in a [`DecoderRegistry`](super::DecoderRegistry): its
//! hyperparameters, their checks against the data, its fit, and its
//! reloading from a bundle; [`TrainedModel`]: what a fit gives back.

use std::fmt::Debug;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::device_net::BatchDecoder;
use super::{EpochProgress, EpochSet, FitOptions, FitReport};
use crate::align::AlignRecord;
use crate::{ComputeDevice, DecodeError, Decoder};

/// The data a model is fitted on or decodes: channels, samples per epoch,
/// sample rate and classes.
#[derive(Debug, Clone, PartialEq)]
pub struct DataShape {
    /// Channels per epoch.
    pub channels: usize,
    /// Samples per channel.
    pub samples: usize,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Class labels, in the order of the probabilities.
    pub classes: Vec<String>,
}

impl DataShape {
    /// The shape of `data`.
    #[must_use]
    pub fn of(data: &EpochSet) -> Self {
        Self {
            channels: data.channels,
            samples: data.samples,
            sample_rate: data.sample_rate,
            classes: data.classes.clone(),
        }
    }
}

/// A decoder architecture: a name, a spec type (its hyperparameters, the
/// JSON fields beside `"architecture"`), a fit and a reload.
///
/// Register one with [`DecoderRegistry::register`](super::DecoderRegistry::register);
/// nothing else needs to know it.
pub trait Architecture: Send + Sync + 'static {
    /// The hyperparameters; deserialised from the JSON object (or TOML
    /// table) a user writes, so unknown fields should be refused
    /// (`#[serde(deny_unknown_fields)]`).
    type Spec: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static;

    /// The `architecture` name, e.g. `"tangent_space"`.
    fn name(&self) -> &str;

    /// What it is, in one line.
    fn description(&self) -> &str;

    /// The spec with every hyperparameter at its default.
    fn default_spec(&self) -> Self::Spec;

    /// Checks `spec` against the data it will be fitted on, without
    /// fitting.
    ///
    /// # Errors
    /// [`DecodeError::Config`] naming every hyperparameter that does not
    /// fit, each at its path (`<architecture>.<field>`).
    fn check(&self, spec: &Self::Spec, shape: &DataShape) -> Result<(), DecodeError>;

    /// Fits `spec` on `data`, which has at least two epochs of every class
    /// and `opts` in range; calls `on_epoch` after every epoch (at least
    /// once).
    ///
    /// # Errors
    /// As [`fit`](super::fit).
    fn fit(
        &self,
        spec: &Self::Spec,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError>;

    /// Rebuilds the trained model from a bundle's weights file, checking
    /// it against `spec` and the shape.
    ///
    /// # Errors
    /// [`DecodeError::RecordMismatch`] or [`DecodeError::Record`] for
    /// weights that do not fit (reported as the bundle's weights),
    /// [`DecodeError::Config`] for a spec that does not fit the shape,
    /// [`DecodeError::BundleManifest`] for manifest fields that disagree.
    fn load(
        &self,
        spec: &Self::Spec,
        weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError>;

    /// Whether a model of `spec` can decode on a GPU in a live session
    /// ([`TrainedModel::batch_decoder`]); the default says it cannot.
    ///
    /// # Errors
    /// Why not, in one sentence.
    fn device_support(&self, _spec: &Self::Spec) -> Result<(), String> {
        Err(format!("{} decodes on the CPU only", self.name()))
    }

    /// Estimated bytes to train `spec` on epochs of `shape.channels ×
    /// shape.samples` (the rate and classes are not known here) in
    /// minibatches of `batch`, for models whose training memory grows with
    /// their widths; `None` (the default) when small.
    fn training_bytes(&self, _spec: &Self::Spec, _shape: &DataShape, _batch: usize) -> Option<f64> {
        None
    }
}

/// A fitted model of some architecture: offline prediction, the real-time
/// form, and its weights file.
pub trait TrainedModel: Send + Debug {
    /// Class probabilities of every epoch of `data` (already checked to be
    /// of `shape`).
    ///
    /// # Shapes
    /// `[n, channels, samples]` → `[n, classes]`.
    ///
    /// # Errors
    /// The model's own (a backend failure, a numerical problem).
    fn predict(&self, data: &EpochSet, shape: &DataShape) -> Result<Vec<f32>, DecodeError>;

    /// The real-time decoder.
    ///
    /// # Errors
    /// The decoder's own construction errors.
    fn into_decoder(self: Box<Self>, shape: &DataShape) -> Result<Box<dyn Decoder>, DecodeError>;

    /// The faithful forward of the model on `device`, for batches of
    /// windows; the default refuses (the model decodes on the CPU only).
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] if the model cannot run there.
    fn batch_decoder(
        &self,
        _shape: &DataShape,
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError> {
        Err(DecodeError::DeviceUnavailable {
            device: device.name().into(),
            reason: "this architecture decodes on the CPU only".into(),
        })
    }

    /// Writes the weights file into the bundle directory `dir` (which
    /// exists) and says what the manifest records of it.
    ///
    /// # Errors
    /// [`DecodeError::BundleIo`] if it cannot be written.
    fn save(&self, dir: &Path) -> Result<SavedWeights, DecodeError>;
}

/// What the manifest records of a saved model's weights.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedWeights {
    /// The weights file's name inside the bundle.
    pub file: String,
    /// The gain applied to every window before the model (1 if none).
    pub input_scale: f32,
    /// The alignment the model starts decoding from, if any.
    pub alignment: Option<AlignRecord>,
}

/// A bundle's weights, for [`Architecture::load`].
#[derive(Debug)]
pub struct StoredWeights<'a> {
    /// The weights file's content.
    pub bytes: Vec<u8>,
    /// The shape the bundle decodes.
    pub shape: &'a DataShape,
    /// The manifest's `input_scale`.
    pub input_scale: f32,
    /// The manifest's `alignment`.
    pub alignment: Option<&'a AlignRecord>,
    /// The manifest file, for errors about its fields.
    pub manifest: &'a Path,
}

/// Writes `bytes` to `path`, a bundle file.
///
/// # Errors
/// [`DecodeError::BundleIo`] naming the file.
pub fn write_bundle_file(path: &Path, bytes: &[u8]) -> Result<(), DecodeError> {
    std::fs::write(path, bytes).map_err(|e| DecodeError::BundleIo {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
