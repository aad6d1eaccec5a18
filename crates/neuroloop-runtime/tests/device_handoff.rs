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

use std::path::Path;
use std::time::{Duration, Instant};

use counting::count;
use crossbeam_channel::Receiver;
use neuroloop_core::ring::{RingWriter, sample_ring};
use neuroloop_core::{ChannelSpec, HoldReason, Intent, IntentKind, SampleBlock, StreamSpec, clock};
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{ComputeDevice, Decoder};
use neuroloop_dsp::{ArtifactConfig, FilterChain, WindowAssembler};
use neuroloop_runtime::decode_worker::{Handoff, SLOTS};
use neuroloop_runtime::decoding::DecoderSlot;
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::offload::DeviceOffload;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;

const CH: usize = 4;
const SAMPLES: usize = 250;
const HOP: usize = 25;
const FS: f64 = 250.0;

/// A small ShallowConvNet trained on synthetic motor imagery, saved as a
/// bundle in `dir` (loaded twice: the CPU form and the burn forward).
fn bundle(dir: &Path) -> Bundle {
    let (x, y) = MotorImagery::new(CH, SAMPLES, FS).generate(48, 3);
    let classes = vec!["left".to_string(), "right".to_string()];
    let epochs = EpochSet::new(CH, SAMPLES, FS, classes, x, y).unwrap();
    let spec = ModelSpec::with_spec(
        "shallow_convnet",
        &Hyperparameters::default()
            .with("n_filters_time", 4)
            .with("n_filters_spat", 4),
    )
    .unwrap();
    let options = FitOptions {
        seed: 1,
        max_epochs: 3,
        batch_size: 16,
        ..FitOptions::default()
    };
    let model = fit(&spec, &epochs, &options, &mut |_| {}).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    let meta = BundleMeta {
        channels: (0..CH).map(|c| format!("C{c}")).collect(),
        ..BundleMeta::default()
    };
    model.save_bundle(dir, &meta).unwrap();
    Bundle::load(dir).unwrap()
}

/// A bare pipeline (no filters) decoding with `decoder`, on the device
/// through `offload` if given; smoothing 1, so each intent is one window's.
fn pipeline(
    decoder: Box<dyn Decoder>,
    offload: Option<DeviceOffload>,
) -> (Pipeline, RingWriter, Receiver<Intent>) {
    let (writer, reader) = sample_ring(CH, 4096);
    let (intent_tx, intents) = crossbeam_channel::bounded(1024);
    let spec = StreamSpec {
        name: "t".into(),
        channels: (0..CH).map(|c| ChannelSpec::eeg(format!("C{c}"))).collect(),
        sample_rate: FS,
        block_size: HOP,
    };
    let pipeline = Pipeline {
        reader,
        markers: None,
        block: SampleBlock::with_capacity(CH, 256),
        artifacts: ArtifactConfig::default().build(&spec, 256).unwrap(),
        chain: FilterChain::new(Vec::new()),
        windows: Windowing::Hop(WindowAssembler::new(CH, SAMPLES, HOP).unwrap()),
        labels: LabelTimeline::new(16, 0.0),
        decoder: DecoderSlot::Ready(decoder),
        policy: IntentPolicy::new(2, 1, 0.55, 0.0),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
        record: None,
        offload,
    };
    (pipeline, writer, intents)
}

/// A continuous signal: new synthetic motor-imagery trials (another seed
/// than training) back to back, interleaved as a source pushes them.
fn signal() -> Vec<f32> {
    let trials = 12;
    let (x, _) = MotorImagery::new(CH, SAMPLES, FS).generate(trials, 9);
    let mut out = vec![0f32; trials * SAMPLES * CH];
    for (t, trial) in x.chunks_exact(CH * SAMPLES).enumerate() {
        for c in 0..CH {
            for s in 0..SAMPLES {
                out[(t * SAMPLES + s) * CH + c] = trial[c * SAMPLES + s];
            }
        }
    }
    out
}

/// Pushes hop `h` of `signal`.
fn push_hop(writer: &mut RingWriter, signal: &[f32], h: usize) {
    let data = &signal[h * HOP * CH..(h + 1) * HOP * CH];
    let times: Vec<f64> = (h * HOP..(h + 1) * HOP).map(|n| n as f64 / FS).collect();
    assert_eq!(writer.push(data, &times, clock::now()), 0);
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
    let loaded = bundle(&dir);
    let network = loaded.model().batch_decoder(ComputeDevice::Cpu).unwrap();
    let handoff = Handoff::spawn(Some(network), None, CH * SAMPLES).unwrap();
    let offload = DeviceOffload::new(handoff, 10.0, false);
    let (mut on_worker, mut writer, intents) =
        pipeline(loaded.into_decoder().unwrap(), Some(offload));
    let (mut on_thread, mut writer2, intents2) =
        pipeline(Bundle::load(&dir).unwrap().into_decoder().unwrap(), None);

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
        assert!(w.times.decode_end >= w.times.decode_start);
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
    let loaded = bundle(&dir);
    let network = loaded.model().batch_decoder(ComputeDevice::Cpu).unwrap();
    // Every batch takes 300 ms longer than its forward; the deadline is 20 ms.
    let slow = Duration::from_millis(300);
    let handoff = Handoff::spawn_slowed(Some(network), None, CH * SAMPLES, slow).unwrap();
    let offload = DeviceOffload::new(handoff, 0.020, false);
    let (mut p, mut writer, intents) = pipeline(loaded.into_decoder().unwrap(), Some(offload));

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
