//! Runs the Python client's unittest suite (clients/python) against real
//! `neuroloop run` processes of this build. Fails, never skips, when Python
//! is missing or a test fails.

use std::path::Path;
use std::process::Command;

#[test]
fn python_client_unittests_pass_against_a_real_session() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = repo.join(".venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        "python3".into()
    };
    let out = Command::new(&python)
        .args(["-m", "unittest", "discover", "-s", "clients/python", "-v"])
        .current_dir(&repo)
        .env("NEUROLOOP_BIN", env!("CARGO_BIN_EXE_neuroloop"))
        .env("NEUROLOOP_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "Python client tests failed:\n{stderr}"
    );
    assert!(
        stderr.contains("\nOK") && !stderr.contains("skipped"),
        "every Python test ran: {stderr}"
    );
}
