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
    root: &toml::Table,
    errors: &mut Vec<ConfigError>,
) -> Option<SourceSection> {
    let Some(table) = root.get("source") else {
        errors.push(ConfigError::new("source", "missing section"));
        return None;
    };
    type Parser = fn(&toml::Value) -> Result<SourceSection, String>;
    const SOURCES: &[(&str, Parser)] = &[
        ("sim", |v| {
            v.clone()
                .try_into::<SimConfig>()
                .map(SourceSection::Sim)
                .map_err(|e| e.message().to_string())
        }),
        ("lsl", |v| {
            v.clone()
                .try_into::<LslConfig>()
                .map(SourceSection::Lsl)
                .map_err(|e| e.message().to_string())
        }),
    ];
    let kind = table
        .get("type")
        .and_then(toml::Value::as_str)
        .unwrap_or("");
    let known: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
    match SOURCES.iter().find(|(n, _)| *n == kind) {
        Some((_, parse)) => parse(table)
            .map_err(|m| errors.push(ConfigError::new("source", m)))
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
