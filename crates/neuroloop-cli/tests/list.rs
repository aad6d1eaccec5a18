//! `neuroloop list` against a real pylsl outlet, and without liblsl (the
//! serial ports are listed all the same).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn list_without_liblsl_says_how_to_get_it() {
    let missing = std::env::temp_dir().join("neuroloop-no-such-dir/liblsl.so");
    let out = Command::new(BIN)
        .args(["list", "--wait", "0.2"])
        .env("LSL_LIB", &missing)
        .env("NEUROLOOP_LSL_NO_SEARCH", "1")
        .output()
        .expect("run neuroloop");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("liblsl not found"), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
    assert!(stderr.contains("pip install pylsl"), "{stderr}");
    // The serial ports come first, whether liblsl is there or not.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ports = neuroloop_sources::serial::ports::list_ports();
    if ports.is_empty() {
        assert!(stdout.contains("no serial ports found"), "{stdout}");
    } else {
        assert!(stdout.starts_with("serial port"), "{stdout}");
    }
    for port in &ports {
        assert!(
            stdout.contains(&port.name),
            "{} missing: {stdout}",
            port.name
        );
    }
}

#[test]
fn list_shows_a_pylsl_stream() {
    let root = repo_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} with pylsl is needed: run scripts/setup-python.sh",
        python.display()
    );
    let cfg = std::env::temp_dir().join(format!("neuroloop-list-{}.cfg", std::process::id()));
    std::fs::write(&cfg, neuroloop_lsl::Settings::default().config_text()).unwrap();
    let name = format!("nl-list-{}", std::process::id());
    let times = std::env::temp_dir().join(format!("{name}.times"));
    let mut peer = Command::new(&python)
        .arg(root.join("tests/lsl_peers/outlet.py"))
        .args([
            "--name",
            &name,
            "--type",
            "EEG",
            "--source-id",
            "list-src",
            "--labels",
        ])
        .args(["C3,Cz,C4", "--samples", "10", "--times-out"])
        .arg(&times)
        .args(["--consumer-timeout-s", "20"])
        .env("LSLAPICFG", &cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the pylsl outlet");
    let mut found = None;
    for _ in 0..10 {
        let out = Command::new(BIN)
            .args(["list", "--wait", "1"])
            .output()
            .expect("run neuroloop");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Some(line) = text.lines().find(|l| l.starts_with(&name)) {
            found = Some(line.to_string());
            break;
        }
    }
    let _ = peer.kill();
    let _ = peer.wait();
    let _ = BufReader::new(peer.stdout.take().unwrap()).lines().count();
    let line = found.expect("the pylsl stream is listed");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[..5],
        [name.as_str(), "EEG", "3", "250", "list-src"],
        "{line}"
    );
    assert!(fields.len() == 7, "host and profile shown: {line}");
    assert_eq!(fields[6], "-", "no profile has this stream's name: {line}");
}
