//! `neuroloop bench latency CONFIG [--duration S] [--out DIR] [--client C]`
//! and `neuroloop bench compare A.json B.json [--out DIR]`.
//!
//! `latency` runs a session of any source (the simulator, a live LSL
//! headset, a serial board, a replay) with an acking actuator client in
//! this process (or none, for an external one) and writes a citable report
//! to `DIR`: `latency.json` (percentiles per stage, counts, machine,
//! versions, config and bundle hashes, the per-window series) and
//! `latency.html`, one self-contained page with SVG plots (no script, no
//! network). `compare` puts two such reports side by side.

mod doc;
mod html;
mod machine;
mod session;
mod svg;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

pub use doc::LatencyDoc;

/// `neuroloop bench …`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Run a session and write its latency report (JSON and HTML).
    Latency(LatencyArgs),
    /// Put two latency reports side by side (HTML).
    Compare(CompareArgs),
}

/// `neuroloop bench latency`.
#[derive(Debug, Args)]
pub struct LatencyArgs {
    /// Session config (TOML).
    config: PathBuf,
    /// Seconds to run (the session also ends with its source or on
    /// SIGINT / SIGTERM / SIGHUP); at most one year.
    #[arg(long, default_value_t = 60.0, value_parser = crate::bounds::duration_s)]
    duration: f64,
    /// Directory for `latency.json` and `latency.html` (created).
    #[arg(long, default_value = "latency-report")]
    out: PathBuf,
    /// The actuator: an acking client in this process, or none here (run
    /// your own against the session's address).
    #[arg(long, value_enum, default_value = "in-process")]
    client: ClientKind,
}

/// Who acks the intents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientKind {
    /// An actuator client in this process acks every intent and hold.
    InProcess,
    /// None here: an external actuator connects to the session.
    External,
}

/// `neuroloop bench compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first report (`latency.json`), the baseline.
    a: PathBuf,
    /// The second report.
    b: PathBuf,
    /// Directory for `compare.html` (created).
    #[arg(long, default_value = "latency-compare")]
    out: PathBuf,
}

/// Runs `neuroloop bench …`.
pub fn bench(args: &BenchArgs) -> ExitCode {
    let result = match &args.what {
        BenchCommand::Latency(a) => latency(a),
        BenchCommand::Compare(a) => compare(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn latency(args: &LatencyArgs) -> Result<(), String> {
    let run = session::run(&args.config, args.duration, args.client)?;
    let doc = LatencyDoc::build(&args.config, &run);
    outln!("{}", run.report.summary());
    let json = serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot serialise: {e}"))?;
    write(&args.out, "latency.json", &(json + "\n"))?;
    write(&args.out, "latency.html", &html::report_page(&doc))?;
    errln!(
        "latency report written to {} (latency.json, latency.html)",
        args.out.display()
    );
    if let Some(e) = &run.report.source_error {
        return Err(format!("the session ended early: the source failed: {e}"));
    }
    Ok(())
}

fn compare(args: &CompareArgs) -> Result<(), String> {
    let a = LatencyDoc::read(&args.a)?;
    let b = LatencyDoc::read(&args.b)?;
    write(&args.out, "compare.html", &html::compare_page(&a, &b))?;
    errln!(
        "comparison written to {}",
        args.out.join("compare.html").display()
    );
    Ok(())
}

/// Writes `text` to `dir/name`, creating `dir`.
fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
