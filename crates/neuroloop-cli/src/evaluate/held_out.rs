//! `neuroloop evaluate --test-recording F...`: fit on every epoch of the
//! `--recording` files, score on the epochs of the held-out recordings
//! (cut with the same events, window, channels and filter chain).

use std::path::PathBuf;

use neuroloop_decode::fit::{FitOptions, ModelSpec};
use neuroloop_offline::{
    EpochSet, FitPredictSeconds, HeldOutScore, OfflineError, cut_epochs_from_files,
    fit_predict_timed, score_held_out,
};

use super::EvaluateArgs;
use crate::args::DataPlan;

/// Runs the cross-recording evaluation and prints it (table or JSON).
///
/// # Errors
/// As [`cut_epochs_from_files`] and [`score_held_out`].
pub(super) fn run(
    args: &EvaluateArgs,
    spec: &ModelSpec,
    fit_options: &FitOptions,
    train: &EpochSet,
    data: &DataPlan,
) -> Result<(), OfflineError> {
    let filters = data.filters.as_str();
    let test = cut_epochs_from_files(&args.test_recordings, &data.epochs, &data.chain)?.epochs;
    let mut times = FitPredictSeconds::default();
    let score = score_held_out(train, &test, |train, test| {
        let (probabilities, took) = fit_predict_timed(spec, fit_options, train, test, &mut |_| {})?;
        times = took;
        Ok(probabilities)
    })?;
    if args.json {
        let value = serde_json::json!({
            "recordings": args.data.source.recordings,
            "test_recordings": args.test_recordings,
            "events": args.data.source.events,
            "tmin": args.data.tmin,
            "tmax": args.data.tmax,
            "filters": filters,
            "architecture": args.model.architecture,
            "spec": spec,
            "held_out": score,
            "fit_seconds": times.fit,
            "predict_ms_per_epoch": 1e3 * times.predict / score.n_test.max(1) as f64,
        });
        outln!("{value}");
    } else {
        print_table(args, &score, filters);
    }
    Ok(())
}

fn print_table(args: &EvaluateArgs, score: &HeldOutScore, filters: &str) {
    let names = |files: &[PathBuf]| {
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    outln!(
        "{} fitted on {} epochs of {}; scored on {} epochs of {}",
        args.model.architecture,
        score.n_train,
        names(&args.data.source.recordings),
        score.n_test,
        names(&args.test_recordings)
    );
    outln!("filters: {filters}");
    let auc = score.auc.map_or_else(|| "-".into(), |a| format!("{a:.3}"));
    outln!(
        "held-out accuracy {:.3}, balanced accuracy {:.3}, ROC-AUC {auc}",
        score.accuracy,
        score.balanced_accuracy
    );
    let threshold = score
        .chance_threshold_p05
        .map_or_else(|| "-".into(), |t| format!("{t:.3}"));
    outln!(
        "chance: majority class {:.3}; guessing reaches {threshold} with p <= 0.05 on {} epochs",
        score.chance_majority,
        score.n_test
    );
    outln!("confusion (rows: true class, columns: predicted)");
    for (c, row) in score.classes.iter().zip(&score.confusion) {
        let counts: Vec<String> = row.iter().map(usize::to_string).collect();
        outln!("{c:>10}  {}", counts.join("  "));
    }
}
