//! [`ModelSpec`]: which architecture to train, with its hyperparameters.
//!
//! The input shape (channels, samples, classes) comes from the data, so a
//! spec can be written once (JSON or TOML) and trained on any recording.
//! A spec carries its [`Architecture`]: fitting it, checking it and
//! reloading its bundle go through that, whichever registry it came from.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::architecture::{Architecture, DataShape, StoredWeights, TrainedModel};
use super::{EpochProgress, EpochSet, FitOptions, FitReport};
use crate::DecodeError;

/// A spec with its architecture, the spec type erased.
pub(crate) trait DynSpec: Debug + Send + Sync {
    fn architecture(&self) -> &str;
    fn fields(&self) -> Map<String, Value>;
    fn spec_any(&self) -> &dyn Any;
    fn check(&self, shape: &DataShape) -> Result<(), DecodeError>;
    fn fit(
        &self,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError>;
    fn load(&self, weights: StoredWeights<'_>) -> Result<Box<dyn TrainedModel>, DecodeError>;
    fn training_bytes(&self, shape: &DataShape, batch: usize) -> Option<f64>;
    fn device_support(&self) -> Result<(), String>;
}

/// An architecture and a spec of it.
pub(crate) struct Specified<A: Architecture> {
    pub(crate) arch: Arc<A>,
    pub(crate) spec: A::Spec,
}

impl<A: Architecture> Debug for Specified<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.arch.name(), self.spec)
    }
}

impl<A: Architecture> DynSpec for Specified<A> {
    fn architecture(&self) -> &str {
        self.arch.name()
    }

    fn fields(&self) -> Map<String, Value> {
        match serde_json::to_value(&self.spec) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    fn spec_any(&self) -> &dyn Any {
        &self.spec
    }

    fn check(&self, shape: &DataShape) -> Result<(), DecodeError> {
        self.arch.check(&self.spec, shape)
    }

    fn fit(
        &self,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        self.arch.fit(&self.spec, data, opts, on_epoch)
    }

    fn load(&self, weights: StoredWeights<'_>) -> Result<Box<dyn TrainedModel>, DecodeError> {
        self.arch.load(&self.spec, weights)
    }

    fn training_bytes(&self, shape: &DataShape, batch: usize) -> Option<f64> {
        self.arch.training_bytes(&self.spec, shape, batch)
    }

    fn device_support(&self) -> Result<(), String> {
        self.arch.device_support(&self.spec)
    }
}

/// Which model to train: an architecture and its hyperparameters.
///
/// Its JSON form is `{"architecture": "<name>", ...hyperparameters}`;
/// `Deserialize` knows the built-in architectures
/// ([`DecoderRegistry::builtin`](super::DecoderRegistry::builtin)), and
/// [`DecoderRegistry::spec_from_json`](super::DecoderRegistry::spec_from_json)
/// any registry's.
///
/// ```
/// use neuroloop_decode::fit::ModelSpec;
/// let spec: ModelSpec = serde_json::from_str(r#"{"architecture": "eegnet", "f1": 4, "drop_prob": 0.5}"#).unwrap();
/// assert_eq!(spec.architecture(), "eegnet");
/// ```
#[derive(Clone)]
pub struct ModelSpec(Arc<dyn DynSpec>);

impl ModelSpec {
    pub(crate) fn from_parts(spec: Arc<dyn DynSpec>) -> Self {
        Self(spec)
    }

    /// `spec` of `architecture`, which need not be registered anywhere.
    #[must_use]
    pub fn new<A: Architecture>(architecture: A, spec: A::Spec) -> Self {
        Self(Arc::new(Specified {
            arch: Arc::new(architecture),
            spec,
        }))
    }

    /// Whether a model of this spec can decode on a GPU in a live session
    /// (the deep networks without alignment can).
    ///
    /// # Errors
    /// Why not, in one sentence.
    pub fn device_support(&self) -> Result<(), String> {
        self.0.device_support()
    }

    /// The built-in `architecture` with default hyperparameters.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name.
    pub fn named(architecture: &str) -> Result<Self, DecodeError> {
        super::registry::builtin().default_spec(architecture)
    }

    /// The built-in `architecture` with `hyperparameters` (its fields, as
    /// a JSON object) laid over the defaults; see
    /// [`DecoderRegistry::spec`](super::DecoderRegistry::spec).
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name,
    /// [`DecodeError::Config`] for hyperparameters that do not belong to it
    /// (deep networks check theirs when built).
    pub fn with_hyperparameters(
        architecture: &str,
        hyperparameters: Map<String, Value>,
    ) -> Result<Self, DecodeError> {
        super::registry::builtin().spec(architecture, hyperparameters)
    }

    /// The built-in `architecture` with a typed spec of it (e.g. a
    /// [`TangentSpaceSpec`](crate::covariance::TangentSpaceSpec) for
    /// `tangent_space`).
    ///
    /// # Errors
    /// As [`Self::with_hyperparameters`]; [`DecodeError::Config`] if `spec`
    /// is not of the architecture's spec type.
    pub fn with_spec(architecture: &str, spec: &impl Serialize) -> Result<Self, DecodeError> {
        match serde_json::to_value(spec) {
            Ok(Value::Object(map)) => Self::with_hyperparameters(architecture, map),
            _ => Err(DecodeError::Config(vec![neuroloop_core::ConfigError::new(
                format!("{architecture} hyperparameters"),
                "not a JSON object",
            )])),
        }
    }

    /// The `architecture` name.
    #[must_use]
    pub fn architecture(&self) -> &str {
        self.0.architecture()
    }

    /// The hyperparameters as JSON fields (without `architecture`).
    #[must_use]
    pub fn hyperparameters(&self) -> Map<String, Value> {
        self.0.fields()
    }

    /// The typed hyperparameters, if they are an `S`.
    #[must_use]
    pub fn spec<S: 'static>(&self) -> Option<&S> {
        self.0.spec_any().downcast_ref()
    }

    /// Checks the spec against the data it will be trained on (channels,
    /// window samples, classes, sample rate) without training: every
    /// hyperparameter that does not fit is reported, as `fit` would.
    ///
    /// # Errors
    /// [`DecodeError::Config`] naming each problem.
    pub fn check_against(
        &self,
        channels: usize,
        samples: usize,
        classes: &[String],
        sample_rate: f64,
    ) -> Result<(), DecodeError> {
        self.0.check(&DataShape {
            channels,
            samples,
            sample_rate,
            classes: classes.to_vec(),
        })
    }

    /// Estimated bytes to train on epochs of `channels × samples` in
    /// minibatches of `batch`; `None` for architectures whose training is
    /// small (bandpower, the covariance decoders).
    #[must_use]
    pub fn training_bytes(&self, channels: usize, samples: usize, batch: usize) -> Option<f64> {
        let shape = DataShape {
            channels,
            samples,
            sample_rate: 1.0,
            classes: Vec::new(),
        };
        self.0.training_bytes(&shape, batch)
    }

    pub(crate) fn fit_on(
        &self,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        self.0.fit(data, opts, on_epoch)
    }

    pub(crate) fn load(
        &self,
        weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError> {
        self.0.load(weights)
    }
}

impl Debug for ModelSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModelSpec({:?})", self.0)
    }
}

impl PartialEq for ModelSpec {
    fn eq(&self, other: &Self) -> bool {
        self.architecture() == other.architecture()
            && self.hyperparameters() == other.hyperparameters()
    }
}

impl Serialize for ModelSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let fields = self.hyperparameters();
        let mut map = serializer.serialize_map(Some(fields.len() + 1))?;
        map.serialize_entry("architecture", self.architecture())?;
        for (key, value) in &fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ModelSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        super::registry::builtin()
            .spec_from_json(value)
            .map_err(serde::de::Error::custom)
    }
}

/// Hyperparameters of a deep network: any field of its burn config
/// ([`EEGNetConfig`](crate::EEGNetConfig),
/// [`ShallowConvNetConfig`](crate::ShallowConvNetConfig),
/// [`TransformerConfig`](crate::TransformerConfig)) except the shape
/// fields `n_chans`, `n_outputs` and `n_times`, which come from the data,
/// and the Euclidean alignment of every network, `align` and
/// `align_memory` ([`crate::align`]). Fields left out keep the default;
/// unknown fields are errors when the network is built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Hyperparameters(pub serde_json::Map<String, serde_json::Value>);

impl Hyperparameters {
    /// Sets one hyperparameter (builder style).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.0.insert(name.to_string(), value.into());
        self
    }
}
