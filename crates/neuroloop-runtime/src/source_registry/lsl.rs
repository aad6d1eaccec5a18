//! `[source] type = "lsl"`: a live Lab Streaming Layer stream, with its
//! optional further inlets and cue stream.

use std::any::Any;
use std::sync::Arc;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_sources::Source;
use neuroloop_sources::lsl::{LslConfig, LslSource};

use super::{OpenContext, SourcePlan, SourceRegistry, check_transport, deserialize};
use crate::RuntimeError;
use crate::config::{STAMP_BYTES as STAMP, VALUE_BYTES as VALUE};
use crate::profile::HardwareProfile;

pub(super) fn register(registry: &mut SourceRegistry) {
    registry.register("lsl", |table, context| {
        let config: LslConfig = deserialize(table, context)?;
        Ok(Arc::new(config))
    });
}

impl SourcePlan for LslConfig {
    fn kind(&self) -> &'static str {
        "lsl"
    }

    fn classes(&self) -> Vec<String> {
        self.classes.clone()
    }

    fn check(&self, profile: &HardwareProfile, spec: &StreamSpec, errors: &mut Vec<ConfigError>) {
        check_transport("lsl", profile, errors);
        if let Err(e) = self.preflight(spec, "source") {
            errors.extend(e);
        }
    }

    /// Two pull chunks, and with further inlets their rings and the
    /// samples waiting to be aligned.
    fn memory(&self, spec: &StreamSpec) -> Vec<(&'static str, f64)> {
        let (channels, rate) = (spec.channel_count() as f64, spec.sample_rate);
        let chunk = (rate * 0.5).ceil().max(64.0);
        let mut parts = vec![("source chunk", 2.0 * chunk * (channels * VALUE + 8.0))];
        if !self.inlets.is_empty() {
            let rings = (rate * 4.0).max(4.0 * chunk) * (channels * VALUE + STAMP);
            let waiting = (self.align_timeout_s * rate).ceil() + 4.0 * chunk;
            parts.push((
                "inlet rings",
                rings + waiting * (2.0 * channels * VALUE + 32.0),
            ));
        }
        parts
    }

    fn live(&self) -> bool {
        true
    }

    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError> {
        Ok(Box::new(LslSource::open(
            &self.with_profile_scale(context.profile.scale_uv_per_count),
            context.spec.clone(),
            &context.lsl.settings(),
        )?))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
