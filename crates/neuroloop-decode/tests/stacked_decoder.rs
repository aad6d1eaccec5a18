//! `stacked_tangent_space` against scipy + pyriemann
//! (`tools/decode/make_stacked_fixture.py` wrote
//! `tests/fixtures/cov/stacked.json`): zero-phase band-pass per band, the
//! bands stacked as one signal, `Covariances("lwf") → TangentSpace →
//! LogisticRegression`; then a bundle round trip, bad bands and
//! allocation-free decoding.

mod counting;
mod reference;

use neuroloop_core::Window;
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::covariance::{StackedSpec, fit_stacked};
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use reference::{f64s, fixture, mat, max_diff, max_diff_slice, signals, usizes};

fn sets() -> (EpochSet, EpochSet, serde_json::Value) {
    let fx = fixture("stacked");
    let rate = fx["sample_rate"].as_f64().unwrap();
    let classes = vec!["13Hz".to_string(), "17Hz".to_string()];
    let set = |x: &str, y: &str| {
        let (data, c, t) = signals(&fx[x]);
        let data: Vec<f32> = data.iter().map(|&v| v as f32).collect();
        EpochSet::new(c, t, rate, classes.clone(), data, usizes(&fx[y])).unwrap()
    };
    let (train, test) = (
        set("train_signals", "train_labels"),
        set("test_signals", "test_labels"),
    );
    (train, test, fx)
}

fn spec(fx: &serde_json::Value) -> StackedSpec {
    StackedSpec {
        bands_hz: fx["bands_hz"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let b = f64s(b);
                [b[0], b[1]]
            })
            .collect(),
        ..StackedSpec::default()
    }
}

fn window(data: &[f32], c: usize, t: usize) -> Window<'_> {
    Window {
        index: 0,
        channels: c,
        samples: t,
        data,
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    }
}

#[test]
fn reference_point_and_probabilities_equal_scipy_and_pyriemann() {
    let (train, test, fx) = sets();
    let spec = spec(&fx);
    let record = fit_stacked(&spec, &train).unwrap();
    let ours = faer::Mat::from_fn(16, 16, |i, j| record.reference[i][j]);
    let theirs = mat(&fx["ts_reference"]);
    let d = max_diff(&ours, &theirs);
    eprintln!("reference point: {d:e}");
    // The mean of the 16 x 16 stacked covariances of the training epochs.
    assert!(d < 1e-8, "reference point differs by {d:e}");
    let model = fit(
        &ModelSpec::with_spec("stacked_tangent_space", &spec).unwrap(),
        &train,
        &FitOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let p: Vec<f64> = model
        .predict(&test)
        .unwrap()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let expected: Vec<f64> = fx["proba_exact"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f64s)
        .collect();
    let worst = max_diff_slice(&p, &expected);
    eprintln!("probabilities: {worst:e}");
    assert!(worst < 1e-7, "probabilities differ by {worst:e}");
}

#[test]
fn bundle_round_trip_bad_bands_and_no_allocation() {
    let (train, test, fx) = sets();
    let model = fit(
        &ModelSpec::with_spec("stacked_tangent_space", &spec(&fx)).unwrap(),
        &train,
        &FitOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("neuroloop-stacked-{}", std::process::id()));
    let meta = BundleMeta {
        channels: (0..train.channels).map(|i| format!("ch{i}")).collect(),
        filters: Vec::new(),
        source: None,
        ..BundleMeta::default()
    };
    model.save_bundle(&dir, &meta).unwrap();
    let loaded = Bundle::load(&dir).unwrap();
    assert_eq!(
        model.predict(&test).unwrap(),
        loaded.model().predict(&test).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);

    let bad: ModelSpec = serde_json::from_str(
        r#"{"architecture": "stacked_tangent_space", "bands_hz": [[30, 70]]}"#,
    )
    .unwrap();
    let err = fit(&bad, &train, &FitOptions::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("bands_hz[0]"), "{err}");
    let none: ModelSpec =
        serde_json::from_str(r#"{"architecture": "stacked_tangent_space", "bands_hz": []}"#)
            .unwrap();
    let err = fit(&none, &train, &FitOptions::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("at least one band"), "{err}");

    let mut decoder = model.into_decoder().unwrap();
    let (c, t) = (train.channels, train.samples);
    let mut p = [0.0_f32; 2];
    let mut total = 0;
    for i in 0..100 {
        let (_, made) = counting::allocations(|| {
            decoder.decode(&window(train.epoch(i % train.len()), c, t), &mut p)
        });
        total += made;
    }
    assert_eq!(total, 0, "stacked_tangent_space allocated {total} times");
}
