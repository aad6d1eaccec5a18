//! Every way a session ends writes its report and says `bye`: SIGHUP,
//! SIGTERM and SIGINT end it cleanly, SIGUSR1 is ignored, and a closed
//! stdout (`run ... | true`, `listen | head -1`) never panics.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn sighup_ends_the_session_cleanly_with_bye_and_report_and_sigusr1_is_ignored() {
    let (session, report, port) = start_session("hup", "60", Stdio::piped());
    let listener = start_listener(port, false);
    std::thread::sleep(Duration::from_millis(1500));
    signal(&session, "USR1");
    std::thread::sleep(Duration::from_millis(500));
    let mut session = session;
    assert!(
        session.try_wait().unwrap().is_none(),
        "SIGUSR1 must not end the session"
    );
    signal(&session, "HUP");
    let out = wait_output(session, Duration::from_secs(30), "session after SIGHUP");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGUSR1 ignored"), "{stderr}");
    assert!(stderr.contains("SIGHUP; stopping"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("samples in"));
    let r = read_report(&report);
    assert!(r["samples_produced"].as_u64().unwrap() > 0);
    let listened = wait_output(listener, Duration::from_secs(10), "listen");
    let heard = String::from_utf8_lossy(&listened.stderr);
    assert!(heard.contains("server closed the session"), "{heard}");
}

#[test]
fn sigterm_and_sigint_write_the_report_too() {
    for name in ["TERM", "INT"] {
        let (session, report, port) = start_session(&format!("sig{name}"), "60", Stdio::null());
        let listener = start_listener(port, false);
        std::thread::sleep(Duration::from_millis(1000));
        signal(&session, name);
        let out = wait_output(session, Duration::from_secs(30), name);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(read_report(&report)["samples_produced"].as_u64().unwrap() > 0);
        let heard = wait_output(listener, Duration::from_secs(10), "listen");
        assert!(String::from_utf8_lossy(&heard.stderr).contains("server closed the session"));
    }
}

#[test]
fn a_closed_stdout_silences_output_but_never_the_report() {
    let (mut session, report, port) = start_session("pipe", "3", Stdio::piped());
    drop(session.stdout.take()); // `neuroloop run ... | true`
    // `neuroloop listen | head -1`: read one line, then close the pipe.
    let mut listener = start_listener(port, true);
    let mut first = String::new();
    BufReader::new(listener.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"seq\""), "{first}");
    let heard = wait_output(
        listener,
        Duration::from_secs(20),
        "listen into a closed pipe",
    );
    let stderr = String::from_utf8_lossy(&heard.stderr);
    assert_eq!(heard.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let out = wait_output(session, Duration::from_secs(30), "run into a closed pipe");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(read_report(&report)["samples_produced"].as_u64().unwrap() > 0);
}
