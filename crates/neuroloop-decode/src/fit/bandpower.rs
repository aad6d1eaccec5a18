//! The `bandpower` architecture: log band power per channel and band,
//! standardised, then a linear layer ([`BandpowerDecoder`]); fitted by
//! `bandpower_train`, saved as a burn record.

use std::path::Path;

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};

use super::architecture::{Architecture, DataShape, SavedWeights, StoredWeights, TrainedModel};
use super::{EpochProgress, EpochSet, FitOptions, FitReport};
use crate::bundle::WEIGHTS_FILE;
use crate::{BandpowerConfig, BandpowerDecoder, BandpowerModelConfig, DecodeError, Decoder, Taper};

/// `bandpower`.
pub(crate) const BANDPOWER: Bandpower = Bandpower;

/// The `bandpower` architecture.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bandpower;

/// Hyperparameters of the bandpower decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BandpowerSpec {
    /// Frequency bands `[low, high)` in Hz.
    pub bands_hz: Vec<[f64; 2]>,
    /// Taper before the DFT.
    pub taper: Taper,
    /// Inverse L2 regularisation strength of the logistic regression:
    /// 1 (scikit-learn's default) suits independent trials; windows that
    /// overlap (a session's calibration at a short hop) repeat each trial
    /// many times and need a smaller value.
    pub c: f64,
}

impl Default for BandpowerSpec {
    fn default() -> Self {
        Self {
            bands_hz: vec![[8.0, 13.0], [13.0, 30.0]],
            taper: Taper::default(),
            c: 1.0,
        }
    }
}

impl BandpowerSpec {
    /// The decoder config for `shape`.
    fn config(&self, shape: &DataShape) -> BandpowerConfig {
        let mut config = BandpowerConfig::new(
            shape.channels,
            shape.samples,
            shape.sample_rate,
            self.bands_hz.clone(),
            shape.classes.clone(),
        );
        config.taper = self.taper;
        config
    }
}

impl Architecture for Bandpower {
    type Spec = BandpowerSpec;

    fn name(&self) -> &str {
        "bandpower"
    }

    fn description(&self) -> &str {
        "log band power per channel and band, standardised, L2 logistic regression"
    }

    fn default_spec(&self) -> BandpowerSpec {
        BandpowerSpec::default()
    }

    fn check(&self, spec: &BandpowerSpec, shape: &DataShape) -> Result<(), DecodeError> {
        spec.config(shape)
            .validate("decoder")
            .map_err(DecodeError::Config)
    }

    fn fit(
        &self,
        spec: &BandpowerSpec,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        let config = spec.config(&DataShape::of(data));
        let (decoder, report) = super::bandpower_train::train_bandpower(
            &config,
            data,
            opts.seed,
            opts.validation_fraction,
            spec.c,
        )?;
        on_epoch(&EpochProgress {
            epoch: 1,
            max_epochs: 1,
            train_loss: report.train_loss,
            val_loss: report.validation_loss,
            val_accuracy: report.validation_accuracy,
        });
        Ok((report, Box::new(decoder)))
    }

    fn load(
        &self,
        spec: &BandpowerSpec,
        weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError> {
        let config = spec.config(weights.shape);
        config.validate("decoder").map_err(DecodeError::Config)?;
        let model = BandpowerModelConfig::new(config.n_features(), config.classes.len())
            .init(&Device::flex());
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights.bytes))
            .map_err(|e| DecodeError::RecordMismatch(e.to_string()))?;
        let model = model
            .try_load_record(record)
            .map_err(|e| DecodeError::RecordMismatch(e.to_string()))?;
        Ok(Box::new(BandpowerDecoder::from_model(config, model)?))
    }
}

impl TrainedModel for BandpowerDecoder {
    fn predict(&self, data: &EpochSet, _shape: &DataShape) -> Result<Vec<f32>, DecodeError> {
        // The decoder is stateless between windows; a copy keeps `predict`
        // usable through `&self`.
        let mut decoder =
            BandpowerDecoder::from_model(self.config().clone(), self.model().clone())?;
        super::decode_all(&mut decoder, data)
    }

    fn into_decoder(self: Box<Self>, _shape: &DataShape) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(self)
    }

    fn save(&self, dir: &Path) -> Result<SavedWeights, DecodeError> {
        let path = dir.join(WEIGHTS_FILE);
        self.model()
            .clone()
            .save_file(&path)
            .map_err(|e| DecodeError::BundleIo {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        Ok(SavedWeights {
            file: WEIGHTS_FILE.to_string(),
            input_scale: 1.0,
            alignment: None,
        })
    }
}
