//! Hardware profiles: one TOML file per headset in `hardware-profiles/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use neuroloop_core::{ChannelSpec, ConfigError, StreamSpec};
use serde::Deserialize;

use crate::profile_lsl::LslIdentity;

/// Highest sample rate a profile may declare, Hz.
pub const MAX_SAMPLE_RATE: f64 = 1_000_000.0;
/// Largest device block, samples.
pub const MAX_BLOCK_SIZE: usize = 65_536;
/// Most channels of one profile.
pub const MAX_CHANNELS: usize = 4096;
/// Largest µV per count.
pub const MAX_SCALE: f64 = 1e9;

/// A headset: channels, montage, rate, scale, transport and expectations.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HardwareProfile {
    /// Short name, equal to the file stem.
    pub name: String,
    /// Human-readable description.
    pub description: String,
    /// How samples arrive: `sim`, `lsl`, `serial`.
    pub transport: String,
    /// Nominal sample rate in Hz.
    pub sample_rate: f64,
    /// Samples per packet/block the device delivers.
    pub block_size: usize,
    /// Microvolts per raw count (1.0 when the device sends microvolts).
    pub scale_uv_per_count: f64,
    /// Montage system of the labels, e.g. `10-20`.
    pub montage: String,
    /// Channel labels, in stream order.
    pub channels: Vec<String>,
    /// Kind of every channel not in `channel_kinds` (see
    /// [`crate::channel_kinds`]; default `EEG`): the channels a session
    /// decodes unless `[pipeline] channels` names others.
    #[serde(default = "default_kind")]
    pub channel_kind: String,
    /// `[channel_kinds]`: the kind of each channel, by label, that is not
    /// `channel_kind` (a trigger, counter or motion channel in the stream).
    #[serde(default)]
    pub channel_kinds: BTreeMap<String, String>,
    /// Unit after scaling.
    #[serde(default = "default_unit")]
    pub unit: String,
    /// Expected device-to-host latency in milliseconds, for reports.
    #[serde(default)]
    pub expected_latency_ms: Option<f64>,
    /// Serial settings for `transport = "serial"`.
    #[serde(default)]
    pub serial: Option<SerialSettings>,
    /// Lowest value the amplifier can represent, in `unit` (after scaling);
    /// with `physical_max_uv`, the range the artifact detector's rail and
    /// amplitude limits derive from.
    #[serde(default)]
    pub physical_min_uv: Option<f64>,
    /// Highest value the amplifier can represent, in `unit`.
    #[serde(default)]
    pub physical_max_uv: Option<f64>,
    /// How the device's LSL application names its stream (`[lsl]`), so
    /// that `neuroloop list` can say which profile a stream belongs to.
    #[serde(default)]
    pub lsl: Option<LslIdentity>,
}

/// Serial-port settings of a profile.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SerialSettings {
    /// Baud rate.
    pub baud: u32,
    /// Wire format, e.g. `openbci-cyton`.
    pub format: String,
}

fn default_kind() -> String {
    "EEG".into()
}
fn default_unit() -> String {
    "microvolts".into()
}

impl HardwareProfile {
    /// Parses a profile; `path` names the file in errors.
    ///
    /// # Errors
    /// The file's parse error, or every validation problem with its path.
    pub fn parse(text: &str, origin: &str) -> Result<Self, Vec<ConfigError>> {
        let profile: Self = toml::from_str(text).map_err(|e| {
            // Name the key when toml knows where the bad value is.
            let at = match e.span() {
                Some(span) => {
                    let key = crate::config::key_at(text, span.start, "");
                    match key.trim_start_matches('.') {
                        "" => origin.to_string(),
                        key => format!("{origin}: {key}"),
                    }
                }
                None => origin.to_string(),
            };
            vec![ConfigError::new(at, e.message().to_string())]
        })?;
        profile.validate(origin)?;
        Ok(profile)
    }

    /// Reads and parses a profile file.
    ///
    /// # Errors
    /// As [`Self::parse`], or the read error.
    pub fn load(path: &Path) -> Result<Self, Vec<ConfigError>> {
        let origin = path.display().to_string();
        let text = crate::config::read_config_file(path)
            .map_err(|e| vec![ConfigError::new(&origin, e)])?;
        Self::parse(&text, &origin)
    }

    /// Checks the values.
    ///
    /// # Errors
    /// Every problem, prefixed with `origin`.
    pub fn validate(&self, origin: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, msg: String| {
            errors.push(ConfigError::new(format!("{origin}: {field}"), msg));
        };
        if !(self.sample_rate > 0.0 && self.sample_rate <= MAX_SAMPLE_RATE) {
            err(
                "sample_rate",
                format!(
                    "{} must be a positive rate of at most {MAX_SAMPLE_RATE} Hz",
                    self.sample_rate
                ),
            );
        }
        if !(1..=MAX_BLOCK_SIZE).contains(&self.block_size) {
            err(
                "block_size",
                format!(
                    "{} is outside the allowed range 1 to {MAX_BLOCK_SIZE} samples",
                    self.block_size
                ),
            );
        }
        if !(self.scale_uv_per_count > 0.0 && self.scale_uv_per_count <= MAX_SCALE) {
            err(
                "scale_uv_per_count",
                format!(
                    "{} must be positive and at most {MAX_SCALE} µV per count",
                    self.scale_uv_per_count
                ),
            );
        }
        if let Some(ms) = self
            .expected_latency_ms
            .filter(|ms| !(*ms >= 0.0 && *ms <= 60_000.0))
        {
            err(
                "expected_latency_ms",
                format!("{ms} is outside the allowed range 0 to 60000 ms"),
            );
        }
        self.check_channels(&mut err);
        self.check_kinds(&mut err);
        self.check_physical_range(&mut err);
        self.check_transport(&mut err);
        for (field, message) in self.lsl.iter().flat_map(LslIdentity::problems) {
            err(field, message);
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// At least one and at most [`MAX_CHANNELS`] channels, each labelled,
    /// no label twice (case-insensitive).
    fn check_channels(&self, err: &mut impl FnMut(&str, String)) {
        if self.channels.is_empty() {
            err("channels", "a profile needs at least one channel".into());
        }
        if self.channels.len() > MAX_CHANNELS {
            err(
                "channels",
                format!(
                    "{} channels; at most {MAX_CHANNELS} are supported",
                    self.channels.len()
                ),
            );
        }
        // (The duplicate search is quadratic: only within the bound.)
        let listed = if self.channels.len() > MAX_CHANNELS {
            &[][..]
        } else {
            &self.channels[..]
        };
        for (i, label) in listed.iter().enumerate() {
            if label.trim().is_empty() {
                err(&format!("channels[{i}]"), "empty label".into());
            } else if self.channels[..i]
                .iter()
                .any(|l| l.eq_ignore_ascii_case(label))
            {
                err(
                    &format!("channels[{i}]"),
                    format!("duplicate label {label:?}"),
                );
            }
        }
    }

    /// Known kinds, and each `[channel_kinds]` label one of the channels
    /// (a session refuses a stream with no channel of its main kind).
    fn check_kinds(&self, err: &mut impl FnMut(&str, String)) {
        if let Err(e) = crate::channel_kinds::canonical_kind(&self.channel_kind) {
            err("channel_kind", e);
        }
        for (label, kind) in &self.channel_kinds {
            let key = format!("channel_kinds.{label}");
            if !self.channels.iter().any(|c| c.eq_ignore_ascii_case(label)) {
                err(
                    &key,
                    format!("{label:?} is not one of the profile's channels"),
                );
            }
            if let Err(e) = crate::channel_kinds::canonical_kind(kind) {
                err(&key, e);
            }
        }
    }

    /// The kind of channel `label` (its `[channel_kinds]` entry, else
    /// `channel_kind`), in the vocabulary's spelling where it is known.
    #[must_use]
    pub fn kind_of(&self, label: &str) -> String {
        let kind = self
            .channel_kinds
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(label))
            .map_or(self.channel_kind.as_str(), |(_, kind)| kind.as_str());
        crate::channel_kinds::canonical_kind(kind).map_or_else(|_| kind.to_owned(), str::to_owned)
    }

    /// A known transport, and `serial` with its `[serial]` table.
    fn check_transport(&self, err: &mut impl FnMut(&str, String)) {
        match self.transport.as_str() {
            "sim" | "lsl" => {}
            "serial" if self.serial.is_none() => err(
                "serial",
                "transport \"serial\" needs a [serial] table".into(),
            ),
            "serial" => {}
            other => err(
                "transport",
                format!("unknown transport {other:?} (known: sim, lsl, serial)"),
            ),
        }
    }

    /// The physical input range `(min, max)`, if the profile states it.
    #[must_use]
    pub fn physical_range(&self) -> Option<(f64, f64)> {
        self.physical_min_uv.zip(self.physical_max_uv)
    }

    fn check_physical_range(&self, err: &mut impl FnMut(&str, String)) {
        let limit = neuroloop_dsp::artifact::MAX_PHYSICAL_UV;
        let ok = |v: f64| v.is_finite() && v.abs() <= limit;
        for (key, value) in [
            ("physical_min_uv", self.physical_min_uv),
            ("physical_max_uv", self.physical_max_uv),
        ] {
            if let Some(v) = value.filter(|v| !ok(*v)) {
                err(key, format!("{v} must be between -{limit:e} and {limit:e}"));
            }
        }
        match (self.physical_min_uv, self.physical_max_uv) {
            (Some(min), Some(max)) if ok(min) && ok(max) && min >= max => err(
                "physical_min_uv",
                format!("{min} must be below physical_max_uv ({max})"),
            ),
            (Some(_), None) | (None, Some(_)) => err(
                "physical_min_uv",
                "set both physical_min_uv and physical_max_uv, or neither".into(),
            ),
            _ => {}
        }
    }

    /// The stream this headset produces.
    #[must_use]
    pub fn stream_spec(&self) -> StreamSpec {
        StreamSpec {
            name: self.name.clone(),
            channels: self
                .channels
                .iter()
                .map(|label| ChannelSpec {
                    label: label.clone(),
                    kind: self.kind_of(label),
                    unit: self.unit.clone(),
                })
                .collect(),
            sample_rate: self.sample_rate,
            block_size: self.block_size,
        }
    }
}

/// Finds the file of profile `name` given the config file's location: a
/// path ending in `.toml` is taken relative to the config's directory;
/// otherwise `NAME.toml` is looked up in `hardware-profiles/` next to the
/// config's directory, beside the config, then under the working directory.
#[must_use]
pub fn resolve_profile_path(name: &str, config_path: &Path) -> PathBuf {
    let config_dir = config_path.parent().unwrap_or(Path::new("."));
    if Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        return config_dir.join(name);
    }
    let file = format!("{name}.toml");
    let candidates = [
        config_dir.join("..").join("hardware-profiles").join(&file),
        config_dir.join("hardware-profiles").join(&file),
        Path::new("hardware-profiles").join(&file),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
        name = "t"
        description = "test"
        transport = "sim"
        sample_rate = 250.0
        block_size = 10
        scale_uv_per_count = 1.0
        montage = "10-20"
        channels = ["C3", "C4"]
    "#;

    #[test]
    fn parses_into_a_stream_spec() {
        let p = HardwareProfile::parse(OK, "t.toml").unwrap();
        let spec = p.stream_spec();
        assert_eq!(spec.channel_count(), 2);
        assert_eq!(spec.channels[1].label, "C4");
        assert_eq!(spec.channels[1].unit, "microvolts");
    }

    #[test]
    fn reports_every_problem() {
        let bad = OK
            .replace("250.0", "-1.0")
            .replace("block_size = 10", "block_size = 0")
            .replace(r#"["C3", "C4"]"#, r#"["C3", "c3"]"#);
        let errors = HardwareProfile::parse(&bad, "t.toml").unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("t.toml: sample_rate: -1"));
        assert!(text[2].contains("channels[1]") && text[2].contains("duplicate"));
    }

    #[test]
    fn gives_each_channel_its_kind() {
        let p = HardwareProfile::parse(
            &format!("{OK}\n[channel_kinds]\nc4 = \"counter\""),
            "t.toml",
        )
        .unwrap();
        let kinds: Vec<String> = p
            .stream_spec()
            .channels
            .into_iter()
            .map(|c| c.kind)
            .collect();
        assert_eq!(kinds, ["EEG", "Counter"]);
        let bad = HardwareProfile::parse(
            &format!(
                "{OK}\nchannel_kind = \"brain\"\n[channel_kinds]\nO1 = \"Trigger\"\nC3 = \"Stim\""
            ),
            "t.toml",
        )
        .unwrap_err();
        let text: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].starts_with("t.toml: channel_kind: unknown channel kind \"brain\""));
        assert!(
            text.iter()
                .any(|e| e.contains("channel_kinds.O1") && e.contains("not one of"))
        );
        assert!(
            text.iter()
                .any(|e| e.contains("channel_kinds.C3") && e.contains("\"Stim\""))
        );
    }

    #[test]
    fn checks_the_physical_range() {
        let with = |extra: &str| HardwareProfile::parse(&format!("{OK}\n{extra}"), "t.toml");
        let p = with("physical_min_uv = -187500.0\nphysical_max_uv = 187500.0").unwrap();
        assert_eq!(p.physical_range(), Some((-187_500.0, 187_500.0)));
        assert_eq!(with("").unwrap().physical_range(), None);
        for (extra, expected) in [
            (
                "physical_min_uv = 5.0\nphysical_max_uv = 5.0",
                "below physical_max_uv",
            ),
            ("physical_max_uv = 5.0", "set both"),
            (
                "physical_min_uv = -2e9\nphysical_max_uv = 5.0",
                "between -1e9 and 1e9",
            ),
            (
                "physical_min_uv = -inf\nphysical_max_uv = 5.0",
                "between -1e9 and 1e9",
            ),
        ] {
            let e = with(extra).unwrap_err();
            assert_eq!(e.len(), 1, "{extra}: {e:?}");
            assert!(e[0].to_string().contains(expected), "{extra}: {e:?}");
        }
    }

    #[test]
    fn every_shipped_profile_states_its_physical_range() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hardware-profiles");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let p = HardwareProfile::load(&path).unwrap();
                assert!(p.physical_range().is_some(), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= 10, "{seen} profiles");
    }
}
