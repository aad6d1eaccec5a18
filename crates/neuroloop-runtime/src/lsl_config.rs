//! `[lsl]`: liblsl's network configuration for the session.
//!
//! `intents_outlet` names the LSL stream intents are published on;
//! `filtered_outlet` the float32 stream of the filtered signal.
//! The settings are applied (through `lsl_set_config_content`) when liblsl is first loaded,
//! before any other LSL call; sessions that use no LSL feature never load
//! liblsl.

use neuroloop_core::ConfigError;
use neuroloop_lsl::{Scope, Settings};
use serde::Deserialize;

/// `[lsl]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LslSection {
    /// `"machine"` (default: this host only, no multicast) or `"lab"`
    /// (liblsl's network-wide discovery).
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Hosts asked directly during discovery.
    #[serde(default = "default_peers")]
    pub known_peers: Vec<String>,
    /// Use IPv6 as well as IPv4.
    #[serde(default)]
    pub ipv6: bool,
    /// Name of the LSL marker stream that carries every intent (one JSON
    /// protocol line per sample); none if unset.
    #[serde(default)]
    pub intents_outlet: Option<String>,
    /// Name of the LSL stream that carries the pipeline's filtered samples
    /// (float32, channel labels in its description); none if unset.
    #[serde(default)]
    pub filtered_outlet: Option<String>,
}

fn default_scope() -> String {
    "machine".into()
}
fn default_peers() -> Vec<String> {
    vec!["127.0.0.1".into()]
}

impl Default for LslSection {
    fn default() -> Self {
        Self {
            scope: default_scope(),
            known_peers: default_peers(),
            ipv6: false,
            intents_outlet: None,
            filtered_outlet: None,
        }
    }
}

impl LslSection {
    /// Checks the section.
    pub fn check(&self, errors: &mut Vec<ConfigError>) {
        if !["machine", "lab"].contains(&self.scope.as_str()) {
            errors.push(ConfigError::new(
                "lsl.scope",
                format!("unknown scope {:?} (known: machine, lab)", self.scope),
            ));
        }
        for (path, name) in [
            ("lsl.intents_outlet", &self.intents_outlet),
            ("lsl.filtered_outlet", &self.filtered_outlet),
        ] {
            if name
                .as_deref()
                .is_some_and(|n| n.trim().is_empty() || n.contains('\0'))
            {
                errors.push(ConfigError::new(path, "must be a non-empty stream name"));
            }
        }
        if self.intents_outlet.is_some() && self.intents_outlet == self.filtered_outlet {
            errors.push(ConfigError::new(
                "lsl.filtered_outlet",
                "must differ from lsl.intents_outlet",
            ));
        }
        for (i, peer) in self.known_peers.iter().enumerate() {
            if peer.trim().is_empty() || peer.contains([',', '{', '}', '\n']) {
                errors.push(ConfigError::new(
                    format!("lsl.known_peers[{i}]"),
                    format!("{peer:?} is not a host name or address"),
                ));
            }
        }
    }

    /// liblsl's settings.
    #[must_use]
    pub fn settings(&self) -> Settings {
        Settings {
            scope: if self.scope == "lab" {
                Scope::Lab
            } else {
                Scope::Machine
            },
            known_peers: self.known_peers.clone(),
            ipv6: self.ipv6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_this_machine_only() {
        let s = LslSection::default().settings();
        assert_eq!(s, Settings::default());
        assert_eq!(s.scope, Scope::Machine);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let section: LslSection = toml::from_str(
            "scope = \"everywhere\"\nknown_peers = [\"10.0.0.2\", \"\"]\nintents_outlet = \" \"\n\
             filtered_outlet = \"\"",
        )
        .expect("parses");
        let mut errors = Vec::new();
        section.check(&mut errors);
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "lsl.scope",
                "lsl.intents_outlet",
                "lsl.filtered_outlet",
                "lsl.known_peers[1]"
            ]
        );
        let same: LslSection =
            toml::from_str("intents_outlet = \"x\"\nfiltered_outlet = \"x\"").expect("parses");
        let mut errors = Vec::new();
        same.check(&mut errors);
        assert_eq!(errors[0].path, "lsl.filtered_outlet");
    }

    #[test]
    fn lab_scope_maps_to_network_discovery() {
        let section: LslSection = toml::from_str("scope = \"lab\"\nipv6 = true").expect("parses");
        let mut errors = Vec::new();
        section.check(&mut errors);
        assert!(errors.is_empty());
        let s = section.settings();
        assert_eq!((s.scope, s.ipv6), (Scope::Lab, true));
    }
}
