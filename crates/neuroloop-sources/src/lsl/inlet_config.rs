//! `[[source.inlets]]`: further data streams of an LSL source.

use serde::Deserialize;

use super::config::predicate;

/// One more data stream whose channels follow the first stream's in the
/// combined sample (in config order). It must have the profile's rate; its
/// samples are paired with the first stream's by corrected timestamp.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LslInletConfig {
    /// Stream name to resolve.
    #[serde(default)]
    pub name: Option<String>,
    /// Stream content type to resolve (e.g. `"EMG"`).
    #[serde(default)]
    pub stream_type: Option<String>,
    /// Source id to resolve.
    #[serde(default)]
    pub source_id: Option<String>,
    /// Channels this stream contributes (the next ones of the profile).
    pub channels: usize,
    /// Microvolts per value; unset: the hardware profile's.
    #[serde(default)]
    pub scale_uv_per_count: Option<f64>,
    /// Let liblsl dejitter this stream's timestamps.
    #[serde(default)]
    pub dejitter: bool,
}

impl LslInletConfig {
    /// The resolve query.
    ///
    /// # Errors
    /// A message if a value cannot be quoted.
    pub fn query(&self) -> Result<String, String> {
        predicate([
            ("name", &self.name),
            ("type", &self.stream_type),
            ("source_id", &self.source_id),
        ])
    }

    /// Checks the entry; `err(field, message)` records a problem.
    pub(super) fn check(&self, path: &str, err: &mut impl FnMut(&str, String)) {
        if self.name.is_none() && self.stream_type.is_none() && self.source_id.is_none() {
            err(
                &format!("{path}.name"),
                "set at least one of name, stream_type, source_id to find the stream".into(),
            );
        }
        if let Err(m) = self.query() {
            err(&format!("{path}.name"), m);
        }
        if self.channels == 0 {
            err(&format!("{path}.channels"), "must be at least 1".into());
        }
        check_scale(
            self.scale_uv_per_count,
            &format!("{path}.scale_uv_per_count"),
            err,
        );
    }
}

/// A scale, if set, must be a positive finite number.
pub(super) fn check_scale(scale: Option<f64>, path: &str, err: &mut impl FnMut(&str, String)) {
    if let Some(s) = scale
        && !(s > 0.0 && s.is_finite())
    {
        err(
            path,
            format!("{s} must be a positive number of µV per count"),
        );
    }
}
