//! Session wiring: builds every stage from a validated config, starts the
//! threads, and shuts them down in order.
//!
//! ```text
//! source thread ──ring──▶ pipeline thread ──crossbeam──▶ forwarder thread ──broadcast──▶ tokio server ──TCP──▶ clients
//!                             │   ▲
//!              calibration set ▼   │ trained decoder
//!                          trainer thread
//! ```
//!
//! Shutdown drains: [`RunningSession::stop`] tells the source to stop; its
//! ring closes; the pipeline finishes what is in the ring and hangs up; the
//! forwarder publishes the rest and a `bye`; the server closes connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use neuroloop_core::{SampleBlock, markers::marker_ring, ring::RingStats, ring::sample_ring};
use neuroloop_decode::fit::FitOptions;
use neuroloop_dsp::NonFiniteCounter;
use neuroloop_sources::lsl::LslSource;
use neuroloop_sources::sim::SimSource;
use neuroloop_sources::{Source, SourceIo, SourceReport};

use crate::config::{SourceSection, ValidatedSession};
use crate::decoding::{CalibrationSet, DecoderSlot};
use crate::error::RuntimeError;
use crate::filtered_outlet::FilteredOutletReport;
use crate::labels::LabelTimeline;
use crate::latency::LatencyHistograms;
use crate::pipeline::Pipeline;
use crate::policy::IntentPolicy;
use crate::report::{LatencyReport, OverrunReport, ProtocolReport, SessionReport, TrainingSummary};
use crate::server::{Hub, ProtocolServer, ServerStats, forward};
use crate::stats::PipelineStats;
use crate::trainer::{TrainerConfig, train_thread};
use crate::windowing::Windowing;

/// Largest block the pipeline pops from the ring at once.
const PIPELINE_BLOCK: usize = 256;
/// Intents queued between the pipeline and the forwarder.
const INTENT_QUEUE: usize = 1024;
/// Markers queued between source and pipeline.
const MARKER_QUEUE: usize = 1024;

/// Overrides for tests and benchmarks.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Listen here instead of `publish.tcp` (e.g. port 0 in tests).
    pub listen: Option<SocketAddr>,
    /// Stop the source after this many samples.
    pub sample_limit: Option<u64>,
    /// Start the source only once this many clients are connected.
    pub wait_for_clients: usize,
    /// Also send every published intent here (in-process consumers; see
    /// [`crate::server::forward`]).
    pub intent_tap: Option<crossbeam_channel::Sender<neuroloop_core::Intent>>,
}

/// A session whose threads are running.
pub struct RunningSession {
    name: String,
    started: Instant,
    stop: Arc<AtomicBool>,
    local_addr: SocketAddr,
    websocket_addr: Option<SocketAddr>,
    stats: Arc<PipelineStats>,
    ring: Arc<RingStats>,
    non_finite: NonFiniteCounter,
    stream: (String, f64),
    server: Arc<ServerStats>,
    hub: Arc<Hub>,
    source: JoinHandle<Result<SourceReport, neuroloop_sources::SourceError>>,
    pipeline: JoinHandle<()>,
    forwarder: JoinHandle<LatencyHistograms>,
    lsl_outlet: Option<JoinHandle<u64>>,
    filtered_outlet: Option<JoinHandle<FilteredOutletReport>>,
    trainer: JoinHandle<Option<TrainingSummary>>,
    runtime: tokio::runtime::Runtime,
}

/// Builds and starts a session.
///
/// # Errors
/// [`RuntimeError::Bind`] if the intent port is taken, [`RuntimeError::Build`]
/// if a stage cannot be built, [`RuntimeError::Source`] if the source cannot
/// open. Nothing keeps running after an error.
pub fn start(cfg: ValidatedSession, options: StartOptions) -> Result<RunningSession, RuntimeError> {
    let spec = cfg.input.clone();
    let channels = spec.channel_count();
    let live = match &cfg.source {
        SourceSection::Sim(sim) => sim.realtime,
        SourceSection::Lsl(_) => true,
        // A recording is never live: the pipeline waits for the trainer, so
        // both paces decode the same windows with the same decoder.
        SourceSection::Replay(_) => false,
    };
    let mut source: Box<dyn Source> = match &cfg.source {
        SourceSection::Sim(sim) => {
            let s = SimSource::open(sim, spec.clone())?;
            Box::new(match options.sample_limit {
                Some(n) => s.with_limit(n),
                None => s,
            })
        }
        SourceSection::Lsl(lsl) => Box::new(LslSource::open(
            &lsl.with_profile_scale(cfg.profile.scale_uv_per_count),
            spec.clone(),
            &cfg.lsl.settings(),
        )?),
        SourceSection::Replay(replay) => Box::new(open_replay(replay, &cfg, spec.clone())?),
    };
    let build_err = |what| {
        move |e: neuroloop_core::Error| RuntimeError::Build {
            what,
            message: e.to_string(),
        }
    };
    let chain = cfg
        .filters
        .initialize(&spec, PIPELINE_BLOCK)
        .map_err(build_err("filters"))?;
    let artifacts = cfg
        .artifacts
        .build(&spec, PIPELINE_BLOCK)
        .map_err(build_err("artifact detector"))?;
    let non_finite = chain.non_finite_counter();
    let windows = Windowing::build(&cfg)?;
    let bundled = crate::decoding::bundle_decoder(&cfg)?;
    let set =
        CalibrationSet::with_capacity(cfg.calibration_capacity(), channels * cfg.window_samples);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("neuroloop-io")
        .enable_all()
        .build()?;
    let protocol = ProtocolServer::start(
        &runtime,
        &cfg.publish,
        &cfg.session.name,
        &cfg.classes,
        options.listen.unwrap_or(cfg.publish_addr),
    )?;
    let (local_addr, websocket_addr) = (protocol.local_addr(), protocol.websocket_addr());
    let (server, hub) = (protocol.stats(), protocol.hub());
    let lines = protocol.into_lines();

    let lsl_outlet = crate::lsl_outlet::spawn(&cfg, &lines)?;
    let (filtered_tap, filtered_outlet) = match crate::filtered_outlet::spawn(&cfg)? {
        Some(f) => (Some(f.tap), Some(f.thread)),
        None => (None, None),
    };
    let (writer, reader) = sample_ring(channels, cfg.ring_samples);
    let ring = writer.stats();
    let (marker_writer, marker_reader) = marker_ring(MARKER_QUEUE);
    let (intent_tx, intent_rx) = crossbeam_channel::bounded(INTENT_QUEUE);
    let (calib_tx, calib_rx) = crossbeam_channel::bounded(1);
    let (decoder_tx, decoder_rx) = crossbeam_channel::bounded(1);
    let stats = Arc::new(PipelineStats::default());
    let stop = Arc::new(AtomicBool::new(false));

    let decoder = match bundled {
        Some(decoder) => DecoderSlot::Ready(decoder),
        None => {
            DecoderSlot::calibrating(set, cfg.decoder.calibration_s, calib_tx, decoder_rx, !live)
        }
    };
    let mut pipeline = Pipeline {
        reader,
        markers: Some(marker_reader),
        block: SampleBlock::with_capacity(channels, PIPELINE_BLOCK),
        artifacts,
        chain,
        windows,
        labels: LabelTimeline::new(256, cfg.decoder.label_delay_s),
        decoder,
        policy: IntentPolicy::new(
            cfg.classes.len(),
            cfg.policy.smoothing,
            cfg.policy.threshold,
            cfg.policy.dwell_s,
        ),
        intents: intent_tx,
        stats: Arc::clone(&stats),
        n_classes: cfg.classes.len(),
        filtered: filtered_tap,
    };
    let save = cfg.decoder.save_dir(&cfg.path).map(|dir| {
        let meta = neuroloop_decode::bundle::BundleMeta {
            channels: cfg
                .filtered
                .channels
                .iter()
                .map(|c| c.label.clone())
                .collect(),
            filters: cfg
                .filter_tables
                .iter()
                .filter_map(|t| serde_json::to_value(t).ok())
                .collect(),
            source: Some(format!("calibration of session {}", cfg.session.name)),
            windows: cfg.windows.description(),
        };
        (dir, meta)
    });
    let trainer_config = TrainerConfig {
        spec: if cfg.decoder.is_bundle() {
            None
        } else {
            Some(
                cfg.decoder
                    .model_spec()
                    .map_err(|message| RuntimeError::Build {
                        what: "decoder",
                        message,
                    })?,
            )
        },
        options: FitOptions {
            seed: cfg.decoder.seed,
            ..FitOptions::default()
        },
        channels: cfg.filtered.channel_count(),
        samples: cfg.window_samples,
        sample_rate: spec.sample_rate,
        classes: cfg.classes.clone(),
        save,
    };
    let spawn = |name: &'static str| std::thread::Builder::new().name(format!("neuroloop-{name}"));
    let trainer = spawn("trainer")
        .spawn(move || train_thread(&calib_rx, &decoder_tx, &trainer_config))
        .map_err(|_| RuntimeError::Thread("trainer"))?;
    let pipeline = spawn("pipeline")
        .spawn(move || pipeline.run())
        .map_err(|_| RuntimeError::Thread("pipeline"))?;
    let notify = pipeline.thread().clone();
    let classes = cfg.classes.clone();
    let forward_lines = lines;
    let forward_hub = Arc::clone(&hub);
    let tap = options.intent_tap.clone();
    let forwarder = spawn("forwarder")
        .spawn(move || forward(intent_rx, forward_lines, classes, forward_hub, tap))
        .map_err(|_| RuntimeError::Thread("forwarder"))?;
    let source_stop = Arc::clone(&stop);
    let source_server = Arc::clone(&server);
    let wait_for_clients = options.wait_for_clients as u64;
    let source = spawn("source")
        .spawn(move || {
            while source_server.active.load(Ordering::Relaxed) < wait_for_clients
                && !source_stop.load(Ordering::Relaxed)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            let io = SourceIo {
                samples: writer,
                markers: Some(marker_writer),
                notify: Some(notify),
            };
            let result = source.run(io, &source_stop);
            if let Err(e) = &result {
                tracing::error!(error = %e, "source failed");
            }
            result
        })
        .map_err(|_| RuntimeError::Thread("source"))?;
    tracing::info!(session = %cfg.session.name, %local_addr, channels, rate = spec.sample_rate, "session started");
    Ok(RunningSession {
        name: cfg.session.name.clone(),
        started: Instant::now(),
        stop,
        local_addr,
        websocket_addr,
        stats,
        ring,
        non_finite,
        stream: (spec.name.clone(), spec.sample_rate),
        server,
        hub,
        source,
        pipeline,
        forwarder,
        lsl_outlet,
        filtered_outlet,
        trainer,
        runtime,
    })
}

/// The replay source of `cfg`, its block from `[source] block_size` or
/// the profile.
fn open_replay(
    replay: &crate::config::ReplaySection,
    cfg: &ValidatedSession,
    mut spec: neuroloop_core::StreamSpec,
) -> Result<neuroloop_sources::replay::ReplaySource, RuntimeError> {
    spec.block_size = replay.config.block_size.unwrap_or(spec.block_size);
    Ok(neuroloop_sources::replay::ReplaySource::open(
        std::sync::Arc::clone(&replay.recording),
        spec,
        cfg.classes.clone(),
        replay.config.pace,
    )?)
}

impl RunningSession {
    /// Where clients connect.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where WebSocket clients connect, if `publish.websocket` is set.
    #[must_use]
    pub fn websocket_addr(&self) -> Option<SocketAddr> {
        self.websocket_addr
    }

    /// Live pipeline counters.
    #[must_use]
    pub fn stats(&self) -> Arc<PipelineStats> {
        Arc::clone(&self.stats)
    }

    /// Protocol connections open now.
    #[must_use]
    pub fn open_connections(&self) -> u64 {
        self.server.active.load(Ordering::Relaxed)
    }

    /// Tasks alive on the I/O runtime (the server and one per connection).
    #[must_use]
    pub fn io_tasks(&self) -> usize {
        self.runtime.metrics().num_alive_tasks()
    }

    /// The protocol server's shared state (output state, counters).
    #[must_use]
    pub fn hub(&self) -> Arc<Hub> {
        Arc::clone(&self.hub)
    }

    /// Asks the source to stop; the rest drains after it.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether the source has ended (its own limit, or after [`Self::stop`]).
    #[must_use]
    pub fn source_finished(&self) -> bool {
        self.source.is_finished()
    }

    /// A handle for async code (signal handling) to run on.
    #[must_use]
    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    /// Stops (if not yet stopped), drains every stage and reports. A
    /// source that failed (e.g. a stream that changed its channel count)
    /// ends the session like a stop; its error is in the report
    /// (`source_error`).
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if a thread panicked.
    pub fn finish(self) -> Result<SessionReport, RuntimeError> {
        self.stop();
        let source = self
            .source
            .join()
            .map_err(|_| RuntimeError::Thread("source"))?;
        self.pipeline
            .join()
            .map_err(|_| RuntimeError::Thread("pipeline"))?;
        let histograms = self
            .forwarder
            .join()
            .map_err(|_| RuntimeError::Thread("forwarder"))?;
        if let Some(outlet) = self.lsl_outlet {
            outlet
                .join()
                .map_err(|_| RuntimeError::Thread("lsl outlet"))?;
        }
        let filtered_outlet = match self.filtered_outlet {
            Some(outlet) => Some(
                outlet
                    .join()
                    .map_err(|_| RuntimeError::Thread("lsl filtered outlet"))?,
            ),
            None => None,
        };
        let training = self
            .trainer
            .join()
            .map_err(|_| RuntimeError::Thread("trainer"))?;
        // Let the connections write the last lines and the bye.
        let deadline = Instant::now() + Duration::from_secs(1);
        while self.server.active.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.runtime.shutdown_timeout(Duration::from_millis(200));
        let (source, source_error) = match source {
            Ok(report) => (report, None),
            Err(e) => (
                neuroloop_sources::SourceReport {
                    samples: self.ring.pushed() + self.ring.dropped(),
                    ..Default::default()
                },
                Some(e.to_string()),
            ),
        };
        let timing = self.ring.timing();
        let mut streams = vec![neuroloop_sources::StreamRate::new(
            self.stream.0.clone(),
            self.stream.1,
            timing.measured_rate(),
        )];
        streams.extend(source.streams.iter().cloned());
        let pipeline = self.stats.snapshot();
        let artifacts = self.stats.artifact.snapshot();
        let summary = |h| LatencyHistograms::summary(h);
        let report = SessionReport {
            session: self.name,
            duration_s: self.started.elapsed().as_secs_f64(),
            samples_produced: source.samples,
            ring_dropped: self.ring.dropped(),
            ring_overflows: self.ring.overflows(),
            // The artifact detector replaces NaN/Inf before the filters; the
            // filters count any that reach them still.
            non_finite_samples: self
                .non_finite
                .get()
                .saturating_add(artifacts.samples.non_finite),
            overruns: OverrunReport {
                late_pushes: timing.late_pushes(),
                max_lag_s: timing.max_lag_s(),
                threshold_s: neuroloop_core::ring::OVERRUN_LAG_S,
            },
            streams,
            source_error,
            source: source.clone(),
            filtered_outlet,
            online_accuracy: pipeline.online_accuracy(),
            pipeline,
            training,
            connections: self.server.connections.load(Ordering::Relaxed),
            lagged_lines: self.server.lagged_lines.load(Ordering::Relaxed),
            protocol: ProtocolReport {
                ack_rtt: self.hub.rtt_summary(),
                estops: self.hub.estops.load(Ordering::Relaxed),
                errors_sent: self.hub.errors_sent.load(Ordering::Relaxed),
                stalled_clients: self.hub.stalled.load(Ordering::Relaxed),
                refused_connections: self.hub.refused.load(Ordering::Relaxed),
                stale_intents_dropped: self.hub.stale_intents_dropped.load(Ordering::Relaxed),
                lag_episodes: self.server.lag_episodes.load(Ordering::Relaxed),
            },
            latency: LatencyReport {
                publish_minus_arrival: summary(&histograms.end_to_end),
                decoded_publish_minus_arrival: summary(&histograms.decoded_end_to_end),
                decode: summary(&histograms.decode),
                pipeline: summary(&histograms.pipeline),
            },
            artifacts,
        };
        Ok(report)
    }
}
