//! `neuroloop train`: trains a decoder on labelled epochs of recordings and
//! writes a model bundle that a session loads with
//! `[decoder] type = "bundle"`.
//!
//! The epochs are cut after the session's filter chain ran causally over
//! each whole recording, as the online pipeline runs it, so the decoder is
//! trained on what it will see live.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::parse_device;
use clap::Args;
use neuroloop_decode::ComputeDevice;
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{EpochProgress, EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_runtime::RuntimeError;
use neuroloop_runtime::offline::{EpochOptions, EventMap, cut_epochs_from_files};
use neuroloop_runtime::profile::{HardwareProfile, resolve_profile_path};

/// Options of `neuroloop train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Recording files (EDF, EDF+, BDF, GDF, muse-lsl CSV) of one session; their epochs are pooled.
    #[arg(long = "recording", required = true)]
    recordings: Vec<PathBuf>,
    /// Event → class mapping: annotation texts or event codes, e.g. `T1=hands,T2=feet`.
    #[arg(long)]
    events: String,
    /// Epoch start after each event onset, in seconds.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmin: f64,
    /// Epoch end after each event onset, in seconds; `tmax - tmin` is the
    /// session's `pipeline.window_s`.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmax: f64,
    /// Any architecture `neuroloop evaluate` knows (`bandpower`, `csp_lda`,
    /// `tangent_space`, `xdawn_tangent_space`, `cca_lr`, `eegnet`, ...).
    #[arg(long)]
    architecture: String,
    /// Hyperparameters as a JSON object, e.g. `{"f1": 4, "drop_prob": 0.5}`
    /// (fields of the architecture's config; bandpower: `bands_hz`, `taper`).
    #[arg(long)]
    hyperparameters: Option<String>,
    /// Session config whose `[pipeline] filters` run over the recordings and
    /// whose hardware profile names the channels, in order.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Channels by label, comma-separated, in this order (default: the
    /// config's profile, else every channel).
    #[arg(long, value_delimiter = ',')]
    channels: Option<Vec<String>>,
    /// Seed of the validation split, initialisation, batch order, dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most epochs (passes over the data).
    #[arg(long, default_value_t = 100, value_parser = crate::bounds::passes)]
    max_epochs: usize,
    /// Epochs per minibatch.
    #[arg(long, default_value_t = 32, value_parser = crate::bounds::batch_size)]
    batch_size: usize,
    /// Adam learning rate (default: the architecture's).
    #[arg(long, value_parser = crate::bounds::learning_rate)]
    learning_rate: Option<f64>,
    /// L2 weight decay (default: the architecture's).
    #[arg(long, value_parser = crate::bounds::weight_decay)]
    weight_decay: Option<f32>,
    /// Share of each class held out for early stopping.
    #[arg(long, default_value_t = 0.2, value_parser = crate::bounds::fraction)]
    validation_fraction: f64,
    /// Epochs without validation improvement before stopping.
    #[arg(long, default_value_t = 15, value_parser = crate::bounds::patience)]
    patience: usize,
    /// Where the deep models train: cpu, or wgpu (a build with the `wgpu` feature).
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: ComputeDevice,
    /// The bundle directory to write.
    #[arg(long)]
    out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs `neuroloop train`; prints a summary (exit 0) or the error (exit 1).
pub fn train(args: &TrainArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("train: {e}");
            ExitCode::FAILURE
        }
    }
}

fn option_error(what: &'static str, message: String) -> RuntimeError {
    RuntimeError::OfflineOption { what, message }
}

fn run(args: &TrainArgs) -> Result<(), RuntimeError> {
    let started = Instant::now();
    let spec = model_spec(&args.architecture, args.hyperparameters.as_deref())?;
    let (tables, profile_channels) = match &args.config {
        Some(path) => session_inputs(path)?,
        None => (Vec::new(), None),
    };
    let chain = neuroloop_dsp::ChainConfig::from_toml(
        &neuroloop_dsp::StageRegistry::builtin(),
        &tables,
        "pipeline.filters",
    )
    .map_err(|e| option_error("config", join(&e)))?;
    let options = EpochOptions {
        events: EventMap::parse(&args.events)?,
        tmin: args.tmin,
        tmax: args.tmax,
        channels: args.channels.clone().or(profile_channels),
    };
    let epochs = cut_epochs_from_files(&args.recordings, &options, &chain)?;
    let set = EpochSet::new(
        epochs.channels.len(),
        epochs.samples,
        epochs.sample_rate,
        epochs.classes.clone(),
        epochs.data.clone(),
        epochs.labels.clone(),
    )?;
    crate::hyper::check_memory(&spec, set.channels, set.samples, args.batch_size)?;
    errln!(
        "{} epochs ({}), {} channels x {} samples at {} Hz; training {}",
        set.len(),
        set.classes
            .iter()
            .zip(set.class_counts())
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        set.channels,
        set.samples,
        set.sample_rate,
        spec.architecture()
    );
    let fit_options = FitOptions {
        seed: args.seed,
        max_epochs: args.max_epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        weight_decay: args.weight_decay,
        validation_fraction: args.validation_fraction,
        patience: args.patience,
        device: args.device,
        ..FitOptions::default()
    };
    let mut bar = |p: &EpochProgress| {
        if !args.quiet {
            progress(p);
        }
    };
    let model = fit(&spec, &set, &fit_options, &mut bar)?;
    if !args.quiet {
        errln!();
    }
    let filters = tables
        .iter()
        .map(|t| serde_json::to_value(t).map_err(|e| option_error("config", e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let source = format!(
        "{} events {} [{}, {}] s",
        args.recordings
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        args.events,
        args.tmin,
        args.tmax
    );
    let meta = BundleMeta {
        channels: epochs.channels.clone(),
        filters,
        source: Some(source),
    };
    model.save_bundle(&args.out, &meta)?;
    let r = model.report();
    let validation = r
        .validation_accuracy
        .map_or_else(|| "-".into(), |a| format!("{a:.3}"));
    outln!(
        "{}: {} epochs (best {}), train accuracy {:.3}, validation accuracy {validation} \
         ({} held out); bundle {} ({:.1} s)",
        r.architecture,
        r.epochs,
        r.best_epoch,
        r.train_accuracy,
        r.n_validation,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The spec of `architecture` with the JSON hyperparameters laid over.
fn model_spec(
    architecture: &str,
    hyperparameters: Option<&str>,
) -> Result<ModelSpec, RuntimeError> {
    Ok(ModelSpec::with_hyperparameters(
        architecture,
        parse_hyperparameters(hyperparameters)?.0,
    )?)
}

/// `--hyperparameters` of `train` and `evaluate`: a JSON object whose
/// numbers are bounded ([`crate::hyper::check_values`]).
///
/// # Errors
/// [`RuntimeError::OfflineOption`] for text that is not a JSON object or
/// a value out of bounds.
pub(crate) fn parse_hyperparameters(text: Option<&str>) -> Result<Hyperparameters, RuntimeError> {
    let hp: Hyperparameters = match text {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| option_error("hyperparameters", format!("not a JSON object: {e}")))?,
        None => Hyperparameters::default(),
    };
    crate::hyper::check_values(&hp)?;
    Ok(hp)
}

/// `[pipeline] filters` tables and the profile's channel labels of a
/// session config.
fn session_inputs(path: &Path) -> Result<(Vec<toml::Value>, Option<Vec<String>>), RuntimeError> {
    let text = neuroloop_runtime::config::read_config_file(path)
        .map_err(|e| option_error("config", format!("{}: {e}", path.display())))?;
    let doc: toml::Table = toml::from_str(&text)
        .map_err(|e| option_error("config", format!("{}: {e}", path.display())))?;
    let tables = doc
        .get("pipeline")
        .and_then(|p| p.get("filters"))
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let channels = match doc
        .get("session")
        .and_then(|s| s.get("hardware_profile"))
        .and_then(toml::Value::as_str)
    {
        Some(name) => {
            let file = resolve_profile_path(name, path);
            let profile = HardwareProfile::load(&file).map_err(|e| {
                option_error(
                    "config",
                    format!("profile {}: {}", file.display(), join(&e)),
                )
            })?;
            Some(profile.channels)
        }
        None => None,
    };
    Ok((tables, channels))
}

fn join(errors: &[neuroloop_core::ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One line on stderr, rewritten in place: `epoch 12/100 [####······] …`.
fn progress(p: &EpochProgress) {
    const WIDTH: usize = 24;
    let done = (p.epoch * WIDTH / p.max_epochs.max(1)).min(WIDTH);
    let val = match (p.val_loss, p.val_accuracy) {
        (Some(l), Some(a)) => format!("  val loss {l:.3}  val acc {a:.3}"),
        _ => String::new(),
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\repoch {:>4}/{:<4} [{}{}]  train loss {:.3}{val}   ",
        p.epoch,
        p.max_epochs,
        "#".repeat(done),
        "-".repeat(WIDTH - done),
        p.train_loss
    );
    let _ = err.flush();
}
