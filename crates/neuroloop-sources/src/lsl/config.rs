//! Configuration of the LSL source.

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_lsl::xpath_literal;
use serde::Deserialize;

pub use super::inlet_config::LslInletConfig;
use super::inlet_config::check_scale;

/// `[source]` with `type = "lsl"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LslConfig {
    /// Always `"lsl"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Stream name to resolve.
    #[serde(default)]
    pub name: Option<String>,
    /// Stream content type to resolve (e.g. `"EEG"`).
    #[serde(default)]
    pub stream_type: Option<String>,
    /// Source id to resolve (stable across restarts of a device).
    #[serde(default)]
    pub source_id: Option<String>,
    /// Seconds to wait for the stream when the session starts.
    #[serde(default = "default_resolve_timeout_s")]
    pub resolve_timeout_s: f64,
    /// Seconds between refreshes of the time correction.
    #[serde(default = "default_time_correction_s")]
    pub time_correction_s: f64,
    /// Seconds without a sample after which the stream counts as stalled
    /// (logged; the samples it misses become a gap when it returns).
    #[serde(default = "default_stall_s")]
    pub stall_s: f64,
    /// Class labels; marker strings equal to one of them start its task.
    pub classes: Vec<String>,
    /// The label/cue marker stream, if any.
    #[serde(default)]
    pub markers: Option<LslMarkersConfig>,
    /// Microvolts per value the stream sends; samples are multiplied by it
    /// before the ring. Unset: the hardware profile's `scale_uv_per_count`
    /// (the session fills it in).
    #[serde(default)]
    pub scale_uv_per_count: Option<f64>,
    /// Let liblsl dejitter the timestamps (regular-rate streams): a linear
    /// fit of timestamp on sample index, monotonic.
    #[serde(default)]
    pub dejitter: bool,
    /// More data streams (`[[source.inlets]]`) whose channels follow this
    /// stream's, in order, aligned to it by timestamp.
    #[serde(default)]
    pub inlets: Vec<LslInletConfig>,
    /// With `inlets`: how long a sample of this stream waits for its
    /// partners before it is dropped as a gap (seconds).
    #[serde(default = "default_align_timeout_s")]
    pub align_timeout_s: f64,
}

/// `[source.markers]`: an irregular, one-channel string stream.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LslMarkersConfig {
    /// Stream name to resolve.
    pub name: String,
    /// Source id to resolve as well, if set.
    #[serde(default)]
    pub source_id: Option<String>,
    /// The marker string that ends a task period.
    #[serde(default = "default_rest")]
    pub rest: String,
}

fn default_resolve_timeout_s() -> f64 {
    10.0
}
fn default_time_correction_s() -> f64 {
    5.0
}
fn default_stall_s() -> f64 {
    1.0
}
fn default_align_timeout_s() -> f64 {
    0.1
}
fn default_rest() -> String {
    "rest".into()
}

/// Builds an XPath predicate from `(property, value)` pairs.
pub(super) fn predicate<'a>(
    props: impl IntoIterator<Item = (&'a str, &'a Option<String>)>,
) -> Result<String, String> {
    let mut parts = Vec::new();
    for (prop, value) in props {
        if let Some(v) = value {
            let literal = xpath_literal(v).map_err(|e| e.to_string())?;
            parts.push(format!("{prop}={literal}"));
        }
    }
    Ok(parts.join(" and "))
}

impl LslConfig {
    /// The resolve query of the data stream.
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

    /// Checks what can be checked without the stream (pure).
    ///
    /// # Errors
    /// Every problem, with its config path under `path`.
    pub fn preflight(&self, spec: &StreamSpec, path: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}.{field}"), msg));
        };
        if self.name.is_none() && self.stream_type.is_none() && self.source_id.is_none() {
            err(
                "name",
                "set at least one of name, stream_type, source_id to find the stream".into(),
            );
        }
        if let Err(m) = self.query() {
            err("name", m);
        }
        if !(self.resolve_timeout_s > 0.0 && self.resolve_timeout_s <= 600.0) {
            err(
                "resolve_timeout_s",
                format!("{} must be in (0, 600] seconds", self.resolve_timeout_s),
            );
        }
        if !(self.time_correction_s >= 0.5 && self.time_correction_s <= 600.0) {
            err(
                "time_correction_s",
                format!("{} must be in [0.5, 600] seconds", self.time_correction_s),
            );
        }
        if !(self.stall_s > 0.0 && self.stall_s <= 600.0) {
            err(
                "stall_s",
                format!("{} must be in (0, 600] seconds", self.stall_s),
            );
        }
        if self.classes.len() < 2 {
            err("classes", "a decoder needs at least two classes".into());
        }
        for (i, c) in self.classes.iter().enumerate() {
            if c.is_empty() || self.classes[..i].contains(c) {
                err(
                    &format!("classes[{i}]"),
                    format!("empty or duplicate class {c:?}"),
                );
            }
        }
        check_scale(self.scale_uv_per_count, "scale_uv_per_count", &mut err);
        if !(self.align_timeout_s > 0.0 && self.align_timeout_s <= 5.0) {
            err(
                "align_timeout_s",
                format!("{} must be in (0, 5] seconds", self.align_timeout_s),
            );
        }
        let secondary = self
            .inlets
            .iter()
            .fold(0usize, |n, i| n.saturating_add(i.channels));
        if !self.inlets.is_empty() && secondary >= spec.channel_count() {
            err(
                "inlets",
                format!(
                    "the inlets take {secondary} of the profile's {} channels; the first stream needs at least one",
                    spec.channel_count()
                ),
            );
        }
        for (i, inlet) in self.inlets.iter().enumerate() {
            inlet.check(&format!("inlets[{i}]"), &mut err);
        }
        if let Some(m) = &self.markers {
            if m.name.is_empty() {
                err("markers.name", "must not be empty".into());
            }
            if let Err(e) = xpath_literal(&m.name) {
                err("markers.name", e.to_string());
            }
            if self.classes.contains(&m.rest) {
                err(
                    "markers.rest",
                    format!("{:?} is also a class label", m.rest),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl LslConfig {
    /// This config with the hardware profile's µV per count wherever no
    /// stream sets its own.
    #[must_use]
    pub fn with_profile_scale(&self, scale_uv_per_count: f64) -> Self {
        let mut config = self.clone();
        config.scale_uv_per_count.get_or_insert(scale_uv_per_count);
        for inlet in &mut config.inlets {
            inlet.scale_uv_per_count.get_or_insert(scale_uv_per_count);
        }
        config
    }

    /// Channels of the first stream: the profile's `total` less those of
    /// the `inlets`.
    #[must_use]
    pub fn primary_channels(&self, total: usize) -> usize {
        total.saturating_sub(self.inlets.iter().map(|i| i.channels).sum())
    }
}

impl LslMarkersConfig {
    /// The resolve query of the marker stream.
    ///
    /// # Errors
    /// A message if a value cannot be quoted.
    pub fn query(&self) -> Result<String, String> {
        predicate([
            ("name", &Some(self.name.clone())),
            ("source_id", &self.source_id),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> LslConfig {
        toml::from_str(text).expect("parses")
    }

    #[test]
    fn query_joins_the_given_properties() {
        let c = config(
            "type = \"lsl\"\nname = \"EEG 1\"\nstream_type = \"EEG\"\nclasses = [\"a\", \"b\"]",
        );
        assert_eq!(c.query().unwrap(), "name='EEG 1' and type='EEG'");
    }

    #[test]
    fn preflight_lists_every_problem() {
        let c = config(
            "type = \"lsl\"\nresolve_timeout_s = 0\nclasses = [\"a\"]\n[markers]\nname = \"m\"\nrest = \"a\"",
        );
        let spec = StreamSpec {
            name: "x".into(),
            channels: vec![],
            sample_rate: 250.0,
            block_size: 1,
        };
        let errors = c.preflight(&spec, "source").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "source.name",
                "source.resolve_timeout_s",
                "source.classes",
                "source.markers.rest"
            ]
        );
    }

    #[test]
    fn inlets_scale_and_alignment_are_checked() {
        let c = config(
            "type = \"lsl\"\nname = \"eeg\"\nscale_uv_per_count = -1\nalign_timeout_s = 9\n\
             classes = [\"a\", \"b\"]\n\
             [[inlets]]\nname = \"emg\"\nchannels = 2\ndejitter = true\n\
             [[inlets]]\nchannels = 0\nscale_uv_per_count = 0.5",
        );
        assert!(c.inlets[0].dejitter);
        let spec = StreamSpec {
            name: "x".into(),
            channels: (0..2)
                .map(|i| neuroloop_core::ChannelSpec::eeg(format!("c{i}")))
                .collect(),
            sample_rate: 250.0,
            block_size: 1,
        };
        let errors = c.preflight(&spec, "source").unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "source.scale_uv_per_count",
                "source.align_timeout_s",
                "source.inlets",
                "source.inlets[1].name",
                "source.inlets[1].channels",
            ]
        );
        assert_eq!(c.primary_channels(10), 8);
        let scaled = c.with_profile_scale(0.25);
        assert_eq!(scaled.scale_uv_per_count, Some(-1.0), "set: kept");
        assert_eq!(
            (
                scaled.inlets[0].scale_uv_per_count,
                scaled.inlets[1].scale_uv_per_count
            ),
            (Some(0.25), Some(0.5)),
            "unset: the profile's"
        );
    }
}
