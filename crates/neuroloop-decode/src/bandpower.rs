//! The log-bandpower decoder: features in plain Rust, model in burn.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor, TensorData};
use neuroloop_core::Window;

use crate::{
    BandpowerConfig, BandpowerFeatures, BandpowerModel, BandpowerModelConfig, DecodeError, Decoder,
    check_finite, check_probabilities, check_window,
};

/// Log band power per channel and band, standardised, then a linear layer and
/// softmax; inference on the burn flex CPU backend, batch 1.
///
/// Build it by fitting the `bandpower` architecture ([`crate::fit`]) on
/// calibration epochs, or with [`BandpowerDecoder::load`] from saved
/// weights.
///
/// # Shapes
/// Windows are `[channels, samples]` as configured; features are
/// `[1, channels × bands]`; probabilities are `[classes]`.
#[derive(Debug)]
pub struct BandpowerDecoder {
    config: BandpowerConfig,
    features: BandpowerFeatures,
    model: BandpowerModel,
    device: Device,
    feature_buf: Vec<f32>,
}

impl BandpowerDecoder {
    /// Wraps a model (on a plain, non-autodiff device) built for `config`.
    ///
    /// # Errors
    /// [`DecodeError::Config`] if the config is invalid or the model's
    /// dimensions do not match it.
    pub fn from_model(config: BandpowerConfig, model: BandpowerModel) -> Result<Self, DecodeError> {
        config.validate("decoder").map_err(DecodeError::Config)?;
        let [n_features, n_classes] = model.linear.weight.dims();
        if n_features != config.n_features() || n_classes != config.classes.len() {
            return Err(DecodeError::Config(vec![neuroloop_core::ConfigError::new(
                "decoder",
                format!(
                    "model maps {n_features} features to {n_classes} classes, config has {} \
                     features and {} classes",
                    config.n_features(),
                    config.classes.len()
                ),
            )]));
        }
        let model = model.valid();
        let device = model.mean.device();
        Ok(Self {
            features: BandpowerFeatures::new(&config),
            feature_buf: vec![0.0; config.n_features()],
            config,
            model,
            device,
        })
    }

    /// Loads weights saved with [`save`](Self::save) for `config`.
    ///
    /// # Errors
    /// [`DecodeError::Config`] for an invalid config, [`DecodeError::Record`]
    /// if the file cannot be read, [`DecodeError::RecordMismatch`] if it is
    /// not a record of a model for this config.
    pub fn load(config: BandpowerConfig, path: impl AsRef<Path>) -> Result<Self, DecodeError> {
        config.validate("decoder").map_err(DecodeError::Config)?;
        let model = BandpowerModelConfig::new(config.n_features(), config.classes.len())
            .init(&Device::flex());
        // Read the whole file: a record loaded from a path reads its tensors
        // lazily, which would tie the running decoder to the file.
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| DecodeError::Record(format!("{}: {e}", path.display())))?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| DecodeError::RecordMismatch(format!("{}: {e}", path.display())))?;
        let model = model
            .try_load_record(record)
            .map_err(|e| DecodeError::RecordMismatch(format!("{}: {e}", path.display())))?;
        Self::from_model(config, model)
    }

    /// Saves the model weights (standardisation included) as a burnpack file.
    ///
    /// # Errors
    /// [`DecodeError::Record`] if the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), DecodeError> {
        self.model
            .clone()
            .save_file(path)
            .map_err(|e| DecodeError::Record(e.to_string()))
    }

    /// The configuration this decoder was built for.
    #[must_use]
    pub fn config(&self) -> &BandpowerConfig {
        &self.config
    }

    /// The burn model.
    #[must_use]
    pub fn model(&self) -> &BandpowerModel {
        &self.model
    }

    /// Computes the log-bandpower features of a checked window into `out`
    /// (length `channels × bands`).
    ///
    /// # Errors
    /// As [`Decoder::decode`] for the window; [`DecodeError::Backend`] if
    /// `out` has the wrong length.
    pub fn features(&mut self, window: &Window<'_>, out: &mut [f32]) -> Result<(), DecodeError> {
        check_window(window, self.config.channels, self.config.samples)?;
        check_finite(window.data, self.config.samples)?;
        if out.len() != self.features.len() {
            return Err(DecodeError::Backend(format!(
                "feature buffer holds {}, {} needed",
                out.len(),
                self.features.len()
            )));
        }
        self.features.compute(window.data, out);
        Ok(())
    }
}

impl Decoder for BandpowerDecoder {
    fn classes(&self) -> &[String] {
        &self.config.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.config.channels, self.config.samples)
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        let n_classes = self.config.classes.len();
        check_probabilities(probabilities, n_classes)?;
        check_window(window, self.config.channels, self.config.samples)?;
        check_finite(window.data, self.config.samples)?;
        self.features.compute(window.data, &mut self.feature_buf);

        let n = self.feature_buf.len();
        let input = Tensor::<2>::from_data(
            TensorData::new(self.feature_buf.clone(), [1, n]),
            &self.device,
        );
        let output = self
            .model
            .probabilities(input)
            .try_into_data()
            .map_err(|e| DecodeError::Backend(format!("{e:?}")))?;
        let values = output
            .as_slice::<f32>()
            .map_err(|e| DecodeError::Backend(format!("{e:?}")))?;
        if values.len() != n_classes {
            return Err(DecodeError::Backend(format!(
                "model produced {} probabilities for {n_classes} classes",
                values.len()
            )));
        }
        probabilities.copy_from_slice(values);
        Ok(())
    }
}
