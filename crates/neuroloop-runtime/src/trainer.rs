//! The trainer thread: waits for the calibration set, trains the decoder
//! off the real-time path, and hands it to the pipeline.

use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_decode::{BandpowerConfig, TrainOptions, train};

use crate::decoding::{CalibrationSet, TrainingResult};
use crate::report::TrainingSummary;

/// Runs until one set was trained (or the pipeline hung up before sending
/// one, then returns `None`).
pub fn train_thread(
    sets: &Receiver<CalibrationSet>,
    decoders: &Sender<TrainingResult>,
    config: &BandpowerConfig,
    options: &TrainOptions,
) -> Option<TrainingSummary> {
    let set = sets.recv().ok()?;
    let started = Instant::now();
    tracing::info!(windows = set.len(), "calibration finished; training");
    let result = train(config, &set.windows, &set.labels, options);
    let seconds = started.elapsed().as_secs_f64();
    let summary = match result {
        Ok((decoder, report)) => {
            tracing::info!(
                epochs = report.epochs,
                train_accuracy = report.train_accuracy,
                validation_accuracy = ?report.validation_accuracy,
                seconds,
                "decoder trained"
            );
            let _ = decoders.send(Ok(Box::new(decoder)));
            TrainingSummary {
                windows: set.len(),
                epochs: report.epochs,
                train_accuracy: report.train_accuracy,
                validation_accuracy: report.validation_accuracy,
                seconds,
                error: None,
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "training failed; the session will only hold");
            let _ = decoders.send(Err(e.to_string()));
            TrainingSummary {
                windows: set.len(),
                seconds,
                error: Some(e.to_string()),
                ..TrainingSummary::default()
            }
        }
    };
    Some(summary)
}
