//! The deep architectures (`eegnet`, `shallow_convnet`, `transformer`):
//! their burn configs built from hyperparameters and the data's shape,
//! their registry entries ([`EEGNET`], [`SHALLOW_CONVNET`],
//! [`TRANSFORMER`], each with its training-memory estimate), reloading
//! from a record, and their real-time inference forms.

use burn::store::ModuleRecord;
use std::marker::PhantomData;

use burn::tensor::{Bytes, Device, Tensor};
use neuroloop_core::ConfigError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::architecture::DataShape;
use super::deep::{DeepModel, DeepNet, NetConfig, Network};
use super::net::Net;
use super::{EpochSet, Hyperparameters};
use crate::{
    DecodeError, Decoder, EEGNet, EEGNetConfig, EEGNetInference, EegTransformer, ShallowConvNet,
    ShallowConvNetConfig, ShallowConvNetInference, TransformerConfig, TransformerInference,
};

/// The fields that come from the data, never from hyperparameters.
const SHAPE_FIELDS: [&str; 3] = ["n_chans", "n_outputs", "n_times"];

/// The data's shape: channels, classes, samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub(crate) channels: usize,
    pub(crate) classes: usize,
    pub(crate) samples: usize,
}

impl Shape {
    pub(crate) fn of(data: &EpochSet) -> Self {
        Self {
            channels: data.channels,
            classes: data.classes.len(),
            samples: data.samples,
        }
    }
}

impl From<&DataShape> for Shape {
    fn from(s: &DataShape) -> Self {
        Self {
            channels: s.channels,
            classes: s.classes.len(),
            samples: s.samples,
        }
    }
}

/// `base` (a config with its defaults) with the hyperparameters laid over.
///
/// # Errors
/// [`DecodeError::Config`] naming every unknown or shape field and any
/// value of the wrong type.
fn overlay<C: Serialize + DeserializeOwned>(
    architecture: &str,
    base: &C,
    hp: &Hyperparameters,
) -> Result<C, DecodeError> {
    let mut map = match serde_json::to_value(base) {
        Ok(serde_json::Value::Object(map)) => map,
        other => return Err(DecodeError::Backend(format!("config as JSON: {other:?}"))),
    };
    let mut errors = Vec::new();
    let own = crate::align::network_hyperparameters(hp);
    for (key, value) in &own.0 {
        if SHAPE_FIELDS.contains(&key.as_str()) {
            errors.push(ConfigError::new(
                format!("{architecture}.{key}"),
                "is taken from the data and cannot be set",
            ));
        } else if map.contains_key(key) {
            map.insert(key.clone(), value.clone());
        } else {
            let known: Vec<&str> = map
                .keys()
                .map(String::as_str)
                .filter(|k| !SHAPE_FIELDS.contains(k))
                .chain(crate::align::ALIGN_KEYS)
                .collect();
            errors.push(ConfigError::new(
                format!("{architecture}.{key}"),
                format!("unknown hyperparameter (known: {})", known.join(", ")),
            ));
        }
    }
    if let Err(DecodeError::Config(bad)) = crate::align::alignment_of(architecture, hp) {
        errors.extend(bad);
    }
    if !errors.is_empty() {
        return Err(DecodeError::Config(errors));
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| DecodeError::Config(vec![ConfigError::new(architecture, e.to_string())]))
}

pub(crate) fn eegnet_config(hp: &Hyperparameters, s: Shape) -> Result<EEGNetConfig, DecodeError> {
    overlay(
        "eegnet",
        &EEGNetConfig::new(s.channels, s.classes, s.samples),
        hp,
    )
}

pub(crate) fn shallow_config(
    hp: &Hyperparameters,
    s: Shape,
) -> Result<ShallowConvNetConfig, DecodeError> {
    overlay(
        "shallow_convnet",
        &ShallowConvNetConfig::new(s.channels, s.classes, s.samples),
        hp,
    )
}

pub(crate) fn transformer_config(
    hp: &Hyperparameters,
    s: Shape,
) -> Result<TransformerConfig, DecodeError> {
    overlay(
        "transformer",
        &TransformerConfig::new(s.channels, s.classes, s.samples),
        hp,
    )
}

/// `eegnet`.
pub(crate) const EEGNET: Network<EEGNetConfig> = Network {
    name: "eegnet",
    description: "EEGNet (Lawhern et al. 2018), trained by minibatch Adam",
    training_bytes: eegnet_bytes,
    config: PhantomData,
};

/// `shallow_convnet`.
pub(crate) const SHALLOW_CONVNET: Network<ShallowConvNetConfig> = Network {
    name: "shallow_convnet",
    description: "ShallowConvNet (Schirrmeister et al. 2017), trained by minibatch Adam",
    training_bytes: shallow_bytes,
    config: PhantomData,
};

/// `transformer`.
pub(crate) const TRANSFORMER: Network<TransformerConfig> = Network {
    name: "transformer",
    description: "a transformer over channel × time-patch tokens, trained by minibatch Adam",
    training_bytes: transformer_bytes,
    config: PhantomData,
};

impl NetConfig for EEGNetConfig {
    type Model = EEGNet;
    fn from_hyperparameters(hp: &Hyperparameters, s: Shape) -> Result<Self, DecodeError> {
        eegnet_config(hp, s)
    }
    fn check_shapes(&self) -> Result<(), DecodeError> {
        self.shapes().map(|_| ())
    }
    fn build(&self, device: &Device) -> Result<EEGNet, DecodeError> {
        self.init(device)
    }
}

impl NetConfig for ShallowConvNetConfig {
    type Model = ShallowConvNet;
    fn from_hyperparameters(hp: &Hyperparameters, s: Shape) -> Result<Self, DecodeError> {
        shallow_config(hp, s)
    }
    fn check_shapes(&self) -> Result<(), DecodeError> {
        self.shapes().map(|_| ())
    }
    fn build(&self, device: &Device) -> Result<ShallowConvNet, DecodeError> {
        self.init(device)
    }
}

impl NetConfig for TransformerConfig {
    type Model = EegTransformer;
    fn from_hyperparameters(hp: &Hyperparameters, s: Shape) -> Result<Self, DecodeError> {
        transformer_config(hp, s)
    }
    fn check_shapes(&self) -> Result<(), DecodeError> {
        self.validate()
    }
    fn build(&self, device: &Device) -> Result<EegTransformer, DecodeError> {
        self.init(device)
    }
}

/// `hp[name]` as a number, or `default`.
fn get(hp: &Hyperparameters, name: &str, default: f64) -> f64 {
    hp.0.get(name)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or(default)
}

// Training memory: (activations per epoch, parameters) from the widths, an
// upper-bound style estimate; activations are kept for the backward pass
// with their gradients, parameters with Adam's two moments.

fn eegnet_bytes(hp: &Hyperparameters, c: f64, t: f64) -> (f64, f64) {
    let f1 = get(hp, "f1", 8.0);
    let d = get(hp, "d", 2.0);
    let f2 = get(hp, "f2", f1 * d);
    let k = get(hp, "kernel_length", 64.0);
    (
        t * (2.0 * f1 * c + 3.0 * f1 * d + 2.0 * f2),
        f1 * k + f1 * d * c + f2 * f1 * d + f2 * t,
    )
}

fn shallow_bytes(hp: &Hyperparameters, c: f64, t: f64) -> (f64, f64) {
    let ft = get(hp, "n_filters_time", 40.0);
    let fs = get(hp, "n_filters_spat", 40.0);
    let k = get(hp, "filter_time_length", 25.0);
    (t * (ft * c + 3.0 * fs), ft * k + fs * ft * c + fs * t)
}

fn transformer_bytes(hp: &Hyperparameters, c: f64, t: f64) -> (f64, f64) {
    let p = get(hp, "patch_len", 25.0).max(1.0);
    let dm = get(hp, "d_model", 32.0);
    let h = get(hp, "n_heads", 4.0);
    let l = get(hp, "n_layers", 2.0);
    let ff = get(hp, "d_ff", 64.0);
    let tokens = c * (t / p).ceil() + 1.0;
    (
        l * (tokens * (6.0 * dm + ff) + h * tokens * tokens),
        l * (4.0 * dm * dm + 2.0 * dm * ff) + p * dm + tokens * dm,
    )
}

impl Net for EEGNet {
    fn logits(&self, x: Tensor<3>) -> Tensor<2> {
        self.forward(x)
    }
}

impl Net for ShallowConvNet {
    fn logits(&self, x: Tensor<3>) -> Tensor<2> {
        self.forward(x)
    }
}

impl Net for EegTransformer {
    fn logits(&self, x: Tensor<3>) -> Tensor<2> {
        self.forward(x)
    }
}

/// The networks' plain-Rust inference forms, which read the weights once.
pub(crate) trait Infer: Net {
    fn inference(&self, classes: Vec<String>) -> Result<Box<dyn Decoder>, DecodeError>;
}

impl Infer for EEGNet {
    fn inference(&self, classes: Vec<String>) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(EEGNetInference::from_model(self, classes)?))
    }
}

impl Infer for ShallowConvNet {
    fn inference(&self, classes: Vec<String>) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(ShallowConvNetInference::from_model(
            self, classes,
        )?))
    }
}

impl Infer for EegTransformer {
    fn inference(&self, classes: Vec<String>) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(TransformerInference::from_model(self, classes)?))
    }
}

/// Loads a burnpack record (bytes) into `model`, erased behind
/// [`DeepModel`].
///
/// # Errors
/// [`DecodeError::RecordMismatch`] if the bytes are not a record of this
/// network.
pub(crate) fn load_record<M: Infer>(
    model: M,
    bytes: Vec<u8>,
) -> Result<Box<dyn DeepModel>, DecodeError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| DecodeError::RecordMismatch(e.to_string()))?;
    let model = model
        .try_load_record(record)
        .map_err(|e| DecodeError::RecordMismatch(e.to_string()))?;
    Ok(Box::new(DeepNet(model.valid())))
}
