//! `[source] type = "sim"`: the simulated headset.

use std::any::Any;
use std::sync::Arc;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_sources::Source;
use neuroloop_sources::sim::{SimConfig, SimSource};

use super::{OpenContext, SourcePlan, SourceRegistry, check_transport, deserialize};
use crate::RuntimeError;
use crate::config::VALUE_BYTES as VALUE;
use crate::profile::HardwareProfile;

pub(super) fn register(registry: &mut SourceRegistry) {
    registry.register("sim", |table, context| {
        let config: SimConfig = deserialize(table, context)?;
        Ok(Arc::new(config))
    });
}

impl SourcePlan for SimConfig {
    fn kind(&self) -> &'static str {
        "sim"
    }

    fn classes(&self) -> Vec<String> {
        self.paradigm.classes()
    }

    fn check(&self, profile: &HardwareProfile, spec: &StreamSpec, errors: &mut Vec<ConfigError>) {
        check_transport("sim", profile, errors);
        if let Err(e) = self.preflight(spec, "source") {
            errors.extend(e);
        }
    }

    fn memory(&self, spec: &StreamSpec) -> Vec<(&'static str, f64)> {
        let block = self.block_size.unwrap_or(spec.block_size) as f64;
        let channels = spec.channel_count() as f64;
        vec![("source block", block * (channels * VALUE + 8.0))]
    }

    fn live(&self) -> bool {
        self.realtime
    }

    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError> {
        let source = SimSource::open(self, context.spec.clone())?;
        Ok(Box::new(match context.sample_limit {
            Some(n) => source.with_limit(n),
            None => source,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
