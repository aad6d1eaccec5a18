//! Helpers shared by the binary's robustness tests: scratch directories
//! with the shipped profiles, edited shipped configs on free ports,
//! bounded waits, signals, sessions and listeners, and output lines read
//! as they come (to wait on a line, never on time).
#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The test venv's Python (scripts/setup-python.sh makes it); the test
/// fails saying so when it is missing. `with` names what the test needs
/// from it.
pub fn venv_python(with: &str) -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} with {with} is needed: run scripts/setup-python.sh",
        python.display()
    );
    python
}

/// A scratch directory with `configs/` and a copy of `hardware-profiles/`.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuroloop-robust-{name}-{}", std::process::id()));
    let profiles = dir.join("hardware-profiles");
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    std::fs::create_dir_all(&profiles).unwrap();
    for entry in std::fs::read_dir(repo().join("hardware-profiles")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, profiles.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A shipped config with `edits` applied, on a free port, in `dir`.
pub fn config(dir: &Path, shipped: &str, edits: &[(&str, &str)]) -> (PathBuf, u16) {
    let port = free_port();
    let mut text = std::fs::read_to_string(repo().join("configs").join(shipped)).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{shipped} has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    let text = regex_free_port(&text, port);
    let path = dir.join("configs").join(format!("edited-{port}.toml"));
    std::fs::write(&path, text).unwrap();
    (path, port)
}

/// Replaces the `tcp = "127.0.0.1:NNNN"` line's port.
pub fn regex_free_port(text: &str, port: u16) -> String {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("tcp = \"127.0.0.1:") {
                format!("tcp = \"127.0.0.1:{port}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Runs to the end, killing it after `limit` (a hang fails the test).
pub fn run_for(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_output(child, limit, &format!("{args:?}"))
}

pub fn wait_output(mut child: Child, limit: Duration, what: &str) -> Output {
    // The pipes are read while the child runs: a child that writes more
    // than a pipe holds would otherwise block on the write and never end.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            let from = stderr.len().saturating_sub(4000);
            let tail = &stderr[(from..=stderr.len())
                .find(|&i| stderr.is_char_boundary(i))
                .unwrap_or(0)..];
            panic!("{what} still running after {limit:?}; its stderr ends:\n{tail}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A clear error: exit status 1 or 2 (clap), no panic, every `expected`
/// text in stderr.
pub fn assert_clear_error(out: &Output, expected: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "status {:?}: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in\n{stderr}");
    }
}

pub fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

/// Starts `run` on the demo config for `seconds` with a report file.
pub fn start_session(name: &str, seconds: &str, stdout: Stdio) -> (Child, PathBuf, u16) {
    let dir = scratch(name);
    let (path, port) = config(&dir, "demo.toml", &[]);
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let child = Command::new(BIN)
        .args([
            "run",
            path.to_str().unwrap(),
            "--duration",
            seconds,
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, report, port)
}

/// A running `listen --json` and its stderr, read as it comes.
pub struct Listener {
    pub child: Child,
    pub stderr: Lines,
}

/// Starts `listen --json` on `port` once the session accepts connections
/// and returns once the listener said it is connected. A listener that
/// could not connect (the session's server was not yet serving on a
/// loaded machine) is started again, until a deadline.
pub fn start_listener(port: u16, piped: bool) -> Listener {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the session never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    loop {
        let mut child = Command::new(BIN)
            .args(["listen", &format!("127.0.0.1:{port}"), "--json"])
            .stdout(if piped { Stdio::piped() } else { Stdio::null() })
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = Lines::of(child.stderr.take().unwrap());
        let left = deadline.saturating_duration_since(Instant::now());
        let first = stderr.next(left).unwrap_or_default();
        if first.starts_with("connected to session") {
            return Listener { child, stderr };
        }
        let _ = child.wait();
        assert!(
            first.starts_with("cannot connect") && Instant::now() < deadline,
            "the listener did not connect: {first:?}"
        );
    }
}

/// The lines of a child's pipe as they come, read on their own thread (a
/// full pipe never blocks the child).
pub struct Lines {
    rx: mpsc::Receiver<String>,
    /// Every line received so far.
    pub seen: Vec<String>,
}

impl Lines {
    pub fn of(pipe: impl Read + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let line = match line {
                    Ok(line) => line,
                    // A signal to this process interrupts the read; go on.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            rx,
            seen: Vec::new(),
        }
    }

    /// The next line, or `None` once the pipe closed or `limit` passed.
    pub fn next(&mut self, limit: Duration) -> Option<String> {
        let line = self.rx.recv_timeout(limit).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Waits for a line containing `needle` and returns it; panics with
    /// every line seen when the pipe closes or `limit` passes first.
    pub fn wait_for(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Some(line) if line.contains(needle) => return line,
                Some(_) => {}
                None => panic!("no line with {needle:?} within {limit:?}: {:#?}", self.seen),
            }
        }
    }

    /// Lines already received and not yet taken: forgets them.
    pub fn skip_pending(&mut self) {
        let pending: Vec<String> = self.rx.try_iter().collect();
        self.seen.extend(pending);
    }

    /// Every line until the pipe closes (at most `limit` more), those
    /// already seen included, one per line.
    pub fn rest(mut self, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        while self
            .next(deadline.saturating_duration_since(Instant::now()))
            .is_some()
        {}
        self.seen.join("\n")
    }
}

pub fn read_report(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the report was written");
    serde_json::from_str(&text).unwrap()
}
