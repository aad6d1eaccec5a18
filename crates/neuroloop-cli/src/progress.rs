//! Training progress on stderr: redrawn in place (`\r`) on a terminal, one
//! plain line per training pass otherwise (a log or a pipe gets lines, not
//! carriage returns).

use std::io::{IsTerminal, Write};

use neuroloop_decode::fit::EpochProgress;

/// Where progress goes and how.
#[derive(Debug)]
pub struct Progress {
    terminal: bool,
    quiet: bool,
    drawn: bool,
}

impl Progress {
    /// Progress on stderr (nothing at all when `quiet`).
    #[must_use]
    pub fn stderr(quiet: bool) -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            quiet,
            drawn: false,
        }
    }

    /// Shows one finished training pass.
    pub fn pass(&mut self, p: &EpochProgress) {
        if self.quiet {
            return;
        }
        let line = line(p, self.terminal);
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}   ")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends a redrawn line.
    pub fn finish(&mut self) {
        if self.terminal && self.drawn {
            let _ = writeln!(std::io::stderr().lock());
        }
        self.drawn = false;
    }
}

/// `epoch 12/100 [####------]  train loss …` (the bar only on a terminal).
fn line(p: &EpochProgress, bar: bool) -> String {
    const WIDTH: usize = 24;
    let val = match (p.val_loss, p.val_accuracy) {
        (Some(l), Some(a)) => format!("  val loss {l:.3}  val acc {a:.3}"),
        _ => String::new(),
    };
    let bar = if bar {
        let done = (p.epoch * WIDTH / p.max_epochs.max(1)).min(WIDTH);
        format!(" [{}{}]", "#".repeat(done), "-".repeat(WIDTH - done))
    } else {
        String::new()
    };
    format!(
        "epoch {:>4}/{:<4}{bar}  train loss {:.3}{val}",
        p.epoch, p.max_epochs, p.train_loss
    )
}
