//! The pipeline part: the sample and marker rings and the pipeline that
//! reads them (artifact detection, filters, windows, decoder slot, intent
//! policy), built from `[pipeline]`, `[decoder]` and `[policy]` and not yet
//! running.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_core::markers::{MarkerWriter, marker_ring};
use neuroloop_core::ring::{RingStats, RingWriter, sample_ring_picking};
use neuroloop_core::{Intent, SampleBlock, StreamSpec};
use neuroloop_dsp::NonFiniteCounter;

use neuroloop_decode::bundle::Bundle;
use neuroloop_decode::fit::BatchDecoder;
use neuroloop_decode::{ComputeDevice, DecodeError};

use crate::config::ValidatedSession;
use crate::decode_worker::{Handoff, warm_up};
use crate::decoding::{CalibrationSet, DecoderSlot, TrainingResult};
use crate::error::RuntimeError;
use crate::labels::LabelTimeline;
use crate::offload::DeviceOffload;
use crate::pipeline::Pipeline;
use crate::policy::IntentPolicy;
use crate::stats::PipelineStats;
use crate::windowing::Windowing;

/// Largest block the pipeline pops from the ring at once.
pub const PIPELINE_BLOCK: usize = 256;
/// Intents queued between the pipeline and the forwarder.
const INTENT_QUEUE: usize = 1024;
/// Markers queued between source and pipeline.
const MARKER_QUEUE: usize = 1024;
/// Recent markers kept to label windows.
const LABEL_HISTORY: usize = 256;

/// The pipeline with the other ends of its queues.
pub struct PipelinePart {
    /// The pipeline, ready to [`Pipeline::run`] on its own thread.
    pub pipeline: Pipeline,
    /// The source's end of the sample ring.
    pub samples: RingWriter,
    /// The source's end of the marker ring.
    pub markers: MarkerWriter,
    /// The ring's counters (pushed, dropped, overflows, timing).
    pub ring: Arc<RingStats>,
    /// Non-finite samples that reached the filters.
    pub non_finite: NonFiniteCounter,
    /// The forwarder's end of the intent queue.
    pub intents: Receiver<Intent>,
    /// The trainer's ends of the calibration hand-off (`None` with a
    /// bundle decoder: nothing to train).
    pub calibration: Option<CalibrationEnds>,
}

/// The trainer's ends: calibration sets in, trained decoders out.
pub struct CalibrationEnds {
    /// Calibration sets from the pipeline.
    pub sets: Receiver<CalibrationSet>,
    /// Trained decoders to the pipeline.
    pub decoders: Sender<TrainingResult>,
    /// With a GPU `device`: where the trained network goes, warmed up, to
    /// the decode worker (before its CPU form goes to the pipeline).
    pub device: Option<DeviceEnd>,
}

/// The device a calibrated network decodes on, and the decode worker's
/// end of the hand-over.
pub type DeviceEnd = (ComputeDevice, Sender<Box<dyn BatchDecoder>>);

impl PipelinePart {
    /// Builds the pipeline for `spec` (the channels of the source's stream
    /// that `[pipeline] channels` selects, which its ring keeps);
    /// `live`: whether the source runs in real time (a pipeline fed by a
    /// source that is not live waits for its trainer).
    ///
    /// # Errors
    /// [`RuntimeError::Build`] naming the stage that cannot be built.
    pub fn build(
        cfg: &ValidatedSession,
        spec: &StreamSpec,
        live: bool,
    ) -> Result<Self, RuntimeError> {
        let build_err = |what| {
            move |e: neuroloop_core::Error| RuntimeError::Build {
                what,
                message: e.to_string(),
            }
        };
        let channels = spec.channel_count();
        let plan = &cfg.pipeline;
        if plan.pick.kept().len() != channels {
            return Err(RuntimeError::Build {
                what: "pipeline",
                message: format!(
                    "a stream of {channels} channels, but the session selects {} of its source",
                    plan.pick.kept().len()
                ),
            });
        }
        let chain = plan
            .filters
            .chain
            .initialize(spec, PIPELINE_BLOCK)
            .map_err(build_err("filters"))?;
        let artifacts = plan
            .artifacts
            .build(spec, PIPELINE_BLOCK)
            .map_err(build_err("artifact detector"))?;
        let (decoder, mut calibration) = decoder_slot(cfg, channels, live)?;
        let window_len = channels * cfg.pipeline.windows.window_samples;
        let offload = device_offload(cfg, window_len, live, calibration.as_mut())?;
        let (samples, reader) = sample_ring_picking(plan.pick.clone(), plan.ring_samples);
        let (markers, marker_reader) = marker_ring(MARKER_QUEUE);
        let (intent_tx, intents) = crossbeam_channel::bounded(INTENT_QUEUE);
        let pipeline = Pipeline {
            reader,
            markers: Some(marker_reader),
            block: SampleBlock::with_capacity(channels, PIPELINE_BLOCK),
            artifacts,
            windows: Windowing::build(cfg)?,
            labels: LabelTimeline::new(LABEL_HISTORY, cfg.decoder.label_delay_s),
            decoder,
            policy: IntentPolicy::new(
                cfg.classes.len(),
                cfg.policy.smoothing,
                cfg.policy.threshold,
                cfg.policy.dwell_s,
            ),
            intents: intent_tx,
            stats: Arc::new(PipelineStats::default()),
            n_classes: cfg.classes.len(),
            filtered: None,
            record: None,
            offload,
            chain,
            stage_timing: true,
        };
        Ok(Self {
            non_finite: pipeline.chain.non_finite_counter(),
            ring: samples.stats(),
            pipeline,
            samples,
            markers,
            intents,
            calibration,
        })
    }
}

/// The decoder slot: the bundle's decoder, ready; or calibration, with the
/// trainer's ends of its hand-off.
fn decoder_slot(
    cfg: &ValidatedSession,
    channels: usize,
    live: bool,
) -> Result<(DecoderSlot, Option<CalibrationEnds>), RuntimeError> {
    if let Some(decoder) = crate::decoding::bundle_decoder(cfg)? {
        return Ok((DecoderSlot::Ready(decoder), None));
    }
    let set = CalibrationSet::with_capacity(
        cfg.calibration_capacity(),
        channels * cfg.pipeline.windows.window_samples,
    );
    let (to_trainer, sets) = crossbeam_channel::bounded(1);
    let (decoders, from_trainer) = crossbeam_channel::bounded(1);
    let slot = DecoderSlot::calibrating(
        set,
        cfg.decoder.calibration_s,
        to_trainer,
        from_trainer,
        !live,
    );
    let ends = CalibrationEnds {
        sets,
        decoders,
        device: None,
    };
    Ok((slot, Some(ends)))
}

/// With a GPU `[decoder] device` (`"wgpu"`, `"cuda"`): checks the device, starts the decode
/// worker and gives the pipeline its end. A bundle's network is put on the
/// device and warmed up now, before the first window; a calibrated one by
/// the trainer, before its decoder reaches the pipeline.
///
/// # Errors
/// [`RuntimeError::Build`] if the device is missing or fails, or the
/// network cannot run there; [`RuntimeError::Thread`] if the worker cannot
/// start.
fn device_offload(
    cfg: &ValidatedSession,
    window_len: usize,
    live: bool,
    calibration: Option<&mut CalibrationEnds>,
) -> Result<Option<DeviceOffload>, RuntimeError> {
    let device = cfg.decoder.compute_device();
    if device == ComputeDevice::Cpu {
        return Ok(None);
    }
    let failed = |e: DecodeError| RuntimeError::Build {
        what: "decoder device",
        message: e.to_string(),
    };
    device.probe().map_err(failed)?;
    let handoff = match (calibration, cfg.decoder.bundle_dir(&cfg.path)) {
        (Some(ends), _) => {
            let (install, installed) = crossbeam_channel::bounded(1);
            ends.device = Some((device, install));
            Handoff::spawn(None, Some(installed), window_len)?
        }
        (None, Some(dir)) => {
            let bundle = Bundle::load_with(&dir, &cfg.decoder.decoders)?;
            let mut network = bundle.model().batch_decoder(device).map_err(failed)?;
            warm_up(network.as_mut()).map_err(failed)?;
            tracing::info!(device = %device, "decoder warmed up on the device");
            Handoff::spawn(Some(network), None, window_len)?
        }
        (None, None) => return Ok(None),
    };
    Ok(Some(DeviceOffload::new(
        handoff,
        cfg.decoder.gpu_deadline_s(),
        !live,
    )))
}
