//! `neuroloop replay FILE [--config SESSION] [--bundle DIR] [--json OUT]`:
//! reruns a session that recorded itself (`[record]`) and compares the
//! intents with the recorded ones.
//!
//! The session config (`--config`, else the one the recording's header
//! stores) is rerun with its source replaced by the recording's input
//! stream, played at fast pace with its recorded
//! timestamps and cue markers (`[source] type = "replay"` on the XDF file),
//! and its decoder replaced by `--bundle` if given. The replay waits for
//! the pipeline (and for the trainer of a calibrating session), so a
//! deterministic session decides every window again exactly as recorded.
//! Each window's decision (class intent or hold, class, hold reason,
//! probabilities, sample time) is compared bit for bit with the recorded
//! intents stream; exit status 0 when they are identical, 1 when they
//! differ, 2 when the rerun could not be made. Of a file that was cut off
//! (a session killed), the windows up to the last one both the file and
//! the rerun decided are compared.

mod compare;
mod recorded;
mod session;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::error::CommandError;
use crate::score::session::option;
use compare::{Comparison, Decision};
use session::Rerun;

/// Options of `neuroloop replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The XDF file a session recorded with `[record]`.
    file: PathBuf,
    /// The session config to rerun (default: the one the recording's
    /// header stores; its relative paths start where the config was when
    /// the session ran).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Decode with this model bundle instead of the config's decoder.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Also write the comparison as JSON here: the counts, every
    /// differing window with both decisions, and one row per window.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// Differing windows printed.
const SHOWN: usize = 5;

/// Runs `neuroloop replay`: exit 0 identical, 1 different, 2 error.
pub fn replay(args: &ReplayArgs) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            errln!("replay: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &ReplayArgs) -> Result<bool, CommandError> {
    let recorded = recorded::read(&args.file)?;
    if recorded.truncated {
        errln!(
            "{} ends inside a chunk (the session was cut off); comparing the windows both \
             the file and the rerun decided",
            args.file.display()
        );
    }
    let (origin, text) = match (&args.config, &recorded.config) {
        (Some(path), _) => {
            let text = neuroloop_runtime::config::read_config_file(path)
                .map_err(|e| option("config", format!("{}: {e}", path.display())))?;
            (path.clone(), text)
        }
        (None, Some(stored)) => (stored.path.clone(), stored.text.clone()),
        (None, None) => {
            return Err(option(
                "config",
                format!(
                    "{} stores no session config; name it with --config",
                    args.file.display()
                ),
            )
            .into());
        }
    };
    let tables: toml::Table = toml::from_str(&text)
        .map_err(|e| option("config", format!("{}: {e}", origin.display())))?;
    let rerun = Rerun {
        origin,
        tables,
        file: &args.file,
        recorded: &recorded,
        bundle: args.bundle.as_deref(),
    };
    let cfg = rerun.validate()?;
    let classes = cfg.classes.clone();
    let replayed: Vec<Decision> = session::play(cfg)?
        .iter()
        .filter_map(|i| Decision::from_intent(i, &classes))
        .collect();
    let comparison = if recorded.truncated {
        Comparison::up_to_cut(&recorded.decisions, &replayed, &classes)
    } else {
        Comparison::new(&recorded.decisions, &replayed, &classes)
    };
    print(&comparison, args, &classes);
    if let Some(path) = &args.json {
        let value = to_json(&comparison, args, &classes);
        let text = serde_json::to_string(&value).map_err(|e| option("json", e.to_string()))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| option("json", format!("cannot write {}: {e}", path.display())))?;
        errln!("comparison written to {}", path.display());
    }
    Ok(comparison.identical())
}

fn print(c: &Comparison, args: &ReplayArgs, classes: &[String]) {
    outln!(
        "{}: {} decisions recorded, {} replayed, {} windows compared",
        args.file.display(),
        c.recorded,
        c.replayed,
        c.compared
    );
    outln!(
        "  same: {}  differing: {}  missing from the replay: {}  extra in the replay: {}",
        c.same,
        c.differing.len(),
        c.missing.len(),
        c.extra.len()
    );
    let counts: Vec<String> = c
        .class_counts(classes)
        .iter()
        .map(|(class, ours, theirs)| format!("{class} {ours}/{theirs}"))
        .collect();
    outln!("  class intents (recorded/replayed): {}", counts.join(", "));
    for d in c.differing.iter().take(SHOWN) {
        outln!(
            "  window {} (sample time {:.6}): recorded {} {:?}, replayed {} {:?} — differs in {}",
            d.window,
            d.sample_time,
            d.recorded.label(classes),
            d.recorded.probabilities,
            d.replayed.label(classes),
            d.replayed.probabilities,
            d.differs_in.join(", ")
        );
    }
    if c.differing.len() > SHOWN {
        outln!(
            "  … and {} more differing windows",
            c.differing.len() - SHOWN
        );
    }
    if c.beyond_cut > 0 {
        outln!(
            "  {} decisions lie beyond the cut (after the last window both decided); not compared",
            c.beyond_cut
        );
    }
    for (what, windows) in [("missing", &c.missing), ("extra", &c.extra)] {
        if let Some(first) = windows.first() {
            outln!("  {what} windows: {} from window {first}", windows.len());
        }
    }
    outln!(
        "{}",
        if c.identical() {
            "identical: every recorded window decided the same, bit for bit"
        } else {
            "DIFFERENT"
        }
    );
}

fn to_json(c: &Comparison, args: &ReplayArgs, classes: &[String]) -> serde_json::Value {
    let counts: serde_json::Map<String, serde_json::Value> = c
        .class_counts(classes)
        .into_iter()
        .map(|(class, ours, theirs)| {
            (
                class,
                serde_json::json!({ "recorded": ours, "replayed": theirs }),
            )
        })
        .collect();
    serde_json::json!({
        "file": args.file.display().to_string(),
        "config": args.config.as_ref().map(|c| c.display().to_string()),
        "bundle": args.bundle.as_ref().map(|b| b.display().to_string()),
        "classes": classes,
        "identical": c.identical(),
        "recorded": c.recorded,
        "replayed": c.replayed,
        "compared": c.compared,
        "same": c.same,
        "differing": c.differing.len(),
        "differences": c.differing,
        "missing": c.missing,
        "extra": c.extra,
        "beyond_cut": c.beyond_cut,
        "class_intents": counts,
        "windows": c.rows,
    })
}
