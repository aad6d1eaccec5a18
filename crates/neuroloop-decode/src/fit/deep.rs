//! The deep architectures as registry entries: [`Network`], one per burn
//! network (`eegnet`, `shallow_convnet`, `transformer`, declared in
//! `arch`), its minibatch fit with optional Euclidean alignment, and the
//! trained network behind [`TrainedModel`].

use std::path::Path;

use burn::tensor::Device;

use super::arch::{Infer, Shape};
use super::architecture::{Architecture, DataShape, SavedWeights, StoredWeights, TrainedModel};
use super::device_net::{BatchDecoder, DeviceNet};
use super::net::probabilities;
use super::scaled::Scaled;
use super::{EpochProgress, EpochSet, FitOptions, FitReport, Hyperparameters, train_loop};
use crate::align::{AlignRecord, Aligned, RunningCovarianceMean, align_recordings, alignment_of};
use crate::bundle::WEIGHTS_FILE;
use crate::{ComputeDevice, DecodeError, Decoder};

/// Why an aligned network is not decoded on a GPU.
const ALIGNED_ON_CPU: &str = "a network with Euclidean alignment (align = true) decodes on the \
                              CPU only; set align = false to decode on a GPU";

/// A network's burn config built from hyperparameters and the data's shape.
pub(crate) trait NetConfig: Sized {
    /// The network.
    type Model: Infer;
    /// The config for `shape` with `hp` laid over the defaults.
    fn from_hyperparameters(hp: &Hyperparameters, shape: Shape) -> Result<Self, DecodeError>;
    /// Checks the layer shapes without building the network.
    fn check_shapes(&self) -> Result<(), DecodeError>;
    /// Builds the network with fresh weights.
    fn build(&self, device: &Device) -> Result<Self::Model, DecodeError>;
}

/// A deep architecture: its name and description, its config type, and an
/// estimate of its training memory.
pub(crate) struct Network<C> {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) training_bytes: fn(&Hyperparameters, f64, f64) -> (f64, f64),
    pub(crate) config: std::marker::PhantomData<fn() -> C>,
}

impl<C: NetConfig + 'static> Architecture for Network<C> {
    type Spec = Hyperparameters;

    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn default_spec(&self) -> Hyperparameters {
        Hyperparameters::default()
    }

    fn check(&self, hp: &Hyperparameters, shape: &DataShape) -> Result<(), DecodeError> {
        C::from_hyperparameters(hp, Shape::from(shape))?.check_shapes()
    }

    fn fit(
        &self,
        hp: &Hyperparameters,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        let config = C::from_hyperparameters(hp, Shape::of(data))?;
        config.check_shapes()?;
        let (aligned, alignment) = match alignment_of(self.name, hp)? {
            Some(memory) => {
                let a = crate::align::align_training(data, memory)?;
                (Some(a.data), Some(a.record))
            }
            None => (None, None),
        };
        let data = aligned.as_ref().unwrap_or(data);
        let t = train_loop::fit_net(self.name, |d| config.build(d), data, opts, on_epoch)?;
        let trained = DeepTrained {
            net: Box::new(DeepNet(t.model)),
            scale: t.scale,
            alignment,
        };
        Ok((t.report, Box::new(trained)))
    }

    fn load(
        &self,
        hp: &Hyperparameters,
        mut weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError> {
        let model =
            C::from_hyperparameters(hp, Shape::from(weights.shape))?.build(&Device::flex())?;
        let net = super::arch::load_record(model, std::mem::take(&mut weights.bytes))?;
        let alignment = checked_alignment(self.name, hp, &weights)?;
        Ok(Box::new(DeepTrained {
            net,
            scale: weights.input_scale,
            alignment,
        }))
    }

    fn device_support(&self, hp: &Hyperparameters) -> Result<(), String> {
        match alignment_of(self.name, hp) {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err(ALIGNED_ON_CPU.into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn training_bytes(&self, hp: &Hyperparameters, shape: &DataShape, batch: usize) -> Option<f64> {
        let (activations, params) =
            (self.training_bytes)(hp, shape.channels as f64, shape.samples as f64);
        Some(4.0 * (3.0 * batch as f64 * activations + 4.0 * params))
    }
}

/// The manifest's alignment record, checked against the hyperparameters
/// (`align` on: a record of the bundle's channels with the same memory;
/// off: none) by building its running mean once.
fn checked_alignment(
    architecture: &str,
    hp: &Hyperparameters,
    weights: &StoredWeights<'_>,
) -> Result<Option<AlignRecord>, DecodeError> {
    let bad = |message: String| DecodeError::BundleManifest {
        path: weights.manifest.display().to_string(),
        message,
    };
    match (alignment_of(architecture, hp)?, weights.alignment) {
        (None, None) => Ok(None),
        (Some(memory), Some(record)) if record.memory == memory => {
            RunningCovarianceMean::from_record(record, weights.shape.channels)
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

/// A trained deep network, type-erased.
pub(crate) trait DeepModel: Send + std::fmt::Debug {
    /// Probabilities for every epoch, `n × classes`.
    fn predict(&self, data: &EpochSet, scale: f32) -> Result<Vec<f32>, DecodeError>;
    /// Writes the weights as a burnpack record.
    fn save(&self, path: &Path) -> Result<(), DecodeError>;
    /// The faithful forward with the weights on `device`.
    fn batch_decoder(
        &self,
        classes: Vec<String>,
        shape: (usize, usize),
        scale: f32,
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError>;
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

    fn batch_decoder(
        &self,
        classes: Vec<String>,
        shape: (usize, usize),
        scale: f32,
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError> {
        Ok(Box::new(DeviceNet::new(
            &self.0, device, classes, shape, scale,
        )?))
    }

    fn into_decoder(
        self: Box<Self>,
        classes: Vec<String>,
        scale: f32,
    ) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(Scaled::new(self.0.inference(classes)?, scale)))
    }
}

/// A deep network with its input scale and its alignment, if any.
#[derive(Debug)]
struct DeepTrained {
    net: Box<dyn DeepModel>,
    scale: f32,
    alignment: Option<AlignRecord>,
}

impl TrainedModel for DeepTrained {
    fn predict(&self, data: &EpochSet, _shape: &DataShape) -> Result<Vec<f32>, DecodeError> {
        match &self.alignment {
            None => self.net.predict(data, self.scale),
            Some(alignment) => self
                .net
                .predict(&align_recordings(alignment, data)?, self.scale),
        }
    }

    fn into_decoder(self: Box<Self>, shape: &DataShape) -> Result<Box<dyn Decoder>, DecodeError> {
        let decoder = self.net.into_decoder(shape.classes.clone(), self.scale)?;
        match self.alignment {
            Some(record) => Ok(Box::new(Aligned::new(decoder, &record)?)),
            None => Ok(decoder),
        }
    }

    fn batch_decoder(
        &self,
        shape: &DataShape,
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError> {
        if self.alignment.is_some() {
            return Err(DecodeError::DeviceUnavailable {
                device: device.name().into(),
                reason: ALIGNED_ON_CPU.into(),
            });
        }
        self.net.batch_decoder(
            shape.classes.clone(),
            (shape.channels, shape.samples),
            self.scale,
            device,
        )
    }

    fn save(&self, dir: &Path) -> Result<SavedWeights, DecodeError> {
        self.net.save(&dir.join(WEIGHTS_FILE))?;
        Ok(SavedWeights {
            file: WEIGHTS_FILE.to_string(),
            input_scale: self.scale,
            alignment: self.alignment.clone(),
        })
    }
}
