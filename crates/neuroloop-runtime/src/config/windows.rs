//! `[pipeline]` windows: at a fixed hop (`window_s`, `hop_s`), or one
//! window locked to each marker (`windows = "events"`, `event_offset_s`,
//! `event_length_s`, `event_markers`).
//!
//! A session whose decoder is a bundle trained on event-locked epochs may
//! leave out the offset and length, or every window key: they are the
//! bundle's.

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_decode::bundle::WindowDescription;

use super::bounds;
use super::sections::PipelineSection;
use super::validate::samples_of;

/// Most markers waiting for their windows at once; more are counted as
/// overflowed.
pub const EVENT_QUEUE: usize = 256;
/// Calibration in event mode keeps room for events at up to this rate;
/// beyond it the oldest windows are replaced.
pub const MAX_EVENT_RATE_HZ: f64 = 10.0;
/// Bound of `event_offset_s`, seconds either side of the marker.
pub const MAX_EVENT_OFFSET_S: f64 = 60.0;

/// How a session cuts its analysis windows.
#[derive(Debug, Clone, PartialEq)]
pub enum WindowMode {
    /// A window every `hop_samples` (`pipeline.window_s`, `pipeline.hop_s`).
    Hop,
    /// One window per selected marker.
    Events(EventLocking),
}

/// `windows = "events"`: where each window lies around its marker and
/// which markers lock one.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLocking {
    /// Seconds from the marker to the window's first sample (negative:
    /// before the marker).
    pub offset_s: f64,
    /// Class indices whose markers lock windows; every labelled marker
    /// (code ≥ 0) when empty.
    pub classes: Vec<usize>,
}

impl EventLocking {
    /// Whether a marker with `code` locks a window.
    #[must_use]
    pub fn selects(&self, code: i32) -> bool {
        usize::try_from(code).is_ok_and(|c| self.classes.is_empty() || self.classes.contains(&c))
    }
}

impl WindowMode {
    /// The form a bundle records.
    #[must_use]
    pub fn description(&self) -> WindowDescription {
        match self {
            Self::Hop => WindowDescription::Hop,
            Self::Events(e) => WindowDescription::Events {
                offset_s: e.offset_s,
            },
        }
    }
}

/// The windows as validated: mode, length and hop in samples (the hop is
/// the window length in event mode, where there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPlan {
    /// At a fixed hop or locked to markers.
    pub mode: WindowMode,
    /// Window length in samples.
    pub window_samples: usize,
    /// Hop in samples (the window length in event mode).
    pub hop_samples: usize,
}

/// Checks the window keys of `[pipeline]`; `bundle` is what a bundle
/// decoder records (its windows and their length), if any.
pub(super) fn check_windows(
    p: &PipelineSection,
    spec: &StreamSpec,
    classes: &[String],
    bundle: Option<(WindowDescription, usize)>,
    errors: &mut Vec<ConfigError>,
) -> WindowPlan {
    let from_bundle = match bundle {
        Some((WindowDescription::Events { offset_s }, samples)) => Some((offset_s, samples)),
        _ => None,
    };
    let events = match p.windows.as_deref() {
        // A bundle trained on event-locked windows decodes event-locked
        // unless the session sets a window of its own.
        None => from_bundle.is_some() && p.window_s.is_none() && p.hop_s.is_none(),
        Some("hop") => false,
        Some("events") => true,
        Some(other) => {
            errors.push(ConfigError::new(
                "pipeline.windows",
                format!("unknown window mode {other:?} (known: hop, events)"),
            ));
            return WindowPlan {
                mode: WindowMode::Hop,
                window_samples: 0,
                hop_samples: 0,
            };
        }
    };
    if events {
        event_windows(p, spec.sample_rate, classes, from_bundle, errors)
    } else {
        hop_windows(p, spec.sample_rate, errors)
    }
}

/// An error at `pipeline.key` if a key of the other mode is present.
fn refuse(errors: &mut Vec<ConfigError>, key: &str, present: bool, mode: &str) {
    if present {
        errors.push(ConfigError::new(
            format!("pipeline.{key}"),
            format!("belongs to windows = {mode:?}"),
        ));
    }
}

/// `windows = "hop"`: `window_s` and `hop_s`, both required.
fn hop_windows(p: &PipelineSection, fs: f64, errors: &mut Vec<ConfigError>) -> WindowPlan {
    refuse(
        errors,
        "event_offset_s",
        p.event_offset_s.is_some(),
        "events",
    );
    refuse(
        errors,
        "event_length_s",
        p.event_length_s.is_some(),
        "events",
    );
    refuse(errors, "event_markers", p.event_markers.is_some(), "events");
    let mut required = |key: &str, value: Option<f64>| match value {
        Some(s) => samples_of(s, fs, &format!("pipeline.{key}"), errors),
        None => {
            errors.push(ConfigError::new(
                format!("pipeline.{key}"),
                "missing (windows at a fixed hop need window_s and hop_s)",
            ));
            0
        }
    };
    let window_samples = required("window_s", p.window_s);
    let hop_samples = required("hop_s", p.hop_s);
    WindowPlan {
        mode: WindowMode::Hop,
        window_samples,
        hop_samples,
    }
}

/// `windows = "events"`: offset and length (or the bundle's), markers.
fn event_windows(
    p: &PipelineSection,
    fs: f64,
    classes: &[String],
    from_bundle: Option<(f64, usize)>,
    errors: &mut Vec<ConfigError>,
) -> WindowPlan {
    const MISSING: &str = "missing (event windows need event_offset_s and event_length_s, \
                           unless a bundle trained on event-locked windows brings them)";
    refuse(errors, "window_s", p.window_s.is_some(), "hop");
    refuse(errors, "hop_s", p.hop_s.is_some(), "hop");
    let offset_s = match (p.event_offset_s, from_bundle) {
        (Some(s), _) => {
            let (path, bound) = ("pipeline.event_offset_s", MAX_EVENT_OFFSET_S);
            bounds::float(errors, path, s, -bound, bound, "seconds");
            s
        }
        (None, Some((s, _))) => s,
        (None, None) => {
            errors.push(ConfigError::new("pipeline.event_offset_s", MISSING));
            0.0
        }
    };
    let window_samples = match (p.event_length_s, from_bundle) {
        (Some(s), _) => samples_of(s, fs, "pipeline.event_length_s", errors),
        (None, Some((_, n))) => n,
        (None, None) => {
            errors.push(ConfigError::new("pipeline.event_length_s", MISSING));
            0
        }
    };
    let classes = event_classes(p.event_markers.as_deref(), classes, errors);
    WindowPlan {
        mode: WindowMode::Events(EventLocking { offset_s, classes }),
        window_samples,
        hop_samples: window_samples,
    }
}

/// `event_markers`: class names, each a class of the session, once.
fn event_classes(
    names: Option<&[String]>,
    classes: &[String],
    errors: &mut Vec<ConfigError>,
) -> Vec<usize> {
    let Some(names) = names else {
        return Vec::new();
    };
    if names.is_empty() {
        errors.push(ConfigError::new(
            "pipeline.event_markers",
            "is empty; leave it out to lock a window to every labelled marker",
        ));
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let path = format!("pipeline.event_markers[{i}]");
        match classes.iter().position(|c| c == name) {
            Some(c) if out.contains(&c) => {
                errors.push(ConfigError::new(path, format!("{name:?} is listed twice")));
            }
            Some(c) => out.push(c),
            None => errors.push(ConfigError::new(
                path,
                format!(
                    "{name:?} is not a class of the session (classes: {})",
                    classes.join(", ")
                ),
            )),
        }
    }
    out
}
