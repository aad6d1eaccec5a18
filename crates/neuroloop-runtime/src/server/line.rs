//! A serialised server line, shared by every connection, and what the
//! connections need to know about it without parsing it: its kind, its
//! publish time and its sequence number.
//!
//! The kind is set where the line is made (the forwarder for intents and
//! holds, the server for the hello, the forwarder for the bye) and is what
//! a connection matches on to apply the output state (docs/protocol.md,
//! sections 4.4 and 4.5: class intents still queued are not sent while
//! paused or stopped), to drop expired intents, and to skip intents and
//! holds for a client that is behind.

use std::sync::Arc;

use neuroloop_core::clock;

/// What a [`Line`] is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LineKind {
    /// The hello or the bye: every client gets it, however far behind.
    Session,
    /// A class intent, which expires at `valid_until` (server clock;
    /// negative infinity when the intent message has none, so it is never
    /// sent).
    Intent { valid_until: f64 },
    /// A hold.
    Hold,
}

impl LineKind {
    /// An intent or hold: skipped for a client that is behind.
    pub(crate) fn droppable(self) -> bool {
        matches!(self, LineKind::Intent { .. } | LineKind::Hold)
    }
}

/// A serialised protocol line shared by every connection, with its kind,
/// publish time and sequence number.
#[derive(Debug, Clone)]
pub struct Line {
    bytes: Arc<[u8]>,
    /// What it is.
    pub(crate) kind: LineKind,
    /// When it was published (server clock, seconds).
    pub(crate) published: f64,
    /// Sequence number of an intent or hold, else 0.
    pub(crate) seq: u64,
}

impl Line {
    /// A line every client gets (hello, bye), published now.
    #[must_use]
    pub fn new(bytes: &[u8]) -> Self {
        Self {
            bytes: bytes.into(),
            kind: LineKind::Session,
            published: clock::now(),
            seq: 0,
        }
    }

    /// A pipeline output (`kind`: an intent or a hold) with its publish
    /// time and sequence number.
    pub(crate) fn output(bytes: &[u8], kind: LineKind, published: f64, seq: u64) -> Self {
        Self {
            bytes: bytes.into(),
            kind,
            published,
            seq,
        }
    }
}

impl std::ops::Deref for Line {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}
