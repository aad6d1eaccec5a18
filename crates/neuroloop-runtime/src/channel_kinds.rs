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

/// The known kinds, in their canonical spelling: the biosignals
/// ([`neuroloop_core::spec::BIOSIGNAL_KINDS`], whose unit a stream must
/// share with the profile) first.
pub const KINDS: &[&str] = &[
    "EEG",
    "EOG",
    "EMG",
    "ECG",
    "ExG",
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

/// The known kind `kind` names (case-insensitive), in its canonical
/// spelling.
///
/// # Errors
/// A message listing the known kinds.
pub fn canonical_kind(kind: &str) -> Result<&'static str, String> {
    KINDS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(kind))
        .copied()
        .ok_or_else(|| {
            format!(
                "unknown channel kind {kind:?} (known: {})",
                KINDS.join(", ")
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
