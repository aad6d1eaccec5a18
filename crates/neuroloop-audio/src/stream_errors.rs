//! What a stream's error callback reports, counted where it runs (the
//! stream's audio thread) and read by the stream's owner.
//!
//! The callback never logs: a log line is a write to stderr, and a write to
//! a pipe nobody reads blocks, which stalls the audio thread and with it
//! the stream's drop (cpal joins the thread). Under load a sound server
//! can report an underrun every period, so the callback only counts: the
//! underruns and overruns (each can move the latency after it), the other
//! errors, and the text of the first, which the owner reports once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Counts of a stream's reported errors.
#[derive(Debug, Default)]
pub struct StreamErrors {
    xruns: AtomicU64,
    others: AtomicU64,
    first: OnceLock<String>,
}

impl StreamErrors {
    /// Nothing reported yet.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The error callback to give cpal: counts each error (and keeps the
    /// first one's text, its only allocation).
    pub fn callback(self: &Arc<Self>) -> impl FnMut(cpal::Error) + Send + 'static {
        let errors = Arc::clone(self);
        move |e| {
            let counter = if matches!(e.kind(), cpal::ErrorKind::Xrun) {
                &errors.xruns
            } else {
                &errors.others
            };
            counter.fetch_add(1, Ordering::Relaxed);
            if errors.first.get().is_none() {
                let _ = errors.first.set(e.to_string());
            }
        }
    }

    /// Underruns and overruns reported.
    #[must_use]
    pub fn xruns(&self) -> u64 {
        self.xruns.load(Ordering::Relaxed)
    }

    /// Other errors reported.
    #[must_use]
    pub fn others(&self) -> u64 {
        self.others.load(Ordering::Relaxed)
    }

    /// The text of the first error reported, if any.
    #[must_use]
    pub fn first(&self) -> Option<&str> {
        self.first.get().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_xruns_apart_and_keeps_the_first_text() {
        let errors = StreamErrors::new();
        let mut report = errors.callback();
        report(cpal::Error::new(cpal::ErrorKind::Xrun));
        report(cpal::Error::new(cpal::ErrorKind::Xrun));
        report(cpal::Error::with_message(
            cpal::ErrorKind::DeviceNotAvailable,
            "gone",
        ));
        assert_eq!((errors.xruns(), errors.others()), (2, 1));
        assert!(
            errors.first().unwrap().contains("underrun"),
            "{:?}",
            errors.first()
        );
    }
}
