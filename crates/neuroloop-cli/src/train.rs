//! `neuroloop train`: trains a decoder on labelled epochs of recordings and
//! writes a model bundle that a session loads with
//! `[decoder] type = "bundle"`.
//!
//! The epochs are cut after the session's filter chain ran causally over
//! each whole recording, as the online pipeline runs it, so the decoder is
//! trained on what it will see live.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use neuroloop_decode::bundle::{BundleMeta, WindowDescription};
use neuroloop_decode::fit::fit;
use neuroloop_offline::{OfflineError, cut_epochs_from_files};

use crate::args::{DataArgs, ModelArgs, ValidationArgs};
use crate::progress::Progress;

/// Options of `neuroloop train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    validation: ValidationArgs,
    /// How a session cuts the windows the model decodes: `hop` (at a fixed
    /// hop) or `events` (one window per event, `tmin` after it); recorded
    /// in the bundle.
    #[arg(long, value_enum, default_value = "hop")]
    windows: WindowsArg,
    /// The bundle directory to write.
    #[arg(long)]
    out: PathBuf,
    /// No progress lines.
    #[arg(long)]
    quiet: bool,
}

/// `--windows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum WindowsArg {
    /// Windows at a fixed hop.
    Hop,
    /// One window locked to each event.
    Events,
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

fn run(args: &TrainArgs) -> Result<(), OfflineError> {
    let started = Instant::now();
    if args.validation.folds.is_some() {
        return Err(OfflineError::Option {
            what: "folds",
            message: "train fits once on every epoch; folds belong to evaluate".into(),
        });
    }
    let data = args.data.resolve(&[])?;
    let spec = args.model.spec()?;
    let epochs =
        cut_epochs_from_files(&args.data.source.recordings, &data.epochs, &data.chain)?.epochs;
    // One model for one live session: the recordings are pooled as one
    // (re-centring decoders whiten every epoch by the same mean).
    let n = epochs.len();
    let set = epochs.with_recordings(vec![0; n])?;
    crate::hyper::check_memory(&spec, set.channels, set.samples, args.validation.batch_size)?;
    errln!("filters: {}", data.filters);
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
    let mut progress = Progress::stderr(args.quiet);
    let model = fit(&spec, &set, &args.validation.fit_options(), &mut |p| {
        progress.pass(p);
    })?;
    progress.finish();
    let filters = data
        .filter_tables
        .iter()
        .map(|t| {
            serde_json::to_value(t).map_err(|e| OfflineError::Option {
                what: "filters",
                message: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let d = &args.data;
    let source = format!(
        "{} events {} [{}, {}] s",
        d.source
            .recordings
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        d.source.events,
        d.tmin,
        d.tmax
    );
    let meta = BundleMeta {
        channels: set.channel_labels.clone(),
        filters,
        source: Some(source),
        windows: match args.windows {
            WindowsArg::Hop => WindowDescription::Hop,
            WindowsArg::Events => WindowDescription::Events { offset_s: d.tmin },
        },
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
