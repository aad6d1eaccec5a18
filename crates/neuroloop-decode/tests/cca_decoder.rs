//! `cca_lr` against numpy and scikit-learn (`tools/decode/make_cca_fixture.py`
//! wrote `tests/fixtures/cov/cca.json`): canonical correlations with sine
//! references (the fixture computes them by QR and SVD, neuroloop by an
//! eigenvalue), standardised, logistic regression; then a bundle round
//! trip, bad hyperparameters and allocation-free decoding.

mod counting;
mod reference;

use neuroloop_core::Window;
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::covariance::{CanonicalCorrelations, CcaSpec};
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use reference::{f64s, fixture, max_diff_slice, signals, usizes};

fn sets() -> (EpochSet, EpochSet, serde_json::Value) {
    let fx = fixture("cca");
    let rate = fx["sample_rate"].as_f64().unwrap();
    let classes = vec!["13Hz".to_string(), "17Hz".to_string(), "rest".to_string()];
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

fn spec(fx: &serde_json::Value) -> CcaSpec {
    CcaSpec {
        frequencies_hz: f64s(&fx["frequencies_hz"]),
        harmonics: fx["harmonics"].as_u64().unwrap() as usize,
        c: 1.0,
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
fn correlations_and_probabilities_equal_the_reference() {
    let (train, test, fx) = sets();
    let s = spec(&fx);
    let (c, t) = (test.channels, test.samples);
    let mut cca =
        CanonicalCorrelations::new(&s.frequencies_hz, s.harmonics, test.sample_rate, c, t).unwrap();
    let mut ours = Vec::new();
    for i in 0..test.len() {
        let x: Vec<f64> = test.epoch(i).iter().map(|&v| f64::from(v)).collect();
        let mut rho = vec![0.0; 3];
        cca.compute(&x, &mut rho).unwrap();
        ours.extend(rho);
    }
    let theirs: Vec<f64> = fx["test_correlations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(f64s)
        .collect();
    let d = max_diff_slice(&ours, &theirs);
    eprintln!("correlations: {d:e}");
    assert!(d < 1e-10, "canonical correlations differ by {d:e}");
    let model = fit(
        &ModelSpec::with_spec("cca_lr", &s).unwrap(),
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
fn bundle_round_trip_bad_hyperparameters_and_no_allocation() {
    let (train, test, fx) = sets();
    let model = fit(
        &ModelSpec::with_spec("cca_lr", &spec(&fx)).unwrap(),
        &train,
        &FitOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("neuroloop-cca-{}", std::process::id()));
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

    for (json, field) in [
        (
            r#"{"architecture": "cca_lr", "frequencies_hz": [40]}"#,
            "cca_lr.frequencies_hz[0]",
        ),
        (
            r#"{"architecture": "cca_lr", "frequencies_hz": []}"#,
            "cca_lr.frequencies_hz",
        ),
        (
            r#"{"architecture": "cca_lr", "harmonics": 0}"#,
            "cca_lr.harmonics",
        ),
    ] {
        let spec: ModelSpec = serde_json::from_str(json).unwrap();
        let err = fit(&spec, &train, &FitOptions::default(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains(field), "{json}: {err}");
    }

    let mut decoder = model.into_decoder().unwrap();
    let (c, t) = (train.channels, train.samples);
    let mut p = [0.0_f32; 3];
    let mut total = 0;
    for i in 0..100 {
        let (_, made) = counting::allocations(|| {
            decoder.decode(&window(train.epoch(i % train.len()), c, t), &mut p)
        });
        total += made;
    }
    assert_eq!(total, 0, "cca_lr allocated {total} times");
}
