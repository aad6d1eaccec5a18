//! `neuroloop bench latency CONFIG [--duration S] [--out DIR] [--client C]`
//! and `neuroloop bench compare A.json B.json [--out DIR]`.
//!
//! `latency` runs a session of any source (the simulator, a live LSL
//! headset, a serial board, a replay) with an acking actuator client in
//! this process (or none, for an external one) and writes a citable report
//! to `DIR`: `latency.json` (percentiles per stage, counts, machine,
//! versions, config and bundle hashes, the per-window series) and
//! `latency.html`, one self-contained page with SVG plots (no script, no
//! network). `compare` puts two such reports side by side. `loopback`
//! measures the audio path from a scheduled click to its capture
//! (neuroloop-audio's loopback).

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
    /// Play clicks on an audio output and find them in an input (a cable,
    /// a microphone at the speaker, or a sound server's monitor): the delay
    /// from a scheduled click to its onset, the rig's stimulus latency.
    Loopback(LoopbackArgs),
}

/// `neuroloop bench loopback`.
#[derive(Debug, Args)]
pub struct LoopbackArgs {
    /// Output device whose name is this (or contains it); default: the
    /// system's default output.
    #[arg(long, value_name = "NAME")]
    output: Option<String>,
    /// Input device whose name is this (or contains it); default: the
    /// system's default input.
    #[arg(long, value_name = "NAME")]
    input: Option<String>,
    /// Clicks to play (1 to 10000).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    clicks: u64,
    /// Seconds between clicks (0.05 to 10); longer than the delay.
    #[arg(long, default_value_t = 0.2, value_parser = crate::bounds::click_interval_s)]
    interval: f64,
    /// Frames per period on both streams (16 to 65536; default 10 ms).
    #[arg(long, value_parser = clap::value_parser!(u32).range(16..=65_536))]
    buffer_frames: Option<u32>,
    /// Also write the result as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
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
        BenchCommand::Loopback(a) => loopback(a),
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

fn loopback(args: &LoopbackArgs) -> Result<(), String> {
    let options = neuroloop_audio::loopback::LoopbackOptions {
        output: args.output.clone(),
        input: args.input.clone(),
        clicks: usize::try_from(args.clicks).unwrap_or(usize::MAX),
        interval_s: args.interval,
        buffer_frames: args.buffer_frames,
    };
    let r = neuroloop_audio::loopback::measure(&options).map_err(|e| e.to_string())?;
    if r.found == 0 {
        return Err(format!(
            "no click of {} came back: is the input connected to the output?",
            r.clicks
        ));
    }
    let (min, max) = r
        .delays_ms
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), d| {
            (lo.min(*d), hi.max(*d))
        });
    outln!(
        "loopback: {} of {} clicks found; delay median {:.2} ms, IQR {:.2} ms, min {:.2} ms, max {:.2} ms; {} frames per period at {} Hz; {} underruns/overruns",
        r.found,
        r.clicks,
        r.median_ms,
        r.spread_ms,
        min,
        max,
        r.buffer_frames,
        r.sample_rate,
        r.xruns
    );
    if r.xruns > 0 {
        errln!(
            "loopback: the streams reported {} underruns/overruns; the delays after each may \
             include the buffer the server refilled: measure again on a quieter machine",
            r.xruns
        );
    }
    if r.stream_errors > 0 {
        errln!(
            "loopback: the streams reported {} errors besides underruns/overruns (the first \
             error of all: {})",
            r.stream_errors,
            r.first_error.as_deref().unwrap_or("?")
        );
    }
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "clicks": r.clicks,
            "found": r.found,
            "median_ms": r.median_ms,
            "iqr_ms": r.spread_ms,
            "delays_ms": r.delays_ms,
            "buffer_frames": r.buffer_frames,
            "sample_rate": r.sample_rate,
            "xruns": r.xruns,
            "stream_errors": r.stream_errors,
            "first_error": r.first_error,
        });
        std::fs::write(path, json.to_string() + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes `text` to `dir/name`, creating `dir`.
fn write(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
