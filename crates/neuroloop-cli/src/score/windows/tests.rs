//! Rows and trials on a small hand-made recording: 10 Hz, 4-sample windows
//! every 2 samples, class 0 cued over samples 10–20 and class 1 over 30–40.

use neuroloop_core::{HoldReason, Intent, IntentKind, IntentTimes, MAX_CLASSES, Marker};
use neuroloop_sources::replay::Cue;

use super::*;
use crate::score::session::Played;

fn intent(window: u64, kind: IntentKind, reason: HoldReason, p0: f32) -> Intent {
    let mut probabilities = [0.0; MAX_CLASSES];
    let decoded = reason != HoldReason::Artifact;
    if decoded {
        probabilities[0] = p0;
        probabilities[1] = 1.0 - p0;
    }
    Intent {
        window,
        kind,
        hold_reason: reason,
        class: u8::from(p0 < 0.5),
        confidence: if decoded { p0.max(1.0 - p0) } else { 0.0 },
        probabilities,
        n_classes: 2,
        times: IntentTimes::default(),
    }
}

/// Windows 0..20; window k ends at sample 3 + 2k. Class intents for class
/// 0 from window 6 on, a low-confidence hold at window 4, an artifact hold
/// at window 5.
fn played() -> Played {
    let intents = (0..20)
        .map(|k| match k {
            4 => intent(k, IntentKind::Hold, HoldReason::LowConfidence, 0.55),
            5 => intent(k, IntentKind::Hold, HoldReason::Artifact, 0.0),
            6..=8 => intent(k, IntentKind::Class, HoldReason::None, 0.9),
            _ => intent(k, IntentKind::Class, HoldReason::None, 0.2),
        })
        .collect();
    let cue = |sample, code| Cue { sample, code };
    Played {
        intents,
        cues: vec![
            cue(10, 0),
            cue(20, Marker::REST),
            cue(30, 1),
            cue(40, Marker::REST),
        ],
        window: 4,
        hop: 2,
        sample_rate: 10.0,
        label_delay_s: 0.0,
        samples: 43,
        report: neuroloop_runtime::SessionReport::default(),
    }
}

#[test]
fn rows_carry_recording_time_labels_and_decodes() {
    let played = played();
    let rows = rows(&played, 0);
    assert_eq!(rows.len(), 20);
    assert!(
        (rows[5].newest_s - 1.3).abs() < 1e-12,
        "window 5 ends at sample 13"
    );
    // Window 5 spans samples 10-13, inside class 0's cue, but is an
    // artifact hold: never labelled, never decoded.
    assert_eq!((rows[5].label, rows[5].class), (None, None));
    // Window 6 spans 12-15 (class 0), window 9 spans 18-21 (crosses the
    // rest cue at 20), window 15 spans 30-33 (class 1).
    assert_eq!(rows[6].label, Some(0));
    assert_eq!(rows[9].label, None);
    assert_eq!(rows[15].label, Some(1));
    // Window 4 spans 8-11: it starts before the cue.
    assert_eq!(rows[4].label, None);
    assert_eq!(rows[4].class, Some(0), "a low-confidence hold was decoded");
    assert_eq!(rows[4].probabilities.as_deref(), Some(&[0.55, 0.45][..]));
}

#[test]
fn trials_decide_by_mean_probability_over_their_span() {
    let played = played();
    let rows = rows(&played, 0);
    // --tmin 0: the span runs from the cue to its end, [1.0, 2.0] s;
    // windows ending at samples 11, 13, 15, 17, 19 (4..=8), the artifact
    // hold (5) undecoded.
    let trials = trials(&played, &rows, 0, (Some(0.0), None));
    assert_eq!(trials.len(), 2);
    let t = &trials[0];
    assert_eq!((t.class, t.span_s), (0, [1.0, 2.0]));
    assert_eq!(t.decoded_windows, 4);
    let mean = (0.55 + 3.0 * 0.9) / 4.0;
    let p = t.mean_probabilities.as_ref().unwrap();
    assert!((f64::from(p[0]) - mean).abs() < 1e-6, "{p:?}");
    assert_eq!(t.decided, Some(0));
    // The first class intent for class 0 is window 6 (ends at 1.5 s).
    assert!((t.first_correct_s.unwrap() - 0.5).abs() < 1e-12);
    // Class 1's trial, [3.0, 4.0] s: windows 14..=18 all say class 1.
    let t = &trials[1];
    assert_eq!((t.decoded_windows, t.decided), (5, Some(1)));
    assert!((t.first_correct_s.unwrap() - 0.1).abs() < 1e-12);
    // --tmin 0.6 --tmax 0.7: only the window ending at 1.7 s (7).
    let short = super::trials(&played, &rows, 0, (Some(0.6), Some(0.7)));
    assert_eq!(short[0].decoded_windows, 1);
    assert!((short[0].first_correct_s.unwrap() - 0.7).abs() < 1e-12);
    // A span no window ends in leaves the trial undecided.
    let none = super::trials(&played, &rows, 0, (Some(0.01), Some(0.02)));
    assert_eq!((none[0].decided, none[0].first_correct_s), (None, None));
}

#[test]
fn by_default_a_trial_starts_one_window_after_its_cue() {
    let played = played();
    let rows = rows(&played, 0);
    let trials = trials(&played, &rows, 0, (None, None));
    // Windows are 0.4 s: [1.4, 2.0] s holds the windows ending at 15, 17
    // and 19 (6..=8), each lying wholly after the cue at sample 10.
    assert_eq!(trials[0].span_s, [1.4, 2.0]);
    assert_eq!(trials[0].decoded_windows, 3);
    assert!((trials[0].first_correct_s.unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(trials[1].span_s, [3.4, 4.0]);
    assert!((trials[1].first_correct_s.unwrap() - 0.5).abs() < 1e-12);
    // A tmin past the cue's end still leaves a one-point span, not a
    // reversed one.
    let late = super::trials(&played, &rows, 0, (Some(1.5), None));
    assert_eq!(late[0].span_s, [2.5, 2.5]);
}
