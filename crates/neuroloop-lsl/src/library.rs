//! Finding, loading and configuring liblsl, once per process.
//!
//! Search order: the file named by `LSL_LIB`; the `liblsl.so` inside an
//! installed pylsl, located by asking Python interpreters where the package
//! is (without importing it): `$VIRTUAL_ENV/bin/python`, the nearest
//! `.venv/bin/python` above the working directory or the executable, then
//! `python3`; finally the system names `liblsl.so.2` and `liblsl.so`.
//! Setting `NEUROLOOP_LSL_NO_SEARCH=1` restricts the search to `LSL_LIB`.
//!
//! The library is loaded on first use and stays loaded (liblsl runs
//! background threads). Its configuration ([`Settings`]) is handed over
//! with `lsl_set_config_content` before any other call, so it applies to
//! every stream of the process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use libloading::Library;

use crate::LslError;
use crate::ffi::Api;

/// Where liblsl looks for peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This machine only (loopback): no multicast on the wire.
    Machine,
    /// The lab network: liblsl's default discovery (`site` scope).
    Lab,
}

/// liblsl's network configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Discovery scope.
    pub scope: Scope,
    /// Hosts asked directly (unicast) during discovery.
    pub known_peers: Vec<String>,
    /// Use IPv6 as well as IPv4.
    pub ipv6: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            scope: Scope::Machine,
            known_peers: vec!["127.0.0.1".into()],
            ipv6: false,
        }
    }
}

impl Settings {
    /// The settings as the text of an `lsl_api.cfg` file. liblsl's own log
    /// (stderr) is limited to warnings and errors.
    #[must_use]
    pub fn config_text(&self) -> String {
        let mut text = format!(
            "[log]\nlevel = -1\n\n[ports]\nIPv6 = {}\n\n[multicast]\nResolveScope = {}\n",
            if self.ipv6 { "allow" } else { "disable" },
            match self.scope {
                Scope::Machine => "machine",
                Scope::Lab => "site",
            }
        );
        if !self.known_peers.is_empty() {
            text.push_str(&format!(
                "KnownPeers = {{{}}}\n",
                self.known_peers.join(", ")
            ));
        }
        text
    }
}

/// The loaded liblsl.
pub struct Lsl {
    pub(crate) api: Api,
    path: String,
    settings: Settings,
    _library: Library,
}

impl std::fmt::Debug for Lsl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lsl")
            .field("path", &self.path)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

static LOADED: Mutex<Option<&'static Lsl>> = Mutex::new(None);

/// Loads liblsl with `settings`, or returns the already loaded library.
///
/// # Errors
/// [`LslError::NotFound`] naming every place tried (install pylsl or set
/// `LSL_LIB`); [`LslError::Symbol`] if the library is too old;
/// [`LslError::Reconfigure`] if it was loaded with other settings.
pub fn load(settings: &Settings) -> Result<&'static Lsl, LslError> {
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(lsl) = *loaded {
        if lsl.settings != *settings {
            return Err(LslError::Reconfigure {
                current: format!("{:?}", lsl.settings),
                requested: format!("{settings:?}"),
            });
        }
        return Ok(lsl);
    }
    let mut tried = Vec::new();
    for candidate in candidates(&mut tried) {
        // SAFETY: loading runs liblsl's (and its C++ runtime's) initialisers,
        // which have no preconditions.
        match unsafe { Library::new(&candidate) } {
            Ok(library) => {
                // SAFETY: the signatures in `ffi` follow lsl_c.h; the library
                // is kept alive inside the leaked `Lsl`.
                let api = unsafe { Api::resolve(&library) }?;
                let text = std::ffi::CString::new(settings.config_text())
                    .map_err(|e| LslError::Argument(e.to_string()))?;
                // SAFETY: a zero-terminated string; this is the first call.
                unsafe { (api.set_config_content)(text.as_ptr()) };
                let lsl: &'static Lsl = Box::leak(Box::new(Lsl {
                    api,
                    path: candidate.clone(),
                    settings: settings.clone(),
                    _library: library,
                }));
                tracing::debug!(path = %candidate, version = lsl.version(), "liblsl loaded");
                *loaded = Some(lsl);
                return Ok(lsl);
            }
            Err(e) => tried.push((candidate, e.to_string())),
        }
    }
    Err(LslError::NotFound { tried })
}

impl Lsl {
    /// The file the library was loaded from.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// liblsl's version, e.g. 118 for 1.18.
    #[must_use]
    pub fn version(&self) -> i32 {
        // SAFETY: no arguments.
        unsafe { (self.api.library_version)() }
    }

    /// liblsl's clock (`lsl_local_clock`), seconds.
    #[must_use]
    pub fn local_clock(&self) -> f64 {
        // SAFETY: no arguments.
        unsafe { (self.api.local_clock)() }
    }

    /// The settings in force.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// liblsl's last error message.
    pub(crate) fn last_error(&self) -> String {
        // SAFETY: returns a pointer to a static, zero-terminated buffer.
        unsafe { crate::info::text((self.api.last_error)()) }
    }
}

/// The places to try, in order; places that could not even be named (no
/// pylsl in an interpreter) are recorded in `tried`.
fn candidates(tried: &mut Vec<(String, String)>) -> Vec<String> {
    let mut out = Vec::new();
    match std::env::var("LSL_LIB") {
        Ok(path) if !path.is_empty() => out.push(path),
        _ => tried.push(("LSL_LIB".into(), "not set".into())),
    }
    if std::env::var("NEUROLOOP_LSL_NO_SEARCH").is_ok_and(|v| v == "1") {
        tried.push((
            "pylsl and system libraries".into(),
            "not searched (NEUROLOOP_LSL_NO_SEARCH=1)".into(),
        ));
        return out;
    }
    for python in pythons() {
        match pylsl_dir(&python) {
            Ok(dir) => {
                let lib = dir.join("lib").join("liblsl.so");
                if lib.exists() {
                    out.push(lib.display().to_string());
                } else {
                    tried.push((lib.display().to_string(), "no such file".into()));
                }
            }
            Err(why) => tried.push((format!("pylsl of {}", python.display()), why)),
        }
    }
    out.push("liblsl.so.2".into());
    out.push("liblsl.so".into());
    out
}

/// Interpreters that may have pylsl, most specific first.
fn pythons() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(venv) = std::env::var("VIRTUAL_ENV") {
        out.push(Path::new(&venv).join("bin/python"));
    }
    let starts = [std::env::current_dir().ok(), std::env::current_exe().ok()];
    for start in starts.into_iter().flatten() {
        if let Some(python) = start
            .ancestors()
            .map(|dir| dir.join(".venv/bin/python"))
            .find(|p| p.exists())
            && !out.contains(&python)
        {
            out.push(python);
        }
    }
    out.push("python3".into());
    out
}

/// Where `python` would import pylsl from, without importing it.
fn pylsl_dir(python: &Path) -> Result<PathBuf, String> {
    let output = Command::new(python)
        .args([
            "-c",
            "import importlib.util as u; s=u.find_spec('pylsl'); \
             print(s.submodule_search_locations[0] if s else '')",
        ])
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() {
        return Err(format!("failed ({})", output.status));
    }
    if dir.is_empty() {
        return Err("pylsl is not installed".into());
    }
    Ok(PathBuf::from(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_scope_config_is_loopback_only() {
        let text = Settings::default().config_text();
        assert!(text.contains("ResolveScope = machine"), "{text}");
        assert!(text.contains("KnownPeers = {127.0.0.1}"), "{text}");
        assert!(text.contains("IPv6 = disable"), "{text}");
        assert!(text.contains("[log]\nlevel = -1"), "{text}");
    }

    #[test]
    fn lab_scope_without_peers() {
        let s = Settings {
            scope: Scope::Lab,
            known_peers: vec![],
            ipv6: true,
        };
        let text = s.config_text();
        assert!(text.contains("ResolveScope = site"));
        assert!(!text.contains("KnownPeers"));
        assert!(text.contains("IPv6 = allow"));
    }
}
