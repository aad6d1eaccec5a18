//! The xDAWN and ERP-covariance decoders against pyriemann
//! (`tools/decode/make_xdawn_fixture.py` wrote `tests/fixtures/cov/xdawn.json`):
//! the filters, prototypes and ERP covariances of `XdawnCovariances(nfilter=2,
//! "lwf", "lwf")` and of `ERPCovariances("lwf")`, the probabilities of
//! `→ TangentSpace → LogisticRegression` and of `→ MDM`; then bundles, bad
//! hyperparameters and allocation-free decoding.

mod counting;
mod reference;

use neuroloop_core::Window;
use neuroloop_decode::DecodeError;
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::covariance::{XdawnCovariance, fit_erp, fit_xdawn};
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::spd::Estimator;
use reference::{f64s, fixture, mat, mats, max_diff, signals, usizes};

const XDAWN: [&str; 4] = [
    "xdawn_tangent_space",
    "xdawn_mdm",
    "erp_tangent_space",
    "erp_mdm",
];

/// The fixture's train and test epochs (float32-exact values).
fn sets() -> (EpochSet, EpochSet, serde_json::Value) {
    let fx = fixture("xdawn");
    let rate = fx["sample_rate"].as_f64().unwrap();
    let classes = vec!["nontarget".to_string(), "target".to_string()];
    let mut out = Vec::new();
    for (x, y) in [
        ("train_signals", "train_labels"),
        ("test_signals", "test_labels"),
    ] {
        let (data, c, t) = signals(&fx[x]);
        let data: Vec<f32> = data.iter().map(|&v| v as f32).collect();
        // float32 values written as float64 text (the JSON parser may be
        // off by one float64 ulp, never by a float32 one).
        let (exact, _, _) = signals(&fx[x]);
        let bad = data
            .iter()
            .zip(&exact)
            .find(|(a, b)| (f64::from(**a) - **b).abs() > 1e-15 * b.abs());
        assert!(bad.is_none(), "a fixture value is not float32: {bad:?}");
        out.push(EpochSet::new(c, t, rate, classes.clone(), data, usizes(&fx[y])).unwrap());
    }
    let test = out.pop().unwrap();
    (out.pop().unwrap(), test, fx)
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

/// Largest difference relative to the largest entry of `theirs`.
fn relative(ours: &faer::Mat<f64>, theirs: &faer::Mat<f64>) -> f64 {
    let scale = (0..theirs.ncols())
        .flat_map(|j| (0..theirs.nrows()).map(move |i| (i, j)))
        .map(|(i, j)| theirs[(i, j)].abs())
        .fold(0.0, f64::max);
    max_diff(ours, theirs) / scale
}

#[test]
fn filters_prototypes_and_covariances_equal_pyriemanns() {
    let (train, test, fx) = sets();
    let nfilter = fx["nfilter"].as_u64().unwrap() as usize;
    let record = fit_xdawn(Estimator::Lwf, nfilter, &train).unwrap();
    let rows = |v: &Vec<Vec<f64>>| faer::Mat::from_fn(v.len(), v[0].len(), |i, j| v[i][j]);
    let filters = relative(&rows(&record.filters), &mat(&fx["filters"]));
    let evokeds = relative(&rows(&record.evokeds), &mat(&fx["evokeds"]));
    eprintln!("filters {filters:e}, prototypes {evokeds:e}");
    assert!(filters < 1e-8, "filters differ by {filters:e}");
    assert!(evokeds < 1e-8, "prototypes differ by {evokeds:e}");
    let mut transform = XdawnCovariance::new(&record, train.channels, train.samples).unwrap();
    assert_eq!(transform.dim(), 2 * 2 * nfilter);
    for (set, key) in [(&train, "train_covariances"), (&test, "test_covariances")] {
        let ours = transform.all(set).unwrap();
        let theirs = mats(&fx[key]);
        assert_eq!(ours.len(), theirs.len());
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| relative(a, b))
            .fold(0.0, f64::max);
        eprintln!("{key}: {worst:e}");
        assert!(worst < 1e-8, "{key}: ERP covariances differ by {worst:e}");
    }
}

#[test]
fn erp_covariances_equal_pyriemanns() {
    let (train, test, fx) = sets();
    let record = fit_erp(Estimator::Lwf, &train).unwrap();
    let mut transform = XdawnCovariance::new(&record, train.channels, train.samples).unwrap();
    // Two class means of 4 channels and the window's 4 channels.
    assert_eq!(transform.dim(), 12);
    let ours = transform.all(&test).unwrap();
    let theirs = mats(&fx["erp_test_covariances"]);
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| relative(a, b))
        .fold(0.0, f64::max);
    eprintln!("ERP covariances: {worst:e}");
    assert!(worst < 1e-8, "ERP covariances differ by {worst:e}");
}

fn probabilities(name: &str, train: &EpochSet, test: &EpochSet) -> Vec<f64> {
    let model = fit(
        &ModelSpec::named(name).unwrap(),
        train,
        &FitOptions::default(),
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut decoder = model.into_decoder().unwrap();
    let mut out = Vec::new();
    for i in 0..test.len() {
        let mut p = [0.0_f32; 2];
        decoder
            .decode(&window(test.epoch(i), test.channels, test.samples), &mut p)
            .unwrap();
        out.extend(p.iter().map(|&v| f64::from(v)));
    }
    out
}

#[test]
fn probabilities_equal_pyriemanns_pipelines() {
    let (train, test, fx) = sets();
    for (name, key) in [
        ("xdawn_tangent_space", "proba_exact"),
        ("xdawn_mdm", "mdm_proba"),
        ("erp_tangent_space", "erp_proba_exact"),
        ("erp_mdm", "erp_mdm_proba"),
    ] {
        let ours = probabilities(name, &train, &test);
        let theirs: Vec<f64> = fx[key].as_array().unwrap().iter().flat_map(f64s).collect();
        let worst = reference::max_diff_slice(&ours, &theirs);
        eprintln!("{name}: {worst:e}");
        // Probabilities leave the decoder as f32 (rounding ~3e-8).
        assert!(
            worst < 1e-7,
            "{name}: probabilities differ from pyriemann's by {worst:e}"
        );
    }
}

#[test]
fn bundles_of_xdawn_decoders_give_identical_probabilities() {
    let (train, test, _) = sets();
    let dir = std::env::temp_dir().join(format!("neuroloop-xdawn-bundle-{}", std::process::id()));
    for name in XDAWN {
        let model = fit(
            &ModelSpec::named(name).unwrap(),
            &train,
            &FitOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let meta = BundleMeta {
            channels: (0..train.channels).map(|i| format!("ch{i}")).collect(),
            filters: Vec::new(),
            source: None,
            ..BundleMeta::default()
        };
        model.save_bundle(&dir, &meta).unwrap();
        let before = model.predict(&test).unwrap();
        let loaded = Bundle::load(&dir).unwrap();
        assert_eq!(loaded.manifest().model.architecture(), name);
        assert_eq!(before, loaded.model().predict(&test).unwrap(), "{name}");
        // Prototypes of the wrong length are a weights error, not a panic.
        let weights = dir.join(&loaded.manifest().weights);
        let text = std::fs::read_to_string(&weights).unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["xdawn"]["evokeds"][0].as_array_mut().unwrap().pop();
        std::fs::write(&weights, value.to_string()).unwrap();
        match Bundle::load(&dir) {
            Err(DecodeError::BundleWeights { .. }) => {}
            other => panic!("{name}: a short prototype gave {other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_hyperparameters_name_the_field() {
    let (train, _, _) = sets();
    for (json, field) in [
        (
            r#"{"architecture": "xdawn_tangent_space", "nfilter": 5}"#,
            "xdawn_tangent_space.nfilter",
        ),
        (
            r#"{"architecture": "xdawn_tangent_space", "nfilter": 0}"#,
            "xdawn_tangent_space.nfilter",
        ),
        (
            r#"{"architecture": "xdawn_tangent_space", "c": -1}"#,
            "xdawn_tangent_space.c",
        ),
        (
            r#"{"architecture": "xdawn_mdm", "nfilter": 9}"#,
            "xdawn_mdm.nfilter",
        ),
    ] {
        let spec: ModelSpec = serde_json::from_str(json).unwrap();
        let err = fit(&spec, &train, &FitOptions::default(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains(field), "{json}: {err}");
    }
    let unknown = serde_json::from_str::<ModelSpec>(r#"{"architecture": "xdawn_mdm", "c": 1}"#);
    assert!(unknown.is_err(), "xdawn_mdm has no c");
}

#[test]
fn xdawn_decoders_never_allocate_per_window() {
    let (train, _, _) = sets();
    for name in XDAWN {
        let model = fit(
            &ModelSpec::named(name).unwrap(),
            &train,
            &FitOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        let mut decoder = model.into_decoder().unwrap();
        let (c, t) = (train.channels, train.samples);
        let mut p = [0.0_f32; 2];
        let mut bad = train.epoch(1).to_vec();
        bad[5] = f32::NAN;
        let mut total = 0;
        for i in 0..200 {
            let data = if i % 50 == 7 {
                &bad[..]
            } else {
                train.epoch(i % train.len())
            };
            let (_, made) = counting::allocations(|| decoder.decode(&window(data, c, t), &mut p));
            total += made;
        }
        assert_eq!(total, 0, "{name} allocated {total} times in 200 decodes");
    }
}
