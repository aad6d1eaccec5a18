//! `neuroloop`: the real-time BCI runtime's command line.
//!
//! * `neuroloop run CONFIG [--duration S] [--report FILE]`: run a session.
//! * `neuroloop check CONFIG`: validate a config and its hardware profile,
//!   print every problem with its path.
//! * `neuroloop listen [ADDR]`: a minimal actuator client printing intents.
//! * `neuroloop list [--wait S] [--lab]`: the visible LSL streams.
//! * `neuroloop actuator [ADDR]`: an example actuator (simulated cursor or
//!   wheelchair) honouring holds, e-stops and the deadman rule.
//! * `neuroloop evaluate --recording F ... --events T1=a,T2=b --tmin S --tmax S
//!   --architecture A`: within-session k-fold cross-validation on recordings.
//! * `neuroloop train --recording F ... --events T1=a,T2=b --tmin S --tmax S
//!   --architecture A --out DIR`: train a decoder and write a model bundle.
//! * `neuroloop score BUNDLE --recording F ... --events T1=a,T2=b`: play
//!   recordings through the online path and score the intents.
//! * `neuroloop bench latency CONFIG [--duration S] [--out DIR]`: run a
//!   session and write its latency report (JSON, HTML); `neuroloop bench
//!   compare A.json B.json` puts two side by side; `neuroloop bench
//!   loopback` measures an audio path from a scheduled click to its capture.
//! * `neuroloop replay FILE [--config SESSION] [--bundle DIR]`: rerun a
//!   session from its XDF recording and compare the intents with the
//!   recorded ones.
//!
//! `evaluate` and `train` share one definition of their data, model and
//! validation flags ([`args`]).

/// `println!` that never panics: a closed stdout (`| head`) only ends the
/// output.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` that never panics.
#[allow(unused_macros)]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `eprintln!` that never panics (a closed stderr or a hung-up terminal).
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

mod actuator;
mod actuator_sound;
mod args;
mod bench;
mod bounds;
mod check;
mod error;
mod evaluate;
mod hyper;
mod list;
mod listen;
mod progress;
mod replay;
mod run;
mod score;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Real-time brain–computer-interface runtime.
#[derive(Debug, Parser)]
#[command(name = "neuroloop", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a closed-loop session.
    Run {
        /// Session config (TOML).
        config: PathBuf,
        /// Stop after this many seconds (default: until SIGINT / SIGTERM /
        /// SIGHUP); at most one year.
        #[arg(long, value_parser = bounds::duration_s)]
        duration: Option<f64>,
        /// Write the JSON report here.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Validate a session config and its hardware profile.
    Check {
        /// Session config (TOML).
        config: PathBuf,
    },
    /// Connect to a session and print its intents.
    Listen {
        /// Address of the session's intent server.
        #[arg(default_value = "127.0.0.1:7878")]
        addr: String,
        /// Print raw JSON lines instead of a table.
        #[arg(long)]
        json: bool,
        /// Exit after this many intents and holds.
        #[arg(long)]
        count: Option<u64>,
        /// Session token (required when the session has one).
        #[arg(long)]
        token: Option<String>,
    },
    /// Run an example actuator: a simulated device that follows current
    /// intents, stops on holds, stale intents, e-stops, lost or stale
    /// heartbeats (deadman) and lost links.
    Actuator {
        /// Address of the session's intent server.
        #[arg(default_value = "127.0.0.1:7878")]
        addr: String,
        /// Session token (required when the session has one).
        #[arg(long)]
        token: Option<String>,
        /// The simulated device.
        #[arg(long, value_enum, default_value = "cursor")]
        device: actuator::Device,
        /// With `--device audio`: the output device whose name is this (or
        /// contains it); default: the system's default output.
        #[arg(long, value_name = "NAME")]
        audio_device: Option<String>,
    },
    /// List the LSL streams visible from this machine (needs liblsl:
    /// pylsl installed, or LSL_LIB).
    List {
        /// Seconds to wait for streams to answer (at most 600).
        #[arg(long, default_value_t = 1.0, value_parser = bounds::wait_s)]
        wait: f64,
        /// Look on the lab network, not only this machine.
        #[arg(long)]
        lab: bool,
        /// Directory of hardware profiles to match the streams against
        /// (default: `hardware-profiles/` here or beside the executable).
        #[arg(long, value_name = "DIR")]
        profiles: Option<std::path::PathBuf>,
    },
    /// Cross-validate a decoder architecture on labelled epochs of recorded
    /// sessions (within-session, stratified k-fold).
    Evaluate(evaluate::EvaluateArgs),
    /// Train a decoder on labelled epochs of recordings and write a model
    /// bundle (`[decoder] type = "bundle"` loads it).
    Train(train::TrainArgs),
    /// Play recordings through a bundle's online path (replay at fast pace,
    /// causal filters, windows, intent policy) and score every intent: per
    /// window and per trial accuracy, ROC-AUC, confusion, information
    /// transfer rate, time from cue to the first correct intent.
    Score(score::ScoreArgs),
    /// Rerun a session from the XDF file it recorded (`[record]`): its
    /// input and cues replayed at fast pace through the config it stores
    /// or `--config` (and `--bundle`, if given), and every window's intent compared bit for
    /// bit with the recorded one. Exit status 0 identical, 1 different, 2
    /// error.
    Replay(replay::ReplayArgs),
    /// Benchmarks: `bench latency CONFIG` runs a session with an acking
    /// actuator and writes a latency report (per-stage percentiles, machine,
    /// hashes; JSON and a self-contained HTML page with plots); `bench
    /// compare A.json B.json` puts two reports side by side; `bench
    /// loopback` measures the audio path from a scheduled click to its
    /// capture.
    Bench(bench::BenchArgs),
}

/// Parses `--device`: a known device that this build has.
pub(crate) fn parse_device(name: &str) -> Result<neuroloop_decode::ComputeDevice, String> {
    let device = neuroloop_decode::ComputeDevice::parse(name).map_err(|e| e.to_string())?;
    device.burn_device().map_err(|e| e.to_string())?;
    Ok(device)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEUROLOOP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            config,
            duration,
            report,
        } => run::run(&config, duration, report.as_deref()),
        Command::Check { config } => check::check(&config),
        Command::Listen {
            addr,
            json,
            count,
            token,
        } => listen::listen(&addr, json, count, token),
        Command::Actuator {
            addr,
            token,
            device,
            audio_device,
        } => actuator::actuator(&addr, token, device, audio_device),
        Command::List {
            wait,
            lab,
            profiles,
        } => list::list(wait, lab, profiles.as_deref()),
        Command::Evaluate(args) => evaluate::evaluate(&args),
        Command::Train(args) => train::train(&args),
        Command::Score(args) => score::score(&args),
        Command::Replay(args) => replay::replay(&args),
        Command::Bench(args) => bench::bench(&args),
    }
}
