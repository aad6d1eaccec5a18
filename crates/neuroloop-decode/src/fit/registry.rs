//! [`DecoderRegistry`]: decoder architectures by name.
//!
//! Each architecture ([`Architecture`]) registers itself; the registry
//! turns a name and hyperparameters (or the JSON form
//! `{"architecture": "...", ...}`) into a [`ModelSpec`], which carries its
//! architecture with it: fitting, saving and reloading go through the spec
//! and need no `match` on names and no global table.
//!
//! ```
//! use neuroloop_decode::fit::DecoderRegistry;
//! let registry = DecoderRegistry::builtin();
//! let spec = registry.spec("tangent_space", serde_json::Map::new()).unwrap();
//! assert_eq!(spec.architecture(), "tangent_space");
//! assert!(registry.spec("resnet", serde_json::Map::new()).is_err());
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use neuroloop_core::ConfigError;
use serde_json::{Map, Value};

use super::architecture::Architecture;
use super::spec::{ModelSpec, Specified};
use crate::DecodeError;

/// One registered architecture, its spec type erased.
trait Entry: Send + Sync {
    fn description(&self) -> &str;
    fn default_spec(&self) -> ModelSpec;
    fn parse(&self, fields: Map<String, Value>) -> Result<ModelSpec, serde_json::Error>;
}

impl<A: Architecture> Entry for Arc<A> {
    fn description(&self) -> &str {
        self.as_ref().description()
    }

    fn default_spec(&self) -> ModelSpec {
        let spec = self.as_ref().default_spec();
        ModelSpec::from_parts(Arc::new(Specified {
            arch: Arc::clone(self),
            spec,
        }))
    }

    fn parse(&self, fields: Map<String, Value>) -> Result<ModelSpec, serde_json::Error> {
        let spec: A::Spec = serde_json::from_value(Value::Object(fields))?;
        Ok(ModelSpec::from_parts(Arc::new(Specified {
            arch: Arc::clone(self),
            spec,
        })))
    }
}

/// Decoder architectures by name.
pub struct DecoderRegistry {
    entries: BTreeMap<String, Box<dyn Entry>>,
}

impl std::fmt::Debug for DecoderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

impl Default for DecoderRegistry {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The built-in registry, built once (what [`ModelSpec`]'s `Deserialize`
/// and [`ModelSpec::named`] use).
pub(crate) fn builtin() -> &'static DecoderRegistry {
    static BUILTIN: LazyLock<DecoderRegistry> = LazyLock::new(DecoderRegistry::builtin);
    &BUILTIN
}

impl DecoderRegistry {
    /// A registry that knows no architecture.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            entries: BTreeMap::new(),
        }
    }

    /// A registry with this crate's architectures: `bandpower`, `eegnet`,
    /// `shallow_convnet`, `transformer`, `csp_lda`, `fbcsp`,
    /// `tangent_space`, `mdm`, `xdawn_tangent_space`, `xdawn_mdm`,
    /// `erp_tangent_space`, `erp_mdm`, `stacked_tangent_space`, `cca_lr`.
    #[must_use]
    pub fn builtin() -> Self {
        use crate::covariance as cov;
        let mut r = Self::empty();
        r.register(super::bandpower::BANDPOWER)
            .register(super::arch::EEGNET)
            .register(super::arch::SHALLOW_CONVNET)
            .register(super::arch::TRANSFORMER)
            .register(cov::CSP_LDA)
            .register(cov::FBCSP)
            .register(cov::TANGENT_SPACE)
            .register(cov::MDM)
            .register(cov::XDAWN_TANGENT_SPACE)
            .register(cov::XDAWN_MDM)
            .register(cov::ERP_TANGENT_SPACE)
            .register(cov::ERP_MDM)
            .register(cov::STACKED_TANGENT_SPACE)
            .register(cov::CCA_LR);
        r
    }

    /// Adds (or replaces) the architecture under its name.
    pub fn register<A: Architecture>(&mut self, architecture: A) -> &mut Self {
        let name = architecture.name().to_owned();
        self.entries.insert(name, Box::new(Arc::new(architecture)));
        self
    }

    /// The known names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Whether `name` is registered.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// The one-line description of `name`.
    #[must_use]
    pub fn description(&self, name: &str) -> Option<&str> {
        self.entries.get(name).map(|e| e.description())
    }

    fn entry(&self, name: &str) -> Result<&dyn Entry, DecodeError> {
        self.entries
            .get(name)
            .map(AsRef::as_ref)
            .ok_or_else(|| DecodeError::ArchitectureUnavailable(name.to_string()))
    }

    /// The spec of `architecture` with default hyperparameters.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name.
    pub fn default_spec(&self, architecture: &str) -> Result<ModelSpec, DecodeError> {
        Ok(self.entry(architecture)?.default_spec())
    }

    /// The spec of `architecture` with `hyperparameters` (its fields, as a
    /// JSON object) laid over the defaults.
    ///
    /// # Errors
    /// [`DecodeError::ArchitectureUnavailable`] for an unknown name,
    /// [`DecodeError::Config`] for hyperparameters that do not belong to it
    /// (at `<architecture> hyperparameters`) or an `architecture` key among
    /// them.
    pub fn spec(
        &self,
        architecture: &str,
        hyperparameters: Map<String, Value>,
    ) -> Result<ModelSpec, DecodeError> {
        let entry = self.entry(architecture)?;
        if hyperparameters.contains_key("architecture") {
            return Err(DecodeError::Config(vec![ConfigError::new(
                "hyperparameters.architecture",
                "the architecture is given on its own, not as a hyperparameter",
            )]));
        }
        let unknown = unknown_fields(entry, architecture, &hyperparameters);
        entry.parse(hyperparameters).map_err(|e| {
            DecodeError::Config(if unknown.is_empty() {
                vec![ConfigError::new(
                    format!("{architecture} hyperparameters"),
                    e.to_string(),
                )]
            } else {
                unknown
            })
        })
    }

    /// The spec written as `{"architecture": "...", ...hyperparameters}`
    /// (a bundle's `model`, a spec file).
    ///
    /// # Errors
    /// A message: not an object, no string `architecture`, an unknown
    /// architecture (with the known ones), or hyperparameters that do not
    /// belong to it.
    pub fn spec_from_json(&self, value: Value) -> Result<ModelSpec, String> {
        let Value::Object(mut fields) = value else {
            return Err(format!("expected an object, found {value}"));
        };
        let name = match fields.remove("architecture") {
            Some(Value::String(name)) => name,
            Some(other) => return Err(format!("`architecture` {other} is not a string")),
            None => return Err("missing field `architecture`".into()),
        };
        let Some(entry) = self.entries.get(&name) else {
            let known: Vec<&str> = self.names().collect();
            return Err(format!(
                "unknown architecture `{name}`, expected one of {}",
                known.join(", ")
            ));
        };
        entry.parse(fields).map_err(|e| format!("{name}: {e}"))
    }
}

/// Every key of `hyperparameters` that is not a field of the
/// architecture's default spec, each at `<architecture>.<key>` (empty for a
/// spec that is an open map, such as a network's).
fn unknown_fields(
    entry: &dyn Entry,
    architecture: &str,
    hyperparameters: &Map<String, Value>,
) -> Vec<ConfigError> {
    let known = entry.default_spec().hyperparameters();
    if known.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = known.keys().map(String::as_str).collect();
    hyperparameters
        .keys()
        .filter(|k| !known.contains_key(*k))
        .map(|k| {
            ConfigError::new(
                format!("{architecture}.{k}"),
                format!("unknown hyperparameter (known: {})", names.join(", ")),
            )
        })
        .collect()
}
