//! A private PulseAudio daemon with a null sink for the audio tests, a
//! recorder of its monitor, and the analysis of what was recorded. Shared
//! by this crate's tests and the command line's (`#[path]`).
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const RATE: f64 = 48_000.0;

pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not on PATH: install pulseaudio and pulseaudio-utils (.ci/run does)")
        })
}

/// A private PulseAudio daemon with a null sink `nl_test` as default sink;
/// killed on drop.
pub struct Server {
    child: Child,
    pub dir: PathBuf,
}

/// Runs the calling thread, and every thread and process it starts from
/// now on (the sound server, cpal's stream threads, libpulse's, a
/// `neuroloop` child), ahead of the machine's other work (nice -10), as an
/// audio application on a busy machine runs. A sound server and its clients
/// must each meet a deadline every period; on a loaded machine one missed
/// deadline makes PulseAudio raise its latency for seconds, which is the
/// very figure these tests measure. Needs root or `CAP_SYS_NICE`; without
/// them it says so, and the tests run at the normal priority.
pub fn ahead_of_load() {
    // SAFETY: setpriority on the calling thread (who = 0) has no memory
    // effects.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, -10) } != 0 {
        eprintln!(
            "audio tests: cannot raise this thread's priority ({}); running at the normal \
             priority, where a loaded machine can delay the sound server",
            std::io::Error::last_os_error()
        );
    }
}

impl Server {
    /// Starts the daemon, from a thread raised [`ahead_of_load`].
    pub fn start() -> Self {
        ahead_of_load();
        let dir = std::env::temp_dir().join(format!("nl-pulse-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("native");
        let child = Command::new(tool("pulseaudio"))
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--use-pid-file=no",
            ])
            .arg(format!(
                "--load=module-native-protocol-unix socket={} auth-anonymous=1",
                socket.display()
            ))
            .arg("--load=module-null-sink sink_name=nl_test rate=48000 channels=1")
            .arg("--load=module-always-sink")
            .env("XDG_RUNTIME_DIR", &dir)
            .env("HOME", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pulseaudio");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "pulseaudio did not open {}",
                socket.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, dir }
    }

    pub fn address(&self) -> String {
        format!("unix:{}", self.dir.join("native").display())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Records the null sink's monitor as mono f32 until killed.
pub fn record(server: &Server, out: &Path) -> Child {
    Command::new(tool("parec"))
        .args([
            "--device=nl_test.monitor",
            "--format=float32le",
            "--rate=48000",
            "--channels=1",
            "--raw",
            "--latency-msec=20",
        ])
        .arg(out)
        .env("PULSE_SERVER", server.address())
        .spawn()
        .expect("start parec")
}

pub fn power(x: &[f32], hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / RATE;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2
}

/// The sounding stretches of `x` (20 ms blocks with RMS above 0.05), as
/// (first sample, end); stretches less than `bridge_s` apart are one (an
/// underrun of a loaded machine drops a block or two of a tone).
pub fn stretches(x: &[f32], bridge_s: f64) -> Vec<(usize, usize)> {
    let block = (0.02 * RATE) as usize;
    let bridge = (bridge_s * RATE) as usize;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, b) in x.chunks(block).enumerate() {
        let rms = (b.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / b.len() as f64).sqrt();
        if rms > 0.05 {
            let start = i * block;
            match out.last_mut() {
                Some(last) if start <= last.1 + bridge => last.1 = start + b.len(),
                _ => out.push((start, start + b.len())),
            }
        }
    }
    out
}

/// The mono f32 samples recorded in `file` so far.
pub fn read_f32(file: &Path) -> Vec<f32> {
    let bytes = std::fs::read(file).unwrap_or_default();
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The strongest of `candidates` in `x`.
pub fn dominant(x: &[f32], candidates: &[f64]) -> f64 {
    candidates
        .iter()
        .copied()
        .max_by(|a, b| power(x, *a).total_cmp(&power(x, *b)))
        .unwrap_or(0.0)
}
