//! The example actuator (`neuroloop actuator`) against a real session
//! process: it moves on intents and stops within the deadman rule's time
//! when the session process is frozen (SIGSTOP: the link stays up, the
//! heartbeats stop) and at once when the process is killed.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session, faster than real time so that class intents come
/// within seconds, on a free port with 100 ms heartbeats, deadman 3.
fn session_config() -> (PathBuf, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("neuroloop-actuator-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = repo()
        .join("hardware-profiles/simulated.toml")
        .canonicalize()
        .unwrap();
    let mut text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    for (from, to) in [
        (
            "tcp = \"127.0.0.1:7878\"".to_string(),
            format!("tcp = \"127.0.0.1:{port}\"\nheartbeat_ms = 100\ndeadman_missed = 3"),
        ),
        (
            r#"hardware_profile = "simulated""#.to_string(),
            format!("hardware_profile = {:?}", profile.display().to_string()),
        ),
        (
            "realtime = true".to_string(),
            "realtime = false\nduration_s = 3000.0".to_string(),
        ),
    ] {
        assert!(text.contains(&from), "demo config has no {from:?}");
        text = text.replacen(&from, &to, 1);
    }
    let path = dir.join("session.toml");
    std::fs::write(&path, text).unwrap();
    (path, port)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

/// Lines of the actuator's stdout with their arrival time.
fn lines_of(child: &mut Child) -> mpsc::Receiver<(Instant, String)> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(
    rx: &mpsc::Receiver<(Instant, String)>,
    timeout: Duration,
    prefix: &str,
    seen: &mut Vec<String>,
) -> Instant {
    wait_for_any(rx, timeout, &[prefix], seen)
}

/// Waits for a line starting with any of `prefixes`.
fn wait_for_any(
    rx: &mpsc::Receiver<(Instant, String)>,
    timeout: Duration,
    prefixes: &[&str],
    seen: &mut Vec<String>,
) -> Instant {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((at, line)) => {
                seen.push(line.clone());
                if prefixes.iter().any(|p| line.starts_with(p)) {
                    return at;
                }
            }
            Err(_) => panic!("no {prefixes:?} line within {timeout:?}; saw {seen:#?}"),
        }
    }
}

#[test]
fn the_example_actuator_stops_on_deadman_and_on_a_killed_session() {
    let (config, port) = session_config();
    let mut session = Command::new(BIN)
        .args(["run", config.to_str().unwrap()])
        .env("NEUROLOOP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "session did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut actuator = Command::new(BIN)
        .args(["actuator", &addr, "--device", "wheelchair"])
        .env("NEUROLOOP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut actuator);
    let mut seen = Vec::new();
    wait_for(&rx, Duration::from_secs(10), "connected", &mut seen);
    assert!(seen[0].contains("deadman_ms=300"), "{seen:?}");
    // Calibration holds first, then it moves on class intents.
    wait_for(&rx, Duration::from_secs(60), "move ", &mut seen);
    wait_for(&rx, Duration::from_secs(10), "move ", &mut seen);

    // Freeze the session: the TCP link stays up but nothing arrives.
    signal(&session, "STOP");
    let frozen = Instant::now();
    seen.clear();
    let deadman = wait_for(&rx, Duration::from_secs(3), "deadman", &mut seen);
    let after = deadman - frozen;
    eprintln!("deadman after {after:?} (rule: 3 × 100 ms); lines {seen:?}");
    assert!(
        after >= Duration::from_millis(150) && after <= Duration::from_millis(600),
        "deadman within the rule's time: {after:?}"
    );
    // It was moving, so it stopped (on the stale intent or the deadman,
    // whichever came first) before or with the deadman line.
    assert!(
        seen.iter().any(|l| l.starts_with("stop ")),
        "a stop line: {seen:?}"
    );

    signal(&session, "CONT");
    // Thawed, the session's first line may be a heartbeat or a queued
    // intent; either tells the actuator the session is back.
    wait_for_any(
        &rx,
        Duration::from_secs(3),
        &["heartbeat resumed", "resumed seq="],
        &mut seen,
    );
    // Killed: the link closes, the actuator stops and exits.
    session.kill().unwrap();
    let killed = Instant::now();
    let lost = wait_for(&rx, Duration::from_secs(3), "link lost", &mut seen);
    eprintln!("link lost {:?} after the kill", lost - killed);
    assert!(lost - killed < Duration::from_secs(1));
    let status = actuator.wait().unwrap();
    assert!(status.code().is_some(), "the actuator exited by itself");
    let _ = session.wait();
}
