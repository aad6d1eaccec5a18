//! Time of one training step of the faithful burn nets: forward, cross
//! entropy, backward and an Adam step under autodiff on the flex CPU
//! backend, batch 32 of 22 × 1000 windows, 4 classes.
//!
//! Run with `cargo bench -p neuroloop-decode --bench train_step`; add
//! `-- --json` for one JSON object per model on stdout (read by
//! tools/decode/bench_vs_pytorch.py). Prints p50 and max over 20 steps
//! after 3 warm-up steps.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_decode::{EEGNet, EEGNetConfig, ShallowConvNet, ShallowConvNetConfig};

const BATCH: usize = 32;
const CHANS: usize = 22;
const TIMES: usize = 1000;
const CLASSES: usize = 4;
const WARMUP: usize = 3;
const STEPS: usize = 20;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let device = Device::flex().autodiff();
    let eegnet = EEGNetConfig::new(CHANS, CLASSES, TIMES)
        .init(&device)
        .expect("EEGNet config");
    report("EEGNet", json, bench(eegnet, EEGNet::forward, &device));
    let shallow = ShallowConvNetConfig::new(CHANS, CLASSES, TIMES)
        .init(&device)
        .expect("ShallowConvNet config");
    report(
        "ShallowConvNet",
        json,
        bench(shallow, ShallowConvNet::forward, &device),
    );
}

/// Step times in milliseconds, sorted.
fn bench<M: Module + 'static>(
    mut model: M,
    forward: fn(&M, Tensor<3>) -> Tensor<2>,
    device: &Device,
) -> Vec<f64> {
    let mut optimizer = AdamConfig::new().init();
    let (x, y) = batch(device);
    let mut times = Vec::with_capacity(STEPS);
    for step in 0..WARMUP + STEPS {
        let t0 = Instant::now();
        let loss = (log_softmax(forward(&model, x.clone()), 1) * y.clone())
            .sum_dim(1)
            .mean()
            .neg();
        let value: f32 = loss.clone().into_scalar();
        assert!(value.is_finite(), "loss diverged");
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(1e-3, model, grads);
        if step >= WARMUP {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

/// A deterministic batch: noise-like inputs and one-hot labels.
fn batch(device: &Device) -> (Tensor<3>, Tensor<2>) {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let x: Vec<f32> = (0..BATCH * CHANS * TIMES)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    let mut y = vec![0.0_f32; BATCH * CLASSES];
    for (i, row) in y.chunks_exact_mut(CLASSES).enumerate() {
        row[i % CLASSES] = 1.0;
    }
    (
        Tensor::from_data(TensorData::new(x, [BATCH, CHANS, TIMES]), device),
        Tensor::from_data(TensorData::new(y, [BATCH, CLASSES]), device),
    )
}

fn report(model: &str, json: bool, times: Vec<f64>) {
    let p50 = times[times.len() / 2];
    let max = times[times.len() - 1];
    if json {
        println!(
            "{{\"model\":\"{model}\",\"batch\":{BATCH},\"n_chans\":{CHANS},\"n_times\":{TIMES},\
             \"steps\":{STEPS},\"p50_ms\":{p50:.3},\"max_ms\":{max:.3}}}"
        );
    } else {
        println!(
            "{model:<16} train step, batch {BATCH} x {CHANS}ch x {TIMES}: \
             p50 {p50:8.2} ms  max {max:8.2} ms  ({STEPS} steps)"
        );
    }
}
