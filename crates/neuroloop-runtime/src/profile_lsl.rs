//! How a headset's LSL application names its stream (a profile's `[lsl]`
//! table), and matching a visible stream against it: what `neuroloop list`
//! uses to say which profile a stream belongs to.

use std::path::Path;

use serde::Deserialize;

use crate::profile::HardwareProfile;

/// The stream a headset's LSL application publishes.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LslIdentity {
    /// The stream name; `*` stands for any run of characters (a serial
    /// number, a MAC address), e.g. `"LiveAmpSN-*"`.
    pub name: String,
    /// The stream type, compared exactly (LSL's content type, e.g. `EEG`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// What a visible stream shows of itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamFacts<'a> {
    /// Stream name.
    pub name: &'a str,
    /// Stream type.
    pub kind: &'a str,
    /// Channel count.
    pub channels: usize,
    /// Nominal rate, Hz (0 for irregular streams).
    pub rate: f64,
}

impl LslIdentity {
    /// Problems with the table, as `(field, message)`.
    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().all(|c| c == '*') {
            out.push((
                "lsl.name",
                format!(
                    "{:?} matches every stream; give the name the device's LSL application uses",
                    self.name
                ),
            ));
        }
        if self.kind.trim().is_empty() {
            out.push(("lsl.type", "an empty stream type".into()));
        }
        out
    }
}

impl HardwareProfile {
    /// Whether `stream` has the name (with `*` wildcards) and type of this
    /// headset's stream, whatever its shape; false for a profile without an
    /// `[lsl]` table.
    #[must_use]
    pub fn names_stream(&self, stream: &StreamFacts<'_>) -> bool {
        self.lsl
            .as_ref()
            .is_some_and(|id| wildcard_match(&id.name, stream.name) && id.kind == stream.kind)
    }

    /// Whether `stream` is this headset's: same name (with `*` wildcards),
    /// type, channel count and nominal rate. `None` for a profile without an
    /// `[lsl]` table.
    #[must_use]
    pub fn matches_stream(&self, stream: &StreamFacts<'_>) -> Option<bool> {
        self.lsl.as_ref()?;
        Some(
            self.names_stream(stream)
                && self.channels.len() == stream.channels
                && (self.sample_rate - stream.rate).abs() <= 1e-6 * self.sample_rate,
        )
    }
}

/// `pattern` with `*` standing for any run of characters, matched against
/// the whole of `text`.
#[must_use]
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = parts.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Every profile in `dir` (files ending in `.toml`, sorted by name) that
/// parses; the others with their problems, so that a caller can say why a
/// profile is missing.
#[must_use]
pub fn load_profiles(dir: &Path) -> (Vec<HardwareProfile>, Vec<String>) {
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => return (Vec::new(), vec![format!("{}: {e}", dir.display())]),
    };
    paths.sort();
    let (mut profiles, mut problems) = (Vec::new(), Vec::new());
    for path in paths {
        match HardwareProfile::load(&path) {
            Ok(p) => profiles.push(p),
            Err(errors) => problems.extend(errors.iter().map(ToString::to_string)),
        }
    }
    (profiles, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_names_only() {
        for (pattern, text, expected) in [
            ("Muse", "Muse", true),
            ("Muse", "Muse2", false),
            ("Muse", "MyMuse", false),
            ("LiveAmpSN-*", "LiveAmpSN-054206-0123", true),
            ("LiveAmpSN-*", "LiveAmpSN-", true),
            ("LiveAmpSN-*", "LiveAmp-054206", false),
            ("Muse* EEG", "Muse-1A2B (00:55:DA:B0:1A:2B) EEG", true),
            ("Muse* EEG", "Muse-1A2B (00:55:DA:B0:1A:2B) PPG", false),
            ("a*b*c", "a-b-b-c", true),
            ("a*b*c", "a-c-b", false),
            ("ab*ba", "aba", false),
            ("obci_eeg*", "obci_eeg1", true),
        ] {
            assert_eq!(
                wildcard_match(pattern, text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        }
    }

    const MUSE_S: &str = r#"
        name = "t"
        description = "t"
        transport = "lsl"
        sample_rate = 256.0
        block_size = 12
        scale_uv_per_count = 1.0
        montage = "10-10"
        channels = ["TP9", "AF7", "AF8", "TP10"]
        [lsl]
        name = "Muse* EEG"
        type = "EEG"
    "#;

    fn facts(
        name: &'static str,
        kind: &'static str,
        channels: usize,
        rate: f64,
    ) -> StreamFacts<'static> {
        StreamFacts {
            name,
            kind,
            channels,
            rate,
        }
    }

    #[test]
    fn a_stream_matches_on_name_type_channel_count_and_rate() {
        let profile = HardwareProfile::parse(MUSE_S, "t.toml").unwrap();
        let name = "MuseS-1A2B (00:55:DA:B0:1A:2B) EEG";
        assert_eq!(
            profile.matches_stream(&facts(name, "EEG", 4, 256.0)),
            Some(true)
        );
        for wrong in [
            facts("MuseS-1A2B (00:55:DA:B0:1A:2B) PPG", "EEG", 4, 256.0),
            facts(name, "ACC", 4, 256.0),
            facts(name, "EEG", 5, 256.0),
            facts(name, "EEG", 4, 250.0),
        ] {
            assert_eq!(profile.matches_stream(&wrong), Some(false), "{wrong:?}");
        }
        let mut without = profile.clone();
        without.lsl = None;
        assert_eq!(without.matches_stream(&facts(name, "EEG", 4, 256.0)), None);
    }

    #[test]
    fn a_profile_whose_lsl_name_matches_everything_does_not_load() {
        let errors =
            HardwareProfile::parse(&MUSE_S.replace("Muse* EEG", "*"), "t.toml").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].to_string().contains("lsl.name"), "{errors:?}");
    }

    #[test]
    fn a_pattern_that_matches_everything_is_refused() {
        for name in ["", "  ", "*", "**"] {
            let id = LslIdentity {
                name: name.into(),
                kind: "EEG".into(),
            };
            let problems = id.problems();
            assert_eq!(problems.len(), 1, "{name:?}: {problems:?}");
            assert_eq!(problems[0].0, "lsl.name");
        }
        let empty_type = LslIdentity {
            name: "Muse".into(),
            kind: String::new(),
        };
        assert_eq!(empty_type.problems()[0].0, "lsl.type");
    }
}
