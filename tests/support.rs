//! Helpers shared by the integration tests: paths into the repository and
//! config variants derived from the shipped configs.

use std::path::{Path, PathBuf};

/// The repository root.
///
/// # Panics
/// Never: the test crate lives in the repository root.
#[must_use]
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the repository root")
        .to_path_buf()
}

/// A shipped config's text and path (`configs/NAME`).
///
/// # Panics
/// If the file cannot be read (a test setup error).
#[must_use]
pub fn shipped_config(name: &str) -> (String, PathBuf) {
    let path = repo_root().join("configs").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (text, path)
}

/// Replaces `from` with `to` in `text`.
///
/// # Panics
/// If `from` is absent (the shipped config changed under the test).
#[must_use]
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "config has no {from:?}");
    text.replacen(from, to, 1)
}
