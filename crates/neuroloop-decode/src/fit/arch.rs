//! The deep architectures behind [`ModelSpec`]: their burn configs built
//! from hyperparameters and the data's shape, training, reloading from a
//! record, and their real-time inference forms.

use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Tensor};
use neuroloop_core::ConfigError;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::fitted::{DeepModel, DeepNet};
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
