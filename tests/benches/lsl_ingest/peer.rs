//! The pylsl peer (`tools/lsl/bulk_outlet.py`) as a child process whose
//! stdout lines arrive on a channel; killed when dropped.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use neuroloop_lsl::Settings;
use neuroloop_tests::repo_root;

/// A running peer.
pub struct Peer {
    child: Child,
    lines: Receiver<String>,
}

/// An `lsl_api.cfg` with the loopback settings neuroloop applies itself.
fn lsl_config_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("neuroloop-lsl-bench-{}.cfg", std::process::id()));
    std::fs::write(&path, Settings::default().config_text()).expect("write lsl_api.cfg");
    path
}

impl Peer {
    /// Starts `tools/lsl/bulk_outlet.py` with `args` under the repository's
    /// `.venv` Python (which has numpy and pylsl).
    pub fn start(args: &[String]) -> Self {
        let python = repo_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} with numpy and pylsl is needed: run scripts/setup-python.sh",
            python.display()
        );
        let mut child = Command::new(python)
            .arg(repo_root().join("tools/lsl/bulk_outlet.py"))
            .args(args)
            .env("LSLAPICFG", lsl_config_file())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the Python peer");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("bench-peer-out".into())
            .spawn(move || {
                for line in stdout.lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .expect("peer reader thread");
        Self { child, lines }
    }

    /// Tells a peer started with `--wait-go` to start pushing.
    pub fn go(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("piped");
        writeln!(stdin, "go").expect("write to the peer");
    }

    /// The peer's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line, if one comes within `timeout`; panics if the peer
    /// ended without it.
    pub fn line(&self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!("the peer ended early"),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
