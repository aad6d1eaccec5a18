//! The artifact detector: each limit at and around its boundary, NaN/Inf,
//! replacement of bad values, where windows touch artifacts, and the
//! configuration checks with their allowed ranges.

use neuroloop_core::{ChannelSpec, SampleBlock, StageConfig, StreamSpec};
use neuroloop_dsp::{ArtifactConfig, ArtifactDetector, ArtifactReason, BlockArtifacts};

const FS: f64 = 250.0;

fn spec(channels: usize) -> StreamSpec {
    StreamSpec {
        name: "t".into(),
        channels: (0..channels)
            .map(|i| ChannelSpec::eeg(format!("E{i}")))
            .collect(),
        sample_rate: FS,
        block_size: 10,
    }
}

/// Limits ±1000 µV, amplitude 500 µV, flat after 4 samples, no settling.
fn config() -> ArtifactConfig {
    ArtifactConfig {
        amplitude_uv: Some(500.0),
        flat_s: 4.0 / FS,
        settle_s: 0.0,
        ..ArtifactConfig::default()
    }
    .with_physical_range(Some((-1000.0, 1000.0)))
}

fn detector(cfg: &ArtifactConfig, channels: usize) -> ArtifactDetector {
    cfg.build(&spec(channels), 64).unwrap()
}

/// Scans interleaved `values` as one block; returns the counts and the
/// values as the filters would see them.
fn scan(d: &mut ArtifactDetector, channels: usize, values: &[f32]) -> (BlockArtifacts, Vec<f32>) {
    let n = values.len() / channels;
    let mut block = SampleBlock::with_capacity(channels, 64);
    block.buffers_mut().0[..values.len()].copy_from_slice(values);
    block.set_len(n);
    let found = d.scan(&mut block.as_mut());
    (found, block.data().to_vec())
}

fn count(found: &BlockArtifacts, r: ArtifactReason) -> u64 {
    found.samples[r.index()]
}

#[test]
fn rail_is_at_or_beyond_the_physical_range() {
    let mut d = detector(&config(), 1);
    let below_max = 1000f32.next_down();
    let above_min = (-1000f32).next_up();
    // Below the amplitude limit so only the rail decides.
    let cfg = ArtifactConfig {
        amplitude_uv: Some(1e6),
        ..config()
    };
    let mut wide = detector(&cfg, 1);
    let (found, _) = scan(
        &mut wide,
        1,
        &[below_max, above_min, 1000.0, -1000.0, 1e30, -1e30],
    );
    assert_eq!(count(&found, ArtifactReason::Rail), 4, "{found:?}");
    assert_eq!(count(&found, ArtifactReason::Amplitude), 0);
    let (found, out) = scan(&mut d, 1, &[10.0, 1e30, -1e30, 20.0]);
    assert_eq!(count(&found, ArtifactReason::Rail), 2);
    assert_eq!(
        out,
        [10.0, 10.0, 10.0, 20.0],
        "railed values hold the last good one"
    );
}

#[test]
fn amplitude_is_strictly_above_the_limit() {
    let mut d = detector(&config(), 1);
    let (found, out) = scan(&mut d, 1, &[500.0, -500.0, 500f32.next_up(), -501.0, 3.0]);
    assert_eq!(count(&found, ArtifactReason::Amplitude), 2, "{found:?}");
    assert_eq!(count(&found, ArtifactReason::Rail), 0);
    assert_eq!(out, [500.0, -500.0, -500.0, -500.0, 3.0]);
}

#[test]
fn nan_and_inf_are_non_finite_and_replaced() {
    let mut d = detector(&config(), 2);
    let values = [
        1.0,
        2.0,
        f32::NAN,
        3.0,
        4.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        5.0,
    ];
    let (found, out) = scan(&mut d, 2, &values);
    assert_eq!(count(&found, ArtifactReason::NonFinite), 3, "{found:?}");
    assert_eq!(out, [1.0, 2.0, 1.0, 3.0, 4.0, 3.0, 4.0, 5.0]);
    assert!(out.iter().all(|v| v.is_finite()));
}

#[test]
fn a_channel_that_starts_bad_is_replaced_by_zero() {
    let mut d = detector(&config(), 1);
    let (_, out) = scan(&mut d, 1, &[f32::NAN, 1e30]);
    assert_eq!(out, [0.0, 0.0]);
}

#[test]
fn flat_needs_the_full_flat_time_and_ends_with_a_change() {
    let mut d = detector(&config(), 2);
    // Channel 0 flat at 7 µV for 6 samples, then moves; channel 1 varies.
    let mut values = Vec::new();
    for (i, x) in [7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 8.0, 8.0].iter().enumerate() {
        values.extend([*x, i as f32]);
    }
    let (found, out) = scan(&mut d, 2, &values);
    // Flat after 4 intervals without change: samples 4 and 5.
    assert_eq!(count(&found, ArtifactReason::Flat), 2, "{found:?}");
    assert_eq!(out, values, "flat values are not replaced");
    let reasons = |offset| d.window_reasons(offset, 1);
    assert!(reasons(3).is_empty(), "3 intervals are not yet flat");
    assert!(reasons(4).contains(ArtifactReason::Flat));
    assert!(reasons(5).contains(ArtifactReason::Flat));
    assert!(reasons(6).is_empty(), "a change ends the flat line");
}

#[test]
fn flat_tolerance_and_off() {
    let cfg = ArtifactConfig {
        flat_uv: 0.5,
        ..config()
    };
    let mut d = detector(&cfg, 1);
    let (found, _) = scan(&mut d, 1, &[1.0, 1.5, 0.5, 1.25, 0.9, 1.51]);
    assert_eq!(count(&found, ArtifactReason::Flat), 1, "within 0.5 of 1.0");
    let off = ArtifactConfig {
        flat_s: 0.0,
        ..config()
    };
    let mut d = detector(&off, 1);
    let (found, _) = scan(&mut d, 1, &[1.0; 40]);
    assert!(!found.any());
}

#[test]
fn windows_touch_artifacts_across_blocks() {
    let mut d = detector(&config(), 1);
    scan(&mut d, 1, &[1.0, 2.0, 1e30, 3.0]);
    let (_, _) = scan(&mut d, 1, &[4.0, 5.0, 6.0, 7.0]);
    // The railed sample is 5 samples before offset 3 of the second block.
    assert!(d.window_reasons(3, 6).contains(ArtifactReason::Rail));
    assert!(d.window_reasons(3, 5).is_empty());
    assert!(d.window_reasons(0, 3).contains(ArtifactReason::Rail));
    assert!(d.window_reasons(0, 2).is_empty());
    d.reset();
    assert!(d.window_reasons(3, 1000).is_empty(), "a reset forgets");
}

#[test]
fn windows_beginning_within_the_settling_time_hold_too() {
    let cfg = ArtifactConfig {
        settle_s: 3.0 / FS,
        ..config()
    };
    let mut d = detector(&cfg, 1);
    let (found, _) = scan(&mut d, 1, &[1.0, 1e30, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    assert_eq!(found.last, Some(1));
    // A 2-sample window ending at offset 5 (samples 4, 5) begins 3 samples
    // after the artifact: still settling; one ending at 6 does not.
    assert!(d.window_reasons(5, 2).contains(ArtifactReason::Rail));
    assert!(d.window_reasons(6, 2).is_empty());
    let (found, _) = scan(&mut d, 1, &[1.0, 2.0]);
    assert_eq!(found.last, None);
}

#[test]
fn disabled_or_without_a_range_only_some_limits_apply() {
    let off = ArtifactConfig {
        enabled: false,
        ..config()
    };
    let mut d = detector(&off, 1);
    let (found, out) = scan(&mut d, 1, &[f32::NAN, 1e30, 1e30, 1e30, 1e30]);
    assert!(!found.any());
    assert!(out[0].is_nan() && out[1] == 1e30, "left alone");

    let bare = ArtifactConfig::default();
    assert_eq!(bare.amplitude_limit(), None);
    let mut d = detector(&bare, 1);
    let (found, _) = scan(&mut d, 1, &[1e30, f32::NAN]);
    assert_eq!(count(&found, ArtifactReason::Rail), 0, "no range, no rail");
    assert_eq!(count(&found, ArtifactReason::NonFinite), 1);
}

#[test]
fn the_profile_range_fills_only_what_is_not_set() {
    let own = ArtifactConfig {
        physical_max_uv: Some(50.0),
        ..ArtifactConfig::default()
    }
    .with_physical_range(Some((-187_500.0, 187_500.0)));
    assert_eq!(own.physical_min_uv, Some(-187_500.0));
    assert_eq!(own.physical_max_uv, Some(50.0));
    let default = ArtifactConfig::default().with_physical_range(Some((-200.0, 100.0)));
    assert_eq!(default.amplitude_limit(), Some(180.0));
}

fn problems(cfg: &ArtifactConfig) -> Vec<String> {
    match cfg.preflight(&spec(2), "pipeline.artifacts") {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn preflight_names_each_limit_and_its_allowed_range() {
    assert!(problems(&config()).is_empty());
    let cases: [(ArtifactConfig, &str, &str); 10] = [
        (
            ArtifactConfig {
                physical_min_uv: Some(f64::NAN),
                physical_max_uv: Some(1.0),
                ..config()
            },
            "physical_min_uv",
            "between -1e9 and 1e9",
        ),
        (
            ArtifactConfig {
                physical_max_uv: Some(2e9),
                ..config()
            },
            "physical_max_uv",
            "between -1e9 and 1e9",
        ),
        (
            ArtifactConfig {
                physical_min_uv: Some(5.0),
                physical_max_uv: Some(5.0),
                ..config()
            },
            "physical_min_uv",
            "below physical_max_uv",
        ),
        (
            ArtifactConfig {
                physical_min_uv: None,
                physical_max_uv: Some(5.0),
                ..ArtifactConfig::default()
            },
            "physical_min_uv",
            "both ends",
        ),
        (
            ArtifactConfig {
                amplitude_uv: Some(0.0),
                ..config()
            },
            "amplitude_uv",
            "(0, 1e9]",
        ),
        (
            ArtifactConfig {
                amplitude_uv: Some(f64::INFINITY),
                ..config()
            },
            "amplitude_uv",
            "(0, 1e9]",
        ),
        (
            ArtifactConfig {
                flat_s: 1.0 / FS,
                ..config()
            },
            "flat_s",
            "0 (off) or between 0.008 s",
        ),
        (
            ArtifactConfig {
                flat_s: 61.0,
                ..config()
            },
            "flat_s",
            "and 60 s",
        ),
        (
            ArtifactConfig {
                flat_uv: -1.0,
                ..config()
            },
            "flat_uv",
            "between 0 and 100",
        ),
        (
            ArtifactConfig {
                settle_s: 10.5,
                ..config()
            },
            "settle_s",
            "between 0 and 10 s",
        ),
    ];
    for (cfg, key, range) in cases {
        let p = problems(&cfg);
        assert_eq!(p.len(), 1, "{key}: {p:?}");
        assert!(
            p[0].starts_with(&format!("pipeline.artifacts.{key}")) && p[0].contains(range),
            "{key}: {p:?}"
        );
        assert!(cfg.build(&spec(2), 16).is_err(), "{key}: build refuses too");
    }
    // The boundaries themselves are allowed.
    for ok in [
        ArtifactConfig {
            flat_s: 2.0 / FS,
            ..config()
        },
        ArtifactConfig {
            flat_s: 60.0,
            flat_uv: 100.0,
            ..config()
        },
        ArtifactConfig {
            amplitude_uv: Some(1e9),
            physical_min_uv: Some(-1e9),
            physical_max_uv: Some(1e9),
            ..config()
        },
    ] {
        assert!(problems(&ok).is_empty(), "{ok:?}: {:?}", problems(&ok));
    }
}

#[test]
fn the_table_is_parsed_key_by_key() {
    let table: toml::Value = toml::from_str("flat_s = 1.0\nflat_uv = 0.1\nenabled = true").unwrap();
    let cfg = ArtifactConfig::from_toml(&table, "pipeline.artifacts").unwrap();
    assert_eq!(cfg.flat_s, 1.0);
    let bad: toml::Value = toml::from_str("flat_seconds = 1.0").unwrap();
    let e = ArtifactConfig::from_toml(&bad, "pipeline.artifacts").unwrap_err();
    assert!(
        e[0].to_string()
            .starts_with("pipeline.artifacts.flat_seconds"),
        "{e:?}"
    );
    let wrong: toml::Value = toml::from_str("flat_s = \"long\"").unwrap();
    let e = ArtifactConfig::from_toml(&wrong, "pipeline.artifacts").unwrap_err();
    assert!(
        e[0].to_string().starts_with("pipeline.artifacts.flat_s"),
        "{e:?}"
    );
}

#[test]
fn a_flat_run_continues_across_clean_and_mixed_blocks() {
    // Channel 0 flat at 2 µV throughout; channel 1 varies, and is railed in
    // the second block (which then takes the value-by-value path).
    let mut d = detector(&config(), 2);
    let (found, _) = scan(&mut d, 2, &[2.0, 0.0, 2.0, 1.0, 2.0, 2.0]);
    assert!(!found.any(), "3 equal values: 2 intervals");
    let (found, out) = scan(&mut d, 2, &[2.0, 1e30, 2.0, 4.0, 2.0, 5.0]);
    assert_eq!(count(&found, ArtifactReason::Rail), 1);
    assert_eq!(
        count(&found, ArtifactReason::Flat),
        2,
        "5th and 6th equal values"
    );
    assert_eq!(out, [2.0, 2.0, 2.0, 4.0, 2.0, 5.0]);
    let (found, _) = scan(&mut d, 2, &[2.0, 6.0, 2.5, 7.0]);
    assert_eq!(
        count(&found, ArtifactReason::Flat),
        1,
        "ends with the change"
    );
}
