//! The validated configs of the session's parts that come from more than
//! one section: the pipeline's (the stream in, artifact limits, the filter
//! chain, windows, ring) and the filter chain's own.

use neuroloop_core::StreamSpec;
use neuroloop_core::channel_pick::ChannelPick;
use neuroloop_dsp::{ArtifactConfig, ChainConfig};

use super::windows::WindowPlan;

/// `[pipeline]` checked against the stream it reads.
#[derive(Debug)]
pub struct PipelinePlan {
    /// The stream the source produces (from the hardware profile, or a
    /// replayed recording).
    pub source: StreamSpec,
    /// Which of its channels the ring keeps (`[pipeline] channels`).
    pub pick: ChannelPick,
    /// The stream the pipeline reads: the source's channels that
    /// `[pipeline] channels` selects.
    pub input: StreamSpec,
    /// `[pipeline.artifacts]` over the profile's physical range.
    pub artifacts: ArtifactConfig,
    /// The filter chain.
    pub filters: FilterPlan,
    /// How windows are cut, their length and hop.
    pub windows: WindowPlan,
    /// Ring capacity in samples (`session.ring_s` at the input rate).
    pub ring_samples: usize,
}

/// The filter chain, once: its stage configs (built by the stage
/// registry), the tables they came from (what a bundle records of the
/// session), and the stream they produce.
#[derive(Debug)]
pub struct FilterPlan {
    /// Stage configs, in order.
    pub chain: ChainConfig,
    /// `[pipeline] filters` as written.
    pub tables: Vec<toml::Value>,
    /// The stream after the filters.
    pub output: StreamSpec,
}

impl FilterPlan {
    /// The tables as JSON values, as a bundle's manifest records them.
    #[must_use]
    pub fn tables_json(&self) -> Vec<serde_json::Value> {
        self.tables
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect()
    }
}
