//! The calibration part: the trainer thread that fits the session's
//! `[decoder]` architecture on the calibration windows the pipeline hands
//! it, off the real-time path, and hands the decoder back (saving it as a
//! bundle first with `[decoder] save_bundle`).

use std::thread::JoinHandle;

use neuroloop_core::StreamSpec;
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::FitOptions;

use super::pipeline_part::CalibrationEnds;
use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::report::TrainingSummary;
use crate::trainer::{TrainerConfig, train_thread};

/// The trainer, ready to start.
pub struct CalibrationPart {
    config: TrainerConfig,
    ends: CalibrationEnds,
}

impl CalibrationPart {
    /// What the trainer fits for `cfg` on windows of `spec`'s rate.
    ///
    /// # Errors
    /// [`RuntimeError::Build`] if the architecture cannot be specified.
    pub fn new(
        cfg: &ValidatedSession,
        spec: &StreamSpec,
        ends: CalibrationEnds,
    ) -> Result<Self, RuntimeError> {
        let model = cfg
            .decoder
            .model_spec()
            .map_err(|message| RuntimeError::Build {
                what: "decoder",
                message,
            })?;
        let config = TrainerConfig {
            spec: Some(model),
            options: FitOptions {
                seed: cfg.decoder.seed,
                ..FitOptions::default()
            },
            channels: cfg.pipeline.filters.output.channel_count(),
            samples: cfg.pipeline.windows.window_samples,
            sample_rate: spec.sample_rate,
            classes: cfg.classes.clone(),
            save: bundle_destination(cfg),
            device: ends.device.clone(),
        };
        Ok(Self { config, ends })
    }

    /// Starts the trainer thread; it ends when the pipeline hangs up.
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if the thread cannot start.
    pub fn spawn(self) -> Result<JoinHandle<Option<TrainingSummary>>, RuntimeError> {
        std::thread::Builder::new()
            .name("neuroloop-trainer".into())
            .spawn(move || {
                crate::background::yield_to_real_time();
                train_thread(&self.ends.sets, &self.ends.decoders, &self.config)
            })
            .map_err(|_| RuntimeError::Thread("trainer"))
    }
}

/// Where `[decoder] save_bundle` saves the trained decoder, with what the
/// bundle records of the session (channels, filters, windows).
fn bundle_destination(cfg: &ValidatedSession) -> Option<(std::path::PathBuf, BundleMeta)> {
    let dir = cfg.decoder.save_dir(&cfg.path)?;
    let meta = BundleMeta {
        channels: cfg
            .pipeline
            .filters
            .output
            .labels()
            .map(str::to_owned)
            .collect(),
        filters: cfg.pipeline.filters.tables_json(),
        source: Some(format!("calibration of session {}", cfg.session.name)),
        windows: cfg.pipeline.windows.mode.description(),
    };
    Some((dir, meta))
}
