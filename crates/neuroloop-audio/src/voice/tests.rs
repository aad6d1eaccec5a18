use super::*;

#[path = "../../tests/support/pulse.rs"]
mod pulse;
use pulse::{RATE, dominant};
const CALLBACK: usize = 480;

/// Renders `seconds` of mono in callbacks of [`CALLBACK`] frames.
fn render(voice: &mut Voice, seconds: f64) -> Vec<f32> {
    let n = (seconds * RATE) as usize;
    let mut out = vec![0.0f32; n];
    for chunk in out.chunks_mut(CALLBACK) {
        voice.render(chunk, 1);
    }
    out
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

#[test]
fn each_class_sounds_its_own_frequency_and_a_hold_is_silence() {
    let candidates: Vec<f64> = (0..8).map(class_hz).chain([660.0, 1000.0]).collect();
    let (mut tx, mut voice) = cue_channel(16, RATE);
    assert!(
        render(&mut voice, 0.05).iter().all(|v| *v == 0.0),
        "silent at first"
    );
    for class in [0u8, 2, 1, 7] {
        tx.send(Cue::Class(class));
        let x = render(&mut voice, 0.2);
        // Past the fade in: a steady sine of the class's frequency.
        let steady = &x[(0.01 * RATE) as usize..];
        assert_eq!(
            dominant(steady, &candidates),
            class_hz(class),
            "class {class}"
        );
        let expected_rms = f64::from(AMPLITUDE) / 2f64.sqrt();
        assert!((rms(steady) - expected_rms).abs() < 0.01, "{}", rms(steady));
    }
    tx.send(Cue::Silence);
    let x = render(&mut voice, 0.1);
    let fade = (FADE_S * RATE) as usize + 1;
    assert!(x[..fade].iter().any(|v| *v != 0.0), "fades out");
    assert!(x[fade..].iter().all(|v| *v == 0.0), "then exact silence");
}

#[test]
fn the_estop_siren_alternates_and_the_deadman_beeps() {
    let candidates = [ESTOP_HZ[0], ESTOP_HZ[1], DEADMAN_HZ, class_hz(0)];
    let (mut tx, mut voice) = cue_channel(16, RATE);
    tx.send(Cue::Estop);
    let x = render(&mut voice, 1.0);
    let step = (ESTOP_STEP_S * RATE) as usize;
    for k in 0..8 {
        // The middle of each step, away from the switches.
        let part = &x[k * step + step / 4..(k + 1) * step - step / 4];
        assert_eq!(
            dominant(part, &candidates),
            ESTOP_HZ[k % 2],
            "siren step {k}"
        );
    }
    tx.send(Cue::Deadman);
    let x = render(&mut voice, 1.0);
    let beep = (DEADMAN_BEEP_S * RATE) as usize;
    for k in 0..10 {
        let part = &x[k * beep + beep / 4..(k + 1) * beep - beep / 4];
        if k % 2 == 0 {
            assert_eq!(dominant(part, &candidates), DEADMAN_HZ, "beep {k}");
            assert!(rms(part) > 0.3, "beep {k} on");
        } else {
            assert!(part.iter().all(|v| *v == 0.0), "beep {k} off");
        }
    }
}

#[test]
fn changes_never_click() {
    let (mut tx, mut voice) = cue_channel(16, RATE);
    let mut x = Vec::new();
    for cue in [
        Cue::Class(0),
        Cue::Class(5),
        Cue::Silence,
        Cue::Estop,
        Cue::Class(1),
        Cue::Deadman,
        Cue::Silence,
    ] {
        tx.send(cue);
        x.extend(render(&mut voice, 0.137));
    }
    // A sine of amplitude A at f moves at most 2πfA/rate per sample; the
    // highest sound here is class 5's 1397 Hz. A cut without a fade jumps
    // by up to A.
    let bound = std::f64::consts::TAU * class_hz(5) * f64::from(AMPLITUDE) / RATE;
    let worst = x
        .windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .fold(0.0, f64::max);
    assert!(worst <= bound, "a jump of {worst} (bound {bound})");
}

#[test]
fn applied_cues_report_their_times_and_a_full_queue_drops_without_blocking() {
    let (mut tx, mut voice) = cue_channel(4, RATE);
    let first = tx.send(Cue::Class(0));
    let second = tx.send(Cue::Class(1));
    render(&mut voice, 0.01);
    let applied: Vec<Applied> = tx.applied().collect();
    assert_eq!(
        applied.iter().map(|a| a.seq).collect::<Vec<_>>(),
        [first, second]
    );
    assert!(applied.iter().all(|a| a.applied_at >= a.sent_at));
    assert_eq!(voice.cue(), Cue::Class(1), "the newest cue sounds");
    for _ in 0..10 {
        tx.send(Cue::Silence);
    }
    assert_eq!(tx.dropped(), 6, "4 fit, 6 dropped");
    render(&mut voice, 0.01);
    assert_eq!(tx.applied().count(), 4);
    assert_eq!(voice.cue(), Cue::Silence);
}

#[test]
fn stereo_frames_carry_the_same_sample_on_every_channel() {
    let (mut tx, mut voice) = cue_channel(4, RATE);
    tx.send(Cue::Class(3));
    let mut out = vec![0.0f32; 2 * 960];
    voice.render(&mut out, 2);
    assert!(out.chunks(2).all(|f| f[0] == f[1]));
    assert_eq!(tx.frames(), 960, "frames, not samples, are counted");
    assert!(out.iter().any(|v| *v != 0.0));
}
