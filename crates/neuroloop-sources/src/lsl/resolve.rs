//! Resolving data streams, first at start and again in the background after
//! a loss.
//!
//! After a loss the stream is looked for by the configured query; only a
//! stream with the source id of the one first connected (empty included)
//! that still matches the profile is adopted. Others are refused, logged
//! once each and counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_lsl::{Lsl, StreamInfo};

use super::stream::{DataInlet, Target, connect};
use crate::SourceError;

/// Seconds one resolve attempt waits while nothing matches.
const ATTEMPT_S: f64 = 0.5;
/// Pause between attempts that found only refused streams.
const RETRY: Duration = Duration::from_millis(250);

/// The first stream matching `query` within `timeout_s`.
///
/// # Errors
/// [`SourceError::Lsl`] (retryable) if none appeared.
pub(super) fn resolve_one(
    lsl: &'static Lsl,
    query: &str,
    timeout_s: f64,
) -> Result<StreamInfo, SourceError> {
    let mut found = lsl.resolve(query, timeout_s)?;
    if found.len() > 1 {
        tracing::warn!(
            query,
            count = found.len(),
            "several LSL streams match; using the first"
        );
    }
    Ok(found.swap_remove(0))
}

/// Looks for a lost stream again by `query` until one with source id
/// `want` is found and `connect` accepts it (`Some`), or `cancel` is set
/// (`None`). Streams refused (another source id, or `connect` finds they do
/// not match) are logged once each and counted in `refused`.
pub(super) fn reresolve<T>(
    lsl: &'static Lsl,
    query: &str,
    want: &str,
    cancel: &AtomicBool,
    refused: &AtomicU64,
    connect: &dyn Fn(&StreamInfo) -> Result<T, SourceError>,
) -> Option<T> {
    let mut seen: Vec<String> = Vec::new();
    while !cancel.load(Ordering::Relaxed) {
        let Ok(found) = lsl.resolve(query, ATTEMPT_S) else {
            continue;
        };
        for info in &found {
            let id = info.source_id();
            let why = if id == want {
                match connect(info) {
                    Ok(connected) => return Some(connected),
                    Err(SourceError::Config(problems)) => problems,
                    Err(e) => {
                        tracing::debug!(error = %e, "LSL stream found but not connected; retrying");
                        continue;
                    }
                }
            } else {
                format!("source id {id:?}, not {want:?}")
            };
            let key = format!("{id}@{}", info.hostname());
            if !seen.contains(&key) {
                tracing::warn!(stream = %info.name(), source_id = %id, reason = %why,
                    "LSL stream refused: not the stream that was lost");
                refused.fetch_add(1, Ordering::Relaxed);
                seen.push(key);
            }
        }
        std::thread::sleep(RETRY);
    }
    None
}

/// Looks for `target` again ([`reresolve`] with its query, source id and
/// profile check).
pub(super) fn reresolve_data(
    lsl: &'static Lsl,
    target: &Target,
    cancel: &AtomicBool,
    refused: &AtomicU64,
) -> Option<DataInlet> {
    let want = target.source_id.as_deref().unwrap_or("");
    reresolve(lsl, &target.query, want, cancel, refused, &|info| {
        connect(info, target)
    })
}

/// A background thread looking for a lost stream.
pub(super) struct Reresolver<T> {
    found: mpsc::Receiver<T>,
    cancel: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Reresolver<T> {
    /// Starts looking for the stream `query` with source id `want`, to be
    /// accepted by `connect`.
    ///
    /// # Errors
    /// [`SourceError::Io`] if the thread cannot start.
    pub(super) fn start(
        lsl: &'static Lsl,
        query: String,
        want: String,
        refused: Arc<AtomicU64>,
        connect: impl Fn(&StreamInfo) -> Result<T, SourceError> + Send + 'static,
    ) -> Result<Self, SourceError> {
        let (tx, found) = mpsc::sync_channel(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let thread_cancel = Arc::clone(&cancel);
        let thread = std::thread::Builder::new()
            .name("neuroloop-lsl-resolve".into())
            .spawn(move || {
                let connected = reresolve(lsl, &query, &want, &thread_cancel, &refused, &connect);
                if let Some(connected) = connected {
                    let _ = tx.send(connected);
                }
            })?;
        Ok(Self {
            found,
            cancel,
            thread: Some(thread),
        })
    }

    /// The stream, once found and connected. Never blocks.
    pub(super) fn poll(&mut self) -> Option<T> {
        self.found.try_recv().ok()
    }

    /// Cancels the search without waiting for its thread (which ends
    /// within one resolve attempt): for the source thread, which must not
    /// block while samples flow.
    pub(super) fn detach(mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        drop(self.thread.take());
    }
}

impl<T> Drop for Reresolver<T> {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
