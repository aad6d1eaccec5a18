//! The thread of one further data stream (`[[source.inlets]]`): pulls it
//! into its own SPSC ring for the aligner, and re-resolves it (on this
//! thread) when liblsl reports it lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;

use neuroloop_core::clock;
use neuroloop_core::ring::RingWriter;
use neuroloop_lsl::{Lsl, LslError};

use super::resolve::reresolve_data;
use super::stream::{DataInlet, Target};

/// What a further stream's thread did.
#[derive(Debug, Default, Clone)]
pub(super) struct LaneReport {
    /// Samples pulled.
    pub samples: u64,
    /// Times liblsl reported the stream lost.
    pub losses: u64,
    /// Times it was found again and resumed.
    pub reresolutions: u64,
    /// Nominal and measured rate.
    pub rate: crate::StreamRate,
}

/// Everything the thread needs.
pub(super) struct Secondary {
    pub inlet: DataInlet,
    pub target: Target,
    pub writer: RingWriter,
    pub correction_every_s: f64,
}

/// Starts the thread; it runs until `stop` is set.
///
/// # Errors
/// The OS error if the thread cannot start.
pub(super) fn spawn(
    lsl: &'static Lsl,
    secondary: Secondary,
    stop: Arc<AtomicBool>,
    refused: Arc<AtomicU64>,
) -> std::io::Result<JoinHandle<LaneReport>> {
    std::thread::Builder::new()
        .name("neuroloop-lsl-inlet".into())
        .spawn(move || run(lsl, secondary, &stop, &refused))
}

fn run(lsl: &'static Lsl, s: Secondary, stop: &AtomicBool, refused: &AtomicU64) -> LaneReport {
    let Secondary {
        mut inlet,
        target,
        mut writer,
        correction_every_s,
    } = s;
    let mut report = LaneReport::default();
    let mut next_correction = clock::now() + correction_every_s;
    while !stop.load(Ordering::Relaxed) {
        match inlet.pull() {
            Ok(0) => {}
            Ok(n) => {
                let arrival = clock::now();
                writer.push(inlet.data(n), inlet.times(n), arrival);
                report.samples += n as u64;
                if arrival >= next_correction {
                    next_correction = arrival + correction_every_s;
                    inlet.refresh_correction();
                }
            }
            Err(LslError::Lost(_)) => {
                report.losses += 1;
                tracing::warn!(query = %target.query, "LSL inlet stream lost; resolving it again");
                match reresolve_data(lsl, &target, stop, refused) {
                    Some(found) => {
                        report.reresolutions += 1;
                        inlet = found;
                    }
                    None => break,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, query = %target.query, "LSL inlet stream failed");
                break;
            }
        }
    }
    report.rate = crate::StreamRate::new(
        target.query.clone(),
        target.spec.sample_rate,
        writer.stats().timing().measured_rate(),
    );
    report
}
