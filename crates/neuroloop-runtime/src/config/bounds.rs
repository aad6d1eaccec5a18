//! Allowed ranges of the numeric config keys, and the checks that name
//! the range in their message.
//!
//! Every number a user can type is bounded here (or by its stage's or
//! source's preflight) so that nothing later can overflow, allocate without
//! limit or sleep for ever on it.

use neuroloop_core::ConfigError;

/// Checks `lo <= value <= hi` (NaN is outside every range).
pub(super) fn float(
    errors: &mut Vec<ConfigError>,
    path: &str,
    value: f64,
    lo: f64,
    hi: f64,
    unit: &str,
) {
    if !(value >= lo && value <= hi) {
        errors.push(ConfigError::new(
            path,
            format!("{value} is outside the allowed range {lo} to {hi} {unit}"),
        ));
    }
}

/// Checks `lo < value <= hi` (a positive quantity with an upper bound).
pub(super) fn positive(errors: &mut Vec<ConfigError>, path: &str, value: f64, hi: f64, unit: &str) {
    if !(value > 0.0 && value <= hi) {
        errors.push(ConfigError::new(
            path,
            format!("{value} is outside the allowed range: above 0 and at most {hi} {unit}"),
        ));
    }
}

/// Checks `lo <= value <= hi` for an integer key.
pub(super) fn int(errors: &mut Vec<ConfigError>, path: &str, value: u64, lo: u64, hi: u64) {
    if value < lo {
        errors.push(ConfigError::new(
            path,
            format!("must be at least {lo} (allowed range {lo} to {hi}), found {value}"),
        ));
    } else if value > hi {
        errors.push(ConfigError::new(
            path,
            format!("{value} is above the allowed range {lo} to {hi}"),
        ));
    }
}

/// Longest config or profile file read, bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Reads a config or hardware-profile file: a regular file of at most
/// [`MAX_CONFIG_BYTES`]. Devices, FIFOs and directories are refused before
/// anything is read from them, so `/dev/zero` or a pipe cannot hang the
/// reader.
///
/// # Errors
/// A message saying what the path is instead, or the read error.
pub fn read_config_file(path: &std::path::Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a device, FIFO or socket)"
        };
        return Err(format!("cannot read: {kind}; a config must be a file"));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "{} bytes is above the {MAX_CONFIG_BYTES} bytes a config file may have",
            meta.len()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))
}
