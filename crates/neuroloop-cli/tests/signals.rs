//! Every way a session ends writes its report and says `bye`: SIGHUP,
//! SIGTERM and SIGINT end it cleanly, SIGUSR1 is ignored, and a closed
//! stdout (`run ... | true`, `listen | head -1`) never panics.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running `run` session's stderr and a connected listener's intents.
struct Served {
    session: Child,
    log: Lines,
    report: PathBuf,
    listener: Listener,
    intents: Lines,
}

/// Starts a session and a listener, and returns once an intent (a hold
/// while calibrating) reached the listener: samples went through.
fn served(name: &str, stdout: Stdio) -> Served {
    let (mut session, report, port) = start_session(name, "60", stdout);
    let mut log = Lines::of(session.stderr.take().unwrap());
    log.wait_for("intents on", Duration::from_secs(30));
    let mut listener = start_listener(port, true);
    let mut intents = Lines::of(listener.child.stdout.take().unwrap());
    intents.wait_for("\"seq\"", Duration::from_secs(30));
    Served {
        session,
        log,
        report,
        listener,
        intents,
    }
}

#[test]
fn sighup_ends_the_session_cleanly_with_bye_and_report_and_sigusr1_is_ignored() {
    let Served {
        mut session,
        mut log,
        report,
        listener,
        mut intents,
    } = served("hup", Stdio::piped());
    signal(&session, "USR1");
    log.wait_for("SIGUSR1 ignored", Duration::from_secs(30));
    // The session goes on: it publishes after it logged the signal.
    intents.skip_pending();
    intents.wait_for("\"seq\"", Duration::from_secs(30));
    assert!(
        session.try_wait().unwrap().is_none(),
        "SIGUSR1 must not end the session"
    );
    signal(&session, "HUP");
    let out = wait_output(session, Duration::from_secs(30), "session after SIGHUP");
    let stderr = log.rest(Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGHUP; stopping"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("samples in"));
    let r = read_report(&report);
    assert!(r["samples_produced"].as_u64().unwrap() > 0);
    let _ = wait_output(listener.child, Duration::from_secs(10), "listen");
    let heard = listener.stderr.rest(Duration::from_secs(10));
    assert!(heard.contains("server closed the session"), "{heard}");
}

#[test]
fn sigterm_and_sigint_write_the_report_too() {
    for name in ["TERM", "INT"] {
        let Served {
            session,
            log,
            report,
            listener,
            intents: _intents,
        } = served(&format!("sig{name}"), Stdio::null());
        signal(&session, name);
        let out = wait_output(session, Duration::from_secs(30), name);
        let stderr = log.rest(Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert!(stderr.contains(&format!("SIG{name}; stopping")), "{stderr}");
        assert!(read_report(&report)["samples_produced"].as_u64().unwrap() > 0);
        let _ = wait_output(listener.child, Duration::from_secs(10), "listen");
        let heard = listener.stderr.rest(Duration::from_secs(10));
        assert!(heard.contains("server closed the session"), "{heard}");
    }
}

#[test]
fn a_closed_stdout_silences_output_but_never_the_report() {
    let (mut session, report, port) = start_session("pipe", "3", Stdio::piped());
    drop(session.stdout.take()); // `neuroloop run ... | true`
    // `neuroloop listen | head -1`: read one line, then close the pipe.
    let mut listener = start_listener(port, true);
    let mut first = String::new();
    BufReader::new(listener.child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"seq\""), "{first}");
    let heard = wait_output(
        listener.child,
        Duration::from_secs(20),
        "listen into a closed pipe",
    );
    let stderr = listener.stderr.rest(Duration::from_secs(10));
    assert_eq!(heard.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let out = wait_output(session, Duration::from_secs(30), "run into a closed pipe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(read_report(&report)["samples_produced"].as_u64().unwrap() > 0);
}
