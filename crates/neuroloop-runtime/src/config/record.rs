//! `[record]`: where the session records itself (XDF) and how often the
//! file is flushed to disk; the recording's header stores the session
//! config ([`StoredConfig`]).
//!
//! ```toml
//! [record]
//! path = "sessions/demo.xdf"   # relative to the config file's directory
//! overwrite = false            # an existing file is refused unless true
//! flush_s = 1.0                # flushed and synced at least this often
//! ```

use std::path::{Path, PathBuf};

use neuroloop_core::ConfigError;
use serde::Deserialize;

/// Longest allowed `record.flush_s`.
pub const MAX_FLUSH_S: f64 = 10.0;

/// `[record]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSection {
    /// The XDF file.
    pub path: String,
    /// Replace an existing file.
    #[serde(default)]
    pub overwrite: bool,
    /// Seconds between flushes (and syncs) of the file.
    #[serde(default = "default_flush_s")]
    pub flush_s: f64,
}

fn default_flush_s() -> f64 {
    1.0
}

/// `[record]` checked: the file and the flush period.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordPlan {
    /// The XDF file (relative paths resolved against the config's
    /// directory).
    pub path: PathBuf,
    /// Seconds between flushes.
    pub flush_s: f64,
    /// The session config the file's header stores, if any.
    pub session: Option<StoredConfig>,
}

/// The session config as a recording stores it, so that `neuroloop replay`
/// can rerun the session from the file alone.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConfig {
    /// The config file (absolute where it can be resolved): its relative
    /// paths start in its directory.
    pub path: PathBuf,
    /// Its tables as TOML, `publish.token` left out (a credential does not
    /// belong in a data file).
    pub text: String,
}

impl StoredConfig {
    /// The file header field holding the text.
    pub const TEXT_FIELD: &'static str = "session_config";
    /// The file header field holding the path.
    pub const PATH_FIELD: &'static str = "session_config_path";

    /// The config at `path` with tables `root`.
    #[must_use]
    pub fn new(path: &Path, root: &toml::Table) -> Option<Self> {
        let mut root = root.clone();
        if let Some(publish) = root.get_mut("publish").and_then(toml::Value::as_table_mut) {
            publish.remove("token");
        }
        Some(Self {
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            text: toml::to_string(&root).ok()?,
        })
    }

    /// The file header fields that store it: `(name, text)`.
    #[must_use]
    pub fn header_fields(&self) -> [(&'static str, String); 2] {
        [
            (Self::TEXT_FIELD, self.text.clone()),
            (Self::PATH_FIELD, self.path.display().to_string()),
        ]
    }

    /// The config a recording's header stores, if it stores one.
    #[must_use]
    pub fn read(file: &neuroloop_formats::xdf::XdfFile) -> Option<Self> {
        Some(Self {
            text: file.header_field(Self::TEXT_FIELD)?,
            path: PathBuf::from(file.header_field(Self::PATH_FIELD)?),
        })
    }
}

/// Checks `[record]`: a path whose directory exists, not an existing file
/// unless `overwrite`, not a directory; `flush_s` in (0, 10] s. The plan
/// stores the config (`root`, from `config_path`).
pub(super) fn check_record(
    section: &RecordSection,
    config_path: &Path,
    root: &toml::Table,
    errors: &mut Vec<ConfigError>,
) -> Option<RecordPlan> {
    let before = errors.len();
    let mut err = |key: &str, message: String| {
        errors.push(ConfigError::new(format!("record.{key}"), message));
    };
    if !(section.flush_s > 0.0 && section.flush_s <= MAX_FLUSH_S) {
        err(
            "flush_s",
            format!(
                "{} must be above 0 and at most {MAX_FLUSH_S} seconds",
                section.flush_s
            ),
        );
    }
    let path = if section.path.trim().is_empty() {
        err("path", "empty; name the XDF file to record to".into());
        PathBuf::new()
    } else {
        config_path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&section.path)
    };
    if !section.path.trim().is_empty() {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if path.is_dir() {
            err("path", format!("{} is a directory", path.display()));
        } else if !dir.is_dir() {
            err(
                "path",
                format!("directory {} does not exist", dir.display()),
            );
        } else if path.exists() && !section.overwrite {
            err(
                "path",
                format!(
                    "{} exists; set record.overwrite = true or choose another file",
                    path.display()
                ),
            );
        }
    }
    (errors.len() == before).then(|| RecordPlan {
        path,
        flush_s: section.flush_s,
        session: StoredConfig::new(config_path, root),
    })
}
