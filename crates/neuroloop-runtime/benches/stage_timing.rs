//! What the per-stage timing itself costs, on against off in the same run:
//!
//! * on the pipeline thread, the window step (the real `Pipeline::step`
//!   that pops a hop, filters nothing, cuts a window, decodes it with a
//!   decoder that costs nothing and sends the intent) of two pipelines fed
//!   the same hops alternately, one stamping `wake`, `filtered` and
//!   `decided`, the other not; in wall time and in the thread's CPU time;
//! * on the forwarder, `LatencyHistograms::record` of the intents each
//!   pipeline sent (the stamped ones also fill the six stage histograms).
//!
//! 64 channels at 1 kHz, 1 s windows every 100 ms (a 64-channel headset
//! streamed over LSL).
//!
//! `cargo bench -p neuroloop-runtime --bench stage_timing [-- --windows N]`
//! (default 3000 windows per side).

#[path = "../tests/handoff_rig/mod.rs"]
mod handoff_rig;

use std::time::Instant;

use handoff_rig::{Rig, thread_cpu_ns};
use neuroloop_core::{Intent, clock};
use neuroloop_runtime::LatencyHistograms;
use neuroloop_runtime::pipeline::Step;

const RIG: Rig = Rig {
    channels: 64,
    samples: 1000,
    hop: 100,
    fs: 1000.0,
};

/// Mean and median of `values`.
fn mean_median(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    (mean, v.get(v.len() / 2).copied().unwrap_or(f64::NAN))
}

/// Per-window step times (wall ns, CPU ns) of each side, and the intents
/// each side sent.
struct Side {
    wall_ns: Vec<f64>,
    cpu_ns: Vec<f64>,
    intents: Vec<Intent>,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let windows: usize = args
        .iter()
        .position(|a| a == "--windows")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let trials = (RIG.samples + windows * RIG.hop) / RIG.samples + 2;
    let signal = RIG.signal(trials, 9);
    let first_window_hop = RIG.samples / RIG.hop - 1;
    let hops = (first_window_hop + windows).min(RIG.hops(&signal));
    let mut sides = [true, false].map(|timing| {
        let (mut pipeline, writer, intents) = RIG.pipeline(RIG.constant(), None);
        pipeline.stage_timing = timing;
        let side = Side {
            wall_ns: Vec::with_capacity(windows),
            cpu_ns: Vec::with_capacity(windows),
            intents: Vec::with_capacity(windows),
        };
        (pipeline, writer, intents, side)
    });
    for h in 0..hops {
        // Alternate which side goes first, so that neither always meets a
        // warm or a cold cache.
        let order = if h % 2 == 0 { [0, 1] } else { [1, 0] };
        for s in order {
            let (pipeline, writer, intents, side) = &mut sides[s];
            RIG.push_hop(writer, &signal, h);
            let (t, cpu) = (Instant::now(), thread_cpu_ns());
            let step = pipeline.step();
            let (wall, cpu) = (t.elapsed().as_nanos() as f64, thread_cpu_ns() - cpu);
            assert_eq!(step, Step::Worked(RIG.hop));
            if h >= first_window_hop {
                side.wall_ns.push(wall);
                side.cpu_ns.push(cpu);
            }
            side.intents.extend(intents.try_iter());
        }
    }
    println!(
        "stage timing cost: {} windows of {} ch x {} samples, hop {} (mean / median, ns)",
        windows, RIG.channels, RIG.samples, RIG.hop
    );
    println!("| side | window step, wall | window step, CPU | forwarder record |");
    println!("|---|---|---|---|");
    let mut rows = Vec::new();
    for ((_, _, _, side), name) in sides.iter_mut().zip(["timed", "not timed"]) {
        let now = clock::now();
        for intent in &mut side.intents {
            intent.times.publish = now;
        }
        let mut histograms = LatencyHistograms::new();
        let mut record_ns = Vec::with_capacity(side.intents.len());
        for intent in &side.intents {
            let t = Instant::now();
            histograms.record(intent);
            record_ns.push(t.elapsed().as_nanos() as f64);
        }
        let row = [
            mean_median(&side.wall_ns),
            mean_median(&side.cpu_ns),
            mean_median(&record_ns),
        ];
        println!(
            "| {name} | {:.0} / {:.0} | {:.0} / {:.0} | {:.0} / {:.0} |",
            row[0].0, row[0].1, row[1].0, row[1].1, row[2].0, row[2].1
        );
        rows.push(row);
    }
    let d = |i: usize| (rows[0][i].0 - rows[1][i].0, rows[0][i].1 - rows[1][i].1);
    let (wall, cpu, record) = (d(0), d(1), d(2));
    println!(
        "| timed − not timed | {:+.0} / {:+.0} | {:+.0} / {:+.0} | {:+.0} / {:+.0} |",
        wall.0, wall.1, cpu.0, cpu.1, record.0, record.1
    );
    let stamped = sides[0]
        .3
        .intents
        .iter()
        .filter(|i| i.times.wake.is_finite());
    let unstamped = sides[1]
        .3
        .intents
        .iter()
        .filter(|i| i.times.wake.is_finite());
    assert_eq!(
        stamped.count(),
        sides[0].3.intents.len(),
        "timed intents carry stamps"
    );
    assert_eq!(unstamped.count(), 0, "untimed intents carry none");
}
