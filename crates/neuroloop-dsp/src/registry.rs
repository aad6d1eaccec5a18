//! Building stage configurations from TOML tables by their `type` name.
//!
//! A [`StageRegistry`] maps names to factories; [`StageRegistry::builtin`]
//! knows every stage of this crate and [`StageRegistry::register`] adds more
//! (from other crates) without a central `match`.
//!
//! ```
//! use neuroloop_dsp::StageRegistry;
//! let table: toml::Value = toml::from_str(
//!     "type = 'bandpass'\nlow_hz = 8.0\nhigh_hz = 30.0\norder = 4",
//! ).unwrap();
//! let cfg = StageRegistry::builtin().parse(&table, "pipeline.filters[0]").unwrap();
//! assert_eq!(cfg.kind(), "bandpass");
//! ```

use std::collections::BTreeMap;

use neuroloop_core::{ConfigError, StageConfig};
use serde::de::DeserializeOwned;

/// A factory: the whole table (its `type` key included) and its config path
/// in, a stage configuration or every problem found out.
pub type StageFactory =
    dyn Fn(&toml::Value, &str) -> Result<Box<dyn StageConfig>, Vec<ConfigError>> + Send + Sync;

/// Stage factories by `type` name.
pub struct StageRegistry {
    factories: BTreeMap<String, Box<StageFactory>>,
}

impl std::fmt::Debug for StageRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.factories.keys()).finish()
    }
}

impl StageRegistry {
    /// A registry that knows no stage.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            factories: BTreeMap::new(),
        }
    }

    /// A registry with this crate's stages: `bandpass`, `bandstop`,
    /// `highpass`, `lowpass`, `notch`, `car`.
    #[must_use]
    pub fn builtin() -> Self {
        let mut r = Self::empty();
        crate::filters::register_builtin(&mut r);
        crate::car::register_builtin(&mut r);
        r
    }

    /// Adds (or replaces) the factory for `name`.
    pub fn register<F>(&mut self, name: &str, factory: F) -> &mut Self
    where
        F: Fn(&toml::Value, &str) -> Result<Box<dyn StageConfig>, Vec<ConfigError>>
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

    /// Builds the stage configuration described by `table` (at config path
    /// `path`).
    ///
    /// # Errors
    /// `table` is not a table, has no string `type`, names an unknown type
    /// (the message lists the known ones), or the factory's errors.
    pub fn parse(
        &self,
        table: &toml::Value,
        path: &str,
    ) -> Result<Box<dyn StageConfig>, Vec<ConfigError>> {
        let Some(t) = table.as_table() else {
            return Err(vec![ConfigError::new(
                path,
                format!("expected a table, found {}", table.type_str()),
            )]);
        };
        let known = || self.names().collect::<Vec<_>>().join(", ");
        let name = match t.get("type") {
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(vec![ConfigError::new(
                    format!("{path}.type"),
                    format!("expected a string, found {}", other.type_str()),
                )]);
            }
            None => {
                return Err(vec![ConfigError::new(
                    format!("{path}.type"),
                    format!("missing; known types: {}", known()),
                )]);
            }
        };
        match self.factories.get(name.as_str()) {
            Some(factory) => factory(table, path),
            None => Err(vec![ConfigError::new(
                format!("{path}.type"),
                format!("unknown stage type \"{name}\"; known types: {}", known()),
            )]),
        }
    }
}

/// Deserialises a stage table into `T`, for factories.
///
/// The `type` key is ignored; every key not in `fields` is reported (all of
/// them, each at `path.key`); a type error or missing field is reported at
/// the field's path.
///
/// # Errors
/// Every unknown field, or the first deserialisation error.
pub fn parse_table<T: DeserializeOwned>(
    table: &toml::Value,
    path: &str,
    fields: &[&str],
) -> Result<T, Vec<ConfigError>> {
    let Some(t) = table.as_table() else {
        return Err(vec![ConfigError::new(
            path,
            format!("expected a table, found {}", table.type_str()),
        )]);
    };
    let mut rest = t.clone();
    rest.remove("type");
    let unknown: Vec<ConfigError> = rest
        .keys()
        .filter(|k| !fields.contains(&k.as_str()))
        .map(|k| {
            ConfigError::new(
                format!("{path}.{k}"),
                format!("unknown field; expected one of: {}", fields.join(", ")),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    // Round-trip through text so the error carries a span naming the key.
    let text = toml::to_string(&rest).map_err(|e| vec![ConfigError::new(path, e.to_string())])?;
    toml::from_str::<T>(&text).map_err(|e| vec![locate(&e, &text, path)])
}

/// Turns a TOML deserialisation error into a [`ConfigError`] at the key it
/// concerns.
fn locate(e: &toml::de::Error, text: &str, path: &str) -> ConfigError {
    let message = e.message().trim().to_owned();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        return ConfigError::new(
            format!("{path}.{field}"),
            format!("missing field `{field}`"),
        );
    }
    let key = e.span().and_then(|span| {
        let line_start = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = &text[line_start..];
        let (key, _) = line.split_once('=')?;
        Some(key.trim().trim_matches('"').to_owned())
    });
    match key {
        Some(k) if !k.is_empty() => ConfigError::new(format!("{path}.{k}"), message),
        _ => ConfigError::new(path, message),
    }
}
