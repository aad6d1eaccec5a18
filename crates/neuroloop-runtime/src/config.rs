//! The session configuration (TOML) and its validation.
//!
//! Parsing and checking are one pass that collects every problem, each with
//! its config path, before anything starts (`neuroloop check`). The result,
//! a [`ValidatedSession`], holds everything the session needs to build its
//! stages: the stream spec from the hardware profile, the filter stage
//! configs from the registry, window sizes in samples, and so on.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_dsp::{ChainConfig, StageRegistry};
use neuroloop_sources::lsl::LslConfig;
use neuroloop_sources::sim::SimConfig;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::lsl_config::LslSection;
use crate::profile::{HardwareProfile, resolve_profile_path};

/// `[session]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// Session name, used in reports and the protocol hello.
    pub name: String,
    /// Hardware profile name (file in `hardware-profiles/`) or path.
    pub hardware_profile: String,
    /// Capacity of the source → pipeline ring in seconds (≥ 2).
    #[serde(default = "default_ring_s")]
    pub ring_s: f64,
}

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// Filter stages in order, each a table with a `type`.
    #[serde(default)]
    pub filters: Vec<toml::Value>,
    /// Analysis window length in seconds.
    pub window_s: f64,
    /// Hop between window starts in seconds.
    pub hop_s: f64,
}

/// `[decoder]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderSection {
    /// Decoder type; `bandpower` (log band power + linear layer).
    #[serde(rename = "type")]
    pub kind: String,
    /// Frequency bands `[low, high]` in Hz.
    pub bands_hz: Vec<[f64; 2]>,
    /// Seconds of labelled calibration at the start of the session.
    pub calibration_s: f64,
    /// Seconds after a cue before windows count as labelled (task ramp-up).
    #[serde(default = "default_label_delay_s")]
    pub label_delay_s: f64,
    /// Training seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// L2 weight decay of the linear layer. Calibration windows overlap and
    /// come from few trials, so a linear model over every channel × band
    /// overfits without it.
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f32,
}

/// Default `[decoder] weight_decay`.
pub const DEFAULT_WEIGHT_DECAY: f32 = 0.2;

fn default_weight_decay() -> f32 {
    DEFAULT_WEIGHT_DECAY
}

/// `[policy]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// Windows averaged by the probability smoother (1 = none).
    #[serde(default = "default_smoothing")]
    pub smoothing: usize,
    /// Smoothed probability needed to act.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// Seconds a class must stay above threshold before it is issued.
    #[serde(default)]
    pub dwell_s: f64,
}

/// `[publish]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishSection {
    /// TCP address of the intent server.
    #[serde(default = "default_tcp")]
    pub tcp: String,
    /// Intents buffered per connection before the oldest are dropped.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Server heartbeat interval, milliseconds.
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// Heartbeat intervals without one after which an actuator must stop.
    #[serde(default = "default_deadman_missed")]
    pub deadman_missed: u32,
    /// Session token. Required when `tcp` is not a loopback address; when
    /// set, every client must present it in its hello.
    #[serde(default)]
    pub token: Option<String>,
    /// Most simultaneous connections.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Longest client line, bytes.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: usize,
    /// Messages per second a client may send.
    #[serde(default = "default_max_msgs_per_s")]
    pub max_msgs_per_s: u32,
    /// Milliseconds a required client hello may take.
    #[serde(default = "default_hello_timeout_ms")]
    pub hello_timeout_ms: u64,
    /// A client that accepts no bytes for this long is disconnected.
    #[serde(default = "default_stall_timeout_ms")]
    pub stall_timeout_ms: u64,
    /// Kernel send buffer per connection, bytes. Small, so that a slow
    /// client gets the newest intents instead of seconds-old ones queued
    /// in the kernel.
    #[serde(default = "default_send_buffer_bytes")]
    pub send_buffer_bytes: u32,
    /// Also serve the protocol on this Unix domain socket path (mode 0600).
    #[serde(default)]
    pub unix: Option<String>,
    /// Also serve the protocol over WebSocket (`ws://`) at this IP:port; a
    /// non-loopback address requires `token`, as for `tcp`.
    #[serde(default)]
    pub websocket: Option<String>,
    /// Browser origins (`Origin` header, e.g. `"http://localhost:8080"`)
    /// allowed to open a WebSocket; handshakes from other origins are
    /// refused, handshakes without an `Origin` header are accepted.
    #[serde(default)]
    pub websocket_origins: Vec<String>,
}

fn default_send_buffer_bytes() -> u32 {
    16 * 1024
}

fn default_heartbeat_ms() -> u64 {
    250
}
fn default_deadman_missed() -> u32 {
    3
}
fn default_max_connections() -> usize {
    128
}
fn default_max_line_bytes() -> usize {
    4096
}
fn default_max_msgs_per_s() -> u32 {
    50
}
fn default_hello_timeout_ms() -> u64 {
    2000
}
fn default_stall_timeout_ms() -> u64 {
    2000
}

fn default_ring_s() -> f64 {
    4.0
}
fn default_label_delay_s() -> f64 {
    0.5
}
fn default_seed() -> u64 {
    1
}
fn default_smoothing() -> usize {
    5
}
fn default_threshold() -> f32 {
    0.6
}
fn default_tcp() -> String {
    "127.0.0.1:7878".into()
}
fn default_queue() -> usize {
    64
}

impl Default for PolicySection {
    fn default() -> Self {
        Self {
            smoothing: default_smoothing(),
            threshold: default_threshold(),
            dwell_s: 0.0,
        }
    }
}

impl Default for PublishSection {
    fn default() -> Self {
        Self {
            tcp: default_tcp(),
            queue: default_queue(),
            heartbeat_ms: default_heartbeat_ms(),
            deadman_missed: default_deadman_missed(),
            token: None,
            max_connections: default_max_connections(),
            max_line_bytes: default_max_line_bytes(),
            max_msgs_per_s: default_max_msgs_per_s(),
            hello_timeout_ms: default_hello_timeout_ms(),
            stall_timeout_ms: default_stall_timeout_ms(),
            send_buffer_bytes: default_send_buffer_bytes(),
            unix: None,
            websocket: None,
            websocket_origins: Vec::new(),
        }
    }
}

/// Most windows the policy may smooth over.
pub const MAX_SMOOTHING: usize = 32;

/// The source, by `type`.
#[derive(Debug, Clone)]
pub enum SourceSection {
    /// The simulated headset.
    Sim(SimConfig),
    /// A live LSL stream.
    Lsl(LslConfig),
}

/// A fully checked session, ready to build.
#[derive(Debug)]
pub struct ValidatedSession {
    /// `[session]`.
    pub session: SessionSection,
    /// The hardware profile.
    pub profile: HardwareProfile,
    /// The stream the source produces.
    pub input: StreamSpec,
    /// The source.
    pub source: SourceSection,
    /// Filter stage configs, in order.
    pub filters: ChainConfig,
    /// The stream after the filters.
    pub filtered: StreamSpec,
    /// Window length in samples.
    pub window_samples: usize,
    /// Hop in samples.
    pub hop_samples: usize,
    /// Ring capacity in samples.
    pub ring_samples: usize,
    /// `[decoder]`.
    pub decoder: DecoderSection,
    /// Class labels (from the paradigm).
    pub classes: Vec<String>,
    /// `[policy]`.
    pub policy: PolicySection,
    /// `[publish]` with the parsed address.
    pub publish: PublishSection,
    /// The address of the intent server.
    pub publish_addr: SocketAddr,
    /// Where the config file was.
    pub path: PathBuf,
    /// `[lsl]`: liblsl settings, used if an LSL feature is.
    pub lsl: LslSection,
}

/// Reads and validates the session config at `path`.
///
/// # Errors
/// Every problem found in the config and its hardware profile.
pub fn load(path: &Path) -> Result<ValidatedSession, Vec<ConfigError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ConfigError::new(
            path.display().to_string(),
            format!("cannot read: {e}"),
        )]
    })?;
    parse(&text, path)
}

/// Validates a session config given as text; `path` locates the hardware
/// profile and names the file in errors.
///
/// # Errors
/// Every problem found.
pub fn parse(text: &str, path: &Path) -> Result<ValidatedSession, Vec<ConfigError>> {
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
    let session: Option<SessionSection> = section(&root, "session", &mut errors, None);
    let pipeline: Option<PipelineSection> = section(&root, "pipeline", &mut errors, None);
    let decoder: Option<DecoderSection> = section(&root, "decoder", &mut errors, None);
    let policy: Option<PolicySection> =
        section(&root, "policy", &mut errors, Some(PolicySection::default()));
    let publish: Option<PublishSection> = section(
        &root,
        "publish",
        &mut errors,
        Some(PublishSection::default()),
    );
    let source: Option<SourceSection> = parse_source(&root, &mut errors);
    let lsl: Option<LslSection> = section(&root, "lsl", &mut errors, Some(LslSection::default()));
    if let Some(l) = &lsl {
        l.check(&mut errors);
    }

    let profile = session.as_ref().and_then(|s| {
        let file = resolve_profile_path(&s.hardware_profile, path);
        HardwareProfile::load(&file)
            .map_err(|e| {
                errors.push(ConfigError::new(
                    "session.hardware_profile",
                    format!(
                        "profile {:?} ({}) is invalid:",
                        s.hardware_profile,
                        file.display()
                    ),
                ));
                errors.extend(e);
            })
            .ok()
    });
    let input = profile.as_ref().map(HardwareProfile::stream_spec);

    if let (Some(s), Some(spec)) = (&session, &input) {
        if !(s.ring_s >= 2.0 && s.ring_s <= 60.0) {
            errors.push(ConfigError::new(
                "session.ring_s",
                format!("{} must be between 2 and 60 seconds", s.ring_s),
            ));
        }
        if let (Some(source), Some(p)) = (&source, &profile) {
            let (kind, preflight) = match source {
                SourceSection::Sim(sim) => ("sim", sim.preflight(spec, "source")),
                SourceSection::Lsl(lsl) => ("lsl", lsl.preflight(spec, "source")),
            };
            if p.transport != kind {
                errors.push(ConfigError::new(
                    "source.type",
                    format!(
                        "{kind:?} cannot drive profile {:?}, whose transport is {:?}",
                        p.name, p.transport
                    ),
                ));
            }
            if let Err(e) = preflight {
                errors.extend(e);
            }
        }
    }

    let (filters, filtered) = match (&pipeline, &input) {
        (Some(p), Some(spec)) => check_filters(&p.filters, spec, &mut errors),
        _ => (None, None),
    };

    let classes = match &source {
        Some(SourceSection::Sim(sim)) => sim.paradigm.classes(),
        Some(SourceSection::Lsl(lsl)) => lsl.classes.clone(),
        None => Vec::new(),
    };
    let mut window_samples = 0;
    let mut hop_samples = 0;
    if let (Some(p), Some(spec)) = (&pipeline, &input) {
        let fs = spec.sample_rate;
        window_samples = samples_of(p.window_s, fs, "pipeline.window_s", &mut errors);
        hop_samples = samples_of(p.hop_s, fs, "pipeline.hop_s", &mut errors);
    }
    if let (Some(d), Some(spec)) = (&decoder, &filtered) {
        check_decoder(d, spec, window_samples, &classes, &mut errors);
    }
    if let Some(p) = &policy {
        check_policy(p, &mut errors);
    }
    let publish_addr = publish.as_ref().and_then(|p| check_publish(p, &mut errors));

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
    Ok(ValidatedSession {
        ring_samples,
        session,
        profile,
        input,
        source,
        filters,
        filtered,
        window_samples,
        hop_samples,
        decoder,
        classes,
        policy,
        publish,
        publish_addr,
        path: path.to_path_buf(),
        lsl: lsl.unwrap_or_default(),
    })
}

/// Deserialises `[name]`; a missing section uses `default` or is an error.
fn section<T: DeserializeOwned>(
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
                errors.push(ConfigError::new(name, e.message().to_string()))
            })
            .ok(),
        None if default.is_some() => default,
        None => {
            errors.push(ConfigError::new(name, "missing section"));
            None
        }
    }
}

/// The source registry: `type` → parser (`sim`, `lsl`).
fn parse_source(root: &toml::Table, errors: &mut Vec<ConfigError>) -> Option<SourceSection> {
    let Some(table) = root.get("source") else {
        errors.push(ConfigError::new("source", "missing section"));
        return None;
    };
    type Parser = fn(&toml::Value) -> Result<SourceSection, String>;
    const SOURCES: &[(&str, Parser)] = &[
        ("sim", |v| {
            v.clone()
                .try_into::<SimConfig>()
                .map(SourceSection::Sim)
                .map_err(|e| e.message().to_string())
        }),
        ("lsl", |v| {
            v.clone()
                .try_into::<LslConfig>()
                .map(SourceSection::Lsl)
                .map_err(|e| e.message().to_string())
        }),
    ];
    let kind = table
        .get("type")
        .and_then(toml::Value::as_str)
        .unwrap_or("");
    let known: Vec<&str> = SOURCES.iter().map(|(n, _)| *n).collect();
    match SOURCES.iter().find(|(n, _)| *n == kind) {
        Some((_, parse)) => parse(table)
            .map_err(|m| errors.push(ConfigError::new("source", m)))
            .ok(),
        None => {
            errors.push(ConfigError::new(
                "source.type",
                format!("unknown source {kind:?} (known: {})", known.join(", ")),
            ));
            None
        }
    }
}

/// Parses every filter table and preflights each one that parses against
/// the output of the stages before it, so one bad stage hides no other
/// stage's problems.
fn check_filters(
    tables: &[toml::Value],
    input: &StreamSpec,
    errors: &mut Vec<ConfigError>,
) -> (Option<ChainConfig>, Option<StreamSpec>) {
    let registry = StageRegistry::builtin();
    let mut stages = Vec::new();
    let mut spec = input.clone();
    let before = errors.len();
    for (i, table) in tables.iter().enumerate() {
        let path = format!("pipeline.filters[{i}]");
        match registry.parse(table, &path) {
            Ok(stage) => {
                match stage.preflight(&spec, &path) {
                    Ok(out) => spec = out,
                    Err(e) => errors.extend(e),
                }
                stages.push((path, stage));
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.len() > before {
        return (None, None);
    }
    (Some(ChainConfig::new(stages)), Some(spec))
}

fn samples_of(seconds: f64, fs: f64, path: &str, errors: &mut Vec<ConfigError>) -> usize {
    let n = (seconds * fs).round();
    if !(seconds > 0.0 && n >= 1.0 && seconds <= 60.0) {
        errors.push(ConfigError::new(
            path,
            format!("{seconds} s must be at least one sample (1/{fs} s) and at most 60 s"),
        ));
        return 0;
    }
    n as usize
}

fn check_decoder(
    d: &DecoderSection,
    spec: &StreamSpec,
    window: usize,
    classes: &[String],
    errors: &mut Vec<ConfigError>,
) {
    if d.kind != "bandpower" {
        errors.push(ConfigError::new(
            "decoder.type",
            format!("unknown decoder {:?} (known: bandpower)", d.kind),
        ));
        return;
    }
    if !(d.calibration_s > 0.0 && d.calibration_s.is_finite()) {
        errors.push(ConfigError::new(
            "decoder.calibration_s",
            format!("{} must be a positive number of seconds", d.calibration_s),
        ));
    }
    if !(d.weight_decay >= 0.0 && d.weight_decay.is_finite()) {
        errors.push(ConfigError::new(
            "decoder.weight_decay",
            format!("{} must be ≥ 0", d.weight_decay),
        ));
    }
    if !(d.label_delay_s >= 0.0 && d.label_delay_s.is_finite()) {
        errors.push(ConfigError::new(
            "decoder.label_delay_s",
            format!("{} must be ≥ 0 seconds", d.label_delay_s),
        ));
    }
    if window > 0 {
        let cfg = neuroloop_decode::BandpowerConfig::new(
            spec.channel_count(),
            window,
            spec.sample_rate,
            d.bands_hz.clone(),
            classes.to_vec(),
        );
        if let Err(mut e) = cfg.validate("decoder") {
            for err in &mut e {
                err.path = err.path.replace("decoder.bands", "decoder.bands_hz");
            }
            errors.extend(e);
        }
    }
}

fn check_policy(p: &PolicySection, errors: &mut Vec<ConfigError>) {
    if !(1..=MAX_SMOOTHING).contains(&p.smoothing) {
        errors.push(ConfigError::new(
            "policy.smoothing",
            format!(
                "{} must be between 1 and {MAX_SMOOTHING} windows",
                p.smoothing
            ),
        ));
    }
    if !(p.threshold > 0.0 && p.threshold <= 1.0) {
        errors.push(ConfigError::new(
            "policy.threshold",
            format!("{} must be in (0, 1]", p.threshold),
        ));
    }
    if !(p.dwell_s >= 0.0 && p.dwell_s.is_finite()) {
        errors.push(ConfigError::new(
            "policy.dwell_s",
            format!("{} must be ≥ 0 seconds", p.dwell_s),
        ));
    }
}

fn check_publish(p: &PublishSection, errors: &mut Vec<ConfigError>) -> Option<SocketAddr> {
    if p.queue == 0 {
        errors.push(ConfigError::new("publish.queue", "must be at least 1"));
    }
    for (path, value) in [
        ("publish.heartbeat_ms", p.heartbeat_ms),
        ("publish.deadman_missed", u64::from(p.deadman_missed)),
        ("publish.max_connections", p.max_connections as u64),
        ("publish.max_msgs_per_s", u64::from(p.max_msgs_per_s)),
        ("publish.hello_timeout_ms", p.hello_timeout_ms),
        ("publish.stall_timeout_ms", p.stall_timeout_ms),
        ("publish.send_buffer_bytes", u64::from(p.send_buffer_bytes)),
    ] {
        if value == 0 {
            errors.push(ConfigError::new(path, "must be at least 1"));
        }
    }
    if p.max_line_bytes < 256 {
        errors.push(ConfigError::new(
            "publish.max_line_bytes",
            format!(
                "{} is below the 256 bytes a client hello may need",
                p.max_line_bytes
            ),
        ));
    }
    if p.token.as_deref().is_some_and(|t| t.len() < 16) {
        errors.push(ConfigError::new(
            "publish.token",
            "must be at least 16 characters",
        ));
    }
    if let Some(websocket) = &p.websocket {
        check_listen_addr("publish.websocket", websocket, p.token.is_some(), errors);
    }
    check_listen_addr("publish.tcp", &p.tcp, p.token.is_some(), errors)
}

/// An IP:port to listen on; off loopback only with a token.
fn check_listen_addr(
    path: &str,
    value: &str,
    token: bool,
    errors: &mut Vec<ConfigError>,
) -> Option<SocketAddr> {
    match value.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_loopback() || token => Some(addr),
        Ok(addr) => {
            errors.push(ConfigError::new(
                path,
                format!("{addr} is not a loopback address; serving other hosts requires publish.token (clients must present it)"),
            ));
            None
        }
        Err(e) => {
            errors.push(ConfigError::new(
                path,
                format!("{value:?} is not an IP:port address: {e}"),
            ));
            None
        }
    }
}
