//! What each channel of a headset's stream carries, in the words of the
//! XDF/LSL channel metadata (`type`).
//!
//! A profile gives one kind for its channels (`channel_kind`, default
//! `EEG`) and the exceptions by label:
//!
//! ```toml
//! channels = ["Trig1", "Fp1", "AF3", "F7"]
//! [channel_kinds]
//! Trig1 = "Trigger"
//! ```
//!
//! A session decodes the channels of the profile's `channel_kind`; the
//! exceptions (trigger words, counters, timestamps, motion, auxiliary
//! inputs, external electrodes) only when `[pipeline] channels` names them.

use neuroloop_core::spec::BIOSIGNAL_KINDS;

/// The kinds besides the biosignals
/// ([`neuroloop_core::spec::BIOSIGNAL_KINDS`], whose unit a stream must
/// share with the profile), in their canonical spelling.
pub const OTHER_KINDS: &[&str] = &[
    "AUX",
    "Trigger",
    "Counter",
    "Timestamp",
    "Markers",
    "Accelerometer",
    "Gyroscope",
    "Battery",
    "Quality",
    "Misc",
];

/// Every known kind: the biosignals, then the others.
fn known() -> impl Iterator<Item = &'static str> {
    BIOSIGNAL_KINDS.iter().chain(OTHER_KINDS).copied()
}

/// The known kind `kind` names (case-insensitive), in its canonical
/// spelling.
///
/// # Errors
/// A message listing the known kinds.
pub fn canonical_kind(kind: &str) -> Result<&'static str, String> {
    known()
        .find(|known| known.eq_ignore_ascii_case(kind))
        .ok_or_else(|| {
            format!(
                "unknown channel kind {kind:?} (known: {})",
                known().collect::<Vec<_>>().join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_known_in_any_case() {
        assert_eq!(canonical_kind("trigger"), Ok("Trigger"));
        assert_eq!(canonical_kind("EXG"), Ok("ExG"));
        let unknown = canonical_kind("Stim").unwrap_err();
        assert!(
            unknown.contains("\"Stim\"") && unknown.contains("Counter"),
            "{unknown}"
        );
    }
}
