//! Outside values never panic the cutting: event onsets no recording can
//! hold (beyond any sample index, negative, NaN, infinite) are skipped, and
//! epoch windows out of range are refused by name before anything is cut.

use neuroloop_dsp::ChainConfig;
use neuroloop_formats::{ChannelInfo, Event, Recording};
use neuroloop_offline::{EpochOptions, EventMap, OfflineError, cut_epochs};

fn recording(onsets: &[f64]) -> Recording {
    let n = 1000;
    Recording {
        channels: vec![ChannelInfo {
            label: "Cz".into(),
            unit: "uV".into(),
            transducer: String::new(),
            prefiltering: String::new(),
            physical_min: -1.0,
            physical_max: 1.0,
            digital_min: -32768.0,
            digital_max: 32767.0,
            samples_per_record: 100,
        }],
        sample_rate: 100.0,
        n_samples: n,
        data: (0..n).map(|i| (i as f64 * 0.1).sin()).collect(),
        events: onsets
            .iter()
            .enumerate()
            .map(|(i, &onset_s)| Event {
                onset_s,
                duration_s: 0.0,
                code: None,
                description: if i % 2 == 0 { "T1" } else { "T2" }.into(),
            })
            .collect(),
    }
}

#[test]
fn events_no_recording_can_hold_are_skipped_and_huge_windows_refused() {
    let options = |tmin: f64, tmax: f64| EpochOptions {
        events: EventMap::parse("T1=a,T2=b").unwrap(),
        tmin,
        tmax,
        channels: None,
    };
    let none = ChainConfig::new(Vec::new());
    // An EDF+ annotation at 2e17 s (and other onsets beyond any index).
    let rec = recording(&[1.0, 2.0, 2e17, -5.0, f64::NAN, f64::INFINITY, 1e300, 3.0]);
    let cut = cut_epochs(&[("r", &rec)], &options(0.0, 1.0), &none).unwrap();
    assert_eq!(cut.epochs.len(), 3);
    assert_eq!(cut.skipped.len(), 5);
    for (tmin, tmax) in [(0.0, 1e18), (-1e18, 1.0), (0.0, f64::NAN), (1.0, 0.5)] {
        let err = cut_epochs(&[("r", &rec)], &options(tmin, tmax), &none).unwrap_err();
        assert!(
            matches!(
                &err,
                OfflineError::Option {
                    what: "epoch window",
                    ..
                }
            ),
            "{err}"
        );
    }
    let err = cut_epochs(&[("r", &rec)], &options(0.0, 1e18), &none).unwrap_err();
    assert!(err.to_string().contains("allowed range"), "{err}");
}
