//! The one pass over a session file: every section parsed, checked and
//! assembled into a [`ValidatedSession`], or every problem found.

use std::path::Path;
use std::sync::Arc;

use neuroloop_core::ConfigError;
use serde::de::DeserializeOwned;

use super::channels::select_channels;
use super::checked_pipeline::{CheckedPipeline, PipelineContext, check_decoding};
use super::memory::{MAX_MEMORY_MB, MemoryEstimate};
use super::record::{RecordSection, check_record};
use super::sections::{
    DecoderSection, PipelineSection, PolicySection, PublishSection, SessionSection,
};
use super::validate::{check_policy, check_publish};
use super::{Registries, ValidatedSession};
use super::{bounds, keypath};
use crate::lsl_config::LslSection;
use crate::profile::{HardwareProfile, resolve_profile_path};
use crate::source_registry::{SourceContext, SourcePlan};

/// Validates a session config given as text against the built-in
/// registries; `path` locates the hardware profile and names the file in
/// errors.
///
/// # Errors
/// Every problem found.
pub fn parse(text: &str, path: &Path) -> Result<ValidatedSession, Vec<ConfigError>> {
    parse_with(text, path, &Registries::builtin())
}

/// [`parse`] against `registries` (sources and filter stages added by the
/// caller).
///
/// # Errors
/// Every problem found.
pub fn parse_with(
    text: &str,
    path: &Path,
    registries: &Registries,
) -> Result<ValidatedSession, Vec<ConfigError>> {
    let root: toml::Table = toml::from_str(text).map_err(|e| {
        vec![ConfigError::new(
            path.display().to_string(),
            format!("not valid TOML: {}", e.message()),
        )]
    })?;
    let mut errors = Vec::new();
    let mut s = Sections::read(text, &root, path, registries, &mut errors);
    let profile = s
        .session
        .as_ref()
        .and_then(|session| session_profile(session, s.source.as_deref(), path, &mut errors));
    let stream = profile.as_ref().map(HardwareProfile::stream_spec);
    if let Some(session) = &s.session {
        check_session(session, &mut errors);
    }
    if let (Some(source), Some(profile), Some(spec)) = (&s.source, &profile, &stream) {
        source.check(profile, spec, &mut errors);
    }
    let classes = s.source.as_ref().map(|s| s.classes()).unwrap_or_default();
    let selection = match (&s.pipeline, &stream, &profile) {
        (Some(section), Some(stream), Some(profile)) => {
            select_channels(section.channels.as_deref(), stream, &profile.channel_kind)
                .map_err(|e| errors.extend(e))
                .ok()
        }
        _ => None,
    };
    let pipeline = match (&s.pipeline, &profile, &stream, &selection) {
        (Some(section), Some(profile), Some(source), Some(input)) => Some(
            PipelineContext {
                section,
                profile,
                input,
                source,
                classes: &classes,
                bundle: s.decoder.as_ref().and_then(|d| bundle_windows(d, path)),
            }
            .check(registries, &mut errors),
        ),
        _ => None,
    };
    if let (Some(d), Some(p), Some(plan)) = (&s.decoder, &s.pipeline, &pipeline) {
        check_decoding(d, p, plan, &classes, path, &mut errors);
    }
    if let Some(p) = &s.policy {
        check_policy(p, &mut errors);
    }
    let publish_addr = check_publishing(&mut s, pipeline.as_ref(), &mut errors);
    let record = s
        .record
        .as_ref()
        .and_then(|r| check_record(r, path, &root, &mut errors));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut validated = s.validated(profile, pipeline, publish_addr, classes, path)?;
    validated.record = record;
    MemoryEstimate::of(&validated)
        .check(validated.session.max_memory_mb)
        .map_err(|e| vec![e])?;
    Ok(validated)
}

/// The sections as deserialised; `None` where one failed (its errors are
/// collected).
struct Sections {
    session: Option<SessionSection>,
    source: Option<Arc<dyn SourcePlan>>,
    pipeline: Option<PipelineSection>,
    decoder: Option<DecoderSection>,
    policy: Option<PolicySection>,
    publish: Option<PublishSection>,
    lsl: Option<LslSection>,
    record: Option<RecordSection>,
}

impl Sections {
    /// The known sections (an unknown one is an error); `[source]` by the
    /// source registry.
    fn read(
        text: &str,
        root: &toml::Table,
        path: &Path,
        registries: &Registries,
        errors: &mut Vec<ConfigError>,
    ) -> Self {
        const KNOWN: [&str; 8] = [
            "session", "source", "pipeline", "decoder", "policy", "publish", "lsl", "record",
        ];
        for key in root.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
            errors.push(ConfigError::new(
                key.clone(),
                format!("unknown section (known: {})", KNOWN.join(", ")),
            ));
        }
        let source = match root.get("source") {
            Some(table) => {
                let context = SourceContext {
                    text,
                    config_path: path,
                };
                registries
                    .sources
                    .parse(table, &context)
                    .map_err(|e| errors.extend(e))
                    .ok()
            }
            None => {
                errors.push(ConfigError::new("source", "missing section"));
                None
            }
        };
        let lsl: Option<LslSection> =
            section(text, root, "lsl", errors, Some(LslSection::default()));
        if let Some(l) = &lsl {
            l.check(errors);
        }
        Self {
            session: section(text, root, "session", errors, None),
            source,
            pipeline: section(text, root, "pipeline", errors, None),
            decoder: section(text, root, "decoder", errors, None).map(|d: DecoderSection| {
                DecoderSection {
                    decoders: Arc::clone(&registries.decoders),
                    ..d
                }
            }),
            policy: section(text, root, "policy", errors, Some(PolicySection::default())),
            publish: section(
                text,
                root,
                "publish",
                errors,
                Some(PublishSection::default()),
            ),
            lsl,
            record: root
                .contains_key("record")
                .then(|| section(text, root, "record", errors, None))
                .flatten(),
        }
    }
}

impl Sections {
    /// The session of sections that all passed.
    ///
    /// # Errors
    /// "incomplete configuration" if one is missing (never after an error
    /// was reported for it).
    fn validated(
        self,
        profile: Option<HardwareProfile>,
        pipeline: Option<CheckedPipeline>,
        publish_addr: Option<std::net::SocketAddr>,
        classes: Vec<String>,
        path: &Path,
    ) -> Result<ValidatedSession, Vec<ConfigError>> {
        let incomplete = || {
            vec![ConfigError::new(
                path.display().to_string(),
                "incomplete configuration",
            )]
        };
        let (
            Some(session),
            Some(profile),
            Some(source),
            Some(decoder),
            Some(policy),
            Some(publish),
        ) = (
            self.session,
            profile,
            self.source,
            self.decoder,
            self.policy,
            self.publish,
        )
        else {
            return Err(incomplete());
        };
        let (Some(pipeline), Some(publish_addr)) =
            (pipeline.and_then(|p| p.plan(&session)), publish_addr)
        else {
            return Err(incomplete());
        };
        Ok(ValidatedSession {
            session,
            profile,
            source,
            pipeline,
            decoder,
            classes,
            policy,
            publish,
            publish_addr,
            lsl: self.lsl.unwrap_or_default(),
            record: None,
            path: path.to_path_buf(),
        })
    }
}

/// `[publish]`: its address, and its timing against the hop (event mode
/// has no hop: one window length stands for it).
fn check_publishing(
    s: &mut Sections,
    pipeline: Option<&CheckedPipeline>,
    errors: &mut Vec<ConfigError>,
) -> Option<std::net::SocketAddr> {
    let publish_addr = s.publish.as_ref().and_then(|p| check_publish(p, errors));
    if let (Some(p), Some(plan)) = (s.publish.as_mut(), pipeline) {
        let hop_s = s
            .pipeline
            .as_ref()
            .and_then(|pl| pl.hop_s)
            .unwrap_or(plan.windows.hop_samples as f64 / plan.input.sample_rate);
        super::publish_timing::check_publish_timing(p, hop_s, errors);
    }
    publish_addr
}

/// The bounds of `[session]`.
fn check_session(s: &SessionSection, errors: &mut Vec<ConfigError>) {
    bounds::int(
        errors,
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
    source: Option<&dyn SourcePlan>,
    path: &Path,
    errors: &mut Vec<ConfigError>,
) -> Option<HardwareProfile> {
    let Some(name) = &session.hardware_profile else {
        let source = source?;
        let own = source.own_profile();
        if own.is_none() {
            errors.push(ConfigError::new(
                "session.hardware_profile",
                format!(
                    "missing (a {:?} source needs one; only a replay source can take its \
                     stream from its recording)",
                    source.kind()
                ),
            ));
        }
        return own;
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

/// Deserialises `[name]`; a missing section uses `default` or is an error.
fn section<T: DeserializeOwned>(
    text: &str,
    root: &toml::Table,
    name: &str,
    errors: &mut Vec<ConfigError>,
    default: Option<T>,
) -> Option<T> {
    match root.get(name) {
        Some(value) => keypath::deserialize_at(text, value, name)
            .map_err(|e| errors.push(e))
            .ok(),
        None if default.is_some() => default,
        None => {
            errors.push(ConfigError::new(name, "missing section"));
            None
        }
    }
}
