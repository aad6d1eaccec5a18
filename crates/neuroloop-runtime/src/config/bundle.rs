//! `[decoder] type = "bundle"`: the bundle is loaded and every difference
//! between what it expects and what the session provides is an error at
//! `decoder.path`.

use std::path::Path;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_decode::bundle::Bundle;

use super::sections::DecoderSection;

/// What the session feeds its decoder.
pub(super) struct SessionShape<'a> {
    /// The stream after the filters.
    pub(super) stream: &'a StreamSpec,
    /// Samples per window.
    pub(super) window_samples: usize,
    /// How windows are cut.
    pub(super) windows: &'a super::WindowMode,
    /// The session's classes (paradigm or source).
    pub(super) classes: &'a [String],
    /// `[pipeline] filters`, as written.
    pub(super) filters: &'a [toml::Value],
}

/// Loads the bundle and compares it with the session.
pub(super) fn check_bundle(
    d: &DecoderSection,
    config_path: &Path,
    session: &SessionShape<'_>,
    errors: &mut Vec<ConfigError>,
) {
    if d.save_bundle.is_some() {
        errors.push(ConfigError::new(
            "decoder.save_bundle",
            "a bundle decoder is not trained in the session, so there is nothing to save",
        ));
    }
    if !d.bands_hz.is_empty() || d.calibration_s != 0.0 {
        errors.push(ConfigError::new(
            "decoder",
            "bands_hz and calibration_s belong to a bandpower decoder; a bundle brings its own",
        ));
    }
    let Some(dir) = d.bundle_dir(config_path) else {
        errors.push(ConfigError::new(
            "decoder.path",
            "a bundle decoder needs the bundle directory",
        ));
        return;
    };
    let bundle = match Bundle::load_with(&dir, &d.decoders) {
        Ok(b) => b,
        Err(e) => {
            errors.push(ConfigError::new("decoder.path", e.to_string()));
            return;
        }
    };
    if session.window_samples == 0 {
        return; // the window length is already reported
    }
    let channels: Vec<String> = session
        .stream
        .channels
        .iter()
        .map(|c| c.label.clone())
        .collect();
    let filters: Vec<serde_json::Value> = session
        .filters
        .iter()
        .map(|t| serde_json::to_value(t).unwrap_or(serde_json::Value::Null))
        .collect();
    let at = format!("decoder.path ({})", dir.display());
    for m in bundle.check_against(
        &channels,
        session.stream.sample_rate,
        session.window_samples,
        &filters,
    ) {
        errors.push(ConfigError::new(at.clone(), m.message));
    }
    let description = session.windows.description();
    if let Some(m) = bundle.check_windows(&description, session.stream.sample_rate) {
        errors.push(ConfigError::new(at.clone(), m.message));
    }
    let classes = &bundle.manifest().classes;
    if classes.as_slice() != session.classes {
        errors.push(ConfigError::new(
            at,
            format!(
                "the bundle's classes {classes:?} differ from the session's {:?}",
                session.classes
            ),
        ));
    }
}
