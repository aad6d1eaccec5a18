//! The example actuator (`neuroloop actuator`) against a scripted server on
//! real TCP, for the rules of docs/protocol.md 4.1 and 4.4 that a real
//! session cannot be made to show on demand: with heartbeats flowing but no
//! intent (a stalled decoder) it stops within the deadman time `D` of the
//! last confirming intent; after a deadman stop, and after an e-stop is
//! cleared, it stays stopped until a new intent arrives. The server speaks
//! the lines a real session writes (hello, welcome, status, heartbeat,
//! intent) with `heartbeat_ms` 100 and `deadman_missed` 3, so `D` is 300 ms.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");
const HEARTBEAT: Duration = Duration::from_millis(100);
const DEADMAN: Duration = Duration::from_millis(300);

/// What the scripted server does next (besides its heartbeats).
enum Script {
    /// A current class intent for `left`.
    Intent,
    /// A `status` line with this state.
    Status(&'static str),
    /// Heartbeats stop (`false`) or go on (`true`).
    Heartbeats(bool),
}

/// The scripted server: accepts one actuator, greets it and reads its
/// hello, then sends a heartbeat every 100 ms (while on) and what `script`
/// says.
fn serve(listener: TcpListener, script: mpsc::Receiver<Script>) {
    let origin = Instant::now();
    let now = || 1000.0 + origin.elapsed().as_secs_f64();
    let (stream, _) = listener.accept().unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut send = |line: String| out.write_all((line + "\n").as_bytes()).is_ok();
    send(r#"{"type":"hello","protocol":"neuroloop","version":1,"versions":[1],"session":"scripted","classes":["left","right"],"clock":"process-monotonic-seconds","heartbeat_ms":100,"deadman_missed":3,"intent_max_age_ms":200,"auth":"none","limits":{"max_line_bytes":4096,"max_msgs_per_s":50,"hello_timeout_ms":2000,"max_lag_ms":1000}}"#.into());
    // The server speaks first; the client's hello answers it.
    let mut hello = String::new();
    BufReader::new(stream).read_line(&mut hello).unwrap();
    assert!(hello.contains("\"hello\""), "{hello}");
    send(r#"{"type":"welcome","version":1,"role":"actuator","client":1}"#.into());
    send(r#"{"type":"status","state":"running"}"#.into());
    let (mut seq, mut beats, mut beating) = (0u64, 0u64, true);
    let mut next_beat = Instant::now();
    loop {
        if beating && Instant::now() >= next_beat {
            beats += 1;
            let t = now();
            if !send(format!(
                r#"{{"type":"heartbeat","n":{beats},"t":{t},"state":"running","last_seq":{seq}}}"#
            )) {
                return;
            }
            next_beat += HEARTBEAT;
        }
        let wait = next_beat.saturating_duration_since(Instant::now());
        let line = match script.recv_timeout(wait) {
            Ok(Script::Intent) => {
                seq += 1;
                let t = now();
                format!(
                    r#"{{"type":"intent","seq":{seq},"kind":"class","class":"left","class_index":0,"confidence":0.9,"probabilities":[0.9,0.1],"hold_reason":"none","window":{seq},"valid_until":{},"t":{{"sample":{t},"arrival":{t},"decode_start":{t},"decode_end":{t},"publish":{t}}}}}"#,
                    t + 0.2
                )
            }
            Ok(Script::Status(state)) => format!(r#"{{"type":"status","state":"{state}"}}"#),
            Ok(Script::Heartbeats(on)) => {
                beating = on;
                next_beat = Instant::now();
                continue;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        if !send(line) {
            return;
        }
    }
}

/// A scripted server and the actuator connected to it, with its stdout
/// lines and their arrival times.
struct Rig {
    script: mpsc::Sender<Script>,
    actuator: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    /// Every line read so far.
    seen: Vec<String>,
}

impl Rig {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (script, rx) = mpsc::channel();
        std::thread::spawn(move || serve(listener, rx));
        let mut actuator = Command::new(BIN)
            .args(["actuator", &addr, "--device", "wheelchair"])
            .env("NEUROLOOP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = actuator.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let mut rig = Self {
            script,
            actuator,
            lines,
            seen: Vec::new(),
        };
        rig.line("heartbeat fresh");
        rig
    }

    fn send(&self, step: Script) {
        self.script.send(step).unwrap();
    }

    /// The arrival time of the next line starting with `prefix`; panics
    /// when the actuator falls silent for 10 s (a hung actuator).
    fn line(&mut self, prefix: &str) -> Instant {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(10)) {
                Ok((at, line)) => {
                    let found = line.starts_with(prefix);
                    self.seen.push(line);
                    if found {
                        return at;
                    }
                }
                Err(e) => panic!("no {prefix:?} line ({e}); saw {:#?}", self.seen),
            }
        }
    }

    /// The lines read since line `from`.
    fn since(&self, from: usize) -> &[String] {
        &self.seen[from..]
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = self.actuator.kill();
        let _ = self.actuator.wait();
    }
}

#[test]
fn with_heartbeats_but_no_intent_the_actuator_stops_within_d_of_the_last_intent() {
    let mut rig = Rig::start();
    rig.send(Script::Intent);
    let moved = rig.line("move left");
    let from = rig.seen.len();
    let stopped = rig.line("stop stale (no intent confirmed");
    let after = stopped - moved;
    eprintln!("stopped {after:?} after the last intent (D = {DEADMAN:?})");
    assert!(
        after >= DEADMAN.checked_sub(Duration::from_millis(20)).unwrap()
            && after <= DEADMAN + Duration::from_millis(200),
        "stopped {after:?} after the last confirming intent, D is {DEADMAN:?}"
    );
    assert!(
        !rig.since(from).iter().any(|l| l.starts_with("deadman")),
        "heartbeats went on, so this was no deadman stop: {:?}",
        rig.seen
    );
    // A new intent moves it again.
    rig.send(Script::Intent);
    rig.line("move left");
}

#[test]
fn after_a_deadman_stop_the_actuator_waits_for_a_heartbeat_and_a_new_intent() {
    let mut rig = Rig::start();
    rig.send(Script::Intent);
    rig.line("move left");
    rig.send(Script::Heartbeats(false));
    rig.line("deadman");
    let from = rig.seen.len();
    // A current intent with no fresh heartbeat since the gap: ignored.
    rig.send(Script::Intent);
    rig.line("ignored seq=2");
    // Heartbeats again: fresh, but no motion without a new intent.
    rig.send(Script::Heartbeats(true));
    rig.line("heartbeat fresh");
    rig.send(Script::Intent);
    rig.line("resumed seq=3");
    rig.line("move left");
    let between = rig.since(from);
    let moves: Vec<_> = between.iter().filter(|l| l.starts_with("move")).collect();
    assert_eq!(moves.len(), 1, "one move, on the new intent: {between:?}");
    assert!(
        between.iter().position(|l| l.starts_with("resumed"))
            < between.iter().position(|l| l.starts_with("move")),
        "{between:?}"
    );
}

#[test]
fn after_a_clear_the_actuator_stays_stopped_until_a_new_intent() {
    let mut rig = Rig::start();
    rig.send(Script::Intent);
    rig.line("move left");
    rig.send(Script::Status("estop"));
    rig.line("stop estop");
    let from = rig.seen.len();
    rig.send(Script::Status("running"));
    rig.line("state Running");
    rig.send(Script::Intent);
    rig.line("resumed seq=2");
    rig.line("move left");
    let between = rig.since(from);
    assert_eq!(
        between.iter().filter(|l| l.starts_with("move")).count(),
        1,
        "no motion between the clear and the new intent: {between:?}"
    );
    assert!(
        between.iter().position(|l| l.starts_with("resumed"))
            < between.iter().position(|l| l.starts_with("move")),
        "{between:?}"
    );
}
