//! `neuroloop run CONFIG [--duration S] [--report FILE]`.
//!
//! Signals: SIGINT (Ctrl-C), SIGTERM and SIGHUP end the session cleanly
//! (clients get `bye`, the report is written); SIGUSR1 is ignored (logged).
//! Their handlers are installed before the configuration is read, so a
//! signal that arrives while the session starts ends it as soon as it runs.
//! The report file is written before the summary is printed, and a closed
//! stdout or stderr only silences the printing.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use neuroloop_runtime::{RunningSession, StartOptions};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Runs a session until `duration`, a signal or the end of the source,
/// then drains and reports.
pub fn run(config: &Path, duration: Option<f64>, report_path: Option<&Path>) -> ExitCode {
    let waiter = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("cannot start the signal handling runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let signals = {
        let _context = waiter.enter();
        Signals::install()
    };
    let validated = match neuroloop_runtime::load(config) {
        Ok(v) => v,
        Err(errors) => {
            errln!(
                "{}: {} problem(s); nothing started",
                config.display(),
                errors.len()
            );
            for e in &errors {
                errln!("  {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let session = match neuroloop_runtime::start(validated, StartOptions::default()) {
        Ok(s) => s,
        Err(e) => {
            errln!("cannot start session: {e}");
            return ExitCode::FAILURE;
        }
    };
    errln!(
        "intents on {} — try `neuroloop listen {}`",
        session.local_addr(),
        session.local_addr()
    );
    wait_for_end(&waiter, signals, &session, duration);
    let report = match session.finish() {
        Ok(r) => r,
        Err(e) => {
            errln!("session failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut code = ExitCode::SUCCESS;
    if let Some(path) = report_path {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => match std::fs::write(path, json + "\n") {
                Ok(()) => errln!("report written to {}", path.display()),
                Err(e) => {
                    errln!("cannot write report {}: {e}", path.display());
                    code = ExitCode::FAILURE;
                }
            },
            Err(e) => {
                errln!("cannot serialise the report: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    outln!("{}", report.summary());
    if let Some(e) = &report.source_error {
        errln!("session ended early: the source failed: {e}");
        code = ExitCode::FAILURE;
    }
    code
}

/// The signals that end a session, and SIGUSR1 (ignored). A signal whose
/// handler cannot be installed is logged and left at its default.
pub(crate) struct Signals {
    int: Option<Signal>,
    term: Option<Signal>,
    hup: Option<Signal>,
    usr1: Option<Signal>,
}

impl Signals {
    pub(crate) fn install() -> Self {
        let one = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(signal = name, error = %e, "cannot handle signal");
                None
            }
        };
        Self {
            int: one(SignalKind::interrupt(), "SIGINT"),
            term: one(SignalKind::terminate(), "SIGTERM"),
            hup: one(SignalKind::hangup(), "SIGHUP"),
            usr1: one(SignalKind::user_defined1(), "SIGUSR1"),
        }
    }
}

/// Waits for the next delivery of `s` (never, if it has no handler).
async fn next(s: &mut Option<Signal>) {
    match s {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// Blocks on `waiter` (the runtime `signals` were installed in) until the
/// duration passes, a signal arrives (also one that arrived while the
/// session started) or the source ends.
pub(crate) fn wait_for_end(
    waiter: &tokio::runtime::Runtime,
    mut signals: Signals,
    session: &RunningSession,
    duration: Option<f64>,
) {
    waiter.block_on(async {
        let deadline = async {
            match duration.and_then(|d| Duration::try_from_secs_f64(d).ok()) {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        let source_done = async {
            while !session.source_finished() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::pin!(source_done);
        loop {
            tokio::select! {
                () = &mut deadline => tracing::info!("duration reached; stopping"),
                () = next(&mut signals.int) => tracing::info!("SIGINT; stopping"),
                () = next(&mut signals.term) => tracing::info!("SIGTERM; stopping"),
                () = next(&mut signals.hup) => tracing::info!("SIGHUP; stopping"),
                () = next(&mut signals.usr1) => {
                    tracing::info!("SIGUSR1 ignored (no reload); the session goes on");
                    continue;
                }
                () = &mut source_done => tracing::info!("source ended"),
            }
            break;
        }
    });
}
