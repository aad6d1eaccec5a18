//! `neuroloop evaluate`: within-session k-fold cross-validation of a
//! decoder architecture on labelled epochs of recorded sessions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod held_out;

use crate::parse_device;
use clap::Args;
use neuroloop_decode::ComputeDevice;
use neuroloop_decode::fit::{FitOptions, ModelSpec};
use neuroloop_runtime::RuntimeError;
use neuroloop_runtime::offline::{
    CrossValidation, EpochOptions, Epochs, EventMap, FitPredictSeconds, cross_validate,
    cut_epochs_from_files, export_epochs, filters_from_session, fit_predict_timed, parse_filters,
    stratified_folds,
};

/// Options of `neuroloop evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Recording files (EDF, EDF+, BDF, GDF, muse-lsl CSV) of one session; their epochs are pooled.
    #[arg(long = "recording", required = true)]
    recordings: Vec<PathBuf>,
    /// Held-out recordings: fit on every epoch of `--recording` and score on
    /// these (cross-recording evaluation) instead of k-fold cross-validation.
    #[arg(long = "test-recording")]
    test_recordings: Vec<PathBuf>,
    /// Event → class mapping: annotation texts or event codes, e.g. `T1=hands,T2=feet`.
    #[arg(long)]
    events: String,
    /// Epoch start after each event onset, in seconds.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmin: f64,
    /// Epoch end after each event onset, in seconds.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::bounds::epoch_s)]
    tmax: f64,
    /// Channels by label, comma-separated, in this order (default: all).
    #[arg(long, value_delimiter = ',')]
    channels: Option<Vec<String>>,
    /// The architecture to cross-validate: bandpower, csp_lda, fbcsp,
    /// tangent_space, mdm, xdawn_tangent_space, xdawn_mdm, erp_tangent_space,
    /// erp_mdm, stacked_tangent_space, cca_lr, eegnet, shallow_convnet,
    /// transformer.
    #[arg(long)]
    architecture: String,
    /// Hyperparameters of the architecture, a JSON object laid over its
    /// defaults (e.g. `{"c": 0.5}`).
    #[arg(long)]
    hyperparameters: Option<String>,
    /// Also write the cut epochs, labels and fold of each epoch here
    /// (`epochs.npy`, `labels.npy`, `meta.json`) for reference tools.
    #[arg(long)]
    export_epochs: Option<PathBuf>,
    /// Number of folds.
    #[arg(long, default_value_t = 5, value_parser = crate::bounds::folds)]
    folds: usize,
    /// Seed of the fold assignment and of training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Filter chain run causally over each recording first, e.g.
    /// `"notch 50; bandpass 4-40"` (stages: bandpass, bandstop, highpass,
    /// lowpass, notch, car).
    #[arg(long, conflicts_with = "config")]
    filters: Option<String>,
    /// Take the filter chain from this session config's `[pipeline] filters`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Bands of the bandpower architecture, `LOW-HIGH` Hz, comma-separated.
    #[arg(long, default_value = "8-13,13-30")]
    bands: String,
    /// Most training epochs per fold (passes over the training epochs).
    #[arg(long, default_value_t = FitOptions::default().max_epochs, value_parser = crate::bounds::passes)]
    max_epochs: usize,
    /// Epochs per minibatch (deep models).
    #[arg(long, default_value_t = FitOptions::default().batch_size, value_parser = crate::bounds::batch_size)]
    batch_size: usize,
    /// Adam learning rate (default: the architecture's own).
    #[arg(long, value_parser = crate::bounds::learning_rate)]
    learning_rate: Option<f64>,
    /// Training epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = FitOptions::default().patience, value_parser = crate::bounds::patience)]
    patience: usize,
    /// Where the deep models train: cpu, or wgpu (a build with the `wgpu` feature).
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    device: ComputeDevice,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
}

/// Runs `neuroloop evaluate`; prints the scores (exit 0) or the error (exit 1).
pub fn evaluate(args: &EvaluateArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("evaluate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &EvaluateArgs) -> Result<(), RuntimeError> {
    let started = Instant::now();
    check_distinct(&args.recordings, &args.test_recordings)?;
    let (chain, filters_text) = match (&args.filters, &args.config) {
        (_, Some(path)) => (
            filters_from_session(path)?,
            format!("[pipeline] filters of {}", path.display()),
        ),
        (Some(text), None) => (parse_filters(text)?, text.clone()),
        (None, None) => (parse_filters("")?, "none".into()),
    };
    let options = EpochOptions {
        events: EventMap::parse(&args.events)?,
        tmin: args.tmin,
        tmax: args.tmax,
        channels: args.channels.clone(),
    };
    let epochs = cut_epochs_from_files(&args.recordings, &options, &chain)?;
    let spec = model_spec(args)?;
    crate::hyper::check_memory(
        &spec,
        epochs.channels.len(),
        epochs.samples,
        args.batch_size,
    )?;
    if let Some(dir) = &args.export_epochs {
        let fold_of = stratified_folds(&epochs.labels, &epochs.classes, args.folds, args.seed)?;
        let names: Vec<String> = args
            .recordings
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        export_epochs(dir, &epochs, &names, &fold_of, args.folds)?;
    }
    let fit_options = FitOptions {
        seed: args.seed,
        max_epochs: args.max_epochs,
        batch_size: args.batch_size,
        patience: args.patience,
        learning_rate: args.learning_rate,
        device: args.device,
        ..FitOptions::default()
    };
    if !args.test_recordings.is_empty() {
        let filters = filters_text.as_str();
        return held_out::run(
            args,
            &spec,
            &fit_options,
            &epochs,
            &options,
            &chain,
            filters,
        );
    }
    let mut fold = 0;
    let mut trained_epochs = Vec::with_capacity(args.folds);
    let mut times = FitPredictSeconds::default();
    let cv = cross_validate(&epochs, args.folds, args.seed, |train, test| {
        fold += 1;
        let fold_started = Instant::now();
        let mut trained = 0;
        let (mut first_loss, mut last_loss) = (f32::NAN, f32::NAN);
        let mut best_val: Option<(f32, usize)> = None;
        let (probabilities, took) =
            fit_predict_timed(&spec, &fit_options, train, test, &mut |p| {
                trained = p.epoch;
                if p.epoch == 1 {
                    first_loss = p.train_loss;
                }
                last_loss = p.train_loss;
                if let Some(v) = p.val_loss
                    && best_val.is_none_or(|(b, _)| v < b)
                {
                    best_val = Some((v, p.epoch));
                }
            })?;
        trained_epochs.push(trained);
        times.fit += took.fit;
        times.predict += took.predict;
        if !args.json {
            let val = best_val.map_or_else(String::new, |(v, e)| {
                format!(", best validation loss {v:.3} after pass {e}")
            });
            errln!(
                "fold {fold}/{}: {trained} training passes, training loss {first_loss:.3} -> {last_loss:.3}{val}, {:.1} s",
                args.folds,
                fold_started.elapsed().as_secs_f64()
            );
        }
        Ok(probabilities)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let run = Run {
            spec: &spec,
            fit_options: &fit_options,
            filters: &filters_text,
            trained_epochs: &trained_epochs,
            seconds,
            times,
        };
        print_json(args, &run, &epochs, &cv);
    } else {
        print_table(args, &filters_text, &epochs, &cv, seconds);
    }
    Ok(())
}

fn parse_bands(text: &str) -> Result<Vec<[f64; 2]>, RuntimeError> {
    text.split(',')
        .map(|b| {
            let parsed = b
                .trim()
                .split_once('-')
                .and_then(|(lo, hi)| Some([lo.parse().ok()?, hi.parse().ok()?]));
            parsed.ok_or_else(|| RuntimeError::OfflineOption {
                what: "bands",
                message: format!("{b:?} is not LOW-HIGH"),
            })
        })
        .collect()
}

/// The same file given twice would pool its epochs twice (inflating a
/// cross-validation) or test on training data.
fn check_distinct(recordings: &[PathBuf], held_out: &[PathBuf]) -> Result<(), RuntimeError> {
    let mut seen = Vec::new();
    for path in recordings.iter().chain(held_out) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if seen.contains(&key) {
            return Err(RuntimeError::OfflineOption {
                what: "recording",
                message: format!("{} is given twice", path.display()),
            });
        }
        seen.push(key);
    }
    Ok(())
}

/// The architecture's spec: `--hyperparameters` over its defaults, and
/// `--bands` for bandpower.
fn model_spec(args: &EvaluateArgs) -> Result<ModelSpec, RuntimeError> {
    let mut map = crate::train::parse_hyperparameters(args.hyperparameters.as_deref())?.0;
    if args.architecture == "bandpower" && !map.contains_key("bands_hz") {
        map.insert(
            "bands_hz".into(),
            serde_json::json!(parse_bands(&args.bands)?),
        );
    }
    Ok(ModelSpec::with_hyperparameters(&args.architecture, map)?)
}

/// What was run, for the JSON output.
struct Run<'a> {
    spec: &'a ModelSpec,
    fit_options: &'a FitOptions,
    filters: &'a str,
    trained_epochs: &'a [usize],
    seconds: f64,
    /// Fit and predict seconds summed over the folds.
    times: FitPredictSeconds,
}

fn print_json(args: &EvaluateArgs, run: &Run<'_>, epochs: &Epochs, cv: &CrossValidation) {
    let value = serde_json::json!({
        "recordings": args.recordings,
        "events": args.events,
        "tmin": args.tmin,
        "tmax": args.tmax,
        "filters": run.filters,
        "architecture": args.architecture,
        "spec": run.spec,
        "fit_options": run.fit_options,
        "training_epochs_per_fold": run.trained_epochs,
        "channels": epochs.channels,
        "samples": epochs.samples,
        "sample_rate": epochs.sample_rate,
        "n_epochs": epochs.len(),
        "skipped": epochs.skipped.len(),
        "cv": cv,
        "seconds": run.seconds,
        "fit_seconds": run.times.fit,
        "predict_ms_per_epoch": 1e3 * run.times.predict / epochs.len().max(1) as f64,
    });
    outln!("{value}");
}

fn print_table(
    args: &EvaluateArgs,
    filters: &str,
    epochs: &Epochs,
    cv: &CrossValidation,
    seconds: f64,
) {
    let counts: Vec<String> = cv
        .classes
        .iter()
        .zip(&cv.class_counts)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    outln!(
        "{} epochs ({}) from {} recording(s), {} skipped past an end; {} channels x {} samples at {} Hz, [{}, {}] s after each event",
        epochs.len(),
        counts.join(", "),
        args.recordings.len(),
        epochs.skipped.len(),
        epochs.channels.len(),
        epochs.samples,
        epochs.sample_rate,
        args.tmin,
        args.tmax
    );
    outln!("filters: {filters}");
    outln!(
        "{}, {}-fold stratified cross-validation, seed {}",
        args.architecture,
        cv.k,
        cv.seed
    );
    outln!("\nfold  train  test  accuracy    AUC");
    for f in &cv.folds {
        let auc = f.auc.map_or_else(|| "-".into(), |a| format!("{a:.3}"));
        outln!(
            "{:>4}  {:>5}  {:>4}  {:>8.3}  {:>5}",
            f.fold,
            f.n_train,
            f.n_test,
            f.accuracy,
            auc
        );
    }
    outln!(
        "\naccuracy {:.3} ± {:.3} (mean ± sd over folds), pooled {:.3}",
        cv.accuracy_mean,
        cv.accuracy_sd,
        cv.accuracy_pooled
    );
    let (bm, bs) = cv.balanced_accuracy_mean_sd;
    outln!(
        "balanced accuracy {bm:.3} ± {bs:.3}, pooled {:.3}",
        cv.balanced_accuracy_pooled
    );
    if let Some((m, s)) = cv.auc_mean_sd {
        outln!("ROC-AUC  {m:.3} ± {s:.3}");
    }
    let threshold = cv
        .chance_threshold_p05
        .map_or_else(|| "-".into(), |t| format!("{t:.3}"));
    outln!(
        "chance: majority class {:.3}; guessing reaches {threshold} with p <= 0.05 on {} epochs",
        cv.chance_majority,
        epochs.len()
    );
    let width = cv.classes.iter().map(String::len).max().unwrap_or(4).max(5);
    outln!("\nconfusion (rows: true class, columns: predicted)");
    out!("{:width$}", "");
    for c in &cv.classes {
        out!("  {c:>width$}");
    }
    outln!();
    for (c, row) in cv.classes.iter().zip(&cv.confusion) {
        out!("{c:width$}");
        for n in row {
            out!("  {n:>width$}");
        }
        outln!();
    }
    outln!("\n{seconds:.1} s");
}
