//! The trainer thread: waits for a calibration set, fits the session's
//! architecture on it off the real-time path ([`neuroloop_decode::fit`],
//! the same fit as `neuroloop train`), and hands the decoder to the
//! pipeline; with `[decoder] save_bundle` it first saves it as a model
//! bundle. A set that cannot be fitted goes back to the pipeline with the
//! reason, and the next one is tried.

use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{EpochSet, FitOptions, FittedModel, ModelSpec, fit};
use neuroloop_decode::{DecodeError, Decoder};

use crate::decoding::{CalibrationSet, TrainingFailure, TrainingResult};
use crate::report::TrainingSummary;

/// What the trainer fits, and on which windows.
#[derive(Debug, Clone)]
pub struct TrainerConfig {
    /// Architecture and hyperparameters; `None` for a bundle decoder
    /// (nothing to train: no set ever arrives).
    pub spec: Option<ModelSpec>,
    /// Seed and training options.
    pub options: FitOptions,
    /// Channels per window.
    pub channels: usize,
    /// Samples per window.
    pub samples: usize,
    /// Sample rate, Hz.
    pub sample_rate: f64,
    /// The session's classes.
    pub classes: Vec<String>,
    /// Where to save the decoder as a bundle, if asked.
    pub save: Option<(PathBuf, BundleMeta)>,
    /// With a GPU `device`: the trained network goes there, warmed up,
    /// before its CPU form goes to the pipeline.
    pub device: Option<crate::session::DeviceEnd>,
}

/// Runs until one set was fitted, or the pipeline hung up (then returns
/// the summary of the failed attempts, `None` if none arrived).
pub fn train_thread(
    sets: &Receiver<CalibrationSet>,
    decoders: &Sender<TrainingResult>,
    config: &TrainerConfig,
) -> Option<TrainingSummary> {
    let mut summary: Option<TrainingSummary> = None;
    for set in sets {
        let attempts = summary.as_ref().map_or(0, |s| s.attempts) + 1;
        let started = Instant::now();
        tracing::info!(
            windows = set.len(),
            attempt = attempts,
            "calibration finished; training"
        );
        let result = fit_set(&set, config);
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Ok((decoder, s)) => {
                let _ = decoders.send(Ok(decoder));
                return Some(TrainingSummary {
                    attempts,
                    seconds,
                    last_failure: summary.and_then(|f| f.error),
                    ..s
                });
            }
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    attempt = attempts,
                    "calibration could not be fitted; calibrating again"
                );
                summary = Some(TrainingSummary {
                    windows: set.len(),
                    seconds,
                    attempts,
                    error: Some(e.to_string()),
                    ..TrainingSummary::default()
                });
                let failure = TrainingFailure {
                    reason: e.to_string(),
                    set,
                };
                if decoders.send(Err(failure)).is_err() {
                    break;
                }
            }
        }
    }
    summary
}

/// Fits the set (a copy of it, so that a failed set can be extended).
fn fit_set(
    set: &CalibrationSet,
    config: &TrainerConfig,
) -> Result<(Box<dyn Decoder>, TrainingSummary), DecodeError> {
    let epochs = EpochSet::new(
        config.channels,
        config.samples,
        config.sample_rate,
        config.classes.clone(),
        set.windows.clone(),
        set.labels.clone(),
    )?;
    let spec = config
        .spec
        .as_ref()
        .ok_or_else(|| DecodeError::ArchitectureUnavailable("a bundle is not trained".into()))?;
    let model = fit(spec, &epochs, &config.options, &mut |_| {})?;
    let r = model.report();
    tracing::info!(
        architecture = %r.architecture,
        train_accuracy = r.train_accuracy,
        validation_accuracy = ?r.validation_accuracy,
        "decoder trained"
    );
    let summary = TrainingSummary {
        windows: set.len(),
        epochs: r.epochs,
        train_accuracy: r.train_accuracy,
        validation_accuracy: r.validation_accuracy,
        ..TrainingSummary::default()
    };
    if let Some((dir, meta)) = &config.save {
        save_bundle(&model, dir, meta);
    }
    if let Some((device, worker)) = &config.device {
        let mut network = model.batch_decoder(*device)?;
        crate::decode_worker::warm_up(network.as_mut())?;
        tracing::info!(device = %device, "decoder warmed up on the device");
        // The worker takes it before any window reaches it: the pipeline
        // sends windows only once the CPU form below has arrived.
        let _ = worker.send(network);
    }
    Ok((model.into_decoder()?, summary))
}

/// Saves the trained decoder as a bundle in `dir`; a failure to write is
/// logged and the session goes on with the decoder.
fn save_bundle(model: &FittedModel, dir: &PathBuf, meta: &BundleMeta) {
    match model.save_bundle(dir, meta) {
        Ok(()) => tracing::info!(bundle = %dir.display(), "decoder saved as a bundle"),
        Err(e) => tracing::error!(error = %e, "the decoder could not be saved as a bundle"),
    }
}
