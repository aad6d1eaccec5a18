//! Offline epochs and cross-validation on the real recordings in
//! `../shared/data`: PhysioNet motor imagery (EDF+, annotation texts) and
//! Kalunga 2016 SSVEP (GDF, event codes).

use std::path::PathBuf;

use neuroloop_dsp::ChainConfig;
use neuroloop_formats::{Recording, read_recording};
use neuroloop_offline::{
    EpochOptions, EpochSet, EventMap, OfflineError, cross_validate, cut_epochs, parse_filters,
};

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn mi(run: &str) -> Recording {
    read_recording(data(&format!("physionet-eegmmidb/S001{run}.edf"))).expect("PhysioNet run")
}

fn hands_feet(tmin: f64, tmax: f64) -> EpochOptions {
    EpochOptions {
        events: EventMap::parse("T1=hands,T2=feet").unwrap(),
        tmin,
        tmax,
        channels: None,
    }
}

fn none() -> ChainConfig {
    ChainConfig::new(Vec::new())
}

#[test]
fn unfiltered_epochs_are_the_recorded_samples_around_each_cue() {
    let rec = mi("R06");
    let cut = cut_epochs(&[("R06", &rec)], &hands_feet(0.5, 2.5), &none()).unwrap();
    assert!(cut.skipped.is_empty());
    let epochs = cut.epochs;
    // S001R06: 7 × T1 and 8 × T2 (MNE reads the same annotations).
    assert_eq!(epochs.class_counts(), vec![7, 8]);
    assert_eq!(epochs.channels, 64);
    assert_eq!(epochs.channel_labels.len(), 64);
    assert_eq!(epochs.channel_labels[0], rec.channels[0].label);
    assert_eq!(epochs.samples, 320);
    assert_eq!(epochs.data.len(), 15 * 64 * 320);
    let cues: Vec<_> = rec
        .events
        .iter()
        .filter(|e| e.description == "T1" || e.description == "T2")
        .collect();
    for (i, cue) in cues.iter().enumerate() {
        assert_eq!(epochs.onset_s[i], cue.onset_s);
        assert_eq!(epochs.labels[i], usize::from(cue.description == "T2"));
        let start = ((cue.onset_s + 0.5) * 160.0).round() as usize;
        for c in [0, 17, 63] {
            let got = &epochs.epoch(i)[c * 320..(c + 1) * 320];
            let want: Vec<f32> = rec.channel(c)[start..start + 320]
                .iter()
                .map(|&v| v as f32)
                .collect();
            assert_eq!(got, want.as_slice(), "epoch {i} channel {c}");
        }
    }
}

#[test]
fn the_filter_chain_is_causal_and_runs_over_the_whole_recording() {
    let rec = mi("R06");
    let chain = parse_filters("bandpass 4-40").unwrap();
    let full = cut_epochs(&[("R06", &rec)], &hands_feet(0.5, 2.5), &chain)
        .unwrap()
        .epochs;
    // The same recording cut short right after the third cue's epoch: the
    // epochs up to there must not change (no look-ahead, no edge effects).
    let third_end = ((full.onset_s[2] + 2.5) * 160.0).round() as usize;
    let mut short = rec.clone();
    short.n_samples = third_end;
    short.data = (0..rec.channels.len())
        .flat_map(|c| rec.channel(c)[..third_end].to_vec())
        .collect();
    short.events.retain(|e| e.onset_s <= full.onset_s[2]);
    let cut = cut_epochs(&[("short", &short)], &hands_feet(0.5, 2.5), &chain)
        .unwrap()
        .epochs;
    assert_eq!(cut.len(), 3);
    assert_eq!(cut.data, full.data[..cut.data.len()]);

    // The band-pass removes the electrode offsets: every filtered epoch
    // channel has a mean far below its raw counterpart's spread.
    let raw = cut_epochs(&[("R06", &rec)], &hands_feet(0.5, 2.5), &none())
        .unwrap()
        .epochs;
    let mean = |x: &[f32]| x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    let (mut raw_dc, mut filtered_dc) = (0.0, 0.0);
    for i in 0..full.len() {
        for c in 0..64 {
            raw_dc += mean(&raw.epoch(i)[c * 320..(c + 1) * 320]).abs();
            filtered_dc += mean(&full.epoch(i)[c * 320..(c + 1) * 320]).abs();
        }
    }
    assert!(filtered_dc < raw_dc / 5.0, "{filtered_dc} vs {raw_dc}");
}

#[test]
fn channels_are_selected_by_label_in_the_order_given() {
    let rec = mi("R06");
    let mut options = hands_feet(0.0, 1.0);
    options.channels = Some(vec!["C4..".into(), "C3..".into()]);
    let epochs = cut_epochs(&[("R06", &rec)], &options, &none())
        .unwrap()
        .epochs;
    assert_eq!(epochs.channel_labels, vec!["C4..", "C3.."]);
    let c4 = rec.channel_index("C4..").unwrap();
    let start = (epochs.onset_s[0] * 160.0).round() as usize;
    assert_eq!(epochs.epoch(0)[0], rec.channel(c4)[start] as f32);

    options.channels = Some(vec!["C3..".into(), "Cz".into()]);
    let err = cut_epochs(&[("R06", &rec)], &options, &none()).unwrap_err();
    assert!(
        matches!(&err, OfflineError::UnknownChannel { label, .. } if label == "Cz"),
        "{err}"
    );
}

#[test]
fn epochs_past_the_end_are_skipped_and_counted() {
    let rec = mi("R06");
    let tmax = 9.0;
    let cut = cut_epochs(&[("R06", &rec)], &hands_feet(0.0, tmax), &none()).unwrap();
    let past: Vec<f64> = rec
        .events
        .iter()
        .filter(|e| e.description == "T1" || e.description == "T2")
        .filter(|e| ((e.onset_s + tmax) * 160.0).round() as usize > rec.n_samples)
        .map(|e| e.onset_s)
        .collect();
    assert!(!past.is_empty());
    assert_eq!(
        cut.skipped.iter().map(|s| s.onset_s).collect::<Vec<_>>(),
        past
    );
    assert_eq!(cut.epochs.len() + cut.skipped.len(), 15);

    // A window no event fits is an error, not an empty set.
    let err = cut_epochs(&[("R06", &rec)], &hands_feet(0.0, 200.0), &none()).unwrap_err();
    assert!(
        matches!(err, OfflineError::RecordingMismatch { .. }),
        "{err}"
    );
}

#[test]
fn bad_mappings_windows_and_samples_are_specific_errors() {
    let rec = mi("R06");
    let options = EpochOptions {
        events: EventMap::parse("T7=a,T8=b").unwrap(),
        ..hands_feet(0.0, 1.0)
    };
    let err = cut_epochs(&[("R06", &rec)], &options, &none()).unwrap_err();
    assert!(
        matches!(&err, OfflineError::NoMatchingEvents { seen, .. } if seen.contains("T0")),
        "{err}"
    );
    assert!(EventMap::parse("T1=hands").is_err());
    assert!(EventMap::parse("T1=hands,T1=feet").is_err());
    assert!(EventMap::parse("T1:hands,T2=feet").is_err());
    let err = cut_epochs(&[("R06", &rec)], &hands_feet(2.0, 1.0), &none()).unwrap_err();
    assert!(matches!(err, OfflineError::Option { .. }), "{err}");
    let backwards = parse_filters("bandpass 40-4").unwrap();
    let err = cut_epochs(&[("R06", &rec)], &hands_feet(0.0, 1.0), &backwards).unwrap_err();
    assert!(
        matches!(
            err,
            OfflineError::Option {
                what: "filters",
                ..
            }
        ),
        "{err}"
    );
    let too_high = parse_filters("lowpass 100").unwrap();
    assert!(cut_epochs(&[("R06", &rec)], &hands_feet(0.0, 1.0), &too_high).is_err());
    assert!(parse_filters("wavelet 3").is_err());

    let mut broken = rec.clone();
    broken.data[5 * rec.n_samples + 1234] = f64::NAN;
    let err = cut_epochs(&[("broken", &broken)], &hands_feet(0.0, 1.0), &none()).unwrap_err();
    assert!(
        matches!(&err, OfflineError::NonFiniteRecording { channel, sample: 1234, .. }
            if *channel == rec.channels[5].label),
        "{err}"
    );
}

#[test]
fn gdf_event_codes_map_to_classes_and_sessions_pool() {
    let s1 = read_recording(data("ssvep-kalunga2016/subject03-session1.gdf")).unwrap();
    let s2 = read_recording(data("ssvep-kalunga2016/subject03-session2.gdf")).unwrap();
    let options = EpochOptions {
        events: EventMap::parse("33024=rest,33025=13Hz,33026=21Hz,33027=17Hz").unwrap(),
        tmin: 1.0,
        tmax: 4.0,
        channels: None,
    };
    let chain = parse_filters("bandpass 5-45").unwrap();
    let epochs = cut_epochs(&[("s1", &s1), ("s2", &s2)], &options, &chain)
        .unwrap()
        .epochs;
    assert_eq!(epochs.class_counts(), vec![16, 16, 16, 16]);
    assert_eq!(epochs.channel_labels[0], "Oz");
    assert_eq!(epochs.samples, 768);
    assert_eq!(epochs.recording.iter().filter(|&&r| r == 1).count(), 32);
    assert!(epochs.data.iter().all(|v| v.is_finite()));
}

/// Cross-validation bookkeeping with a fit-and-predict whose answers are
/// known in advance (the class from the recording): every epoch is
/// predicted exactly once, in its own held-out fold, and the scores follow.
#[test]
fn every_epoch_is_predicted_once_by_a_model_that_never_saw_it() {
    let r06 = mi("R06");
    let r10 = mi("R10");
    let epochs = cut_epochs(
        &[("R06", &r06), ("R10", &r10)],
        &hands_feet(0.5, 1.5),
        &none(),
    )
    .unwrap()
    .epochs;
    let mut seen_test: Vec<usize> = Vec::new();
    let key = |e: &EpochSet, i: usize| (e.recording[i], e.onset_s[i].to_bits());
    let cv = cross_validate(&epochs, 5, 3, |train, test| {
        for i in 0..test.len() {
            assert!((0..train.len()).all(|j| key(train, j) != key(test, i)));
            let idx = (0..epochs.len())
                .find(|&j| key(&epochs, j) == key(test, i))
                .unwrap();
            seen_test.push(idx);
        }
        assert_eq!(train.len() + test.len(), epochs.len());
        // Predict "hands" for every epoch of R06 and "feet" for every one of R10.
        Ok((0..test.len())
            .flat_map(|i| {
                if test.recording[i] == 0 {
                    [0.8, 0.2]
                } else {
                    [0.3, 0.7]
                }
            })
            .collect())
    })
    .unwrap();
    seen_test.sort_unstable();
    assert_eq!(seen_test, (0..30).collect::<Vec<_>>());
    assert_eq!(cv.folds.len(), 5);
    assert_eq!(cv.folds.iter().map(|f| f.n_test).sum::<usize>(), 30);
    assert!((cv.accuracy_pooled - 0.5).abs() < 1e-12);
    // R06: 7 hands, 8 feet, all predicted hands; R10 likewise, predicted feet.
    assert_eq!(cv.confusion, vec![vec![7, 7], vec![8, 8]]);
    assert_eq!(cv.class_counts, vec![14, 16]);
}
