//! The convex classifiers against scikit-learn (fixtures written by
//! `tools/decode/make_cov_fixtures.py`): L2 logistic regression (binary and
//! multinomial) and Ledoit–Wolf shrinkage LDA.

mod reference;

use neuroloop_decode::linear::{LinearModel, LogisticOptions, fit_lda, fit_logistic};
use reference::{f64s, fixture, max_diff_slice, usizes};
use serde_json::Value;

fn rows(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().flat_map(f64s).collect()
}

fn proba(model: &LinearModel, features: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let mut p = vec![0.0; model.classes];
    for x in features.chunks_exact(model.features) {
        model.probabilities(x, &mut p);
        out.extend_from_slice(&p);
    }
    out
}

fn centred(v: &[f64]) -> Vec<f64> {
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| x - mean).collect()
}

#[test]
fn logistic_regression_equals_sklearn() {
    let fx = fixture("logreg");
    for (case, classes) in [("binary", 2), ("multiclass", 3)] {
        let c = &fx[case];
        let x = rows(&c["features"]);
        let y = usizes(&c["labels"]);
        let options = LogisticOptions {
            c: c["C"].as_f64().unwrap(),
            ..LogisticOptions::default()
        };
        let model = fit_logistic(&x, &y, classes, &options).unwrap();
        // The exact optimum (sklearn's lbfgs polished by Newton steps).
        let d = max_diff_slice(&model.coef, &rows(&c["coef_exact"]));
        assert!(d < 1e-9, "{case} coefficients vs the exact optimum: {d:e}");
        let d = max_diff_slice(
            &centred(&model.intercept),
            &centred(&f64s(&c["intercept_exact"])),
        );
        assert!(d < 1e-9, "{case} intercepts vs the exact optimum: {d:e}");
        // sklearn's own result, within its lbfgs stopping rule.
        let d = max_diff_slice(&model.coef, &rows(&c["coef"]));
        assert!(d < 1e-5, "{case} coefficients vs sklearn: {d:e}");
        let d = max_diff_slice(&proba(&model, &x), &rows(&c["proba"]));
        assert!(d < 1e-6, "{case} probabilities vs sklearn: {d:e}");
    }
}

#[test]
fn logistic_regression_rejects_bad_input() {
    let x = [0.0, 1.0, 2.0, f64::NAN];
    assert!(fit_logistic(&x, &[0, 1], 2, &LogisticOptions::default()).is_err());
    let x = [0.0, 1.0, 2.0, 3.0];
    let zero_c = LogisticOptions {
        c: 0.0,
        ..LogisticOptions::default()
    };
    assert!(fit_logistic(&x, &[0, 1], 2, &zero_c).is_err());
    assert!(fit_logistic(&x, &[0, 2], 2, &LogisticOptions::default()).is_err());
}

#[test]
fn shrinkage_lda_equals_sklearn() {
    let fx = fixture("lda");
    for (case, classes) in [(&fx, 2), (&fx["multiclass"], 3)] {
        let x = rows(&case["features"]);
        let y = usizes(&case["labels"]);
        let model = fit_lda(&x, &y, classes).unwrap();
        let d = max_diff_slice(&model.coef, &rows(&case["coef"]));
        assert!(d < 1e-8, "{classes} classes: coefficients differ by {d:e}");
        let d = max_diff_slice(&model.intercept, &f64s(&case["intercept"]));
        assert!(d < 1e-8, "{classes} classes: intercepts differ by {d:e}");
        let d = max_diff_slice(&proba(&model, &x), &rows(&case["proba"]));
        assert!(d < 1e-8, "{classes} classes: probabilities differ by {d:e}");
    }
}
