//! Checks a resolved LSL stream against the hardware profile's stream spec.

use neuroloop_core::StreamSpec;
use neuroloop_lsl::{ChannelDesc, ChannelFormat};

/// What a stream says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamFacts {
    /// Stream name (for messages).
    pub name: String,
    /// Channel count.
    pub channels: usize,
    /// Nominal rate in Hz (0: irregular).
    pub rate: f64,
    /// Value format.
    pub format: ChannelFormat,
    /// Channel descriptions (may be empty: the stream describes none).
    pub desc: Vec<ChannelDesc>,
}

/// Canonical spelling of a unit, so `uV`, `µV` and `microvolts` agree.
fn unit_key(unit: &str) -> String {
    match unit.trim().to_ascii_lowercase().as_str() {
        "uv" | "µv" | "μv" | "microvolt" | "microvolts" => "microvolts".into(),
        "v" | "volt" | "volts" => "volts".into(),
        "mv" | "millivolt" | "millivolts" => "millivolts".into(),
        other => other.into(),
    }
}

/// Every mismatch between the stream and the profile, as messages that say
/// what the stream has and what the profile expects. Labels and units are
/// compared only where the stream describes them.
#[must_use]
pub fn check_stream(facts: &StreamFacts, spec: &StreamSpec) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &facts.name;
    if facts.channels != spec.channel_count() {
        problems.push(format!(
            "stream {name:?} has {} channels; the hardware profile {:?} has {}",
            facts.channels,
            spec.name,
            spec.channel_count()
        ));
    }
    let rate_ok = (facts.rate - spec.sample_rate).abs() <= 1e-6 * spec.sample_rate;
    if !rate_ok {
        problems.push(format!(
            "stream {name:?} has a nominal rate of {} Hz{}; the hardware profile expects {} Hz",
            facts.rate,
            if facts.rate == 0.0 {
                " (irregular)"
            } else {
                ""
            },
            spec.sample_rate
        ));
    }
    if !facts.format.is_numeric() {
        problems.push(format!(
            "stream {name:?} carries {:?} values, not numbers",
            facts.format
        ));
    }
    if facts.desc.len() == facts.channels && facts.channels == spec.channel_count() {
        for (i, (d, s)) in facts.desc.iter().zip(&spec.channels).enumerate() {
            if !d.label.is_empty() && !d.label.eq_ignore_ascii_case(&s.label) {
                problems.push(format!(
                    "stream {name:?} channel {i} is labelled {:?}; the profile has {:?}",
                    d.label, s.label
                ));
            }
            // A trigger word, a counter or a motion channel has a unit of
            // its own; the biosignals' must be the profile's.
            if s.is_biosignal() && !d.unit.is_empty() && unit_key(&d.unit) != unit_key(&s.unit) {
                problems.push(format!(
                    "stream {name:?} channel {i} ({}) is in {:?}; the profile expects {:?}",
                    s.label, d.unit, s.unit
                ));
            }
        }
    } else if !facts.desc.is_empty() && facts.channels == spec.channel_count() {
        problems.push(format!(
            "stream {name:?} describes {} channels but carries {}",
            facts.desc.len(),
            facts.channels
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuroloop_core::ChannelSpec;

    fn spec() -> StreamSpec {
        StreamSpec {
            name: "p".into(),
            channels: vec![ChannelSpec::eeg("C3"), ChannelSpec::eeg("C4")],
            sample_rate: 250.0,
            block_size: 10,
        }
    }

    /// A 2-channel stream at `rate` with `desc`.
    fn facts(rate: f64, format: ChannelFormat, desc: Vec<ChannelDesc>) -> StreamFacts {
        StreamFacts {
            name: "s".into(),
            channels: 2,
            rate,
            format,
            desc,
        }
    }

    fn desc(label: &str, unit: &str) -> ChannelDesc {
        ChannelDesc {
            label: label.into(),
            unit: unit.into(),
            kind: "EEG".into(),
        }
    }

    #[test]
    fn matching_stream_passes_and_units_are_canonical() {
        let facts = facts(
            250.0,
            ChannelFormat::Float32,
            vec![desc("c3", "uV"), desc("C4", "microvolts")],
        );
        assert!(check_stream(&facts, &spec()).is_empty());
    }

    #[test]
    fn only_biosignal_channels_must_be_in_the_profiles_unit() {
        let mut profile = spec();
        profile.channels[1].kind = "Accelerometer".into();
        let facts = facts(
            250.0,
            ChannelFormat::Float32,
            vec![desc("C3", "volts"), desc("C4", "milliGs")],
        );
        let problems = check_stream(&facts, &profile);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("(C3) is in \"volts\""), "{problems:?}");
    }

    #[test]
    fn every_mismatch_is_reported() {
        let facts = facts(
            500.0,
            ChannelFormat::String,
            vec![desc("Fz", "uV"), desc("C4", "volts")],
        );
        let problems = check_stream(&facts, &spec());
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("500 Hz"));
        assert!(problems[2].contains("\"Fz\""));
        assert!(problems[3].contains("\"volts\""));
    }
}
