//! What Euclidean alignment adds to one decode of EEGNet: the same network
//! fitted with `align` off and on (one pass over synthetic epochs; the
//! weights do not change the cost), each real-time decoder timed per
//! window after a warm-up, at 22×1000, 64×256 and 64×560 (the motor
//! imagery epochs of the shared recordings: 3.5 s at 160 Hz).
//!
//! `cargo bench -p neuroloop-decode --bench align_latency`

use std::time::Instant;

use faer::Mat;
use neuroloop_core::Window;
use neuroloop_decode::Decoder;
use neuroloop_decode::align::{RunningCovarianceMean, Whitener};
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::spd::{CovarianceWorkspace, Estimator};
use neuroloop_decode::synthetic::MotorImagery;

const SHAPES: [(usize, usize); 3] = [(22, 1000), (64, 256), (64, 560)];
const CALLS: usize = 500;
const EPOCHS: usize = 16;

/// p50 and p99 in µs of `CALLS` decodes after `CALLS / 10` warm-up calls.
fn latency(decoder: &mut dyn Decoder, data: &EpochSet) -> (f64, f64) {
    let mut p = [0.0_f32; 2];
    let mut call = |i: usize| {
        let window = Window {
            index: i as u64,
            channels: data.channels,
            samples: data.samples,
            data: data.epoch(i % data.len()),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, &mut p).expect("decode");
    };
    (0..CALLS / 10).for_each(&mut call);
    let mut us: Vec<f64> = (0..CALLS)
        .map(|i| {
            let start = Instant::now();
            call(i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Median µs of `CALLS` calls of `f`.
fn median(mut f: impl FnMut(usize)) -> f64 {
    let mut us: Vec<f64> = (0..CALLS)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    us[CALLS / 2]
}

/// The three parts of one alignment step, each timed alone.
fn parts(data: &EpochSet) {
    let n = data.channels;
    let mut workspace = CovarianceWorkspace::new(n, data.samples);
    let mut cov = Mat::zeros(n, n);
    let covariance = median(|i| {
        let x = data.epoch(i % data.len());
        workspace
            .estimate(Estimator::Scm, x, cov.as_mut())
            .expect("cov");
    });
    let mut mean = RunningCovarianceMean::new(cov.clone(), 100).expect("mean");
    let update = median(|_| mean.update(cov.as_ref()).expect("update"));
    let mut out = vec![0.0_f32; data.epoch_len()];
    let mut whitener = Whitener::new(n, data.samples);
    let whiten = median(|i| {
        whitener.whiten(mean.inv_root(), data.epoch(i % data.len()), &mut out);
    });
    println!(
        "parts at {n}×{}: covariance {covariance:.0} µs, mean update with R^(-1/2) {update:.0} µs, whitening {whiten:.0} µs",
        data.samples
    );
}

fn main() {
    let options = FitOptions {
        max_epochs: 1,
        min_epochs: 1,
        ..FitOptions::default()
    };
    println!("| shape | align | decode p50 | decode p99 |");
    println!("|---|---|---|---|");
    for (channels, samples) in SHAPES {
        let (x, labels) = MotorImagery::new(channels, samples, 160.0).generate(EPOCHS, 1);
        let x = x.into_iter().map(|v| v * 1e-5).collect();
        let classes = vec!["left".to_string(), "right".to_string()];
        let data = EpochSet::new(channels, samples, 160.0, classes, x, labels).expect("epochs");
        parts(&data);
        for align in [false, true] {
            let spec =
                ModelSpec::with_spec("eegnet", &Hyperparameters::default().with("align", align))
                    .unwrap();
            let model = fit(&spec, &data, &options, &mut |_| {}).expect("fit");
            let mut decoder = model.into_decoder().expect("decoder");
            let (p50, p99) = latency(decoder.as_mut(), &data);
            println!("| {channels}×{samples} | {align} | {p50:.0} µs | {p99:.0} µs |");
        }
    }
}
