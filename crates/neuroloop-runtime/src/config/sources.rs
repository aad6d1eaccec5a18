//! The source registry: `[source] type` → the source's config.

use std::path::Path;

use neuroloop_core::ConfigError;
use neuroloop_sources::lsl::LslConfig;
use neuroloop_sources::sim::SimConfig;

pub use super::replay::ReplaySection;

/// The source, by `type`.
#[derive(Debug, Clone)]
pub enum SourceSection {
    /// The simulated headset.
    Sim(SimConfig),
    /// A live LSL stream.
    Lsl(LslConfig),
    /// A recording played back.
    Replay(ReplaySection),
}

/// The source registry: `type` → parser (`sim`, `lsl`, `replay`).
/// `config_path` is the session file (files a source reads are relative to
/// its directory).
pub(super) fn parse_source(
    text: &str,
    root: &toml::Table,
    config_path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<SourceSection> {
    let Some(table) = root.get("source") else {
        errors.push(ConfigError::new("source", "missing section"));
        return None;
    };
    // A parse error names the key (found again in the text) and says why.
    type Parser = fn(&str, &toml::Value, &Path) -> Result<SourceSection, Vec<ConfigError>>;
    const SOURCES: &[(&str, Parser)] = &[
        ("sim", |text, v, _| {
            v.clone()
                .try_into::<SimConfig>()
                .map(SourceSection::Sim)
                .map_err(|e| vec![error_at::<SimConfig>(text, v, &e)])
        }),
        ("lsl", |text, v, _| {
            v.clone()
                .try_into::<LslConfig>()
                .map(SourceSection::Lsl)
                .map_err(|e| vec![error_at::<LslConfig>(text, v, &e)])
        }),
        ("replay", |text, v, path| {
            let config = v.clone().try_into().map_err(|e| {
                vec![error_at::<neuroloop_sources::replay::ReplayConfig>(
                    text, v, &e,
                )]
            })?;
            ReplaySection::load(config, path).map(SourceSection::Replay)
        }),
    ];
    let kind = table
        .get("type")
        .and_then(toml::Value::as_str)
        .unwrap_or("");
    let known: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
    match SOURCES.iter().find(|(n, _)| *n == kind) {
        Some((_, parse)) => parse(text, table, config_path)
            .map_err(|e| errors.extend(e))
            .ok(),
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
