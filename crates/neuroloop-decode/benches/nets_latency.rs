//! Single-window latency of the EEGNet and ShallowConvNet decoders.
//!
//! Batch 1 at 22×1000 and 64×256 (4 classes): the folded inference forms
//! (`Decoder::decode`, softmax included) and, for reference, the faithful
//! burn forward in eval mode on the flex CPU backend (tensor in, softmax
//! probabilities read back). Plain `Instant` timing per call after a
//! warm-up; prints p50 and p99 per model and shape.
//!
//! `cargo bench -p neuroloop-decode --bench nets_latency [-- --json]`:
//! `--json` prints one JSON array of `{model, form, shape, calls, p50_ms,
//! p99_ms}` records instead of the table.

use std::hint::black_box;
use std::time::Instant;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{
    Decoder, EEGNetConfig, EEGNetInference, ShallowConvNetConfig, ShallowConvNetInference,
};

const SHAPES: [(usize, usize); 2] = [(22, 1000), (64, 256)];
const CLASSES: usize = 4;

struct Record {
    model: &'static str,
    form: &'static str,
    chans: usize,
    times: usize,
    calls: usize,
    p50_ms: f64,
    p99_ms: f64,
}

/// Times `calls` calls of `f` after `calls / 10 + 3` warm-up calls.
fn time(calls: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    for i in 0..calls / 10 + 3 {
        f(i);
    }
    let mut ms: Vec<f64> = (0..calls)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn decoder_latency(decoder: &mut dyn Decoder, windows: &[f32], calls: usize) -> (f64, f64) {
    let (chans, times) = decoder.input_shape();
    let len = chans * times;
    let n = windows.len() / len;
    let mut p = vec![0.0_f32; CLASSES];
    time(calls, |i| {
        let k = i % n;
        let w = Window {
            index: i as u64,
            channels: chans,
            samples: times,
            data: &windows[k * len..(k + 1) * len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(black_box(&w), &mut p).expect("decode");
        black_box(&p);
    })
}

fn burn_latency(
    forward: impl Fn(Tensor<3>) -> Tensor<2>,
    windows: &[f32],
    chans: usize,
    times: usize,
    calls: usize,
    device: &Device,
) -> (f64, f64) {
    let len = chans * times;
    let n = windows.len() / len;
    time(calls, |i| {
        let k = i % n;
        let data = TensorData::new(windows[k * len..(k + 1) * len].to_vec(), [1, chans, times]);
        let p = softmax(forward(Tensor::from_data(data, device)), 1);
        black_box(p.into_data());
    })
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let device = Device::flex();
    let classes: Vec<String> = (0..CLASSES).map(|i| format!("c{i}")).collect();
    let mut records = Vec::new();
    for (chans, times) in SHAPES {
        let (windows, _) = MotorImagery::new(chans, times, 250.0).generate(16, 1);
        let eegnet = EEGNetConfig::new(chans, CLASSES, times)
            .init(&device)
            .expect("EEGNet");
        let shallow = ShallowConvNetConfig::new(chans, CLASSES, times)
            .init(&device)
            .expect("ShallowConvNet");
        let mut eegnet_fast = EEGNetInference::from_model(&eegnet, classes.clone()).expect("fold");
        let mut shallow_fast =
            ShallowConvNetInference::from_model(&shallow, classes.clone()).expect("fold");
        let mut push = |model, form, calls, (p50_ms, p99_ms): (f64, f64)| {
            records.push(Record {
                model,
                form,
                chans,
                times,
                calls,
                p50_ms,
                p99_ms,
            });
        };
        push(
            "EEGNet",
            "inference",
            3000,
            decoder_latency(&mut eegnet_fast, &windows, 3000),
        );
        push(
            "ShallowConvNet",
            "inference",
            1000,
            decoder_latency(&mut shallow_fast, &windows, 1000),
        );
        let f = |x| eegnet.forward(x);
        push(
            "EEGNet",
            "burn",
            40,
            burn_latency(f, &windows, chans, times, 40, &device),
        );
        let f = |x| shallow.forward(x);
        push(
            "ShallowConvNet",
            "burn",
            40,
            burn_latency(f, &windows, chans, times, 40, &device),
        );
    }
    if json {
        let items: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "{{\"model\":\"{}\",\"form\":\"{}\",\"shape\":[{},{}],\"calls\":{},\
                     \"p50_ms\":{:.4},\"p99_ms\":{:.4}}}",
                    r.model, r.form, r.chans, r.times, r.calls, r.p50_ms, r.p99_ms
                )
            })
            .collect();
        println!("[{}]", items.join(","));
    } else {
        println!(
            "{:<16} {:<10} {:>8} {:>6} {:>10} {:>10}",
            "model", "form", "shape", "calls", "p50 ms", "p99 ms"
        );
        for r in &records {
            println!(
                "{:<16} {:<10} {:>8} {:>6} {:>10.3} {:>10.3}",
                r.model,
                r.form,
                format!("{}x{}", r.chans, r.times),
                r.calls,
                r.p50_ms,
                r.p99_ms
            );
        }
    }
}
