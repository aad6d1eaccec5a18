//! The voice on a real sound server: a private PulseAudio daemon with a
//! null sink, reached through cpal's ALSA host and ALSA's pulse plugin;
//! `parec` records the sink's monitor, and the recording must hold the
//! cued tones, in order, at their frequencies. Needs `pulseaudio`,
//! `parec` (pulseaudio-utils) and the ALSA pulse plugin
//! (libasound2-plugins); `.ci/run` installs them.

use std::path::Path;
use std::time::{Duration, Instant};

#[path = "support/pulse.rs"]
mod pulse;
use pulse::{RATE, Server, dominant, read_f32, record, stretches};

use neuroloop_audio::voice::class_hz;
use neuroloop_audio::{Cue, OutputOptions};

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
        let x = read_f32(file);
        let found = stretches(&x, 0.1);
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
        let best = dominant(part, &candidates);
        assert_eq!(
            best,
            class_hz(class),
            "tone at {:.3} s",
            *start as f64 / RATE
        );
        // 0.3 s of audio clock, give or take a callback buffer and the
        // 20 ms blocks of the detection, and the gaps of underruns (a
        // loaded machine) that the stretch bridges.
        let seconds = (end - start) as f64 / RATE;
        assert!(
            (0.24..0.45).contains(&seconds),
            "class {class} lasted {seconds} s"
        );
    }
}
