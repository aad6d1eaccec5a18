//! Configuration of the replay source.

use std::collections::BTreeMap;

use neuroloop_core::{ConfigError, MAX_CLASSES};
use serde::Deserialize;

/// The marker text that ends a task when `events` is not given.
const REST: &str = "rest";

/// Largest block of samples pushed at once.
pub const MAX_BLOCK_SIZE: usize = 65_536;

/// `[source]` with `type = "replay"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// Always `"replay"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The recording (EDF, EDF+, BDF, GDF, or any format
    /// `neuroloop_formats::read_recording` reads; XDF); relative to the
    /// config file's directory.
    pub path: String,
    /// XDF: the name of the stream to play (default: the first numeric
    /// stream with a nominal rate and samples).
    #[serde(default)]
    pub stream: Option<String>,
    /// XDF: which timestamps the samples and markers carry.
    #[serde(default)]
    pub timestamps: Timestamps,
    /// `realtime` (default): each block leaves when its newest sample would
    /// have been recorded. `fast`: as fast as the pipeline takes them.
    #[serde(default)]
    pub pace: Pace,
    /// Channels by label, in this order (default: every data channel of
    /// the recording).
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Class labels, in class-index order (as the lsl source's `classes`).
    #[serde(default)]
    pub classes: Vec<String>,
    /// Annotation text (EDF+), event code (GDF) or marker (XDF) → class
    /// label. A matching event starts its class at its onset; its end
    /// (onset + duration, when the file gives a duration) starts rest.
    /// Without it, an event whose text is a class label starts that class
    /// and one reading `rest` ends the task (the cues a recording by
    /// neuroloop holds).
    #[serde(default)]
    pub events: BTreeMap<String, String>,
    /// Annotation texts or event codes that end the current task (start
    /// rest) at their onset, for files whose class events carry no
    /// duration (e.g. GDF's trial-stop code).
    #[serde(default)]
    pub rest: Vec<String>,
    /// Samples per block pushed to the ring (default: the hardware
    /// profile's block size).
    #[serde(default)]
    pub block_size: Option<usize>,
}

/// How fast a recording is played.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Pace {
    /// At the recording's own rate.
    #[default]
    Realtime,
    /// As fast as the pipeline takes the samples (it waits for room in the
    /// ring: nothing is dropped).
    Fast,
}

/// The timestamps an XDF replay plays with.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Timestamps {
    /// Clock offsets applied and regular streams de-jittered, as pyxdf
    /// loads a file by default.
    #[default]
    Synchronized,
    /// As stored: a recording neuroloop made replays with the very times
    /// its session saw.
    Recorded,
}

impl ReplayConfig {
    /// Checks what can be checked without the file (pure).
    ///
    /// # Errors
    /// Every problem, with its config path under `path`.
    pub fn preflight(&self, path: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}.{field}"), msg));
        };
        if self.kind != "replay" {
            err(
                "type",
                format!("expected \"replay\", found {:?}", self.kind),
            );
        }
        if self.path.trim().is_empty() {
            err("path", "the recording file is missing".into());
        }
        if self.stream.as_ref().is_some_and(|s| s.trim().is_empty()) {
            err(
                "stream",
                "an empty stream name; leave the key out for the first numeric stream".into(),
            );
        }
        if let Some(b) = self
            .block_size
            .filter(|b| !(1..=MAX_BLOCK_SIZE).contains(b))
        {
            err(
                "block_size",
                format!("{b} is outside the allowed range 1 to {MAX_BLOCK_SIZE} samples"),
            );
        }
        if let Some(channels) = &self.channels {
            if channels.is_empty() {
                err(
                    "channels",
                    "an empty selection; leave the key out for every channel".into(),
                );
            }
            for (i, label) in channels.iter().enumerate() {
                if channels[..i].contains(label) {
                    err(
                        &format!("channels[{i}]"),
                        format!("{label:?} is selected twice"),
                    );
                }
            }
        }
        if self.classes.len() > MAX_CLASSES {
            err(
                "classes",
                format!("{} classes; at most {MAX_CLASSES}", self.classes.len()),
            );
        }
        for (i, class) in self.classes.iter().enumerate() {
            if class.trim().is_empty() || self.classes[..i].contains(class) {
                err(
                    &format!("classes[{i}]"),
                    format!("{class:?} is empty or repeated"),
                );
            }
        }
        for (i, key) in self.rest.iter().enumerate() {
            if key.trim().is_empty() || self.events.contains_key(key) {
                err(
                    &format!("rest[{i}]"),
                    format!("{key:?} is empty or also a class event"),
                );
            }
        }
        for (key, class) in &self.events {
            if key.trim().is_empty() {
                err("events", "an empty event key".into());
            }
            if !self.classes.contains(class) {
                err(
                    &format!("events.{key}"),
                    format!("class {class:?} is not one of classes {:?}", self.classes),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Whether an event with annotation text `text` or code `code` is one
    /// of the `rest` events (without `events` and `rest`: whether it reads
    /// `rest`, when that is no class).
    #[must_use]
    pub fn is_rest(&self, text: &str, code: Option<u32>) -> bool {
        if self.events.is_empty() && self.rest.is_empty() {
            return text.trim() == REST && !self.classes.iter().any(|c| c == REST);
        }
        let code = code.map(|c| c.to_string());
        self.rest
            .iter()
            .any(|k| k.as_str() == text.trim() || code.as_deref() == Some(k.as_str()))
    }

    /// The class index of an event with annotation text `text` or code
    /// `code`, if `events` maps it (without `events`: if its text is a
    /// class label).
    #[must_use]
    pub fn class_of(&self, text: &str, code: Option<u32>) -> Option<usize> {
        if self.events.is_empty() {
            return self.classes.iter().position(|c| c == text.trim());
        }
        let code = code.map(|c| c.to_string());
        let class = self
            .events
            .iter()
            .find(|(k, _)| k.as_str() == text.trim() || code.as_deref() == Some(k.as_str()))?
            .1;
        self.classes.iter().position(|c| c == class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Result<ReplayConfig, toml::de::Error> {
        toml::from_str(&format!("type = \"replay\"\npath = \"r.edf\"\n{extra}"))
    }

    #[test]
    fn defaults_and_pace() {
        let c = config("").unwrap();
        assert_eq!(c.pace, Pace::Realtime);
        assert!(c.preflight("source").is_ok());
        assert_eq!(config("pace = \"fast\"").unwrap().pace, Pace::Fast);
        let e = config("pace = \"slow\"").unwrap_err().to_string();
        assert!(e.contains("realtime") && e.contains("fast"), "{e}");
    }

    #[test]
    fn refuses_events_of_unknown_classes_and_repeats() {
        let c = config(
            "classes = [\"left\", \"left\"]\nevents = { T1 = \"left\", T2 = \"up\" }\nchannels = [\"C3\", \"C3\"]\nblock_size = 0",
        )
        .unwrap();
        let errors: Vec<String> = c
            .preflight("source")
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        let all = errors.join("\n");
        for path in [
            "source.classes[1]",
            "source.events.T2",
            "source.channels[1]",
            "source.block_size",
        ] {
            assert!(all.contains(path), "{path} missing in\n{all}");
        }
        assert!(!all.contains("source.events.T1"), "{all}");
    }

    #[test]
    fn maps_text_and_codes_to_classes() {
        let c = config("classes = [\"a\", \"b\"]\nevents = { T1 = \"b\", 33025 = \"a\" }").unwrap();
        assert_eq!(c.class_of(" T1 ", None), Some(1));
        assert_eq!(c.class_of("33025", Some(33025)), Some(0));
        assert_eq!(c.class_of("x", Some(33025)), Some(0));
        assert_eq!(c.class_of("T0", None), None);
        // Without a mapping, class labels and `rest` are the cues.
        let plain = config("classes = [\"a\", \"b\"]").unwrap();
        assert_eq!(plain.class_of(" b ", None), Some(1));
        assert_eq!(plain.class_of("T1", None), None);
        assert!(plain.is_rest("rest", None) && !plain.is_rest("a", None));
        let c =
            config("classes = [\"a\", \"b\"]\nevents = { T1 = \"b\" }\nrest = [\"32780\", \"T1\"]")
                .unwrap();
        assert!(c.is_rest("x", Some(32780)));
        assert!(!c.is_rest("T2", None));
        let errors = c.preflight("source").unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, "source.rest[1]");
    }
}
