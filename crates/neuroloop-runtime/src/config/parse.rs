//! The one pass over a session file: every section parsed, checked and
//! assembled into a [`ValidatedSession`], or every problem found.

use std::path::Path;
use std::sync::Arc;

use neuroloop_core::ConfigError;
use neuroloop_decode::fit::DecoderRegistry;
use serde::de::DeserializeOwned;

use super::ValidatedSession;
use super::bundle::{SessionShape, check_bundle};
use super::memory::{MAX_MEMORY_MB, MemoryEstimate};
use super::sections::{
    DecoderSection, PipelineSection, PolicySection, PublishSection, SessionSection,
};
use super::sources::{SourceSection, parse_source};
use super::validate::{check_decoder, check_filters, check_policy, check_publish};
use super::windows::{WindowMode, check_windows};
use super::{bounds, keypath};
use crate::lsl_config::LslSection;
use crate::profile::{HardwareProfile, resolve_profile_path};

/// Validates a session config given as text; `path` locates the hardware
/// profile and names the file in errors.
///
/// # Errors
/// Every problem found.
pub fn parse(text: &str, path: &Path) -> Result<ValidatedSession, Vec<ConfigError>> {
    parse_with_decoders(text, path, Arc::new(DecoderRegistry::builtin()))
}

/// [`parse`] with the decoder architectures of `decoders` (for
/// `[decoder] type` and the bundles it loads) instead of the built-in
/// ones; the validated `[decoder]` keeps them.
///
/// # Errors
/// Every problem found.
pub fn parse_with_decoders(
    text: &str,
    path: &Path,
    decoders: Arc<DecoderRegistry>,
) -> Result<ValidatedSession, Vec<ConfigError>> {
    let root: toml::Table = toml::from_str(text).map_err(|e| {
        vec![ConfigError::new(
            path.display().to_string(),
            format!("not valid TOML: {}", e.message()),
        )]
    })?;
    let mut errors = Vec::new();
    for key in root.keys() {
        if ![
            "session", "source", "pipeline", "decoder", "policy", "publish", "lsl",
        ]
        .contains(&key.as_str())
        {
            errors.push(ConfigError::new(
                key.clone(),
                "unknown section (known: session, source, pipeline, decoder, policy, publish, lsl)",
            ));
        }
    }
    let session: Option<SessionSection> = section(text, &root, "session", &mut errors, None);
    let pipeline: Option<PipelineSection> = section(text, &root, "pipeline", &mut errors, None);
    let decoder: Option<DecoderSection> = section(text, &root, "decoder", &mut errors, None)
        .map(|d: DecoderSection| DecoderSection { decoders, ..d });
    let policy: Option<PolicySection> = section(
        text,
        &root,
        "policy",
        &mut errors,
        Some(PolicySection::default()),
    );
    let mut publish: Option<PublishSection> = section(
        text,
        &root,
        "publish",
        &mut errors,
        Some(PublishSection::default()),
    );
    let source: Option<SourceSection> = parse_source(text, &root, path, &mut errors);
    let lsl: Option<LslSection> =
        section(text, &root, "lsl", &mut errors, Some(LslSection::default()));
    if let Some(l) = &lsl {
        l.check(&mut errors);
    }

    let profile = session
        .as_ref()
        .and_then(|s| session_profile(s, source.as_ref(), path, &mut errors));
    let input = profile.as_ref().map(HardwareProfile::stream_spec);

    if let (Some(s), Some(spec)) = (&session, &input) {
        bounds::int(
            &mut errors,
            "session.max_memory_mb",
            s.max_memory_mb,
            1,
            MAX_MEMORY_MB,
        );
        if !(s.ring_s >= 2.0 && s.ring_s <= 60.0) {
            errors.push(ConfigError::new(
                "session.ring_s",
                format!("{} must be between 2 and 60 seconds", s.ring_s),
            ));
        }
        if let (Some(source), Some(p)) = (&source, &profile) {
            check_source(source, p, spec, &mut errors);
        }
    }

    let artifacts = match (&pipeline, &profile, &input) {
        (Some(p), Some(profile), Some(spec)) => {
            crate::artifacts::artifact_config(p.artifacts.as_ref(), profile, spec, &mut errors)
        }
        _ => None,
    };
    let (filters, filtered) = match (&pipeline, &input) {
        (Some(p), Some(spec)) => check_filters(&p.filters, spec, &mut errors),
        _ => (None, None),
    };

    let classes = match &source {
        Some(SourceSection::Sim(sim)) => sim.paradigm.classes(),
        Some(SourceSection::Lsl(lsl)) => lsl.classes.clone(),
        Some(SourceSection::Replay(replay)) => replay.config.classes.clone(),
        None => Vec::new(),
    };
    let bundle_windows = decoder.as_ref().and_then(|d| bundle_windows(d, path));
    let (mut windows, mut window_samples, mut hop_samples) = (WindowMode::Hop, 0, 0);
    if let (Some(p), Some(spec)) = (&pipeline, &input) {
        let w = check_windows(p, spec, &classes, bundle_windows, &mut errors);
        (windows, window_samples, hop_samples) = (w.mode, w.window_samples, w.hop_samples);
    }
    if let (Some(d), Some(spec)) = (&decoder, &filtered) {
        if d.is_bundle() {
            let tables = pipeline.as_ref().map_or(&[][..], |p| &p.filters[..]);
            let session = SessionShape {
                stream: spec,
                window_samples,
                windows: &windows,
                classes: &classes,
                filters: tables,
            };
            check_bundle(d, path, &session, &mut errors);
        } else {
            check_decoder(d, spec, window_samples, &classes, &mut errors);
        }
    }
    if let Some(p) = &policy {
        check_policy(p, &mut errors);
    }
    let publish_addr = publish.as_ref().and_then(|p| check_publish(p, &mut errors));
    if let (Some(p), Some(spec)) = (publish.as_mut(), &input) {
        // Event mode has no hop: one window length stands for it.
        let hop_s = pipeline
            .as_ref()
            .and_then(|pl| pl.hop_s)
            .unwrap_or(hop_samples as f64 / spec.sample_rate);
        super::publish_timing::check_publish_timing(p, hop_s, &mut errors);
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(session),
        Some(profile),
        Some(input),
        Some(source),
        Some(filters),
        Some(filtered),
        Some(decoder),
        Some(policy),
        Some(publish),
        Some(publish_addr),
    ) = (
        session,
        profile,
        input,
        source,
        filters,
        filtered,
        decoder,
        policy,
        publish,
        publish_addr,
    )
    else {
        return Err(vec![ConfigError::new(
            path.display().to_string(),
            "incomplete configuration",
        )]);
    };
    let ring_samples = (session.ring_s * input.sample_rate).ceil() as usize;
    let filter_tables = pipeline.map(|p| p.filters).unwrap_or_default();
    let validated = ValidatedSession {
        ring_samples,
        session,
        profile,
        input,
        source,
        filters,
        filter_tables,
        filtered,
        artifacts: artifacts.unwrap_or_default(),
        windows,
        window_samples,
        hop_samples,
        decoder,
        classes,
        policy,
        publish,
        publish_addr,
        path: path.to_path_buf(),
        lsl: lsl.unwrap_or_default(),
    };
    MemoryEstimate::of(&validated)
        .check(validated.session.max_memory_mb)
        .map_err(|e| vec![e])?;
    Ok(validated)
}

/// The windows a bundle decoder records and their length, read from its
/// manifest (a bundle that cannot be read is reported by its own check).
fn bundle_windows(
    d: &DecoderSection,
    path: &Path,
) -> Option<(neuroloop_decode::bundle::WindowDescription, usize)> {
    let dir = d.is_bundle().then(|| d.bundle_dir(path)).flatten()?;
    let manifest = neuroloop_decode::bundle::Bundle::read_manifest_with(dir, &d.decoders).ok()?;
    Some((manifest.windows, manifest.window_samples))
}

/// The session's hardware profile: the named one, or for a replay source
/// that names none, the recording's.
fn session_profile(
    session: &SessionSection,
    source: Option<&SourceSection>,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<HardwareProfile> {
    let Some(name) = &session.hardware_profile else {
        if let Some(SourceSection::Replay(replay)) = source {
            return Some(replay.profile());
        }
        if source.is_some() {
            errors.push(ConfigError::new(
                "session.hardware_profile",
                "missing (only a replay source can take its stream from its recording)",
            ));
        }
        return None;
    };
    let file = resolve_profile_path(name, path);
    HardwareProfile::load(&file)
        .map_err(|e| {
            errors.push(ConfigError::new(
                "session.hardware_profile",
                format!("profile {name:?} ({}) is invalid:", file.display()),
            ));
            errors.extend(e);
        })
        .ok()
}

/// Checks the source against the profile: its transport (a replay plays
/// any profile's recording, but must match its stream) and its preflight.
fn check_source(
    source: &SourceSection,
    profile: &HardwareProfile,
    spec: &neuroloop_core::StreamSpec,
    errors: &mut Vec<ConfigError>,
) {
    let (kind, preflight) = match source {
        SourceSection::Sim(sim) => ("sim", sim.preflight(spec, "source")),
        SourceSection::Lsl(lsl) => ("lsl", lsl.preflight(spec, "source")),
        SourceSection::Replay(replay) => {
            replay.check_profile(profile, errors);
            return;
        }
    };
    if profile.transport != kind {
        errors.push(ConfigError::new(
            "source.type",
            format!(
                "{kind:?} cannot drive profile {:?}, whose transport is {:?}",
                profile.name, profile.transport
            ),
        ));
    }
    if let Err(e) = preflight {
        errors.extend(e);
    }
}

/// Deserialises `[name]`; a missing section uses `default` or is an error.
fn section<T: DeserializeOwned>(
    text: &str,
    root: &toml::Table,
    name: &str,
    errors: &mut Vec<ConfigError>,
    default: Option<T>,
) -> Option<T> {
    match root.get(name) {
        Some(value) => value
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| {
                let at = keypath::locate::<T>(text, name)
                    .or_else(|| keypath::locate_by_removal::<T>(value, name, e.message()))
                    .unwrap_or_else(|| name.to_string());
                errors.push(ConfigError::new(at, e.message().to_string()));
            })
            .ok(),
        None if default.is_some() => default,
        None => {
            errors.push(ConfigError::new(name, "missing section"));
            None
        }
    }
}
