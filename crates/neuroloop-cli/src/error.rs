//! The error of a command that plays recordings through sessions
//! (`neuroloop score`): an offline error (an option, a recording, a
//! model) or a session's own.

use neuroloop_offline::OfflineError;
use neuroloop_runtime::RuntimeError;

/// What stopped a command.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// An option, a recording, a session config or a model bundle.
    #[error(transparent)]
    Offline(#[from] OfflineError),
    /// A session failed to start or to finish.
    #[error(transparent)]
    Session(#[from] RuntimeError),
}

impl From<neuroloop_decode::DecodeError> for CommandError {
    fn from(e: neuroloop_decode::DecodeError) -> Self {
        CommandError::Offline(e.into())
    }
}
