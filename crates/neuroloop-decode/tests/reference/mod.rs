//! Reading the JSON fixtures of `tools/decode/make_cov_fixtures.py`
//! (scipy, scikit-learn, pyriemann and MNE outputs) and comparing with
//! them.
#![allow(dead_code)]

use faer::Mat;
use serde_json::Value;

/// The fixture `name` (`tests/fixtures/cov/NAME.json`).
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/cov/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

pub fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| usize::try_from(x.as_u64().expect("an integer")).expect("fits"))
        .collect()
}

pub fn mat(v: &Value) -> Mat<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(f64s).collect();
    Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

pub fn mats(v: &Value) -> Vec<Mat<f64>> {
    v.as_array().expect("matrices").iter().map(mat).collect()
}

/// `[n][C][T]` signals, flattened channel-major per trial, with `(C, T)`.
pub fn signals(v: &Value) -> (Vec<f64>, usize, usize) {
    let trials = v.as_array().expect("trials");
    let rows0 = trials[0].as_array().expect("channels");
    let (c, t) = (rows0.len(), rows0[0].as_array().expect("samples").len());
    let mut out = Vec::with_capacity(trials.len() * c * t);
    for trial in trials {
        for row in trial.as_array().expect("channels") {
            out.extend(f64s(row));
        }
    }
    (out, c, t)
}

/// The largest absolute difference between two matrices.
pub fn max_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!(
        (a.nrows(), a.ncols()),
        (b.nrows(), b.ncols()),
        "shapes differ"
    );
    let mut m = 0.0_f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            m = m.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    m
}

pub fn max_diff_slice(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
