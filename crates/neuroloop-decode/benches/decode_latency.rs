//! Latency of one `decode` call (features + burn model, batch 1) on one core.
//!
//! Run with `cargo bench -p neuroloop-decode --bench decode_latency`.
//! Prints p50/p99 of the whole call and of the feature stage alone.

use std::time::Instant;

use neuroloop_core::Window;
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{BandpowerConfig, BandpowerFeatures, check_finite, check_window};

const CALLS: usize = 5_000;
const WARMUP: usize = 200;

fn main() {
    run("16ch x 250 @ 250 Hz, bands 8-13, 13-30", 16, 250, 250.0);
    run("64ch x 500 @ 1000 Hz, bands 8-13, 13-30", 64, 500, 1000.0);
}

fn run(name: &str, channels: usize, samples: usize, rate: f64) {
    let config = BandpowerConfig::new(
        channels,
        samples,
        rate,
        vec![[8.0, 13.0], [13.0, 30.0]],
        vec!["left".into(), "right".into()],
    );
    let n = 64;
    let (x, y) = MotorImagery::new(channels, samples, rate).generate(n, 1);
    let set = EpochSet::new(
        channels,
        samples,
        rate,
        config.classes.clone(),
        x.clone(),
        y,
    )
    .expect("epochs");
    let spec = ModelSpec::named("bandpower").expect("bandpower");
    let model = fit(&spec, &set, &FitOptions::default(), &mut |_| {}).expect("training");
    let mut decoder = model.into_decoder().expect("decoder");
    let mut extractor = BandpowerFeatures::new(&config);

    let len = channels * samples;
    let window = |i: usize| Window {
        index: i as u64,
        channels,
        samples,
        data: &x[(i % n) * len..(i % n + 1) * len],
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    };
    let mut p = [0.0_f32; 2];
    let mut features = vec![0.0_f32; config.n_features()];
    let mut total = Vec::with_capacity(CALLS);
    let mut feature_only = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let w = window(i);
        let t0 = Instant::now();
        decoder.decode(&w, &mut p).expect("decode");
        let t1 = Instant::now();
        check_window(&w, channels, samples).expect("window");
        check_finite(w.data, samples).expect("finite");
        extractor.compute(w.data, &mut features);
        let t2 = Instant::now();
        if i >= WARMUP {
            total.push((t1 - t0).as_secs_f64() * 1e6);
            feature_only.push((t2 - t1).as_secs_f64() * 1e6);
        }
    }
    let (p50, p99) = percentiles(&mut total);
    let (f50, f99) = percentiles(&mut feature_only);
    println!(
        "{name}: decode p50 {p50:.1} us, p99 {p99:.1} us; features p50 {f50:.1} us, p99 {f99:.1} us ({CALLS} calls)"
    );
}

fn percentiles(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99))
}
