//! What the pipeline thread pays per window when a network decodes on a
//! device: the real pipeline step, timed per call, with
//!
//! * `constant`: a decoder that costs nothing (the pipeline's own work:
//!   ring, windowing, policy, publishing);
//! * `on thread`: the network's plain-Rust form on the pipeline thread
//!   (`device = "cpu"`);
//! * `hand-off (worker: cpu)`: the network's burn forward on the decode
//!   worker (`device = "wgpu"`'s path), the worker driving burn's CPU backend;
//! * `hand-off (worker: wgpu)`: the same on the wgpu device, in a build
//!   with `--features wgpu` (a GPU, or Mesa's lavapipe on the CPU).
//!
//! Hops are pushed at the signal's real rate (one every `hop / fs`); the
//! step that takes a hop (its window handed off or decoded) and the idle
//! steps that publish results coming back from the worker are timed
//! separately, the window step in wall time and in the thread's CPU time. Windows 22 × 1000 at 250 Hz, hop 25 (10 windows/s), a
//! ShallowConvNet with 8 filters.
//!
//! `cargo bench -p neuroloop-runtime --bench handoff_latency [-- --windows N]`
//! (default 300 windows per row).

#[path = "../tests/handoff_rig/mod.rs"]
mod handoff_rig;

use std::time::{Duration, Instant};

use handoff_rig::Rig;
use neuroloop_decode::bundle::Bundle;
use neuroloop_decode::{ComputeDevice, Decoder};
use neuroloop_runtime::decode_worker::Handoff;
use neuroloop_runtime::offload::DeviceOffload;
use neuroloop_runtime::pipeline::Step;

const RIG: Rig = Rig {
    channels: 22,
    samples: 1000,
    hop: 25,
    fs: 250.0,
};

/// The calling thread's CPU time in microseconds: a step's CPU time leaves
/// out the time the thread was preempted (on 2 cores, by the worker's own
/// forward when it runs on the CPU).
fn thread_cpu_us() -> f64 {
    handoff_rig::thread_cpu_ns() / 1e3
}

/// Step times of one row, in microseconds.
struct Row {
    name: String,
    window_steps: Vec<f64>,
    window_steps_cpu: Vec<f64>,
    publishing_steps: Vec<f64>,
    intents: u64,
    late: u64,
}

fn run(
    name: &str,
    decoder: Box<dyn Decoder>,
    offload: Option<DeviceOffload>,
    signal: &[f32],
    windows: usize,
) -> Row {
    let (mut pipeline, mut writer, intents) = RIG.pipeline(decoder, offload);
    let period = Duration::from_secs_f64(RIG.hop as f64 / RIG.fs);
    let first_window_hop = RIG.samples / RIG.hop - 1;
    let hops = (first_window_hop + windows).min(RIG.hops(signal));
    let mut row = Row {
        name: name.into(),
        window_steps: Vec::with_capacity(windows),
        window_steps_cpu: Vec::with_capacity(windows),
        publishing_steps: Vec::new(),
        intents: 0,
        late: 0,
    };
    let start = Instant::now();
    for h in 0..hops {
        RIG.push_hop(&mut writer, signal, h);
        let (t, cpu) = (Instant::now(), thread_cpu_us());
        let step = pipeline.step();
        let (took, cpu) = (t.elapsed(), thread_cpu_us() - cpu);
        assert_eq!(step, Step::Worked(RIG.hop));
        if h >= first_window_hop {
            row.window_steps.push(took.as_secs_f64() * 1e6);
            row.window_steps_cpu.push(cpu);
        }
        // Until the next hop is due: the idle steps the pipeline thread
        // takes while it waits, which publish what the worker returned.
        let due = start + period * (h as u32 + 1);
        while Instant::now() < due {
            let published = pipeline.stats.snapshot().intents;
            let t = Instant::now();
            pipeline.step();
            let took = t.elapsed();
            if pipeline.stats.snapshot().intents > published {
                row.publishing_steps.push(took.as_secs_f64() * 1e6);
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    while pipeline
        .offload
        .as_ref()
        .is_some_and(DeviceOffload::is_busy)
    {
        pipeline.step();
        std::thread::sleep(Duration::from_millis(1));
    }
    let stats = pipeline.stats.snapshot();
    row.intents = intents.try_iter().count() as u64;
    row.late = stats.device.late;
    row
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(values: &[f64]) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    format!(
        "{:.1} / {:.1} / {:.1} / {:.1}",
        percentile(&v, 0.5),
        percentile(&v, 0.99),
        percentile(&v, 0.999),
        v.last().copied().unwrap_or(f64::NAN)
    )
}

fn offload(bundle: &Bundle, device: ComputeDevice) -> DeviceOffload {
    let network = bundle.model().batch_decoder(device).expect("burn forward");
    let handoff = Handoff::spawn(Some(network), None, RIG.channels * RIG.samples).unwrap();
    // Warm-up (kernels compiled, buffers sized) happens in a session before
    // the first window; here the first batches pay it, so the deadline is
    // generous: this measures the pipeline's side, not the device's.
    DeviceOffload::new(handoff, 10.0, false)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let windows = args
        .iter()
        .position(|a| a == "--windows")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(300usize);
    let dir = std::env::temp_dir().join(format!("neuroloop-handoff-bench-{}", std::process::id()));
    eprintln!("training a ShallowConvNet on synthetic motor imagery (22 x 1000)...");
    let bundle = RIG.bundle(&dir, 8);
    let trials = (RIG.samples + windows * RIG.hop) / RIG.samples + 2;
    let signal = RIG.signal(trials, 9);

    let mut rows = vec![
        run("constant", RIG.constant(), None, &signal, windows),
        run(
            "on thread",
            Bundle::load(&dir).unwrap().into_decoder().unwrap(),
            None,
            &signal,
            windows,
        ),
        run(
            "hand-off (worker: cpu)",
            Bundle::load(&dir).unwrap().into_decoder().unwrap(),
            Some(offload(&bundle, ComputeDevice::Cpu)),
            &signal,
            windows,
        ),
    ];
    if ComputeDevice::Wgpu.is_built() {
        rows.push(run(
            "hand-off (worker: wgpu)",
            Bundle::load(&dir).unwrap().into_decoder().unwrap(),
            Some(offload(&bundle, ComputeDevice::Wgpu)),
            &signal,
            windows,
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "| decoding | window step p50 / p99 / p99.9 / max µs | its CPU time p50 / p99 / p99.9 / max µs | publishing step p50 / p99 / p99.9 / max µs | intents | late |"
    );
    println!("|---|---|---|---|---|---|");
    for row in &rows {
        let publishing = if row.publishing_steps.is_empty() {
            "— (published in the window step)".to_string()
        } else {
            summary(&row.publishing_steps)
        };
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            summary(&row.window_steps),
            summary(&row.window_steps_cpu),
            publishing,
            row.intents,
            row.late
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n{windows} windows per row at the real hop rate; load average {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
