//! The source registry: `[source] type` → a validated source config that
//! opens into a running [`Source`].
//!
//! A source kind registers its name and a factory that parses and checks
//! its `[source]` table into a [`SourcePlan`]; the plan answers what the
//! rest of the session needs before anything runs (its classes, its checks
//! against the hardware profile, the memory it preallocates, whether it is
//! live) and opens the source when the session starts. The built-in kinds
//! are `sim`, `lsl`, `replay` and `serial`; [`SourceRegistry::register`] adds more
//! (a new source is one module plus one registration line), and
//! [`crate::config::parse_with`] validates a session against any registry.
//!
//! ```
//! use neuroloop_runtime::source_registry::SourceRegistry;
//! let registry = SourceRegistry::builtin();
//! let names: Vec<&str> = registry.names().collect();
//! assert_eq!(names, ["lsl", "replay", "serial", "sim"]);
//! ```

mod lsl;
mod replay;
mod serial;
mod sim;

use std::any::Any;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_sources::Source;

use crate::RuntimeError;
use crate::lsl_config::LslSection;
use crate::profile::HardwareProfile;

pub use replay::ReplaySection;

/// A validated `[source]`, ready to open.
pub trait SourcePlan: std::fmt::Debug + Send + Sync + Any {
    /// The `type` it was registered under.
    fn kind(&self) -> &'static str;

    /// The class labels of its cue codes (code `i` is class `i`).
    fn classes(&self) -> Vec<String>;

    /// The hardware profile of a session that names none; `None` (the
    /// default): the session must name one.
    fn own_profile(&self) -> Option<HardwareProfile> {
        None
    }

    /// Checks the source against the session's profile and its stream.
    fn check(&self, profile: &HardwareProfile, spec: &StreamSpec, errors: &mut Vec<ConfigError>);

    /// What it preallocates, `(part, bytes)`, for `session.max_memory_mb`.
    fn memory(&self, spec: &StreamSpec) -> Vec<(&'static str, f64)>;

    /// Whether samples arrive in real time whatever the pipeline does (a
    /// live source's session decodes while its decoder trains; a source
    /// that is not live waits for the trainer, so every run decides the
    /// same windows).
    fn live(&self) -> bool;

    /// Opens the source (allocating every buffer it runs with).
    ///
    /// # Errors
    /// [`RuntimeError::Source`] or [`RuntimeError::Lsl`] when it cannot
    /// open; whether a retry helps is the error's kind.
    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError>;

    /// Itself, for a caller that knows the concrete type.
    fn as_any(&self) -> &dyn Any;
}

impl dyn SourcePlan {
    /// The plan as its concrete config type `T`, if it is one.
    #[must_use]
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.as_any().downcast_ref()
    }
}

/// What a source opens with.
#[derive(Debug)]
pub struct OpenContext<'a> {
    /// The stream the session validated (from the profile).
    pub spec: StreamSpec,
    /// The session's hardware profile.
    pub profile: &'a HardwareProfile,
    /// `[lsl]`: liblsl settings.
    pub lsl: &'a LslSection,
    /// The session's classes.
    pub classes: &'a [String],
    /// Stop after this many samples (tests and benchmarks), where the
    /// source supports it.
    pub sample_limit: Option<u64>,
}

/// Where a `[source]` table is parsed: the file's text (to name the key
/// of a type error) and path (files a source reads are relative to its
/// directory).
#[derive(Debug, Clone, Copy)]
pub struct SourceContext<'a> {
    /// The session file's text.
    pub text: &'a str,
    /// The session file.
    pub config_path: &'a Path,
}

/// A factory: the whole `[source]` table (its `type` included) in, a plan
/// or every problem found (each at `source.*`) out.
pub type SourceFactory = dyn Fn(&toml::Value, &SourceContext<'_>) -> Result<Arc<dyn SourcePlan>, Vec<ConfigError>>
    + Send
    + Sync;

/// Source factories by `type` name.
pub struct SourceRegistry {
    factories: BTreeMap<String, Box<SourceFactory>>,
}

impl std::fmt::Debug for SourceRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}

impl Default for SourceRegistry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl SourceRegistry {
    /// A registry that knows no source.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            factories: BTreeMap::new(),
        }
    }

    /// The built-in sources: `sim`, `lsl`, `replay`, `serial`.
    #[must_use]
    pub fn builtin() -> Self {
        let mut r = Self::empty();
        sim::register(&mut r);
        lsl::register(&mut r);
        replay::register(&mut r);
        serial::register(&mut r);
        r
    }

    /// Adds (or replaces) the source `name`.
    pub fn register<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&toml::Value, &SourceContext<'_>) -> Result<Arc<dyn SourcePlan>, Vec<ConfigError>>
            + Send
            + Sync
            + 'static,
    {
        self.factories.insert(name.to_owned(), Box::new(factory));
        self
    }

    /// The known `type` names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// Parses `[source]` by its `type`.
    ///
    /// # Errors
    /// A missing or unknown `type` (the message lists the known ones), or
    /// the factory's errors.
    pub fn parse(
        &self,
        table: &toml::Value,
        context: &SourceContext<'_>,
    ) -> Result<Arc<dyn SourcePlan>, Vec<ConfigError>> {
        let known = || self.names().collect::<Vec<_>>().join(", ");
        let Some(kind) = table.get("type").and_then(toml::Value::as_str) else {
            return Err(vec![ConfigError::new(
                "source.type",
                format!("missing or not a string (known: {})", known()),
            )]);
        };
        match self.factories.get(kind) {
            Some(factory) => factory(table, context),
            None => Err(vec![ConfigError::new(
                "source.type",
                format!("unknown source {kind:?} (known: {})", known()),
            )]),
        }
    }
}

/// Deserialises a `[source]` table into `T`; a type error names its key.
///
/// # Errors
/// The error at its `source.*` path.
pub fn deserialize<T: serde::de::DeserializeOwned>(
    table: &toml::Value,
    context: &SourceContext<'_>,
) -> Result<T, Vec<ConfigError>> {
    crate::config::deserialize_at(context.text, table, "source").map_err(|e| vec![e])
}

/// Refuses a profile whose transport is not `kind`.
pub fn check_transport(kind: &str, profile: &HardwareProfile, errors: &mut Vec<ConfigError>) {
    if profile.transport != kind {
        errors.push(ConfigError::new(
            "source.type",
            format!(
                "{kind:?} cannot drive profile {:?}, whose transport is {:?}",
                profile.name, profile.transport
            ),
        ));
    }
}
