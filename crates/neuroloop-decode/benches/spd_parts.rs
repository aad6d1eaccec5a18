//! Part-by-part times of the covariance decoders' math on 64 × 250
//! windows (synthetic motor imagery, 45 trials): where the decode and fit
//! times of `cov_latency` go.
//!
//! `cargo bench -p neuroloop-decode --bench spd_parts` prints, per part,
//! the median and minimum of 2000 calls (decode parts) or one timed call
//! (fit parts).

use std::time::Instant;

use faer::Mat;
use neuroloop_decode::linear::{LogisticOptions, fit_logistic};
use neuroloop_decode::spd::{
    CovarianceWorkspace, Estimator, MeanOptions, SymEigen, congruence, covariances, invsqrtm,
    mean_riemann, positive, tangent_space,
};
use neuroloop_decode::synthetic::MotorImagery;

const CALLS: usize = 2000;

fn time(name: &str, mut f: impl FnMut()) {
    for _ in 0..CALLS / 10 {
        f();
    }
    let mut t: Vec<f64> = (0..CALLS)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    println!("{name:28} p50 {:7.1} µs  min {:7.1} µs", t[CALLS / 2], t[0]);
}

fn once<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let s = Instant::now();
    let out = f();
    println!("{name:28} {:7.1} ms", s.elapsed().as_secs_f64() * 1e3);
    out
}

fn main() {
    let (c, t, n) = (64, 250, 45);
    let (x, _) = MotorImagery::new(c, t, 250.0).generate(n, 1);
    let covs = once("fit: covariances", || {
        covariances(Estimator::Lwf, &x, c, t).expect("covariances")
    });
    let mean = once("fit: riemannian mean", || {
        mean_riemann(&covs, None, MeanOptions::default()).expect("mean")
    });
    let vectors = once("fit: tangent vectors", || {
        tangent_space(&covs, mean.as_ref()).expect("tangent vectors")
    });
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    once("fit: logistic regression", || {
        fit_logistic(&vectors.concat(), &labels, 2, &LogisticOptions::default())
            .expect("logistic regression")
    });

    let mut ws = CovarianceWorkspace::new(c, t);
    let mut cov = Mat::zeros(c, c);
    time("decode: covariance (lwf)", || {
        ws.estimate(Estimator::Lwf, &x[..c * t], cov.as_mut())
            .expect("covariance");
    });
    let inv_root = invsqrtm(mean.as_ref()).expect("inverse root");
    let (mut tmp, mut whitened) = (Mat::zeros(c, c), Mat::zeros(c, c));
    time("decode: congruence", || {
        congruence(
            inv_root.as_ref(),
            cov.as_ref(),
            tmp.as_mut(),
            whitened.as_mut(),
        );
    });
    let mut values = SymEigen::new(c, false);
    time("decode: eigenvalues", || {
        values.compute(whitened.as_ref()).expect("eigenvalues");
    });
    let mut full = SymEigen::new(c, true);
    time("decode: eigenvectors", || {
        full.compute(whitened.as_ref()).expect("eigenvectors");
    });
    let mut log = Mat::zeros(c, c);
    time("decode: U log(Λ) Uᵀ", || {
        full.apply("log", positive(f64::ln), log.as_mut())
            .expect("logarithm");
    });
}
