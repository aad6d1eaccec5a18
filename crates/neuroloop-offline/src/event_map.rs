//! The event → class mapping of offline epochs (`T1=hands,T2=feet`,
//! `33025=13Hz`, `2=target`).

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_formats::Event;

use crate::OfflineError;

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
    /// [`OfflineError::Option`] for an empty key or class, a key given
    /// twice, or fewer than two classes.
    pub fn new<K: AsRef<str>, C: AsRef<str>>(pairs: &[(K, C)]) -> Result<Self, OfflineError> {
        let bad = |message: String| OfflineError::Option {
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
    /// [`OfflineError::Option`] for an item without `=`, and as [`Self::new`].
    pub fn parse(text: &str) -> Result<Self, OfflineError> {
        let pairs = text
            .split(',')
            .map(|item| {
                item.split_once('=').ok_or_else(|| OfflineError::Option {
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
