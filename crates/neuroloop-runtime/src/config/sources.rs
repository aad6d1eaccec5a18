//! The source registry: `[source] type` → the source's config.

use neuroloop_core::ConfigError;
use neuroloop_sources::lsl::LslConfig;
use neuroloop_sources::sim::SimConfig;

/// The source, by `type`.
#[derive(Debug, Clone)]
pub enum SourceSection {
    /// The simulated headset.
    Sim(SimConfig),
    /// A live LSL stream.
    Lsl(LslConfig),
}

/// The source registry: `type` → parser (`sim`, `lsl`).
pub(super) fn parse_source(
    text: &str,
    root: &toml::Table,
    errors: &mut Vec<ConfigError>,
) -> Option<SourceSection> {
    let Some(table) = root.get("source") else {
        errors.push(ConfigError::new("source", "missing section"));
        return None;
    };
    // A parse error names the key (found again in the text) and says why.
    type Parser = fn(&str, &toml::Value) -> Result<SourceSection, ConfigError>;
    const SOURCES: &[(&str, Parser)] = &[
        ("sim", |text, v| {
            v.clone()
                .try_into::<SimConfig>()
                .map(SourceSection::Sim)
                .map_err(|e| error_at::<SimConfig>(text, v, &e))
        }),
        ("lsl", |text, v| {
            v.clone()
                .try_into::<LslConfig>()
                .map(SourceSection::Lsl)
                .map_err(|e| error_at::<LslConfig>(text, v, &e))
        }),
    ];
    let kind = table
        .get("type")
        .and_then(toml::Value::as_str)
        .unwrap_or("");
    let known: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
    match SOURCES.iter().find(|(n, _)| *n == kind) {
        Some((_, parse)) => parse(text, table).map_err(|e| errors.push(e)).ok(),
        None => {
            errors.push(ConfigError::new(
                "source.type",
                format!("unknown source {kind:?} (known: {})", known.join(", ")),
            ));
            None
        }
    }
}

/// The error of a `[source]` table that does not deserialise, at its key.
fn error_at<T: serde::de::DeserializeOwned>(
    text: &str,
    table: &toml::Value,
    e: &toml::de::Error,
) -> ConfigError {
    let at = super::keypath::locate::<T>(text, "source")
        .or_else(|| super::keypath::locate_by_removal::<T>(table, "source", e.message()))
        .unwrap_or_else(|| "source".into());
    ConfigError::new(at, e.message().to_string())
}
