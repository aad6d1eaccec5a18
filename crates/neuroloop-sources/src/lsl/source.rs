//! The LSL source: resolving and connecting its streams ([`run`]: running
//! it on its own thread).

use neuroloop_core::StreamSpec;
use neuroloop_core::clock_offsets::ClockOffsetWriter;
use neuroloop_core::ring::sample_ring;
use neuroloop_lsl::{Lsl, Settings};

use super::LslConfig;
use super::align::{Aligner, Lane};
use super::markers::{MarkerInlet, open_markers};
use super::resolve::resolve_one;
use super::secondary::Secondary;
use super::stream::{DataInlet, Target, connect};
use crate::SourceError;

mod run;

/// An LSL stream (or several, aligned), resolved, checked and connected,
/// ready to run.
pub struct LslSource {
    lsl: &'static Lsl,
    spec: StreamSpec,
    classes: Vec<String>,
    target: Target,
    inlet: Option<DataInlet>,
    secondaries: Vec<Secondary>,
    aligner: Option<Aligner>,
    markers: Option<MarkerInlet>,
    marker_query: String,
    correction_every_s: f64,
    stall_s: f64,
    /// Where each time correction applied to the first stream goes, once
    /// a recording asked for them ([`crate::Source::clock_offsets`]).
    offsets: Option<ClockOffsetWriter>,
    /// Every time correction of the first stream, for the report.
    drift: crate::ClockDrift,
}

/// The profile's channels `from..from + count` as a stream of their own.
fn sub_spec(spec: &StreamSpec, from: usize, count: usize) -> StreamSpec {
    StreamSpec {
        channels: spec.channels[from..from + count].to_vec(),
        ..spec.clone()
    }
}

/// Resolves the first stream matching `target` and connects to it; the
/// stream's source id becomes the one accepted after a loss.
fn open_target(
    lsl: &'static Lsl,
    mut target: Target,
    timeout_s: f64,
) -> Result<(DataInlet, Target), SourceError> {
    let info = resolve_one(lsl, &target.query, timeout_s)?;
    let inlet = connect(&info, &target)?;
    target.source_id = Some(inlet.source_id.clone());
    Ok((inlet, target))
}

impl LslSource {
    /// Loads liblsl with `settings` (the session's `[lsl]`), resolves the
    /// stream, any `[[source.inlets]]` and the marker stream, connects, and
    /// checks each stream's description against its channels of `spec`
    /// (from the hardware profile). Allocates every buffer the running
    /// source needs. An unset `scale_uv_per_count` means 1.
    ///
    /// # Errors
    /// [`SourceError::Config`] for an invalid config or a stream that does
    /// not match the profile (retry does not help); [`SourceError::Lsl`]
    /// if liblsl is missing (not retryable) or a stream was not found or
    /// did not answer (retryable).
    pub fn open(
        config: &LslConfig,
        spec: StreamSpec,
        settings: &Settings,
    ) -> Result<Self, SourceError> {
        config.preflight(&spec, "source").map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            SourceError::Config(list.join("; "))
        })?;
        let lsl = neuroloop_lsl::load(settings)?;
        let chunk = ((spec.sample_rate * 0.5).ceil() as usize).max(64);
        let primary_ch = config.primary_channels(spec.channel_count());
        let primary = Target {
            query: config.query().map_err(SourceError::Config)?,
            spec: sub_spec(&spec, 0, primary_ch),
            scale: config.scale_uv_per_count.unwrap_or(1.0),
            dejitter: config.dejitter,
            chunk,
            source_id: None,
        };
        let (inlet, target) = open_target(lsl, primary, config.resolve_timeout_s)?;
        let mut secondaries = Vec::new();
        let mut lanes = Vec::new();
        let mut from = primary_ch;
        for extra in &config.inlets {
            let wanted = Target {
                query: extra.query().map_err(SourceError::Config)?,
                spec: sub_spec(&spec, from, extra.channels),
                scale: extra
                    .scale_uv_per_count
                    .or(config.scale_uv_per_count)
                    .unwrap_or(1.0),
                dejitter: extra.dejitter,
                chunk,
                source_id: None,
            };
            let (inlet, target) = open_target(lsl, wanted, config.resolve_timeout_s)?;
            let capacity = ((spec.sample_rate * 4.0) as usize).max(4 * chunk);
            let (writer, reader) = sample_ring(extra.channels, capacity);
            secondaries.push(Secondary {
                inlet,
                target,
                writer,
                correction_every_s: config.time_correction_s,
            });
            lanes.push(Lane::new(reader, extra.channels, chunk));
            from += extra.channels;
        }
        let (markers, marker_query) = match &config.markers {
            Some(m) => {
                let (inlet, query) =
                    open_markers(lsl, m, &config.classes, config.resolve_timeout_s)?;
                (Some(inlet), query)
            }
            None => (None, String::new()),
        };
        let aligner = (!lanes.is_empty()).then(|| {
            let waiting = (config.align_timeout_s * spec.sample_rate).ceil() as usize;
            Aligner::new(
                lanes,
                primary_ch,
                spec.sample_rate,
                config.align_timeout_s,
                waiting + 4 * chunk,
            )
        });
        Ok(Self {
            lsl,
            classes: config.classes.clone(),
            correction_every_s: config.time_correction_s,
            stall_s: config.stall_s,
            target,
            inlet: Some(inlet),
            secondaries,
            aligner,
            markers,
            marker_query,
            spec,
            offsets: None,
            drift: crate::ClockDrift::default(),
        })
    }
}
