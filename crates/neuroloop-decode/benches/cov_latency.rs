//! Fit and decode times of the covariance decoders on given epochs, for the
//! same-run comparison with pyriemann (`tools/decode/bench_cov_latency.py`
//! writes the epochs, runs this, then times pyriemann on the same data).
//!
//! `cargo bench -p neuroloop-decode --bench cov_latency -- EPOCHS.f32 N C T RATE [ARCH...]`
//! reads `N × C × T` little-endian f32 values (labels alternate 0, 1),
//! fits each architecture (default `tangent_space`; `NAME:{JSON}` sets
//! hyperparameters, e.g. `tangent_space:{"recenter":true}`) 5 times on all epochs
//! and decodes 2000 windows (the epochs in turn, after 100 warm-up calls),
//! and prints one JSON line per architecture: the median fit time and the
//! decode p50, p99 and minimum in microseconds. With no arguments it runs
//! on synthetic motor imagery (45 × 64 × 250 at 250 Hz).

use std::time::Instant;

use neuroloop_core::Window;
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;

const FITS: usize = 5;
const CALLS: usize = 2000;
const WARMUP: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let (data, n, c, t, rate, archs) = if args.len() >= 5 {
        let bytes = std::fs::read(&args[0]).expect("epochs file");
        let data: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let parse = |i: usize| args[i].parse::<usize>().expect("a whole number");
        let rate: f64 = args[4].parse().expect("a rate");
        let archs: Vec<String> = args[5..].to_vec();
        (data, parse(1), parse(2), parse(3), rate, archs)
    } else {
        let (x, _) = MotorImagery::new(64, 250, 250.0).generate(45, 1);
        (x, 45, 64, 250, 250.0, Vec::new())
    };
    assert_eq!(data.len(), n * c * t, "epochs file size");
    let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
    let set =
        EpochSet::new(c, t, rate, vec!["a".into(), "b".into()], data, labels).expect("epochs");
    let archs = if archs.is_empty() {
        vec!["tangent_space".to_string()]
    } else {
        archs
    };
    for arch in &archs {
        run(arch, &set);
    }
}

/// `NAME` or `NAME:{JSON hyperparameters}`.
fn spec(arch: &str) -> ModelSpec {
    match arch.split_once(':') {
        None => ModelSpec::named(arch).expect("architecture"),
        Some((name, json)) => {
            let map = serde_json::from_str(json).expect("hyperparameters: a JSON object");
            ModelSpec::with_hyperparameters(name, map).expect("hyperparameters")
        }
    }
}

fn run(arch: &str, set: &EpochSet) {
    let spec = spec(arch);
    let mut fits = Vec::with_capacity(FITS);
    let mut model = None;
    for _ in 0..FITS {
        let started = Instant::now();
        model = Some(fit(&spec, set, &FitOptions::default(), &mut |_| {}).expect("fit"));
        fits.push(started.elapsed().as_secs_f64());
    }
    fits.sort_by(f64::total_cmp);
    let mut decoder = model.expect("fitted").into_decoder().expect("decoder");
    let mut p = [0.0_f32; 2];
    let mut times = Vec::with_capacity(CALLS);
    for i in 0..CALLS + WARMUP {
        let k = i % set.len();
        let w = Window {
            index: i as u64,
            channels: set.channels,
            samples: set.samples,
            data: set.epoch(k),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let started = Instant::now();
        decoder.decode(&w, &mut p).expect("decode");
        if i >= WARMUP {
            times.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let q = |f: f64| times[((times.len() - 1) as f64 * f).round() as usize];
    println!(
        "{{\"architecture\": {arch:?}, \"epochs\": {}, \"channels\": {}, \"samples\": {}, \
         \"fit_s_median\": {:.6}, \"decode_us_p50\": {:.1}, \"decode_us_p99\": {:.1}, \"decode_us_min\": {:.1}}}",
        set.len(),
        set.channels,
        set.samples,
        fits[FITS / 2],
        q(0.5),
        q(0.99),
        times[0]
    );
}
