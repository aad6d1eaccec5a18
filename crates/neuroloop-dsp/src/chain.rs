//! A whole filter chain from a list of TOML tables.
//!
//! ```
//! use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
//! use neuroloop_dsp::{ChainConfig, StageRegistry};
//!
//! let doc: toml::Table = toml::from_str(r#"
//!     filters = [
//!         { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
//!         { type = "notch", freq_hz = 50.0, q = 30.0 },
//!         { type = "car" },
//!     ]
//! "#).unwrap();
//! let tables = doc["filters"].as_array().unwrap();
//! let spec = StreamSpec {
//!     name: "sim".into(),
//!     channels: ["C3", "Cz", "C4"].map(ChannelSpec::eeg).to_vec(),
//!     sample_rate: 250.0,
//!     block_size: 10,
//! };
//! let config = ChainConfig::from_toml(&StageRegistry::builtin(), tables, "pipeline.filters").unwrap();
//! let out_spec = config.preflight(&spec).unwrap();
//! let mut chain = config.initialize(&spec, 64).unwrap();
//! let mut block = SampleBlock::with_capacity(3, 64);
//! block.set_len(10);
//! chain.process(&mut block.as_mut());
//! assert_eq!(out_spec.channel_count(), 3);
//! assert_eq!(chain.non_finite_counter().get(), 0);
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use neuroloop_core::{BlockMut, ConfigError, Error, Stage, StageConfig, StreamSpec};

use crate::registry::StageRegistry;

/// Stage configurations in processing order, each with its config path.
#[derive(Debug)]
pub struct ChainConfig {
    stages: Vec<(String, Box<dyn StageConfig>)>,
}

impl ChainConfig {
    /// A chain of already-built configurations at the given paths.
    #[must_use]
    pub fn new(stages: Vec<(String, Box<dyn StageConfig>)>) -> Self {
        Self { stages }
    }

    /// Parses `tables` (config path `base[i]` for element `i`) with
    /// `registry`.
    ///
    /// # Errors
    /// The problems of every table, all at once.
    pub fn from_toml(
        registry: &StageRegistry,
        tables: &[toml::Value],
        base: &str,
    ) -> Result<Self, Vec<ConfigError>> {
        let mut stages = Vec::with_capacity(tables.len());
        let mut errors = Vec::new();
        for (i, t) in tables.iter().enumerate() {
            let path = format!("{base}[{i}]");
            match registry.parse(t, &path) {
                Ok(cfg) => stages.push((path, cfg)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(Self { stages })
        } else {
            Err(errors)
        }
    }

    /// The stage configurations with their paths.
    #[must_use]
    pub fn stages(&self) -> &[(String, Box<dyn StageConfig>)] {
        &self.stages
    }

    /// Preflights every stage in order, each against its predecessor's
    /// output (or the previous valid spec where a stage fails).
    ///
    /// # Errors
    /// Every problem of every stage.
    pub fn preflight(&self, input: &StreamSpec) -> Result<StreamSpec, Vec<ConfigError>> {
        let mut spec = input.clone();
        let mut errors = Vec::new();
        for (path, cfg) in &self.stages {
            match cfg.preflight(&spec, path) {
                Ok(next) => spec = next,
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(spec)
        } else {
            Err(errors)
        }
    }

    /// Builds every stage for blocks of up to `max_block` samples.
    ///
    /// # Errors
    /// The first stage that fails to initialize (a configuration preflight
    /// would reject: [`neuroloop_core::ErrorKind::Config`]).
    pub fn initialize(&self, input: &StreamSpec, max_block: usize) -> Result<FilterChain, Error> {
        let mut spec = input.clone();
        let mut stages = Vec::with_capacity(self.stages.len());
        for (path, cfg) in &self.stages {
            stages.push(cfg.initialize(&spec, max_block)?);
            spec = cfg
                .preflight(&spec, path)
                .map_err(|e| Error::new(neuroloop_core::ErrorKind::Config, e[0].to_string()))?;
        }
        Ok(FilterChain {
            stages,
            non_finite: NonFiniteCounter::default(),
        })
    }
}

impl StageConfig for ChainConfig {
    fn kind(&self) -> &'static str {
        "chain"
    }

    fn preflight(&self, input: &StreamSpec, _path: &str) -> Result<StreamSpec, Vec<ConfigError>> {
        ChainConfig::preflight(self, input)
    }

    fn initialize(&self, input: &StreamSpec, max_block: usize) -> Result<Box<dyn Stage>, Error> {
        Ok(Box::new(ChainConfig::initialize(self, input, max_block)?))
    }
}

/// A shared, lock-free count of non-finite input values; clone it to read
/// the count from another thread.
#[derive(Debug, Clone, Default)]
pub struct NonFiniteCounter(Arc<AtomicU64>);

impl NonFiniteCounter {
    /// Non-finite values counted so far.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// Built stages run in order on each block.
///
/// Non-finite input values are counted (see [`Self::non_finite_counter`])
/// before the first stage; what each stage does with them is in its docs
/// (IIR stages pass them through and restart that channel's filter; CAR
/// leaves them out of the mean).
pub struct FilterChain {
    stages: Vec<Box<dyn Stage>>,
    non_finite: NonFiniteCounter,
}

impl std::fmt::Debug for FilterChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterChain")
            .field("stages", &self.stages.len())
            .field("non_finite", &self.non_finite.get())
            .finish()
    }
}

impl FilterChain {
    /// A chain of built stages.
    #[must_use]
    pub fn new(stages: Vec<Box<dyn Stage>>) -> Self {
        Self {
            stages,
            non_finite: NonFiniteCounter::default(),
        }
    }

    /// Number of stages.
    #[must_use]
    pub fn len(&self) -> usize {
        self.stages.len()
    }

    /// Whether the chain has no stage.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// A handle on the count of non-finite values that entered the chain.
    #[must_use]
    pub fn non_finite_counter(&self) -> NonFiniteCounter {
        self.non_finite.clone()
    }

    /// Runs every stage on `block`, in place. No allocation.
    pub fn process(&mut self, block: &mut BlockMut<'_>) {
        let bad = crate::sosfilt::count_non_finite(block.data);
        if bad > 0 {
            self.non_finite.add(bad);
        }
        for s in &mut self.stages {
            s.process(block);
        }
    }

    /// Resets every stage (after a gap).
    pub fn reset(&mut self) {
        for s in &mut self.stages {
            s.reset();
        }
    }
}

impl Stage for FilterChain {
    fn process(&mut self, block: &mut BlockMut<'_>) {
        FilterChain::process(self, block);
    }

    fn reset(&mut self) {
        FilterChain::reset(self);
    }
}
