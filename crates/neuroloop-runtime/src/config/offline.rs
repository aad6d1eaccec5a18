//! What the offline commands (`neuroloop train`, `evaluate`, `score`) take
//! from a session config: its filter chain and its hardware profile's
//! channels, read with the session's own section types and checks.
//!
//! `[session]` and `[pipeline]` are deserialised as [`SessionSection`] and
//! [`PipelineSection`] (unknown keys refused, each error at its key), the
//! hardware profile is found and loaded as a session finds it, its
//! channels are selected by `[pipeline] channels`, and the filters are
//! built by the stage registry and preflighted against the selected
//! channels, as [`parse`](super::parse) does. The other sections
//! are not required: a config given to `neuroloop train` may name the
//! bundle that training is about to write (`[decoder] type = "bundle"`),
//! which a whole-session [`load`](super::load) refuses until it exists, and
//! `neuroloop score` composes its replay session from parts of a config
//! and validates that whole session itself.

use std::path::Path;

use neuroloop_core::ConfigError;
use neuroloop_dsp::{ChainConfig, StageRegistry};
use serde::de::DeserializeOwned;

use super::channels::select_channels;
use super::sections::{PipelineSection, SessionSection};
use super::validate::check_filters;
use super::{keypath, read_config_file};
use crate::profile::{HardwareProfile, resolve_profile_path};

/// The parts of a session config the offline commands use.
#[derive(Debug)]
pub struct OfflineInputs {
    /// `[pipeline] filters`, built by the stage registry (and preflighted
    /// against the hardware profile's stream, when there is one); the
    /// empty chain without `[pipeline] filters`.
    pub filters: ChainConfig,
    /// `[pipeline] filters` as written (a bundle records them).
    pub filter_tables: Vec<toml::Value>,
    /// The labels of the hardware profile's channels the pipeline reads
    /// (`[pipeline] channels`, by default those of its `channel_kind`), in
    /// order; `None` without `[session] hardware_profile`.
    pub channels: Option<Vec<String>>,
    /// Every section of the file as written.
    pub tables: toml::Table,
}

/// Reads the session config at `path` for an offline command.
///
/// # Errors
/// Every problem found, each with its config path: a file that cannot be
/// read or is not TOML, a `[session]` or `[pipeline]` key the session
/// refuses, a hardware profile that cannot be loaded, a filter stage that
/// does not parse or does not fit the profile's stream.
pub fn offline_inputs(path: &Path) -> Result<OfflineInputs, Vec<ConfigError>> {
    let origin = path.display().to_string();
    let text = read_config_file(path).map_err(|e| vec![ConfigError::new(&origin, e)])?;
    let tables: toml::Table = toml::from_str(&text).map_err(|e| {
        vec![ConfigError::new(
            &origin,
            format!("not valid TOML: {}", e.message()),
        )]
    })?;
    let mut errors = Vec::new();
    let session: Option<SessionSection> = section(&text, &tables, "session", &mut errors);
    let pipeline: Option<PipelineSection> = section(&text, &tables, "pipeline", &mut errors);
    let profile = session
        .and_then(|s| s.hardware_profile)
        .and_then(|name| load_profile(&name, path, &mut errors));
    let (named, filter_tables) = pipeline.map_or((None, Vec::new()), |p| (p.channels, p.filters));
    let selection = profile.as_ref().and_then(|p| {
        select_channels(named.as_deref(), &p.stream_spec(), &p.channel_kind)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    let filters = match (&profile, &selection) {
        (Some(_), None) => None,
        (Some(_), Some(selection)) => {
            check_filters(
                &StageRegistry::builtin(),
                &filter_tables,
                &selection.spec,
                &mut errors,
            )
            .0
        }
        (None, _) => ChainConfig::from_toml(
            &StageRegistry::builtin(),
            &filter_tables,
            "pipeline.filters",
        )
        .map_err(|e| errors.extend(e))
        .ok(),
    };
    match filters {
        Some(filters) if errors.is_empty() => Ok(OfflineInputs {
            filters,
            filter_tables,
            channels: selection.map(|s| s.spec.labels().map(str::to_owned).collect()),
            tables,
        }),
        _ => Err(errors),
    }
}

/// Deserialises section `name` if the file has it; an error names its key.
fn section<T: DeserializeOwned>(
    text: &str,
    tables: &toml::Table,
    name: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<T> {
    keypath::deserialize_at(text, tables.get(name)?, name)
        .map_err(|e| errors.push(e))
        .ok()
}

/// The hardware profile `name`, found as a session finds it.
fn load_profile(
    name: &str,
    config: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<HardwareProfile> {
    let file = resolve_profile_path(name, config);
    HardwareProfile::load(&file)
        .map_err(|e| {
            errors.push(ConfigError::new(
                "session.hardware_profile",
                format!("profile {name:?} ({}) is invalid:", file.display()),
            ));
            errors.extend(e);
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A scratch directory with an 8-channel, 160 Hz profile `amp.toml`.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "neuroloop-offline-inputs-{name}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("amp.toml"),
            "name = \"amp\"\ndescription = \"test amplifier\"\ntransport = \"lsl\"\n\
             sample_rate = 160.0\nblock_size = 8\nscale_uv_per_count = 1.0\n\
             montage = \"10-20\"\nchannels = [\"C3\", \"Cz\", \"C4\", \"P3\", \"Pz\", \"P4\", \"O1\", \"O2\"]\n",
        )
        .unwrap();
        dir
    }

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("session.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_session_gives_its_profile_channels_and_checked_filters() {
        let dir = scratch("whole");
        // The bundle does not exist yet: train is about to write it.
        let path = write(
            &dir,
            "[session]\nname = \"s\"\nhardware_profile = \"amp.toml\"\n\n\
             [source]\ntype = \"lsl\"\nname = \"eeg\"\nclasses = [\"a\", \"b\"]\n\n\
             [pipeline]\nfilters = [{ type = \"notch\", freq_hz = 50.0, q = 30.0 }, \
             { type = \"bandpass\", low_hz = 8.0, high_hz = 30.0, order = 4 }]\n\
             window_s = 2.0\nhop_s = 0.1\n\n\
             [decoder]\ntype = \"bundle\"\npath = \"not-yet-trained\"\n",
        );
        let inputs = offline_inputs(&path).unwrap();
        assert_eq!(
            inputs.channels.as_deref().unwrap(),
            ["C3", "Cz", "C4", "P3", "Pz", "P4", "O1", "O2"]
        );
        assert_eq!(inputs.filters.stages().len(), 2);
        assert_eq!(inputs.filter_tables.len(), 2);
        assert_eq!(inputs.filter_tables[1]["type"].as_str(), Some("bandpass"));
        assert!(inputs.tables.contains_key("decoder"));
    }

    #[test]
    fn a_pipeline_alone_gives_its_filters_and_no_channels() {
        let dir = scratch("pipeline");
        let path = write(
            &dir,
            "[pipeline]\nfilters = [{ type = \"bandpass\", low_hz = 5.0, high_hz = 40.0, order = 4 }]\nhop_s = 0.25\n",
        );
        let inputs = offline_inputs(&path).unwrap();
        assert_eq!(inputs.channels, None);
        assert_eq!(inputs.filters.stages().len(), 1);
        let empty = offline_inputs(&write(&dir, "")).unwrap();
        assert!(empty.filters.stages().is_empty() && empty.filter_tables.is_empty());
    }

    #[test]
    fn what_the_session_refuses_is_refused_at_its_key() {
        let dir = scratch("refused");
        let paths = |errors: Vec<ConfigError>| -> Vec<String> {
            errors.into_iter().map(|e| e.path).collect()
        };
        // 90 Hz is above the profile's Nyquist frequency (80 Hz).
        let above = write(
            &dir,
            "[session]\nname = \"s\"\nhardware_profile = \"amp.toml\"\n\
             [pipeline]\nfilters = [{ type = \"lowpass\", cutoff_hz = 90.0, order = 4 }]\n",
        );
        let at = paths(offline_inputs(&above).unwrap_err());
        assert!(
            at.iter().any(|p| p.starts_with("pipeline.filters[0]")),
            "{at:?}"
        );
        let unknown = write(&dir, "[pipeline]\nfilter = []\n");
        let at = paths(offline_inputs(&unknown).unwrap_err());
        assert!(at.iter().any(|p| p.starts_with("pipeline")), "{at:?}");
        let missing = write(
            &dir,
            "[session]\nname = \"s\"\nhardware_profile = \"gone.toml\"\n",
        );
        let at = paths(offline_inputs(&missing).unwrap_err());
        assert!(
            at.contains(&"session.hardware_profile".to_string()),
            "{at:?}"
        );
        let stage = write(&dir, "[pipeline]\nfilters = [{ type = \"wavelet\" }]\n");
        let at = paths(offline_inputs(&stage).unwrap_err());
        assert!(
            at.iter().any(|p| p.starts_with("pipeline.filters[0]")),
            "{at:?}"
        );
        assert!(offline_inputs(&dir).is_err(), "a directory is no config");
    }
}
