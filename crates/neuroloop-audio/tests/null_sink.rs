//! The voice on a real sound server: a private PulseAudio daemon with a
//! null sink, reached through cpal's ALSA host and ALSA's pulse plugin;
//! `parec` records the sink's monitor, and the recording must hold the
//! cued tones, in order, at their frequencies. Needs `pulseaudio`,
//! `parec` (pulseaudio-utils) and the ALSA pulse plugin
//! (libasound2-plugins); `.ci/run` installs them.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use neuroloop_audio::voice::class_hz;
use neuroloop_audio::{Cue, OutputOptions};

const RATE: f64 = 48_000.0;

fn tool(name: &str) -> PathBuf {
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
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Server {
    fn start() -> Self {
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

    fn address(&self) -> String {
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
fn record(server: &Server, out: &Path) -> Child {
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

fn power(x: &[f32], hz: f64) -> f64 {
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
/// (first sample, end).
fn stretches(x: &[f32]) -> Vec<(usize, usize)> {
    let block = (0.02 * RATE) as usize;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, b) in x.chunks(block).enumerate() {
        let rms = (b.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / b.len() as f64).sqrt();
        if rms > 0.05 {
            match out.last_mut() {
                Some(last) if last.1 == i * block => last.1 = i * block + b.len(),
                _ => out.push((i * block, i * block + b.len())),
            }
        }
    }
    out
}

/// Blocks until the voice has rendered `seconds` more audio (the audio
/// clock, not this thread's).
fn hold(cues: &neuroloop_audio::CueSender, rate: u32, seconds: f64) {
    let until = cues.frames() + (seconds * f64::from(rate)) as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while cues.frames() < until {
        assert!(Instant::now() < deadline, "the audio callback stopped");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The monitor recording, once it holds `n` stretches of sound followed by
/// 0.1 s of silence (the sound server delivers at its own pace).
fn recording(file: &Path, n: usize) -> (Vec<f32>, Vec<(usize, usize)>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut bytes = Vec::new();
        if let Ok(mut f) = std::fs::File::open(file) {
            f.read_to_end(&mut bytes).unwrap();
        }
        let x: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let found = stretches(&x);
        let tail = found.last().map_or(0, |s| x.len() - s.1);
        if found.len() >= n && tail as f64 >= 0.1 * RATE {
            return (x, found);
        }
        assert!(
            Instant::now() < deadline,
            "the recording holds {found:?} ({} samples), not {n} tones",
            x.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn cued_tones_reach_the_sound_server_in_order_and_at_their_frequencies() {
    let server = Server::start();
    // SAFETY: the only test of this binary sets the variable before any
    // thread of its own or any audio library runs.
    unsafe { std::env::set_var("PULSE_SERVER", server.address()) };
    let file = server.dir.join("monitor.f32");
    let mut parec = record(&server, &file);
    let (output, mut cues) = neuroloop_audio::output::open(&OutputOptions::default())
        .expect("the default ALSA device (the pulse plugin) opens");
    let rate = output.sample_rate;
    eprintln!(
        "playing on {} at {rate} Hz, {} channels, {} frames per buffer",
        output.device, output.channels, output.buffer_frames
    );
    hold(&cues, rate, 0.2);
    let classes = [0u8, 2, 1];
    for class in classes {
        cues.send(Cue::Class(class));
        hold(&cues, rate, 0.3);
        cues.send(Cue::Silence);
        hold(&cues, rate, 0.25);
    }
    let (x, found) = recording(&file, classes.len());
    let applied: Vec<_> = cues.applied().collect();
    drop(output);
    let _ = parec.kill();
    let _ = parec.wait();
    assert_eq!(applied.len(), 6, "every cue took effect: {applied:?}");
    assert!(
        applied.iter().all(|a| a.applied_at >= a.sent_at),
        "{applied:?}"
    );
    assert_eq!(
        found.len(),
        classes.len(),
        "three tones with silence between: {found:?}"
    );
    let candidates: Vec<f64> = (0..8).map(class_hz).collect();
    for ((start, end), class) in found.iter().zip(classes) {
        let part = &x[*start..*end];
        let best = candidates
            .iter()
            .copied()
            .max_by(|a, b| power(part, *a).total_cmp(&power(part, *b)))
            .unwrap();
        assert_eq!(
            best,
            class_hz(class),
            "tone at {:.3} s",
            *start as f64 / RATE
        );
        // 0.3 s of audio clock, give or take a callback buffer and the
        // 20 ms blocks of the detection.
        let seconds = (end - start) as f64 / RATE;
        assert!(
            (0.24..0.36).contains(&seconds),
            "class {class} lasted {seconds} s"
        );
    }
}
