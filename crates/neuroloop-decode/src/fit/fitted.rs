//! [`FittedModel`]: a trained model of any architecture, for offline
//! prediction, conversion to a real-time [`Decoder`], and saving as a
//! bundle.

use std::path::Path;

use burn::tensor::Device;

use super::arch::Infer;
use super::net::probabilities;
use super::scaled::Scaled;
use super::{EpochSet, FitReport, ModelSpec};
use crate::align::{AlignRecord, Aligned, align_recordings};
use crate::{BandpowerDecoder, DecodeError, Decoder};

/// A trained deep network, type-erased.
pub(crate) trait DeepModel: Send + std::fmt::Debug {
    /// Probabilities for every epoch, `n × classes`.
    fn predict(&self, data: &EpochSet, scale: f32) -> Result<Vec<f32>, DecodeError>;
    /// Writes the weights as a burnpack record.
    fn save(&self, path: &Path) -> Result<(), DecodeError>;
    /// The real-time form.
    fn into_decoder(
        self: Box<Self>,
        classes: Vec<String>,
        scale: f32,
    ) -> Result<Box<dyn Decoder>, DecodeError>;
}

/// A network in eval mode on the plain device.
#[derive(Debug)]
pub(crate) struct DeepNet<M>(pub(crate) M);

impl<M: Infer> DeepModel for DeepNet<M> {
    fn predict(&self, data: &EpochSet, scale: f32) -> Result<Vec<f32>, DecodeError> {
        let rows: Vec<usize> = (0..data.len()).collect();
        probabilities(&self.0, data, &rows, scale, &Device::flex())
    }

    fn save(&self, path: &Path) -> Result<(), DecodeError> {
        self.0
            .clone()
            .save_file(path)
            .map_err(|e| DecodeError::BundleIo {
                path: path.display().to_string(),
                message: e.to_string(),
            })
    }

    fn into_decoder(
        self: Box<Self>,
        classes: Vec<String>,
        scale: f32,
    ) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(Scaled::new(self.0.inference(classes)?, scale)))
    }
}

/// The trained weights.
#[derive(Debug)]
pub(crate) enum Trained {
    /// The bandpower decoder (features and model).
    Bandpower(Box<BandpowerDecoder>),
    /// A deep network with its input scale and its alignment, if any.
    Deep(Box<dyn DeepModel>, f32, Option<AlignRecord>),
    /// A covariance decoder's fitted parameters.
    Covariance(Box<crate::covariance::CovarianceRecord>),
}

/// A trained model with the shape it was trained for.
#[derive(Debug)]
pub struct FittedModel {
    pub(crate) spec: ModelSpec,
    pub(crate) channels: usize,
    pub(crate) samples: usize,
    pub(crate) sample_rate: f64,
    pub(crate) classes: Vec<String>,
    pub(crate) report: FitReport,
    pub(crate) trained: Trained,
}

impl FittedModel {
    /// The spec it was trained from.
    #[must_use]
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// What training did.
    #[must_use]
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Class labels, in the order of the probabilities.
    #[must_use]
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// `(channels, samples)` of the epochs it takes.
    #[must_use]
    pub fn input_shape(&self) -> (usize, usize) {
        (self.channels, self.samples)
    }

    /// Sample rate it was trained at, Hz.
    #[must_use]
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Class probabilities of every epoch (eval mode: no dropout, batch
    /// norm with running statistics). Covariance decoders and aligned
    /// networks take the epochs of each recording in order, starting afresh
    /// at each change of [`EpochSet::recording`].
    ///
    /// # Shapes
    /// `data` is `[n, channels, samples]`; the result is `[n, classes]`.
    ///
    /// # Errors
    /// [`DecodeError::WindowShape`] if the epochs are not `input_shape()`,
    /// [`DecodeError::EpochSet`] if the classes differ,
    /// [`DecodeError::Backend`] if the backend fails.
    pub fn predict(&self, data: &EpochSet) -> Result<Vec<f32>, DecodeError> {
        if (data.channels, data.samples) != (self.channels, self.samples) {
            return Err(DecodeError::WindowShape {
                expected_channels: self.channels,
                expected_samples: self.samples,
                channels: data.channels,
                samples: data.samples,
                len: data.epoch_len(),
            });
        }
        if data.classes != self.classes {
            return Err(DecodeError::EpochSet(format!(
                "classes {:?} differ from the model's {:?}",
                data.classes, self.classes
            )));
        }
        match &self.trained {
            Trained::Deep(net, scale, None) => net.predict(data, *scale),
            Trained::Deep(net, scale, Some(alignment)) => {
                net.predict(&align_recordings(alignment, data)?, *scale)
            }
            Trained::Bandpower(decoder) => {
                // The decoder is stateless between windows; a copy keeps
                // `predict` usable through `&self`.
                let mut decoder = BandpowerDecoder::from_model(
                    decoder.config().clone(),
                    decoder.model().clone(),
                )?;
                super::decode_all(&mut decoder, data)
            }
            Trained::Covariance(record) => {
                super::covariance::decode_recordings(record, &self.classes, data, self.sample_rate)
            }
        }
    }

    /// The real-time inference form.
    ///
    /// # Errors
    /// [`DecodeError::Config`] if a network's inference form rejects its
    /// weights or configuration.
    pub fn into_decoder(self) -> Result<Box<dyn Decoder>, DecodeError> {
        match self.trained {
            Trained::Bandpower(decoder) => Ok(decoder),
            Trained::Deep(net, scale, alignment) => {
                let decoder = net.into_decoder(self.classes, scale)?;
                match alignment {
                    Some(record) => Ok(Box::new(Aligned::new(decoder, &record)?)),
                    None => Ok(decoder),
                }
            }
            Trained::Covariance(record) => {
                record.decoder(self.classes, self.channels, self.samples, self.sample_rate)
            }
        }
    }
}
