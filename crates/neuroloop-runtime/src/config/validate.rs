//! The checks of each section: filters against the stream, window sizes,
//! decoder, policy, and the publish limits and listen addresses.

use std::net::SocketAddr;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_dsp::{ChainConfig, StageRegistry};

use super::bounds;
use super::defaults::{MAX_CALIBRATION_S, MAX_SMOOTHING};
use super::sections::{DecoderSection, PolicySection, PublishSection};

/// Parses every filter table and preflights each one that parses against
/// the output of the stages before it, so one bad stage hides no other
/// stage's problems.
pub(super) fn check_filters(
    registry: &StageRegistry,
    tables: &[toml::Value],
    input: &StreamSpec,
    errors: &mut Vec<ConfigError>,
) -> (Option<ChainConfig>, Option<StreamSpec>) {
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

pub(super) fn samples_of(
    seconds: f64,
    fs: f64,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> usize {
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

pub(super) fn check_decoder(
    d: &DecoderSection,
    spec: &StreamSpec,
    window: usize,
    classes: &[String],
    errors: &mut Vec<ConfigError>,
) {
    if !d.decoders.contains(&d.kind) {
        let known: Vec<&str> = d.decoders.names().collect();
        errors.push(ConfigError::new(
            "decoder.type",
            format!(
                "unknown decoder {:?} (known: {}, bundle)",
                d.kind,
                known.join(", ")
            ),
        ));
        return;
    }
    if d.path.is_some() {
        errors.push(ConfigError::new(
            "decoder.path",
            "only a decoder of type \"bundle\" is loaded from a path",
        ));
    }
    if d.kind != "bandpower" && !d.bands_hz.is_empty() {
        errors.push(ConfigError::new(
            "decoder.bands_hz",
            format!(
                "belongs to bandpower; set the bands of {} in `hyperparameters`",
                d.kind
            ),
        ));
    }
    bounds::positive(
        errors,
        "decoder.calibration_s",
        d.calibration_s,
        MAX_CALIBRATION_S,
        "seconds",
    );
    bounds::float(
        errors,
        "decoder.label_delay_s",
        d.label_delay_s,
        0.0,
        60.0,
        "seconds",
    );
    let model = match d.model_spec() {
        Ok(m) => m,
        Err(e) => {
            errors.push(ConfigError::new("decoder.hyperparameters", e));
            return;
        }
    };
    if window > 0 {
        let checked = model.check_against(spec.channel_count(), window, classes, spec.sample_rate);
        if let Err(neuroloop_decode::DecodeError::Config(e)) = checked {
            for mut err in e {
                err.path = err.path.replace("decoder.bands", "decoder.bands_hz");
                if !err.path.starts_with("decoder") {
                    err.path = format!("decoder.hyperparameters ({})", err.path);
                }
                errors.push(err);
            }
        } else if let Err(e) = checked {
            errors.push(ConfigError::new("decoder.hyperparameters", e.to_string()));
        }
    }
}

pub(super) fn check_policy(p: &PolicySection, errors: &mut Vec<ConfigError>) {
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
    if !(p.dwell_s >= 0.0 && p.dwell_s <= 60.0) {
        errors.push(ConfigError::new(
            "policy.dwell_s",
            format!(
                "{} must be ≥ 0 seconds (allowed range 0 to 60 s)",
                p.dwell_s
            ),
        ));
    }
}

pub(super) fn check_publish(
    p: &PublishSection,
    errors: &mut Vec<ConfigError>,
) -> Option<SocketAddr> {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    for (path, value, lo, hi) in [
        ("publish.queue", count(p.queue), 1, 65_536),
        ("publish.heartbeat_ms", p.heartbeat_ms, 1, 60_000),
        (
            "publish.deadman_missed",
            u64::from(p.deadman_missed),
            1,
            1000,
        ),
        (
            "publish.max_connections",
            count(p.max_connections),
            1,
            65_536,
        ),
        (
            "publish.max_line_bytes",
            count(p.max_line_bytes).max(256),
            256,
            1 << 20,
        ),
        (
            "publish.max_msgs_per_s",
            u64::from(p.max_msgs_per_s),
            1,
            1_000_000,
        ),
        ("publish.hello_timeout_ms", p.hello_timeout_ms, 1, 600_000),
        ("publish.stall_timeout_ms", p.stall_timeout_ms, 1, 600_000),
        (
            "publish.send_buffer_bytes",
            u64::from(p.send_buffer_bytes),
            1,
            64 << 20,
        ),
    ] {
        bounds::int(errors, path, value, lo, hi);
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
