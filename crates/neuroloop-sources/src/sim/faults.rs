//! Amplifier faults the simulated headset can inject, for a time span, on
//! chosen channels (`[[source.faults]]`):
//!
//! ```toml
//! [[source.faults]]
//! kind = "rail"          # ±value_uv (default 1e30) with the signal's sign
//! channels = ["C3"]
//! start_s = 70.0
//! duration_s = 3.0
//!
//! [[source.faults]]
//! kind = "saturate"      # pinned at value_uv (required: the full scale)
//! channels = ["Cz"]
//! start_s = 71.0
//! duration_s = 3.0
//! value_uv = 187500.0
//!
//! [[source.faults]]
//! kind = "flat"          # value_uv, or the channel's value at the start
//! channels = ["C4"]
//! start_s = 72.0
//! duration_s = 4.0
//! ```

use neuroloop_core::{ConfigError, StreamSpec};
use serde::Deserialize;

/// What a fault does to its channels.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// A railed or broken amplifier: ±`value_uv` (default 1e30 µV, finite
    /// garbage), the sign following the simulated signal.
    Rail,
    /// An overdriven input pinned at its full scale, `value_uv`.
    Saturate,
    /// A dead channel: `value_uv`, or the value it had when the fault began.
    Flat,
}

/// One `[[source.faults]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// What happens.
    pub kind: FaultKind,
    /// Channel labels affected.
    pub channels: Vec<String>,
    /// Seconds of signal before the fault begins.
    pub start_s: f64,
    /// Seconds the fault lasts.
    pub duration_s: f64,
    /// The value, µV (see [`FaultKind`]).
    #[serde(default)]
    pub value_uv: Option<f64>,
}

/// Longest start or duration of a fault, seconds (one day).
const MAX_FAULT_S: f64 = 86_400.0;

/// Checks every fault against the stream; problems go to `errors` at
/// `path[i].key`.
pub(super) fn preflight(
    faults: &[FaultConfig],
    spec: &StreamSpec,
    path: &str,
    errors: &mut Vec<ConfigError>,
) {
    for (i, f) in faults.iter().enumerate() {
        let mut err = |key: &str, msg: String| {
            errors.push(ConfigError::new(format!("{path}[{i}].{key}"), msg));
        };
        if f.channels.is_empty() {
            err("channels", "name at least one channel".into());
        }
        for (k, label) in f.channels.iter().enumerate() {
            if spec.channel_index(label).is_none() {
                err(
                    &format!("channels[{k}]"),
                    format!("unknown channel label {label:?}"),
                );
            }
        }
        if !(f.start_s >= 0.0 && f.start_s <= MAX_FAULT_S) {
            err(
                "start_s",
                format!("{} must be between 0 and {MAX_FAULT_S} s", f.start_s),
            );
        }
        if !(f.duration_s > 0.0 && f.duration_s <= MAX_FAULT_S) {
            err(
                "duration_s",
                format!("{} must be in (0, {MAX_FAULT_S}] s", f.duration_s),
            );
        }
        match f.value_uv {
            Some(v) if !(v.is_finite() && v.abs() <= f64::from(f32::MAX)) => err(
                "value_uv",
                format!("{v} must be a finite value of at most {:e} µV", f32::MAX),
            ),
            None if f.kind == FaultKind::Saturate => err(
                "value_uv",
                "missing: a saturated channel needs its full-scale value".into(),
            ),
            _ => {}
        }
    }
}

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    channels: Vec<usize>,
    start: u64,
    end: u64,
    value: Option<f32>,
    held: Vec<f32>,
    started: bool,
}

/// Preflighted faults in samples and channel indices, applied to each
/// generated block without allocating.
#[derive(Debug, Clone, Default)]
pub(super) struct Faults(Vec<Fault>);

impl Faults {
    /// Compiles `faults` (already preflighted) for `spec`.
    pub(super) fn new(faults: &[FaultConfig], spec: &StreamSpec) -> Self {
        let fs = spec.sample_rate;
        Self(
            faults
                .iter()
                .map(|f| {
                    let channels: Vec<usize> = f
                        .channels
                        .iter()
                        .filter_map(|l| spec.channel_index(l))
                        .collect();
                    Fault {
                        kind: f.kind,
                        start: (f.start_s * fs).round() as u64,
                        end: ((f.start_s + f.duration_s) * fs).round() as u64,
                        value: f.value_uv.map(|v| v as f32),
                        held: vec![0.0; channels.len()],
                        started: false,
                        channels,
                    }
                })
                .collect(),
        )
    }

    /// Applies the faults to interleaved `data` of `channels` channels
    /// whose first sample is sample `first` of the session.
    pub(super) fn apply(&mut self, data: &mut [f32], first: u64, channels: usize) {
        for f in &mut self.0 {
            for (s, sample) in data.chunks_exact_mut(channels.max(1)).enumerate() {
                let index = first + s as u64;
                if index < f.start || index >= f.end {
                    continue;
                }
                if !f.started {
                    // A flat channel keeps the value it had when the fault began.
                    for (held, &ch) in f.held.iter_mut().zip(&f.channels) {
                        *held = f.value.unwrap_or(sample.get(ch).copied().unwrap_or(0.0));
                    }
                    f.started = true;
                }
                for (&held, &ch) in f.held.iter().zip(&f.channels) {
                    let Some(x) = sample.get_mut(ch) else {
                        continue;
                    };
                    *x = match f.kind {
                        FaultKind::Rail => f.value.unwrap_or(1e30).copysign(*x),
                        FaultKind::Saturate => f.value.unwrap_or(f32::MAX),
                        FaultKind::Flat => held,
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use neuroloop_core::ChannelSpec;

    use super::*;

    fn spec() -> StreamSpec {
        StreamSpec {
            name: "t".into(),
            channels: ["C3", "Cz", "C4"].map(ChannelSpec::eeg).to_vec(),
            sample_rate: 10.0,
            block_size: 4,
        }
    }

    fn fault(kind: FaultKind, label: &str, value_uv: Option<f64>) -> FaultConfig {
        FaultConfig {
            kind,
            channels: vec![label.into()],
            start_s: 0.2,
            duration_s: 0.3,
            value_uv,
        }
    }

    #[test]
    fn faults_change_their_channels_for_their_span_only() {
        let configs = [
            fault(FaultKind::Rail, "C3", None),
            fault(FaultKind::Saturate, "cz", Some(187_500.0)),
            fault(FaultKind::Flat, "C4", None),
        ];
        let mut faults = Faults::new(&configs, &spec());
        // Samples 0..8, split over two blocks; the span is samples 2..5.
        let mut data: Vec<f32> = (0..24)
            .map(|v| if v % 2 == 0 { v as f32 } else { -v as f32 })
            .collect();
        let original = data.clone();
        let (a, b) = data.split_at_mut(12);
        faults.apply(a, 0, 3);
        faults.apply(b, 4, 3);
        for s in 0..8 {
            let got = &data[s * 3..s * 3 + 3];
            let was = &original[s * 3..s * 3 + 3];
            if (2..5).contains(&s) {
                assert_eq!(got[0], 1e30f32.copysign(was[0]), "sample {s}");
                assert_eq!(got[1], 187_500.0);
                assert_eq!(got[2], original[2 * 3 + 2], "flat at its start value");
            } else {
                assert_eq!(got, was, "sample {s} untouched");
            }
        }
    }

    #[test]
    fn preflight_names_each_bad_key() {
        let mut bad = fault(FaultKind::Saturate, "Fp1", None);
        bad.start_s = -1.0;
        bad.duration_s = f64::NAN;
        let mut rail = fault(FaultKind::Rail, "C3", Some(f64::INFINITY));
        rail.channels.clear();
        let mut errors = Vec::new();
        preflight(&[bad, rail], &spec(), "source.faults", &mut errors);
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for expected in [
            "source.faults[0].channels[0]",
            "source.faults[0].start_s",
            "source.faults[0].duration_s",
            "source.faults[0].value_uv: missing",
            "source.faults[1].channels",
            "source.faults[1].value_uv: inf must be a finite value",
        ] {
            assert!(
                text.iter().any(|t| t.starts_with(expected)),
                "{expected}: {text:?}"
            );
        }
        assert_eq!(text.len(), 6, "{text:?}");
    }
}
