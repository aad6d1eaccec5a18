//! Every difference between what a bundle expects and what a session
//! provides, each with a message saying what differs.

use serde_json::Value;

use super::{Bundle, WindowDescription};

/// One difference between a bundle and a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What differs: `channels`, `sample_rate`, `window_samples`,
    /// `windows` or `filters`.
    pub field: &'static str,
    /// The difference in words, e.g. "channel 3 is C4 in the bundle but
    /// Cz in the stream".
    pub message: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Bundle {
    /// Compares the bundle with a session: the channel labels after the
    /// filters (in order; letter case is ignored), the sample rate, the window length in samples
    /// and the filter chain (`[pipeline] filters` tables in JSON form;
    /// numbers compare by value, so `4` equals `4.0`).
    ///
    /// Returns every difference; empty when the session fits.
    #[must_use]
    pub fn check_against(
        &self,
        channels: &[String],
        sample_rate: f64,
        window_samples: usize,
        filters: &[Value],
    ) -> Vec<Mismatch> {
        let m = self.manifest();
        let mut out = Vec::new();
        let mut push = |field, message: String| out.push(Mismatch { field, message });
        if m.channels.len() != channels.len() {
            push(
                "channels",
                format!(
                    "the bundle expects {} channels, the stream has {}",
                    m.channels.len(),
                    channels.len()
                ),
            );
        }
        for (i, (ours, theirs)) in m.channels.iter().zip(channels).enumerate() {
            if !ours.eq_ignore_ascii_case(theirs) {
                push(
                    "channels",
                    format!("channel {i} is {ours} in the bundle but {theirs} in the stream"),
                );
            }
        }
        if (m.sample_rate - sample_rate).abs() > 1e-9 * m.sample_rate.max(1.0) {
            push(
                "sample_rate",
                format!(
                    "the bundle was trained at {} Hz, the stream runs at {sample_rate} Hz",
                    m.sample_rate
                ),
            );
        }
        if m.window_samples != window_samples {
            push(
                "window_samples",
                format!(
                    "the bundle takes windows of {} samples, the session makes windows of \
                     {window_samples}",
                    m.window_samples
                ),
            );
        }
        let ours = &m.preprocessing.filters;
        if ours.len() != filters.len() {
            push(
                "filters",
                format!(
                    "the bundle was trained behind {} filters ({}), the session has {} ({})",
                    ours.len(),
                    describe(ours),
                    filters.len(),
                    describe(filters)
                ),
            );
        } else {
            for (i, (a, b)) in ours.iter().zip(filters).enumerate() {
                if !same(a, b) {
                    push(
                        "filters",
                        format!("filter {i} is {a} in the bundle but {b} in the session"),
                    );
                }
            }
        }
        out
    }
}

impl Bundle {
    /// Compares how the bundle's windows are cut with how a session with
    /// `sample_rate` cuts them: both at a fixed hop, or both locked to
    /// events with offsets within half a sample period.
    #[must_use]
    pub fn check_windows(&self, session: &WindowDescription, sample_rate: f64) -> Option<Mismatch> {
        let ours = &self.manifest().windows;
        let half = 0.5 / sample_rate.max(f64::MIN_POSITIVE);
        let message = match (ours, session) {
            (WindowDescription::Hop, WindowDescription::Hop) => return None,
            (
                WindowDescription::Events { offset_s: a },
                WindowDescription::Events { offset_s: b },
            ) if (a - b).abs() <= half => {
                return None;
            }
            (
                WindowDescription::Events { offset_s: a },
                WindowDescription::Events { offset_s: b },
            ) => {
                format!(
                    "the bundle's event windows start {a} s after each event, the session's {b} s"
                )
            }
            (WindowDescription::Events { offset_s }, WindowDescription::Hop) => format!(
                "the bundle was trained on event-locked windows (starting {offset_s} s after each \
                 event); set pipeline.windows = \"events\""
            ),
            (WindowDescription::Hop, WindowDescription::Events { .. }) => {
                "the bundle was trained on windows at a fixed hop; the session cuts event-locked \
                 windows"
                    .to_string()
            }
        };
        Some(Mismatch {
            field: "windows",
            message,
        })
    }
}

/// The filter types in order, e.g. `bandpass, car`.
fn describe(filters: &[Value]) -> String {
    if filters.is_empty() {
        return "none".into();
    }
    filters
        .iter()
        .map(|f| {
            f.get("type")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Structural equality with numbers compared by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
