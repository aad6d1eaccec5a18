//! `[pipeline]` checked against the stream it reads (artifact limits,
//! filters, windows: each on its own, so every problem is found), and the
//! decoder checked against what the pipeline gives it.

use std::path::Path;

use neuroloop_core::channel_pick::ChannelPick;
use neuroloop_core::{ConfigError, StreamSpec};

use super::bundle::{SessionShape, check_bundle};
use super::channels::ChannelSelection;
use super::sections::{DecoderSection, PipelineSection, SessionSection};
use super::validate::{check_decoder, check_filters};
use super::windows::{WindowPlan, check_windows};
use super::{FilterPlan, PipelinePlan, Registries};
use crate::profile::HardwareProfile;

/// What `[pipeline]` is checked against.
pub(super) struct PipelineContext<'a> {
    pub(super) section: &'a PipelineSection,
    pub(super) profile: &'a HardwareProfile,
    /// The source's stream and the channels of it the pipeline reads.
    pub(super) input: &'a ChannelSelection,
    pub(super) source: &'a StreamSpec,
    pub(super) classes: &'a [String],
    pub(super) bundle: Option<(neuroloop_decode::bundle::WindowDescription, usize)>,
}

/// `[pipeline]` checked, each part `None` where it failed.
pub(super) struct CheckedPipeline {
    source: StreamSpec,
    pick: ChannelPick,
    pub(super) input: StreamSpec,
    artifacts: Option<neuroloop_dsp::ArtifactConfig>,
    filters: Option<(neuroloop_dsp::ChainConfig, StreamSpec)>,
    tables: Vec<toml::Value>,
    pub(super) windows: WindowPlan,
}

impl PipelineContext<'_> {
    /// Checks artifacts, filters and windows, each on its own.
    pub(super) fn check(
        self,
        registries: &Registries,
        errors: &mut Vec<ConfigError>,
    ) -> CheckedPipeline {
        let p = self.section;
        let input = &self.input.spec;
        let artifacts =
            crate::artifacts::artifact_config(p.artifacts.as_ref(), self.profile, input, errors);
        let (chain, output) = check_filters(&registries.stages, &p.filters, input, errors);
        let windows = check_windows(p, input, self.classes, self.bundle, errors);
        CheckedPipeline {
            source: self.source.clone(),
            pick: self.input.pick.clone(),
            input: input.clone(),
            artifacts,
            filters: chain.zip(output),
            tables: p.filters.clone(),
            windows,
        }
    }
}

impl CheckedPipeline {
    /// The plan, if every part passed; the ring holds `session.ring_s`.
    pub(super) fn plan(self, session: &SessionSection) -> Option<PipelinePlan> {
        let (chain, output) = self.filters?;
        Some(PipelinePlan {
            ring_samples: (session.ring_s * self.input.sample_rate).ceil() as usize,
            source: self.source,
            pick: self.pick,
            input: self.input,
            artifacts: self.artifacts.unwrap_or_default(),
            filters: FilterPlan {
                chain,
                tables: self.tables,
                output,
            },
            windows: self.windows,
        })
    }
}

/// The decoder against the filtered stream and the windows: a bundle's
/// recorded session, or an architecture's needs.
pub(super) fn check_decoding(
    d: &DecoderSection,
    p: &PipelineSection,
    plan: &CheckedPipeline,
    classes: &[String],
    path: &Path,
    errors: &mut Vec<ConfigError>,
) {
    super::device::check_device(d, path, errors);
    let Some((_, filtered)) = &plan.filters else {
        return;
    };
    let window_samples = plan.windows.window_samples;
    if d.is_bundle() {
        let session = SessionShape {
            stream: filtered,
            window_samples,
            windows: &plan.windows.mode,
            classes,
            filters: &p.filters,
        };
        check_bundle(d, path, &session, errors);
    } else {
        check_decoder(d, filtered, window_samples, classes, errors);
    }
}
