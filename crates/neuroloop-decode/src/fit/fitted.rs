//! [`FittedModel`]: a trained model of any architecture, for offline
//! prediction, conversion to a real-time [`Decoder`], and saving as a
//! bundle.

use super::BatchDecoder;
use super::architecture::{DataShape, TrainedModel};
use super::{EpochSet, FitReport, ModelSpec};
use crate::{ComputeDevice, DecodeError, Decoder};

/// A trained model with the shape it was trained for.
#[derive(Debug)]
pub struct FittedModel {
    pub(crate) spec: ModelSpec,
    pub(crate) shape: DataShape,
    pub(crate) report: FitReport,
    pub(crate) trained: Box<dyn TrainedModel>,
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
        &self.shape.classes
    }

    /// `(channels, samples)` of the epochs it takes.
    #[must_use]
    pub fn input_shape(&self) -> (usize, usize) {
        (self.shape.channels, self.shape.samples)
    }

    /// Sample rate it was trained at, Hz.
    #[must_use]
    pub fn sample_rate(&self) -> f64 {
        self.shape.sample_rate
    }

    /// The shape of the data it was trained on.
    #[must_use]
    pub fn shape(&self) -> &DataShape {
        &self.shape
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
        let (channels, samples) = self.input_shape();
        if (data.channels, data.samples) != (channels, samples) {
            return Err(DecodeError::WindowShape {
                expected_channels: channels,
                expected_samples: samples,
                channels: data.channels,
                samples: data.samples,
                len: data.epoch_len(),
            });
        }
        if data.classes != self.shape.classes {
            return Err(DecodeError::EpochSet(format!(
                "classes {:?} differ from the model's {:?}",
                data.classes, self.shape.classes
            )));
        }
        self.trained.predict(data, &self.shape)
    }

    /// The faithful forward on `device`, for batches of windows (what a
    /// live session runs on a GPU).
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] if the architecture decodes on
    /// the CPU only or this build lacks the device.
    pub fn batch_decoder(
        &self,
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError> {
        self.trained.batch_decoder(&self.shape, device)
    }

    /// The real-time inference form.
    ///
    /// # Errors
    /// [`DecodeError::Config`] if a network's inference form rejects its
    /// weights or configuration.
    pub fn into_decoder(self) -> Result<Box<dyn Decoder>, DecodeError> {
        self.trained.into_decoder(&self.shape)
    }
}
