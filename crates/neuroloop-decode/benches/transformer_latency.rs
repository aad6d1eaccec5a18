//! Latency of one transformer decode, batch 1: the real-time form
//! ([`TransformerInference`]) and, for comparison, the burn eval forward
//! pass plus softmax on the flex CPU backend. Default widths (d_model 32,
//! 4 heads, 2 layers, d_ff 64), 4 classes, random weights.
//!
//! Run with `cargo bench -p neuroloop-decode --bench transformer_latency`;
//! add `-- --json` for one JSON object per shape and form on stdout.
//! Prints the minimum, p50 and p99 in microseconds (the minimum shows the
//! cost without contention on a shared machine).

use std::time::Instant;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{Decoder, TransformerConfig, TransformerInference};

const CLASSES: usize = 4;
const WARMUP: usize = 20;
const CALLS: usize = 1_000;
const BURN_CALLS: usize = 100;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    run(json, 22, 1000, 25);
    run(json, 64, 256, 32);
}

fn run(json: bool, n_chans: usize, n_times: usize, patch_len: usize) {
    let config = TransformerConfig::new(n_chans, CLASSES, n_times).with_patch_len(patch_len);
    let device = Device::flex();
    device.seed(1);
    let model = config.init(&device).expect("transformer config");
    let classes = (0..CLASSES).map(|i| format!("c{i}")).collect();
    let mut decoder = TransformerInference::from_model(&model, classes).expect("inference form");
    let n = 16;
    let len = n_chans * n_times;
    let (x, _) = MotorImagery::new(n_chans, n_times, 250.0).generate(n, 1);

    let mut p = [0.0_f32; CLASSES];
    let mut times = Vec::with_capacity(CALLS);
    for i in 0..WARMUP + CALLS {
        let w = Window {
            index: i as u64,
            channels: n_chans,
            samples: n_times,
            data: &x[(i % n) * len..(i % n + 1) * len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let t0 = Instant::now();
        decoder.decode(&w, &mut p).expect("decode");
        if i >= WARMUP {
            times.push(t0.elapsed().as_secs_f64() * 1e6);
        }
    }
    report(json, "inference", &config, &mut times);

    let mut times = Vec::with_capacity(BURN_CALLS);
    for i in 0..WARMUP.min(5) + BURN_CALLS {
        let window = x[(i % n) * len..(i % n + 1) * len].to_vec();
        let t0 = Instant::now();
        let input = Tensor::from_data(TensorData::new(window, [1, n_chans, n_times]), &device);
        let probabilities = softmax(model.forward(input), 1).into_data();
        if i >= WARMUP.min(5) {
            times.push(t0.elapsed().as_secs_f64() * 1e6);
        }
        std::hint::black_box(probabilities);
    }
    report(json, "burn_forward", &config, &mut times);
}

fn report(json: bool, form: &str, config: &TransformerConfig, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let (min, p50, p99) = (times[0], at(0.50), at(0.99));
    let (c, t, patch, tokens) = (
        config.n_chans,
        config.n_times,
        config.patch_len,
        config.n_tokens(),
    );
    if json {
        println!(
            "{{\"model\":\"transformer\",\"form\":\"{form}\",\"n_chans\":{c},\"n_times\":{t},\
             \"patch_len\":{patch},\"tokens\":{tokens},\"calls\":{},\"min_us\":{min:.1},\
             \"p50_us\":{p50:.1},\"p99_us\":{p99:.1}}}",
            times.len()
        );
    } else {
        println!(
            "transformer {c}ch x {t} (patch {patch}, {tokens} tokens), {form:<12}: \
             min {min:9.1} us  p50 {p50:9.1} us  p99 {p99:9.1} us  ({} calls)",
            times.len()
        );
    }
}
