//! The flags of the offline commands, one definition each: data (which
//! epochs), model (what to fit) and validation (how to fit and score it).
//! Commands take them with `#[command(flatten)]` and parse them once into
//! the offline options ([`DataArgs::resolve`], [`ModelArgs::spec`],
//! [`ValidationArgs::fit_options`]). Defaults are the published settings:
//! [`FitOptions::default`] (at most 100 passes, batch 32, patience 15, 20 %
//! held out for early stopping), seed 0, 5 folds, bands 8–13 and 13–30 Hz.

use std::path::{Path, PathBuf};

use clap::Args;
use neuroloop_decode::ComputeDevice;
use neuroloop_decode::fit::{DecoderRegistry, FitOptions, ModelSpec};
use neuroloop_dsp::ChainConfig;
use neuroloop_offline::{EpochOptions, EventMap, OfflineError, filter_tables, parse_filters};
use neuroloop_runtime::config::{OfflineInputs, offline_inputs};

use crate::bounds;

/// Folds of a cross-validation when `--folds` is not given.
pub const DEFAULT_FOLDS: usize = 5;

/// Which recordings and how to read them: files, events, channels,
/// filters. Shared by `train`, `evaluate` (inside [`DataArgs`]) and `score`.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Recording files (EDF, EDF+, BDF, GDF, muse-lsl CSV); train and
    /// evaluate pool their epochs, score plays each as its own session.
    /// Each file at most once. `--train-recording` is the same flag (beside
    /// evaluate's `--test-recording`).
    #[arg(long = "recording", alias = "train-recording", required = true)]
    pub recordings: Vec<PathBuf>,
    /// Event → class mapping: annotation texts or event codes, e.g.
    /// `T1=hands,T2=feet` or `1=nontarget,2=target`.
    #[arg(long)]
    pub events: String,
    /// Channels by label, comma-separated, in this order (default: the
    /// `--config` profile's channels, else every data channel; score: the
    /// bundle's).
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<String>>,
    /// Filter chain run causally over each recording first, e.g.
    /// `"notch 50; bandpass 4-40"` (stages: bandpass, bandstop, highpass,
    /// lowpass, notch, car). Default: `--config`'s, else none (score: the
    /// bundle's own; a different chain is refused).
    #[arg(long, conflicts_with = "config")]
    pub filters: Option<String>,
    /// Session config whose `[pipeline] filters` run over the recordings and
    /// whose hardware profile names the channels, in order (score also takes
    /// its hop, artifacts, label delay and policy).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Which epochs: the recordings ([`SourceArgs`]) and the window around
/// each event.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Recordings, events, channels, filters.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Epoch start after each event onset, in seconds.
    #[arg(long, allow_hyphen_values = true, value_parser = bounds::epoch_s)]
    pub tmin: f64,
    /// Epoch end after each event onset, in seconds; `tmax - tmin` is the
    /// session's window length.
    #[arg(long, allow_hyphen_values = true, value_parser = bounds::epoch_s)]
    pub tmax: f64,
}

/// [`DataArgs`] parsed: what cutting the epochs needs, and how to tell it.
#[derive(Debug)]
pub struct DataPlan {
    /// Events, window, channels.
    pub epochs: EpochOptions,
    /// The filter chain.
    pub chain: ChainConfig,
    /// The chain's `[pipeline] filters` tables, as a bundle records them.
    pub filter_tables: Vec<toml::Value>,
    /// Where the chain came from, in words (printed by every command).
    pub filters: String,
}

impl DataArgs {
    /// Parses the data flags: refuses a file given twice (among the
    /// recordings and `held_out`), reads `--config` or `--filters`, and
    /// the event map.
    ///
    /// # Errors
    /// [`OfflineError::Option`] naming the flag, [`OfflineError::Config`]
    /// listing the problems of `--config`.
    pub fn resolve(&self, held_out: &[PathBuf]) -> Result<DataPlan, OfflineError> {
        check_distinct(&self.source.recordings, held_out)?;
        let (chain, filter_tables, profile_channels, filters) =
            match (&self.source.filters, &self.source.config) {
                (_, Some(path)) => {
                    let inputs = session_inputs(path)?;
                    let words = format!("[pipeline] filters of {}", path.display());
                    (inputs.filters, inputs.filter_tables, inputs.channels, words)
                }
                (Some(text), None) => (
                    parse_filters(text)?,
                    filter_tables(text)?,
                    None,
                    text.clone(),
                ),
                (None, None) => (
                    ChainConfig::new(Vec::new()),
                    Vec::new(),
                    None,
                    "none (no --filters or --config given: the default chain, unfiltered)".into(),
                ),
            };
        Ok(DataPlan {
            epochs: EpochOptions {
                events: EventMap::parse(&self.source.events)?,
                tmin: self.tmin,
                tmax: self.tmax,
                channels: self.source.channels.clone().or(profile_channels),
            },
            chain,
            filter_tables,
            filters,
        })
    }
}

/// What to fit: the architecture and its hyperparameters.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// The architecture: bandpower, csp_lda, fbcsp, tangent_space, mdm,
    /// xdawn_tangent_space, xdawn_mdm, erp_tangent_space, erp_mdm,
    /// stacked_tangent_space, cca_lr, eegnet, shallow_convnet, transformer.
    #[arg(long)]
    pub architecture: String,
    /// Hyperparameters as a JSON object laid over the architecture's
    /// defaults, e.g. `{"f1": 4, "drop_prob": 0.5}` or `{"c": 0.5}`.
    #[arg(long)]
    pub hyperparameters: Option<String>,
    /// Bands of the bandpower architecture, `LOW-HIGH` Hz, comma-separated
    /// (unless `--hyperparameters` sets `bands_hz`).
    #[arg(long, default_value = "8-13,13-30")]
    pub bands: String,
}

impl ModelArgs {
    /// The architecture's spec: `--hyperparameters` (bounded, see
    /// [`crate::hyper::check_values`]) over its defaults, and `--bands`
    /// for bandpower.
    ///
    /// # Errors
    /// [`OfflineError::Option`] for bad JSON or values or an architecture
    /// the registry does not know (listing those it knows), or a decode
    /// error for a field that does not belong to it.
    pub fn spec(&self) -> Result<ModelSpec, OfflineError> {
        let mut map = crate::hyper::parse_hyperparameters(self.hyperparameters.as_deref())?.0;
        if self.architecture == "bandpower" && !map.contains_key("bands_hz") {
            map.insert(
                "bands_hz".into(),
                serde_json::json!(parse_bands(&self.bands)?),
            );
        }
        let registry = DecoderRegistry::builtin();
        if !registry.contains(&self.architecture) {
            let known: Vec<&str> = registry.names().collect();
            return Err(option_error(
                "--architecture",
                format!(
                    "{:?} is not available (known: {})",
                    self.architecture,
                    known.join(", ")
                ),
            ));
        }
        Ok(registry.spec(&self.architecture, map)?)
    }
}

/// How to fit and score: seed, training limits, folds.
#[derive(Debug, Clone, Args)]
pub struct ValidationArgs {
    /// Folds of the cross-validation (`evaluate`; default 5).
    #[arg(long, value_parser = bounds::folds)]
    pub folds: Option<usize>,
    /// Seed of the folds, the validation split, initialisation, batch order
    /// and dropout.
    #[arg(long, default_value_t = FitOptions::default().seed)]
    pub seed: u64,
    /// Most training passes over the data.
    #[arg(long, default_value_t = FitOptions::default().max_epochs, value_parser = bounds::passes)]
    pub max_epochs: usize,
    /// Epochs per minibatch (deep models).
    #[arg(long, default_value_t = FitOptions::default().batch_size, value_parser = bounds::batch_size)]
    pub batch_size: usize,
    /// Adam learning rate (default: the architecture's own).
    #[arg(long, value_parser = bounds::learning_rate)]
    pub learning_rate: Option<f64>,
    /// L2 weight decay (default: the architecture's own).
    #[arg(long, value_parser = bounds::weight_decay)]
    pub weight_decay: Option<f32>,
    /// Training passes without a better validation loss before stopping.
    #[arg(long, default_value_t = FitOptions::default().patience, value_parser = bounds::patience)]
    pub patience: usize,
    /// Share of each class held out for early stopping.
    #[arg(long, default_value_t = FitOptions::default().validation_fraction, value_parser = bounds::fraction)]
    pub validation_fraction: f64,
    /// Where the deep models train: cpu, wgpu or cuda (a build with that feature).
    #[arg(long, default_value = "cpu", value_parser = crate::parse_device)]
    pub device: ComputeDevice,
}

impl ValidationArgs {
    /// The training options.
    #[must_use]
    pub fn fit_options(&self) -> FitOptions {
        FitOptions {
            seed: self.seed,
            max_epochs: self.max_epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            weight_decay: self.weight_decay,
            validation_fraction: self.validation_fraction,
            patience: self.patience,
            device: self.device,
            ..FitOptions::default()
        }
    }

    /// `--folds`, or [`DEFAULT_FOLDS`].
    #[must_use]
    pub fn folds(&self) -> usize {
        self.folds.unwrap_or(DEFAULT_FOLDS)
    }
}

fn option_error(what: &'static str, message: String) -> OfflineError {
    OfflineError::Option { what, message }
}

/// The same file given twice would pool its epochs twice (inflating a
/// cross-validation) or test on training data; refused in every command.
///
/// # Errors
/// [`OfflineError::Option`] naming the file.
pub fn check_distinct(recordings: &[PathBuf], held_out: &[PathBuf]) -> Result<(), OfflineError> {
    let mut seen = Vec::new();
    for path in recordings.iter().chain(held_out) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if seen.contains(&key) {
            return Err(option_error(
                "recording",
                format!("{} is given twice", path.display()),
            ));
        }
        seen.push(key);
    }
    Ok(())
}

fn parse_bands(text: &str) -> Result<Vec<[f64; 2]>, OfflineError> {
    text.split(',')
        .map(|b| {
            let parsed = b
                .trim()
                .split_once('-')
                .and_then(|(lo, hi)| Some([lo.parse().ok()?, hi.parse().ok()?]));
            parsed.ok_or_else(|| option_error("bands", format!("{b:?} is not LOW-HIGH")))
        })
        .collect()
}

/// The filters and profile channels of a session config, read as the
/// session reads them.
///
/// # Errors
/// [`OfflineError::Config`] listing every problem.
pub fn session_inputs(path: &Path) -> Result<OfflineInputs, OfflineError> {
    offline_inputs(path).map_err(|errors| OfflineError::Config {
        path: path.display().to_string(),
        errors,
    })
}
