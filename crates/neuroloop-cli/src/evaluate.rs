//! `neuroloop evaluate`: within-session k-fold cross-validation of a
//! decoder architecture on labelled epochs of recorded sessions.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

mod held_out;

use clap::Args;
use neuroloop_decode::fit::{FitOptions, ModelSpec};
use neuroloop_offline::{
    CrossValidation, Cut, FitPredictSeconds, OfflineError, cross_validate, cut_epochs_from_files,
    export_epochs, fit_predict_timed, stratified_folds,
};

use crate::args::{DataArgs, ModelArgs, ValidationArgs};

/// Options of `neuroloop evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    validation: ValidationArgs,
    /// Held-out recordings: fit on every epoch of `--recording` and score on
    /// these (cross-recording evaluation) instead of k-fold cross-validation.
    #[arg(long = "test-recording")]
    test_recordings: Vec<PathBuf>,
    /// Also write the cut epochs, labels and fold of each epoch here
    /// (`epochs.npy`, `labels.npy`, `meta.json`) for reference tools.
    #[arg(long)]
    export_epochs: Option<PathBuf>,
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

fn run(args: &EvaluateArgs) -> Result<(), OfflineError> {
    let started = Instant::now();
    let data = args.data.resolve(&args.test_recordings)?;
    let cut = cut_epochs_from_files(&args.data.source.recordings, &data.epochs, &data.chain)?;
    let epochs = &cut.epochs;
    let spec = args.model.spec()?;
    let folds = args.validation.folds();
    let fit_options = args.validation.fit_options();
    crate::hyper::check_memory(
        &spec,
        epochs.channels,
        epochs.samples,
        fit_options.batch_size,
    )?;
    if let Some(dir) = &args.export_epochs {
        let fold_of = stratified_folds(&epochs.labels, &epochs.classes, folds, fit_options.seed)?;
        let names: Vec<String> = args
            .data
            .source
            .recordings
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        export_epochs(dir, epochs, &names, &fold_of, folds)?;
    }
    if !args.test_recordings.is_empty() {
        return held_out::run(args, &spec, &fit_options, epochs, &data);
    }
    let mut fold = 0;
    let mut trained_epochs = Vec::with_capacity(folds);
    let mut times = FitPredictSeconds::default();
    let cv = cross_validate(epochs, folds, fit_options.seed, |train, test| {
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
                "fold {fold}/{folds}: {trained} training passes, training loss {first_loss:.3} -> {last_loss:.3}{val}, {:.1} s",
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
            filters: &data.filters,
            trained_epochs: &trained_epochs,
            seconds,
            times,
        };
        print_json(args, &run, &cut, &cv);
    } else {
        print_table(args, &data.filters, &cut, &cv, seconds);
    }
    Ok(())
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

fn print_json(args: &EvaluateArgs, run: &Run<'_>, cut: &Cut, cv: &CrossValidation) {
    let epochs = &cut.epochs;
    let value = serde_json::json!({
        "recordings": args.data.source.recordings,
        "events": args.data.source.events,
        "tmin": args.data.tmin,
        "tmax": args.data.tmax,
        "filters": run.filters,
        "architecture": args.model.architecture,
        "spec": run.spec,
        "fit_options": run.fit_options,
        "training_epochs_per_fold": run.trained_epochs,
        "channels": epochs.channel_labels,
        "samples": epochs.samples,
        "sample_rate": epochs.sample_rate,
        "n_epochs": epochs.len(),
        "skipped": cut.skipped.len(),
        "cv": cv,
        "seconds": run.seconds,
        "fit_seconds": run.times.fit,
        "predict_ms_per_epoch": 1e3 * run.times.predict / epochs.len().max(1) as f64,
    });
    outln!("{value}");
}

fn print_table(args: &EvaluateArgs, filters: &str, cut: &Cut, cv: &CrossValidation, seconds: f64) {
    let epochs = &cut.epochs;
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
        args.data.source.recordings.len(),
        cut.skipped.len(),
        epochs.channels,
        epochs.samples,
        epochs.sample_rate,
        args.data.tmin,
        args.data.tmax
    );
    outln!("filters: {filters}");
    outln!(
        "{}, {}-fold stratified cross-validation, seed {}",
        args.model.architecture,
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
