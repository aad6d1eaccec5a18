//! The textual options of offline evaluation: the event → class mapping
//! (`T1=hands,T2=feet`, `33025=13Hz`) and short filter chains
//! (`"notch 50; bandpass 4-40"`).

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_dsp::{ChainConfig, StageRegistry};
use neuroloop_formats::Event;

use crate::RuntimeError;

/// Which events become epochs and of which class.
///
/// An event matches a key when its annotation text (EDF+, trimmed) or its
/// numeric code (GDF) equals the key. Several keys may name one class;
/// classes are numbered in order of first appearance.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMap {
    keys: Vec<(String, usize)>,
    classes: Vec<String>,
}

impl EventMap {
    /// Builds a mapping from `(event key, class name)` pairs.
    ///
    /// # Errors
    /// [`RuntimeError::OfflineOption`] for an empty key or class, a key given
    /// twice, or fewer than two classes.
    pub fn new<K: AsRef<str>, C: AsRef<str>>(pairs: &[(K, C)]) -> Result<Self, RuntimeError> {
        let bad = |message: String| RuntimeError::OfflineOption {
            what: "events",
            message,
        };
        let mut keys: Vec<(String, usize)> = Vec::new();
        let mut classes: Vec<String> = Vec::new();
        for (k, c) in pairs {
            let (k, c) = (k.as_ref().trim(), c.as_ref().trim());
            if k.is_empty() || c.is_empty() {
                return Err(bad(format!("empty event key or class in {k:?}={c:?}")));
            }
            if keys.iter().any(|(key, _)| key == k) {
                return Err(bad(format!("event {k:?} is mapped twice")));
            }
            let class = match classes.iter().position(|x| x == c) {
                Some(i) => i,
                None => {
                    classes.push(c.to_string());
                    classes.len().saturating_sub(1)
                }
            };
            keys.push((k.to_string(), class));
        }
        if classes.len() < 2 {
            return Err(bad(format!(
                "{} class(es); at least two are needed",
                classes.len()
            )));
        }
        Ok(Self { keys, classes })
    }

    /// Parses `KEY=CLASS[,KEY=CLASS...]`.
    ///
    /// # Errors
    /// [`RuntimeError::OfflineOption`] for an item without `=`, and as [`Self::new`].
    pub fn parse(text: &str) -> Result<Self, RuntimeError> {
        let pairs = text
            .split(',')
            .map(|item| {
                item.split_once('=')
                    .ok_or_else(|| RuntimeError::OfflineOption {
                        what: "events",
                        message: format!("{item:?} is not KEY=CLASS"),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(&pairs)
    }

    /// Class names, in class-index order.
    #[must_use]
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// The event keys, in the order given.
    #[must_use]
    pub fn keys(&self) -> Vec<&str> {
        self.keys.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The class index of `event`, if a key matches it.
    #[must_use]
    pub fn class_of(&self, event: &Event) -> Option<usize> {
        let text = event.description.trim();
        let code = event.code.map(|c| c.to_string());
        self.keys
            .iter()
            .find(|(k, _)| k == text || code.as_deref() == Some(k.as_str()))
            .map(|&(_, c)| c)
    }
}

/// Parses a short filter chain: stages separated by `;`, each one of
/// `bandpass LOW-HIGH [ORDER]`, `bandstop LOW-HIGH [ORDER]`,
/// `highpass HZ [ORDER]`, `lowpass HZ [ORDER]`, `notch HZ [Q]`, `car`
/// (orders default to 4, Q to 30). The empty text is the empty chain.
///
/// # Errors
/// [`RuntimeError::OfflineOption`] naming the stage that does not parse or
/// that the stage registry rejects.
pub fn parse_filters(text: &str) -> Result<ChainConfig, RuntimeError> {
    let tables = filter_tables(text)?;
    ChainConfig::from_toml(&StageRegistry::builtin(), &tables, "filters").map_err(|e| {
        RuntimeError::OfflineOption {
            what: "filters",
            message: e
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    })
}

/// The `[pipeline] filters` tables of a short filter chain (see
/// [`parse_filters`]), not yet checked by the stage registry.
///
/// # Errors
/// [`RuntimeError::OfflineOption`] naming the stage that does not parse.
pub fn filter_tables(text: &str) -> Result<Vec<toml::Value>, RuntimeError> {
    let bad = |message: String| RuntimeError::OfflineOption {
        what: "filters",
        message,
    };
    let mut tables = Vec::new();
    for stage in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let words: Vec<&str> = stage.split_whitespace().collect();
        let num = |i: usize| -> Result<Option<f64>, RuntimeError> {
            words
                .get(i)
                .map(|w| {
                    w.parse::<f64>()
                        .map_err(|_| bad(format!("{w:?} in {stage:?} is not a number")))
                })
                .transpose()
        };
        let range = || -> Result<(f64, f64), RuntimeError> {
            let w = words.get(1).copied().unwrap_or("");
            let (lo, hi) = w
                .split_once('-')
                .ok_or_else(|| bad(format!("{stage:?} needs LOW-HIGH")))?;
            let p = |x: &str| {
                x.parse::<f64>()
                    .map_err(|_| bad(format!("{x:?} in {stage:?} is not a number")))
            };
            Ok((p(lo)?, p(hi)?))
        };
        let order = |i: usize| -> Result<i64, RuntimeError> { Ok(num(i)?.unwrap_or(4.0) as i64) };
        let mut t = toml::Table::new();
        t.insert("type".into(), words[0].into());
        match words[0] {
            "bandpass" | "bandstop" => {
                let (lo, hi) = range()?;
                t.insert("low_hz".into(), lo.into());
                t.insert("high_hz".into(), hi.into());
                t.insert("order".into(), order(2)?.into());
            }
            "highpass" | "lowpass" => {
                let hz = num(1)?.ok_or_else(|| bad(format!("{stage:?} needs a cutoff")))?;
                t.insert("cutoff_hz".into(), hz.into());
                t.insert("order".into(), order(2)?.into());
            }
            "notch" => {
                let hz = num(1)?.ok_or_else(|| bad(format!("{stage:?} needs a frequency")))?;
                t.insert("freq_hz".into(), hz.into());
                t.insert("q".into(), num(2)?.unwrap_or(30.0).into());
            }
            "car" => {}
            other => return Err(bad(format!("unknown stage {other:?}"))),
        }
        tables.push(toml::Value::Table(t));
    }
    Ok(tables)
}

/// The `[pipeline] filters` of a session config file, as a chain.
///
/// # Errors
/// [`RuntimeError::Io`] if the file cannot be read,
/// [`RuntimeError::OfflineOption`] if it is not TOML or a stage is invalid.
pub fn filters_from_session(path: &std::path::Path) -> Result<ChainConfig, RuntimeError> {
    let text = crate::config::read_config_file(path).map_err(|e| RuntimeError::OfflineOption {
        what: "config",
        message: format!("{}: {e}", path.display()),
    })?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| RuntimeError::OfflineOption {
        what: "config",
        message: format!("{}: {e}", path.display()),
    })?;
    let tables = doc
        .get("pipeline")
        .and_then(|p| p.get("filters"))
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    ChainConfig::from_toml(&StageRegistry::builtin(), &tables, "pipeline.filters").map_err(|e| {
        RuntimeError::OfflineOption {
            what: "config",
            message: e
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    })
}
