//! Decode latency and throughput of the three networks' burn forward on a
//! compute device, at batch 1, 8 and 64 — what a live session with
//! `[decoder] device = "wgpu"` runs on its decode worker.
//!
//! EEGNet and ShallowConvNet at 22 × 1000 (4 classes), the patch
//! transformer at 22 × 1000 with 50-sample patches. Each call is one
//! `BatchDecoder::decode_batch`: the windows copied to the device, the
//! forward, softmax, the probabilities read back. Plain `Instant` timing
//! per call after a warm-up (the kernels compiled and tuned); p50 and p99
//! per call and windows/s (batch × calls / total time). The first call of
//! each size is timed on its own (`first_call_ms`): kernel compilation and
//! autotuning, what a session's warm-up pays before its first window.
//!
//! With `--weights DIR`, EEGNet and ShallowConvNet load braindecode state
//! dicts `DIR/eegnet.pt` and `DIR/shallow.pt` (written by
//! `tools/gpu/torch_latency.py`), so both sides run the same weights.
//!
//! `cargo bench -p neuroloop-decode --features wgpu --bench device_latency --
//! [--device wgpu|cuda|cpu] [--calls N] [--weights DIR] [--json]`

use std::path::PathBuf;
use std::time::Instant;

use neuroloop_decode::fit::{BatchDecoder, DeviceNetwork};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{ComputeDevice, DecodeError, EEGNetConfig, ShallowConvNetConfig};

const CHANS: usize = 22;
const TIMES: usize = 1000;
const CLASSES: usize = 4;
const BATCHES: [usize; 3] = [1, 8, 64];

struct Args {
    device: ComputeDevice,
    calls: usize,
    weights: Option<PathBuf>,
    json: bool,
}

fn args() -> Args {
    let mut a = Args {
        device: if ComputeDevice::Wgpu.is_built() {
            ComputeDevice::Wgpu
        } else {
            ComputeDevice::Cpu
        },
        calls: 200,
        weights: None,
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--device" => {
                let name = it.next().unwrap_or_default();
                a.device = ComputeDevice::parse(&name).unwrap_or_else(|e| panic!("--device: {e}"));
            }
            "--calls" => a.calls = it.next().and_then(|n| n.parse().ok()).expect("--calls N"),
            "--weights" => a.weights = it.next().map(PathBuf::from),
            "--json" => a.json = true,
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// The three networks on `device`, with imported weights where given.
/// Named networks on a device.
type Networks = Vec<(&'static str, Box<dyn BatchDecoder>)>;

fn networks(a: &Args) -> Result<Networks, DecodeError> {
    let classes: Vec<String> = (0..CLASSES).map(|c| format!("c{c}")).collect();
    let cpu = burn::tensor::Device::flex();
    let eegnet = EEGNetConfig::new(CHANS, CLASSES, TIMES).init(&cpu)?;
    let shallow = ShallowConvNetConfig::new(CHANS, CLASSES, TIMES).init(&cpu)?;
    let (eegnet, shallow) = match &a.weights {
        Some(dir) => (
            neuroloop_decode::import::load_pytorch(dir.join("eegnet.pt"), eegnet)?,
            neuroloop_decode::import::load_pytorch(dir.join("shallow.pt"), shallow)?,
        ),
        None => (eegnet, shallow),
    };
    let transformer = neuroloop_decode::TransformerConfig::new(CHANS, CLASSES, TIMES)
        .with_patch_len(50)
        .init(&cpu)?;
    let shape = (CHANS, TIMES);
    Ok(vec![
        (
            "EEGNet",
            eegnet.on_device(classes.clone(), shape, a.device)?,
        ),
        (
            "ShallowConvNet",
            shallow.on_device(classes.clone(), shape, a.device)?,
        ),
        (
            "transformer",
            transformer.on_device(classes, shape, a.device)?,
        ),
    ])
}

fn main() -> Result<(), DecodeError> {
    let a = args();
    // A missing driver is an error here, not a panic in the first forward.
    a.device.probe()?;
    let (x, _) = MotorImagery::new(CHANS, TIMES, 250.0).generate(64, 1);
    let mut records = Vec::new();
    for (name, mut net) in networks(&a)? {
        for batch in BATCHES {
            let windows = &x[..batch * CHANS * TIMES];
            let mut p = vec![0.0; batch * CLASSES];
            // The first call compiles and tunes this size's kernels: what a
            // session's warm-up pays once per batch size.
            let first = Instant::now();
            let warmed = net.decode_batch(windows, batch, &mut p);
            let first_ms = first.elapsed().as_secs_f64() * 1e3;
            // A size the device cannot take (a buffer above its limit) is
            // recorded as such; the other sizes still run.
            if let Err(e) = warmed.and_then(|()| {
                (0..a.calls / 10 + 3).try_for_each(|_| net.decode_batch(windows, batch, &mut p))
            }) {
                let error = e.to_string();
                let error = error.lines().last().unwrap_or_default().to_string();
                eprintln!("{name} batch {batch}: {error}");
                records.push(serde_json::json!({
                    "model": name, "device": a.device.name(), "batch": batch, "error": error,
                }));
                continue;
            }
            let started = Instant::now();
            let mut ms: Vec<f64> = (0..a.calls)
                .map(|_| {
                    let t = Instant::now();
                    net.decode_batch(windows, batch, &mut p).expect("decode");
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            let total = started.elapsed().as_secs_f64();
            ms.sort_by(f64::total_cmp);
            let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
            let record = serde_json::json!({
                "model": name, "device": a.device.name(), "batch": batch,
                "calls": a.calls, "first_call_ms": first_ms, "p50_ms": at(0.5), "p99_ms": at(0.99),
                "windows_per_s": (batch * a.calls) as f64 / total,
            });
            if !a.json {
                println!(
                    "{name:<15} {:<5} batch {batch:>2}: first {first_ms:9.1} ms  p50 {:8.3} ms  p99 {:8.3} ms  {:10.0} windows/s",
                    a.device.name(),
                    at(0.5),
                    at(0.99),
                    record["windows_per_s"].as_f64().unwrap_or(0.0)
                );
            }
            records.push(record);
        }
    }
    if a.json {
        println!("{}", serde_json::Value::Array(records));
    }
    Ok(())
}
