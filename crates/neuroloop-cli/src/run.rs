//! `neuroloop run CONFIG [--duration S] [--report FILE]`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use neuroloop_runtime::{RunningSession, StartOptions};

/// Runs a session until `duration`, Ctrl-C or SIGTERM, then drains and
/// reports.
pub fn run(config: &Path, duration: Option<f64>, report_path: Option<&Path>) -> ExitCode {
    let validated = match neuroloop_runtime::load(config) {
        Ok(v) => v,
        Err(errors) => {
            eprintln!(
                "{}: {} problem(s); nothing started",
                config.display(),
                errors.len()
            );
            for e in &errors {
                eprintln!("  {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    if let Some(d) = duration.filter(|d| !(*d > 0.0 && d.is_finite())) {
        eprintln!("--duration {d}: must be a positive number of seconds");
        return ExitCode::FAILURE;
    }
    let session = match neuroloop_runtime::start(validated, StartOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start session: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "intents on {} — try `neuroloop listen {}`",
        session.local_addr(),
        session.local_addr()
    );
    wait_for_end(&session, duration);
    let report = match session.finish() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("session failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", report.summary());
    if let Some(path) = report_path {
        let json = serde_json::to_string_pretty(&report).expect("reports always serialise");
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("cannot write report {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("report written to {}", path.display());
    }
    ExitCode::SUCCESS
}

/// Blocks until the duration passes, a signal arrives or the source ends.
fn wait_for_end(session: &RunningSession, duration: Option<f64>) {
    session.runtime().block_on(async {
        let deadline = async {
            match duration {
                Some(d) => tokio::time::sleep(Duration::from_secs_f64(d)).await,
                None => std::future::pending().await,
            }
        };
        let source_done = async {
            while !session.source_finished() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler can be installed");
        tokio::select! {
            () = deadline => tracing::info!("duration reached; stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C; stopping"),
            _ = sigterm.recv() => tracing::info!("SIGTERM; stopping"),
            () = source_done => tracing::info!("source ended"),
        }
    });
}
