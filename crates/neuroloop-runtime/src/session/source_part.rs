//! The source part: the `[source]` plan opened into a running source on
//! its own thread. The session takes its stream from the opened source
//! (which must be the validated one) and its cue labels must be the
//! session's classes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use neuroloop_core::StreamSpec;
use neuroloop_sources::{AuxStream, Source, SourceError, SourceIo, SourceReport};

use crate::config::ValidatedSession;
use crate::error::RuntimeError;
use crate::source_registry::OpenContext;

/// How often a source waiting for its first clients looks again.
const CLIENT_POLL: Duration = Duration::from_millis(2);

/// An opened source, not yet running.
pub struct SourcePart {
    source: Box<dyn Source>,
    live: bool,
}

impl SourcePart {
    /// Opens the session's source; `sample_limit` stops it after that many
    /// samples where the source supports it.
    ///
    /// # Errors
    /// The source's open error; [`RuntimeError::Build`] if it opened a
    /// stream other than the validated one or labels its cues with other
    /// classes.
    pub fn open(cfg: &ValidatedSession, sample_limit: Option<u64>) -> Result<Self, RuntimeError> {
        let context = OpenContext {
            spec: cfg.pipeline.source.clone(),
            profile: &cfg.profile,
            lsl: &cfg.lsl,
            classes: &cfg.classes,
            sample_limit,
        };
        let source = cfg.source.open(&context)?;
        let (opened, validated) = (source.spec(), &cfg.pipeline.source);
        if opened.channel_count() != validated.channel_count()
            || opened.sample_rate != validated.sample_rate
        {
            return Err(RuntimeError::Build {
                what: "source",
                message: format!(
                    "the {} source opened {} channels at {} Hz; the session was validated for \
                     {} at {} Hz",
                    cfg.source.kind(),
                    opened.channel_count(),
                    opened.sample_rate,
                    validated.channel_count(),
                    validated.sample_rate
                ),
            });
        }
        if source.marker_labels() != cfg.classes.as_slice() {
            return Err(RuntimeError::Build {
                what: "source",
                message: format!(
                    "the {} source labels its cues {:?}; the session's classes are {:?}",
                    cfg.source.kind(),
                    source.marker_labels(),
                    cfg.classes
                ),
            });
        }
        Ok(Self {
            live: cfg.source.live(),
            source,
        })
    }

    /// The stream the source produces.
    #[must_use]
    pub fn spec(&self) -> &StreamSpec {
        self.source.spec()
    }

    /// The source's aux stream (a serial board's accelerometer), if it has
    /// one; taken once, by the recorder.
    pub fn take_aux_stream(&mut self) -> Option<AuxStream> {
        self.source.take_aux_stream()
    }

    /// The clock offsets the source will add to its timestamps, for the
    /// recorder (see [`neuroloop_sources::Source::clock_offsets`]).
    pub fn clock_offsets(&mut self) -> Option<neuroloop_core::clock_offsets::ClockOffsetReader> {
        self.source.clock_offsets()
    }

    /// Whether it runs in real time whatever the pipeline does.
    #[must_use]
    pub fn live(&self) -> bool {
        self.live
    }

    /// Runs the source on its own thread once `ready` says so (e.g. enough
    /// clients connected) or `stop` is set; it pushes into `io` until
    /// `stop` or its end.
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if the thread cannot start.
    pub fn spawn(
        mut self,
        io: SourceIo,
        stop: Arc<AtomicBool>,
        ready: impl Fn() -> bool + Send + 'static,
    ) -> Result<JoinHandle<Result<SourceReport, SourceError>>, RuntimeError> {
        std::thread::Builder::new()
            .name("neuroloop-source".into())
            .spawn(move || {
                while !ready() && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(CLIENT_POLL);
                }
                let result = self.source.run(io, &stop);
                if let Err(e) = &result {
                    tracing::error!(error = %e, "source failed");
                }
                result
            })
            .map_err(|_| RuntimeError::Thread("source"))
    }
}
