//! The recorder's intake of published lines. The forwarder hands each
//! intent and hold it publishes straight to the recorder's deep queue, not
//! through the protocol broadcast: a broadcast receiver that lags loses the
//! oldest lines, and the recorder's threads run at background priority, so
//! on a loaded machine a fast session lost intents that way. The queue
//! holds minutes of intents at any hop, so the writer's file I/O (a sync
//! can take a while) costs none; what it cannot take is counted, and the
//! forwarder never waits on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};

use crate::server::Line;

/// Lines the queue holds: minutes of intents at any hop.
const QUEUE: usize = 1 << 16;

/// The forwarder's end of the recorder's line queue. The writer sees the
/// end of the lines when this is dropped.
#[derive(Debug)]
pub struct LineFeed {
    queue: Sender<Line>,
    dropped: Arc<AtomicU64>,
}

impl LineFeed {
    /// A feed, the writer's end of its queue and the count of lines lost.
    pub(super) fn new() -> (Self, Receiver<Line>, Arc<AtomicU64>) {
        let (queue, lines) = crossbeam_channel::bounded(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let feed = Self {
            queue,
            dropped: Arc::clone(&dropped),
        };
        (feed, lines, dropped)
    }

    /// Queues `line` for the recorder without waiting; a full queue (the
    /// writer far behind) or a writer that has stopped counts it as lost.
    pub fn offer(&self, line: &Line) {
        if self.queue.try_send(line.clone()).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offered_line_arrives_until_the_queue_is_full_then_each_is_counted() {
        let (feed, lines, dropped) = LineFeed::new();
        let line = Line::new(b"{\"type\":\"hold\"}\n");
        for _ in 0..QUEUE + 3 {
            feed.offer(&line);
        }
        assert_eq!(lines.len(), QUEUE);
        assert_eq!(dropped.load(Ordering::Relaxed), 3);
        drop(feed);
        assert_eq!(lines.iter().count(), QUEUE, "then the end of the lines");
    }
}
