//! The hand-off to the decode worker of `[decoder] device = "wgpu"`, as the
//! pipeline thread sees it: the real pipeline step with a network whose
//! burn forward runs on the worker thread.
//!
//! The worker here drives burn's CPU backend (`flex`), so these tests run
//! in every build: the hand-off, the batching, the deadline and the `late`
//! holds are the same code whatever device the worker drives (the wgpu
//! device itself: `tests/wgpu_session.rs`, built with `--features wgpu`).
//!
//! * With the hand-off configured, the pipeline thread allocates nothing
//!   per window (the tensors are the worker's), and its intents equal, window
//!   by window, those of the same network decoded on the pipeline thread.
//! * A worker slowed on purpose: every window becomes a `late` hold,
//!   counted, and no result that comes back afterwards becomes an intent.

mod counting;
mod handoff_rig;

use std::path::Path;
use std::time::{Duration, Instant};

use counting::count;
use handoff_rig::Rig;
use neuroloop_core::{HoldReason, Intent, IntentKind};
use neuroloop_decode::ComputeDevice;
use neuroloop_decode::bundle::Bundle;
use neuroloop_runtime::decode_worker::{Handoff, SLOTS};
use neuroloop_runtime::offload::DeviceOffload;
use neuroloop_runtime::pipeline::{Pipeline, Step};

const CH: usize = 4;
const SAMPLES: usize = 250;
const HOP: usize = 25;
const RIG: Rig = Rig {
    channels: CH,
    samples: SAMPLES,
    hop: HOP,
    fs: 250.0,
};

/// Twelve trials of another seed than training.
fn signal() -> Vec<f32> {
    RIG.signal(12, 9)
}

fn push_hop(writer: &mut neuroloop_core::ring::RingWriter, signal: &[f32], h: usize) {
    RIG.push_hop(writer, signal, h);
}

/// Steps until `done` holds, counting the allocations of every step;
/// fails after 60 s.
fn step_until(pipeline: &mut Pipeline, mut done: impl FnMut(&Pipeline) -> bool) -> u64 {
    let start = Instant::now();
    let mut allocations = 0;
    while !done(pipeline) {
        assert!(start.elapsed() < Duration::from_secs(60), "waited 60 s");
        let (_, n) = count(|| pipeline.step());
        allocations += n;
    }
    allocations
}

#[test]
fn the_hand_off_allocates_nothing_and_gives_the_pipeline_threads_intents() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("device-handoff");
    let loaded = RIG.bundle(&dir, 4);
    let network = loaded.model().batch_decoder(ComputeDevice::Cpu).unwrap();
    let handoff = Handoff::spawn(Some(network), None, CH * SAMPLES).unwrap();
    let offload = DeviceOffload::new(handoff, 10.0, false);
    let (mut on_worker, mut writer, intents) =
        RIG.pipeline(loaded.into_decoder().unwrap(), Some(offload));
    let (mut on_thread, mut writer2, intents2) =
        RIG.pipeline(Bundle::load(&dir).unwrap().into_decoder().unwrap(), None);

    let signal = signal();
    let busy = |p: &Pipeline| p.offload.as_ref().is_some_and(DeviceOffload::is_busy);
    let mut allocations = Vec::new();
    for round in 0..12 {
        // Several hops at once, so that windows queue and go in batches.
        for h in round * 8..(round + 1) * 8 {
            push_hop(&mut writer, &signal, h);
            push_hop(&mut writer2, &signal, h);
            let (step, n) = count(|| on_worker.step());
            assert_eq!(step, Step::Worked(HOP));
            allocations.push(n);
            assert_eq!(on_thread.step(), Step::Worked(HOP));
        }
        allocations.push(step_until(&mut on_worker, |p| !busy(p)));
    }
    assert!(
        allocations.iter().all(|&n| n == 0),
        "the pipeline thread allocated: {allocations:?}"
    );

    let worker: Vec<Intent> = intents.try_iter().collect();
    let thread: Vec<Intent> = intents2.try_iter().collect();
    // 96 hops of 25 samples, 250-sample windows: 96 - 10 + 1.
    assert_eq!(thread.len(), 87);
    assert_eq!(worker.len(), thread.len());
    let stats = on_worker.stats.snapshot();
    assert_eq!(
        (stats.decoded, stats.device.offloaded),
        (87, 87),
        "{stats:?}"
    );
    assert_eq!(stats.device.late, 0, "{stats:?}");
    let mut classes = [0; 2];
    for (w, t) in worker.iter().zip(&thread) {
        assert_eq!(w.window, t.window, "in window order");
        assert_eq!(
            (w.kind, w.class, w.hold_reason),
            (t.kind, t.class, t.hold_reason)
        );
        let (pw, pt) = (w.probabilities(), t.probabilities());
        let diff = pw
            .iter()
            .zip(pt)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(diff < 1e-4, "window {}: {pw:?} vs {pt:?}", w.window);
        // Every stage stamped, in data-path order, on both paths (a stamp
        // left at 0 or taken out of order breaks the chain).
        for i in [w, t] {
            let s = &i.times;
            let chain = [
                s.arrival,
                s.wake,
                s.filtered,
                s.decode_start,
                s.decode_end,
                s.decided,
            ];
            assert!(
                s.arrival > 0.0 && chain.windows(2).all(|p| p[0] <= p[1]),
                "window {}: {s:?}",
                i.window
            );
        }
        classes[usize::from(w.class)] += 1;
    }
    eprintln!("classes decoded on the worker: {classes:?}");
    assert!(
        classes[0] > 0 && classes[1] > 0,
        "both classes occur: {classes:?}"
    );
}

#[test]
fn a_slow_worker_yields_late_holds_and_never_a_stale_intent() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("device-late");
    let loaded = RIG.bundle(&dir, 4);
    let network = loaded.model().batch_decoder(ComputeDevice::Cpu).unwrap();
    // Every batch takes 300 ms longer than its forward; the deadline is 20 ms.
    let slow = Duration::from_millis(300);
    let handoff = Handoff::spawn_slowed(Some(network), None, CH * SAMPLES, slow).unwrap();
    let offload = DeviceOffload::new(handoff, 0.020, false);
    let (mut p, mut writer, intents) = RIG.pipeline(loaded.into_decoder().unwrap(), Some(offload));

    let signal = signal();
    let hops = 40;
    let mut allocations = 0;
    for h in 0..hops {
        push_hop(&mut writer, &signal, h);
        let (step, n) = count(|| p.step());
        assert_eq!(step, Step::Worked(HOP));
        allocations += n;
    }
    let windows = (hops - SAMPLES / HOP + 1) as u64;
    // Every window is decided once its deadline has passed...
    allocations += step_until(&mut p, |p| p.stats.snapshot().intents == windows);
    // ...and every slot comes back from the worker; its results are dropped.
    let in_flight = |p: &Pipeline| p.offload.as_ref().map_or(0, DeviceOffload::in_flight);
    allocations += step_until(&mut p, |p| in_flight(p) == 0);
    for _ in 0..10 {
        let (_, n) = count(|| p.step());
        allocations += n;
    }
    assert_eq!(allocations, 0, "the pipeline thread allocated");

    let published: Vec<Intent> = intents.try_iter().collect();
    assert_eq!(published.len() as u64, windows, "one decision per window");
    for (i, intent) in published.iter().enumerate() {
        assert_eq!(intent.window, i as u64, "in window order");
        assert_eq!(intent.kind, IntentKind::Hold, "{intent:?}");
        assert_eq!(intent.hold_reason, HoldReason::Late, "{intent:?}");
    }
    let stats = p.stats.snapshot();
    assert_eq!(stats.device.late, windows, "{stats:?}");
    assert_eq!(stats.decoded, 0, "{stats:?}");
    // More windows than slots: the rest found none.
    assert!(stats.device.no_slot >= windows - SLOTS as u64, "{stats:?}");
    assert_eq!(
        stats.device.offloaded + stats.device.no_slot,
        windows,
        "{stats:?}"
    );
    // The report's `pipeline.device` counts them.
    let report = serde_json::to_value(stats).unwrap();
    assert_eq!(report["device"]["late"], windows, "{report}");
}
