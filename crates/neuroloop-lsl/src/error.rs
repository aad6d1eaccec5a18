//! The error type of the LSL bindings.

use std::fmt::Write as _;

/// What went wrong talking to liblsl.
#[derive(Debug, thiserror::Error)]
pub enum LslError {
    /// No liblsl could be loaded. Retrying does not help until liblsl is
    /// installed (`pip install pylsl`, or `scripts/setup-python.sh` in the
    /// repository) or `LSL_LIB` names the library file.
    #[error("{}", not_found(.tried))]
    NotFound {
        /// Every place tried, with why it failed.
        tried: Vec<(String, String)>,
    },
    /// The library loaded but lacks a function neuroloop needs (too old, or
    /// not liblsl). Retrying does not help.
    #[error("the loaded liblsl has no {name} ({message}); liblsl 1.16 or newer is needed")]
    Symbol {
        /// The missing function.
        name: &'static str,
        /// The loader's message.
        message: String,
    },
    /// liblsl was already configured with other settings in this process;
    /// liblsl reads its configuration once. Retrying does not help.
    #[error(
        "liblsl is already configured with other settings in this process ({current}); cannot apply {requested}"
    )]
    Reconfigure {
        /// The settings in force.
        current: String,
        /// The settings asked for.
        requested: String,
    },
    /// No stream matched within the timeout. Retrying may succeed once the
    /// stream's outlet is up.
    #[error("no LSL stream matching {query} found within {timeout_s} s")]
    NotResolved {
        /// The query (an XPath predicate).
        query: String,
        /// Seconds waited.
        timeout_s: f64,
    },
    /// An operation timed out. Retrying may succeed.
    #[error("LSL operation timed out: {0}")]
    Timeout(&'static str),
    /// The stream's outlet went away. Retrying (re-resolving) may succeed
    /// once it is back.
    #[error("LSL stream lost: {0}")]
    Lost(&'static str),
    /// An argument was rejected (bad name, format or buffer). Retrying does
    /// not help.
    #[error("invalid LSL argument: {0}")]
    Argument(String),
    /// liblsl reported an internal error. Retrying may succeed.
    #[error("liblsl internal error in {what}: {message}")]
    Internal {
        /// The call.
        what: &'static str,
        /// liblsl's last error message.
        message: String,
    },
}

impl LslError {
    /// Whether retrying the operation may succeed without changing anything.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LslError::NotResolved { .. }
                | LslError::Timeout(_)
                | LslError::Lost(_)
                | LslError::Internal { .. }
        )
    }
}

fn not_found(tried: &[(String, String)]) -> String {
    let mut text = String::from("liblsl not found; tried:");
    for (place, why) in tried {
        let _ = write!(text, "\n  {place}: {why}");
    }
    text.push_str(
        "\nInstall pylsl (`python3 -m pip install pylsl`, or `scripts/setup-python.sh` for the \
         repository's .venv), which ships liblsl, or set LSL_LIB to the path of liblsl.so.",
    );
    text
}
