//! The example actuator (`neuroloop actuator`) against a real session
//! process: it moves on intents and stops within the deadman rule's time
//! when the session process is frozen (SIGSTOP: the link stays up, the
//! heartbeats stop) and at once when the process is killed; frozen itself
//! under load, it does not move on its backlog after SIGCONT until a fresh
//! heartbeat and a fresh intent arrive, while independent observers
//! (clients/python/intent_age_check.py, written from docs/protocol.md)
//! check that no intent is written after its `valid_until`. With `--device
//! audio` on a private PulseAudio daemon's null sink, the tones recorded
//! from its monitor are the cued ones, in order, and the deadman beeps.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

/// Tests in this binary run in parallel, each with its own session; the
/// one that bounds the deadman's time runs alone (write lock), the others
/// side by side (read lock).
static DEADMAN_TIMED: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn alongside_others() -> std::sync::RwLockReadGuard<'static, ()> {
    DEADMAN_TIMED
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    DEADMAN_TIMED
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session, faster than real time so that class intents come
/// within seconds, on a free port with 100 ms heartbeats, deadman 3, and
/// `extra` `[publish]` lines.
fn session_config(extra: &str) -> (PathBuf, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir =
        std::env::temp_dir().join(format!("neuroloop-actuator-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = repo()
        .join("hardware-profiles/simulated.toml")
        .canonicalize()
        .unwrap();
    let mut text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    for (from, to) in [
        (
            "tcp = \"127.0.0.1:7878\"".to_string(),
            format!("tcp = \"127.0.0.1:{port}\"\nheartbeat_ms = 100\ndeadman_missed = 3\n{extra}"),
        ),
        (
            r#"hardware_profile = "simulated""#.to_string(),
            format!("hardware_profile = {:?}", profile.display().to_string()),
        ),
        // As fast as the machine goes, and for as long as a test needs:
        // every test ends its session itself. (3000 s of signal lasted
        // 15 to 50 s, which a loaded run of the freeze test outlived: the
        // session ended while the thawed actuator waited to move.)
        (
            "realtime = true".to_string(),
            "realtime = false\nduration_s = 1e7".to_string(),
        ),
    ] {
        assert!(text.contains(&from), "demo config has no {from:?}");
        text = text.replacen(&from, &to, 1);
    }
    let path = dir.join("session.toml");
    std::fs::write(&path, text).unwrap();
    (path, port)
}

/// Starts `run` on `config` and returns once it printed that it serves on
/// `port` (a connection probe could be answered before that: a connect to
/// a free port of the ephemeral range can, rarely, connect the probe to
/// itself). The session's stderr goes to the test's output from then on.
fn start_session(config: &Path, port: u16) -> (Child, String) {
    let mut session = Command::new(BIN)
        .args(["run", config.to_str().unwrap()])
        .env("NEUROLOOP_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = format!("127.0.0.1:{port}");
    let mut stderr = common::Lines::of(session.stderr.take().unwrap());
    stderr.wait_for(&format!("intents on {addr}"), Duration::from_secs(60));
    // Shown with a failing test's output: why the session closed a
    // connection (a stalled or lagging client) is only in its log.
    std::thread::spawn(move || {
        while let Some(line) = stderr.next(Duration::from_secs(3600)) {
            eprintln!("session: {line}");
        }
    });
    (session, addr)
}

/// The example actuator on `addr`; its stderr (why it exits, if it does)
/// goes to the test's output.
fn start_actuator(addr: &str) -> Child {
    Command::new(BIN)
        .args(["actuator", addr, "--device", "wheelchair"])
        .env("NEUROLOOP_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
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
            let line = match line {
                Ok(line) => line,
                // A signal to this process interrupts the read; go on.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => format!("stdout unreadable: {e}"),
            };
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
    let _turn = alone();
    let (config, port) = session_config("");
    let (mut session, addr) = start_session(&config, port);
    let mut actuator = start_actuator(&addr);
    let _reap = KillOnDrop(vec![session.id(), actuator.id()]);
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
    // Thawed, the session's heartbeats are fresh again.
    wait_for(&rx, Duration::from_secs(3), "heartbeat fresh", &mut seen);
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

/// Kills the processes it names when dropped, so that a failed assertion
/// leaves no session, actuator or observer running.
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The value after `key` (e.g. `seq=`) in an actuator line.
fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {line:?}"))
}

/// `clients/python/intent_age_check.py` observing `port`, its stdout lines
/// on a channel; returns once it has read the hello.
fn start_checker(port: u16) -> Checker {
    let venv = repo().join(".venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        "python3".into()
    };
    let mut checker = Command::new(python)
        .arg(repo().join("clients/python/intent_age_check.py"))
        .args(["127.0.0.1", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    let lines = lines_of(&mut checker);
    let mut seen = Vec::new();
    wait_for(&lines, Duration::from_secs(10), "connected", &mut seen);
    Checker {
        child: checker,
        lines,
    }
}

/// A running `intent_age_check.py`.
struct Checker {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
}

/// Ends a checker; its per-intent records (seq → valid_until) and summary.
fn finish_checker(mut checker: Checker) -> (Vec<(u64, f64)>, serde_json::Value) {
    signal(&checker.child, "TERM");
    let _ = checker.child.wait();
    let mut intents = Vec::new();
    let mut summary = None;
    for (_, line) in checker.lines.iter() {
        if line == "connected" || line == "lagged" {
            continue;
        }
        if let Some(rest) = line.strip_prefix("intent ") {
            let parts: Vec<f64> = rest.split(' ').map(|v| v.parse().unwrap()).collect();
            intents.push((parts[0] as u64, parts[1]));
        } else {
            summary = Some(serde_json::from_str(&line).expect("the summary is JSON"));
        }
    }
    (intents, summary.expect("a summary line"))
}

#[test]
fn a_frozen_actuator_waits_for_a_fresh_heartbeat_and_intent_and_no_stale_intent_is_sent() {
    let _turn = alongside_others();
    // The fast session publishes hundreds of lines a second: a frozen
    // reader's buffers fill within the freeze. The stall timeout is longer
    // than the freeze so that the server keeps the frozen connections.
    let (config, port) = session_config("stall_timeout_ms = 10000");
    let (mut session, addr) = start_session(&config, port);
    let prompt = start_checker(port);
    let frozen = start_checker(port);
    let mut actuator = start_actuator(&addr);
    let _reap = KillOnDrop(vec![
        session.id(),
        prompt.child.id(),
        frozen.child.id(),
        actuator.id(),
    ]);
    let rx = lines_of(&mut actuator);
    let mut seen = Vec::new();
    wait_for(&rx, Duration::from_secs(10), "heartbeat fresh", &mut seen);
    wait_for(&rx, Duration::from_secs(60), "move ", &mut seen);

    signal(&actuator, "STOP");
    signal(&frozen.child, "STOP");
    // The freeze itself, the behaviour under test, not a wait: 3 s during
    // which the session keeps publishing into the frozen readers' sockets.
    std::thread::sleep(Duration::from_secs(3));
    let before: Vec<String> = rx.try_iter().map(|(_, l)| l).collect();
    assert!(
        !before.iter().any(|l| l.starts_with("link lost")),
        "still connected before the freeze: {before:#?}"
    );
    // Taken before the signal: the actuator may act at once.
    let thawed = neuroloop_core::clock::now();
    signal(&actuator, "CONT");
    signal(&frozen.child, "CONT");
    seen.clear();
    wait_for(&rx, Duration::from_secs(20), "move ", &mut seen);
    let moved = seen.last().unwrap().clone();
    eprintln!("after SIGCONT: {} lines, then {moved:?}", seen.len());
    let gap = seen
        .iter()
        .position(|l| l.starts_with("deadman") || l.starts_with("stale heartbeat"))
        .unwrap_or_else(|| panic!("the gap was noticed: {seen:#?}"));
    let fresh = seen
        .iter()
        .position(|l| l.starts_with("heartbeat fresh"))
        .unwrap_or_else(|| panic!("a fresh heartbeat before moving: {seen:#?}"));
    assert!(gap < fresh, "the gap came first: {seen:#?}");
    // That heartbeat was sent after the freeze, not read from the backlog
    // (the deadman time is 300 ms).
    let beat_t = field(&seen[fresh], "t=");
    assert!(
        beat_t >= thawed - 0.3,
        "heartbeat t={beat_t} thawed at {thawed}"
    );
    let stale = seen.iter().filter(|l| l.starts_with("stale seq=")).count();
    let ignored = seen
        .iter()
        .filter(|l| l.starts_with("ignored seq="))
        .count();
    eprintln!("backlog intents not acted on: {stale} stale, {ignored} before a fresh heartbeat");

    let seq = field(&moved, "seq=") as u64;
    // The frozen observer reads its backlog, then is told it lagged.
    let mut observed = Vec::new();
    wait_for(
        &frozen.lines,
        Duration::from_secs(10),
        "lagged",
        &mut observed,
    );
    let (prompt_intents, prompt_summary) = finish_checker(prompt);
    let (_, frozen_summary) = finish_checker(frozen);
    let _ = actuator.kill();
    let _ = session.kill();
    let _ = (actuator.wait(), session.wait());
    eprintln!("prompt observer: {prompt_summary}\nfrozen observer: {frozen_summary}");
    // The intent it moved on was still valid after the freeze: a fresh one.
    let &(_, valid_until) = prompt_intents
        .iter()
        .find(|(s, _)| *s == seq)
        .unwrap_or_else(|| panic!("the observer saw intent {seq}"));
    assert!(
        valid_until >= thawed,
        "moved on intent {seq}, valid until {valid_until}, thawed at {thawed}"
    );
    for summary in [&prompt_summary, &frozen_summary] {
        assert_eq!(summary["violations"], serde_json::json!([]), "{summary}");
        assert!(summary["intents"].as_u64().unwrap() > 0, "{summary}");
        assert_eq!(summary["max_age_ms"], 200, "hop 100 ms + 100 ms: {summary}");
    }
    assert!(
        frozen_summary["lagged"].as_u64().unwrap() >= 1,
        "the frozen observer was told it lagged: {frozen_summary}"
    );
}

#[test]
fn check_refuses_a_heartbeat_that_would_disable_the_deadman() {
    let (config, _) = session_config("");
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "heartbeat_ms = 100",
        "heartbeat_ms = 9223372036854775807",
        1,
    );
    std::fs::write(&config, text).unwrap();
    let out = Command::new(BIN)
        .args(["check", config.to_str().unwrap()])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(
            "publish.heartbeat_ms: 9223372036854775807 is out of range: allowed 1 to 10000 ms"
        ),
        "{all}"
    );
}

#[path = "../../neuroloop-audio/tests/support/pulse.rs"]
mod pulse;

/// 20 ms windows of `x` with sound, each named by its strongest frequency
/// among the class tones and alarms.
fn sounding_windows(x: &[f32]) -> Vec<f64> {
    use neuroloop_audio::voice::{DEADMAN_HZ, ESTOP_HZ, class_hz};
    let candidates = [
        class_hz(0),
        class_hz(1),
        class_hz(2),
        DEADMAN_HZ,
        ESTOP_HZ[0],
        ESTOP_HZ[1],
    ];
    x.chunks_exact((0.02 * pulse::RATE) as usize)
        .filter(|w| w.iter().map(|v| v * v).sum::<f32>() / w.len() as f32 > 0.05 * 0.05)
        .map(|w| pulse::dominant(w, &candidates))
        .collect()
}

/// The frequencies of `lines` (`sound class=… hz=…`, `sound deadman`) in
/// order, silences left out, repeats merged.
fn cued(lines: &[String]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for l in lines {
        let hz = if l.starts_with("sound deadman") {
            neuroloop_audio::voice::DEADMAN_HZ
        } else if let Some(i) = l.strip_prefix("sound class=") {
            let class: u8 = i.split_whitespace().next().unwrap().parse().unwrap();
            neuroloop_audio::voice::class_hz(class)
        } else {
            continue;
        };
        if out.last() != Some(&hz) {
            out.push(hz);
        }
    }
    out
}

#[test]
fn the_audio_actuator_sounds_each_intent_in_order_and_beeps_on_deadman() {
    use neuroloop_audio::voice::DEADMAN_HZ;
    let _turn = alongside_others();
    let server = pulse::Server::start();
    let file = server.dir.join("monitor.f32");
    let mut parec = pulse::record(&server, &file);
    // Real time, so that tones last as long as the intents, after 13 s of
    // calibration.
    let (config, port) = session_config("");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("realtime = false\nduration_s = 1e7"),
        "{text}"
    );
    let text = text
        .replacen("realtime = false\nduration_s = 1e7", "realtime = true", 1)
        .replacen("calibration_s = 60.0", "calibration_s = 13.0", 1)
        // Class intents on any majority: this tests the sound, not the
        // decoder.
        .replacen("threshold = 0.7", "threshold = 0.5", 1)
        .replacen("dwell_s = 0.3", "dwell_s = 0.0", 1);
    std::fs::write(&config, text).unwrap();
    let (mut session, addr) = start_session(&config, port);
    let mut actuator = Command::new(BIN)
        .args(["actuator", &addr, "--device", "audio"])
        .env("NEUROLOOP_LOG", "warn")
        .env("PULSE_SERVER", server.address())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let _reap = KillOnDrop(vec![session.id(), actuator.id(), parec.id()]);
    let rx = lines_of(&mut actuator);
    let mut seen = Vec::new();
    wait_for(&rx, Duration::from_secs(10), "audio device=", &mut seen);
    for _ in 0..3 {
        wait_for(&rx, Duration::from_secs(90), "sound class=", &mut seen);
    }
    // Frozen, the session sends no heartbeats: the deadman beeps.
    signal(&session, "STOP");
    wait_for(&rx, Duration::from_secs(5), "sound deadman", &mut seen);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let x = pulse::read_f32(&file);
        let recent = &x[x.len().saturating_sub((0.6 * pulse::RATE) as usize)..];
        if sounding_windows(recent)
            .iter()
            .filter(|&&f| f == DEADMAN_HZ)
            .count()
            >= 5
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no deadman beeps recorded; lines {seen:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(&session, "CONT");
    session.kill().unwrap();
    let _ = session.wait();
    wait_for(&rx, Duration::from_secs(10), "audio cues=", &mut seen);
    let summary = seen.last().unwrap().clone();
    let _ = parec.kill();
    let _ = parec.wait();
    // The recorded tones, in order (runs of 40 ms or more; shorter ones are
    // the windows across a change), are the cued ones in the cued order:
    // a tone never cued, or two out of order, fail.
    let windows = sounding_windows(&pulse::read_f32(&file));
    let mut recorded: Vec<(f64, usize)> = Vec::new();
    for hz in windows {
        match recorded.last_mut() {
            Some((last, n)) if *last == hz => *n += 1,
            _ => recorded.push((hz, 1)),
        }
    }
    let recorded: Vec<f64> = recorded
        .iter()
        .filter(|(_, n)| *n >= 2)
        .map(|(hz, _)| *hz)
        .collect();
    let cued = cued(&seen);
    eprintln!("{summary}\ncued {cued:?}\nrecorded {recorded:?}");
    let mut rest = cued.iter();
    assert!(
        recorded.iter().all(|hz| rest.any(|c| c == hz)),
        "recorded {recorded:?} is not the cued {cued:?} in order"
    );
    let beeps = recorded.iter().position(|hz| *hz == DEADMAN_HZ);
    assert!(
        beeps.is_some_and(|i| i > 0),
        "class tones, then the deadman beeps: {recorded:?}"
    );
}
