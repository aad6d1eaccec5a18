//! A session assembled from its parts, in the order data flows: the
//! source, the pipeline (with its rings), calibration, the publishers, the
//! recorder (which takes the source's aux stream, if any).
//! [`assemble`] builds every part from the validated config without
//! starting a thread; [`SessionParts::launch`] starts them. Tests that
//! drive the pipeline by hand take the parts from the same builder.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use neuroloop_sources::SourceIo;

use super::calibration::CalibrationPart;
use super::pipeline_part::PipelinePart;
use super::publishers::Publishers;
use super::source_part::SourcePart;
use super::{RunningSession, StartOptions};
use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::recorder::{Recorder, SourceFeeds};

/// Every part of a session, built and not yet running.
pub struct SessionParts {
    /// The opened source.
    pub source: SourcePart,
    /// The pipeline and the ends of its queues.
    pub pipeline: PipelinePart,
    /// The trainer (`None` with a bundle decoder).
    pub calibration: Option<CalibrationPart>,
    /// The servers and outlets, listening.
    pub publishers: Publishers,
    /// The recording's writing thread, if `[record]`.
    pub recorder: Option<std::thread::JoinHandle<crate::recorder::RecordReport>>,
    name: String,
    options: StartOptions,
}

/// Builds every part of the session `cfg`: opens the source, builds the
/// pipeline for its stream, prepares calibration, binds the servers and
/// opens the outlets. Nothing runs yet.
///
/// # Errors
/// [`RuntimeError::Source`]/[`RuntimeError::Lsl`] if the source cannot
/// open, [`RuntimeError::Build`] if a stage cannot be built,
/// [`RuntimeError::Bind`] if an address is taken.
pub fn assemble(
    cfg: &ValidatedSession,
    options: StartOptions,
) -> Result<SessionParts, RuntimeError> {
    let mut source = SourcePart::open(cfg, options.sample_limit)?;
    // The source's channels that `[pipeline] channels` selects: what the
    // ring keeps, the pipeline reads, calibration fits and the recorder writes.
    let input = &cfg.pipeline.input;
    let mut pipeline = PipelinePart::build(cfg, input, source.live())?;
    let calibration = match pipeline.calibration.take() {
        Some(ends) => Some(CalibrationPart::new(cfg, input, ends)?),
        None => None,
    };
    let mut publishers = Publishers::start(cfg, options.listen)?;
    pipeline.pipeline.filtered = publishers.filtered_tap.take();
    pipeline.pipeline.stage_timing = !options.without_stage_timing;
    let recorder = match &cfg.record {
        Some(plan) => {
            let aux = source.take_aux_stream();
            let offsets = source.clock_offsets();
            let mut recorder = Recorder::start(
                plan,
                input,
                &cfg.classes,
                cfg.pipeline.ring_samples,
                !source.live(),
                SourceFeeds { offsets, aux },
            )?;
            pipeline.pipeline.record = recorder.tap.take();
            publishers.record_lines = recorder.lines.take();
            Some(recorder.thread)
        }
        None => None,
    };
    Ok(SessionParts {
        source,
        pipeline,
        calibration,
        publishers,
        recorder,
        name: cfg.session.name.clone(),
        options,
    })
}

impl SessionParts {
    /// Starts the trainer, the pipeline, the forwarder and last the source
    /// (once `wait_for_clients` clients are connected).
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if a thread cannot start.
    pub fn launch(self) -> Result<RunningSession, RuntimeError> {
        let Self {
            source,
            pipeline: part,
            calibration,
            mut publishers,
            recorder,
            name,
            options,
        } = self;
        let trainer = calibration.map(CalibrationPart::spawn).transpose()?;
        let stats = Arc::clone(&part.pipeline.stats);
        let mut pipeline = part.pipeline;
        let pipeline = std::thread::Builder::new()
            .name("neuroloop-pipeline".into())
            .spawn(move || pipeline.run())
            .map_err(|_| RuntimeError::Thread("pipeline"))?;
        let forwarder = publishers.spawn_forwarder(part.intents, options.intent_tap)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stream = (source.spec().name.clone(), source.spec().sample_rate);
        let io = SourceIo {
            samples: part.samples,
            markers: Some(part.markers),
            notify: Some(pipeline.thread().clone()),
        };
        let clients = Arc::clone(&publishers.server);
        let wanted = options.wait_for_clients as u64;
        let ready = move || clients.active.load(Ordering::Relaxed) >= wanted;
        let source = source.spawn(io, Arc::clone(&stop), ready)?;
        tracing::info!(session = %name, local_addr = %publishers.local_addr, rate = stream.1, "session started");
        Ok(RunningSession {
            name,
            started: Instant::now(),
            stop,
            stats,
            ring: part.ring,
            non_finite: part.non_finite,
            stream,
            threads: super::Threads {
                source: Some(source),
                pipeline: Some(pipeline),
                forwarder: Some(forwarder),
                trainer,
                recorder,
            },
            publishers,
        })
    }
}
