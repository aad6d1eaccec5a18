//! The recorder's intake of published lines: a thread that only moves each
//! line from the publishers' broadcast into a deep queue, so that the
//! writer's file I/O (a sync can take a while) never makes the recorder lag
//! behind the broadcast. What the queue cannot take is counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::broadcast;

use crate::error::RuntimeError;
use crate::server::Line;

/// Lines the queue holds: minutes of intents at any hop.
const QUEUE: usize = 1 << 16;

/// Starts the intake; returns the writer's end of the queue (disconnected
/// when the broadcast ends) and the count of lines lost.
///
/// # Errors
/// [`RuntimeError::Thread`] if the thread cannot start.
pub(super) fn spawn(
    lines: broadcast::Receiver<Line>,
) -> Result<(Receiver<Line>, Arc<AtomicU64>), RuntimeError> {
    let (tx, rx) = crossbeam_channel::bounded(QUEUE);
    let dropped = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&dropped);
    std::thread::Builder::new()
        .name("neuroloop-recorder-lines".into())
        .spawn(move || feed(lines, &tx, &counter))
        .map_err(|_| RuntimeError::Thread("recorder lines"))?;
    Ok((rx, dropped))
}

fn feed(mut lines: broadcast::Receiver<Line>, queue: &Sender<Line>, dropped: &AtomicU64) {
    crate::background::yield_to_real_time();
    loop {
        match lines.blocking_recv() {
            Ok(line) => {
                if queue.try_send(line).is_err() {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(broadcast::error::RecvError::Lagged(n)) => {
                dropped.fetch_add(n, Ordering::Relaxed);
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
