//! The trainer thread: waits for the calibration set, trains the decoder
//! off the real-time path, and hands it to the pipeline; with
//! `[decoder] save_bundle` it first saves the decoder as a model bundle.

use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::FittedModel;
use neuroloop_decode::{BandpowerConfig, Decoder, TrainOptions, TrainReport, train};

use crate::decoding::{CalibrationSet, TrainingResult};
use crate::report::TrainingSummary;

/// Runs until one set was trained (or the pipeline hung up before sending
/// one, then returns `None`).
pub fn train_thread(
    sets: &Receiver<CalibrationSet>,
    decoders: &Sender<TrainingResult>,
    config: &BandpowerConfig,
    options: &TrainOptions,
    save: Option<&(PathBuf, BundleMeta)>,
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
            let decoder: TrainingResult = match save {
                Some((dir, meta)) => save_bundle(decoder, options.seed, &report, dir, meta)
                    .map_err(|e| e.to_string()),
                None => Ok(Box::new(decoder)),
            };
            let _ = decoders.send(decoder);
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

/// Saves the trained decoder as a bundle in `dir` (a failure to write is
/// logged; the session goes on with the decoder).
fn save_bundle(
    decoder: neuroloop_decode::BandpowerDecoder,
    seed: u64,
    report: &TrainReport,
    dir: &PathBuf,
    meta: &BundleMeta,
) -> Result<Box<dyn Decoder>, neuroloop_decode::DecodeError> {
    let model = FittedModel::from_bandpower(decoder, seed, report);
    match model.save_bundle(dir, meta) {
        Ok(()) => tracing::info!(bundle = %dir.display(), "decoder saved as a bundle"),
        Err(e) => tracing::error!(error = %e, "the decoder could not be saved as a bundle"),
    }
    model.into_decoder()
}
