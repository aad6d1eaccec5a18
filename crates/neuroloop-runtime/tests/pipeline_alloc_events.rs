//! In event mode (`windows = "events"`) the pipeline thread allocates
//! nothing while cutting event windows and calibrating on them, nothing for
//! a full pending-event queue or a marker older than the history (both
//! counted), and a constant number of times per decoded event window.
//!
//! The counting global allocator of `counting/` counts only while the flag
//! of the current thread is armed, so the test harness's own threads do not
//! interfere.

mod counting;

use counting::count;

use neuroloop_core::markers::marker_ring;
use neuroloop_core::ring::sample_ring;
use neuroloop_core::{HoldReason, Marker, SampleBlock, clock};
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_runtime::config::EVENT_QUEUE;
use neuroloop_runtime::decoding::{CalibrationSet, DecoderSlot};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;
use neuroloop_sources::sim::SimGenerator;

#[test]
fn event_windows_allocate_nothing_then_a_constant_amount_per_decoded_event() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/events-sim.toml");
    let cfg = neuroloop_runtime::load(&path).unwrap();
    let neuroloop_runtime::config::SourceSection::Sim(sim) = &cfg.source else {
        panic!("events-sim.toml runs the simulated headset");
    };
    let spec = cfg.input.clone();
    let labels: Vec<&str> = spec.labels().collect();
    let (channels, fs) = (spec.channel_count(), spec.sample_rate);
    let step_samples = 25;
    let mut generator = SimGenerator::new(&labels, fs, sim.line_hz, &sim.paradigm, sim.seed);
    let (mut writer, reader) = sample_ring(channels, cfg.ring_samples);
    let (mut marker_writer, marker_reader) = marker_ring(1024);
    let (intent_tx, intent_rx) = crossbeam_channel::bounded(1024);
    let (calib_tx, calib_rx) = crossbeam_channel::bounded(1);
    let (decoder_tx, decoder_rx) = crossbeam_channel::bounded(1);
    let mut pipeline = Pipeline {
        reader,
        markers: Some(marker_reader),
        block: SampleBlock::with_capacity(channels, 256),
        artifacts: cfg.artifacts.build(&spec, 256).unwrap(),
        chain: cfg.filters.initialize(&spec, 256).unwrap(),
        windows: Windowing::build(&cfg).unwrap(),
        labels: LabelTimeline::new(256, 0.5),
        decoder: DecoderSlot::calibrating(
            CalibrationSet::with_capacity(
                cfg.calibration_capacity(),
                channels * cfg.window_samples,
            ),
            cfg.decoder.calibration_s,
            calib_tx,
            decoder_rx,
            true,
        ),
        policy: IntentPolicy::new(2, 1, 0.6, 0.0),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
    };

    // One step of simulated samples and its markers; returns the step's
    // allocations and the reasons of the decisions it sent.
    let mut data = vec![0f32; step_samples * channels];
    let mut times = vec![0f64; step_samples];
    let mut produced = 0u64;
    let mut feed = |pipeline: &mut Pipeline, extra: &[Marker]| {
        generator.fill(&mut data, |index, code| {
            marker_writer.push(Marker {
                time: index as f64 / fs,
                code,
            });
        });
        for m in extra {
            marker_writer.push(*m);
        }
        for (i, t) in times.iter_mut().enumerate() {
            *t = (produced + i as u64) as f64 / fs;
        }
        produced += step_samples as u64;
        assert_eq!(writer.push(&data, &times, clock::now()), 0);
        let (step, allocations) = count(|| pipeline.step());
        assert_eq!(step, Step::Worked(step_samples));
        let reasons: Vec<HoldReason> = intent_rx.try_iter().map(|i| i.hold_reason).collect();
        (allocations, reasons)
    };

    // 58 s of calibration on cue windows (cues every 4 s from 1 s).
    let calibrating_steps = (58.0 * fs) as usize / step_samples;
    let total: u64 = (0..calibrating_steps)
        .map(|_| feed(&mut pipeline, &[]).0)
        .sum();
    let stats = pipeline.stats.snapshot();
    assert_eq!(stats.calibration_windows, 14, "cues at 1 … 53 s: {stats:?}");
    assert_eq!(
        total, 0,
        "no allocation while cutting and collecting event windows"
    );

    // A burst of markers beyond the pending queue, and one older than the
    // history: counted, not allocated.
    let now = (calibrating_steps * step_samples) as f64 / fs;
    let mut burst = vec![Marker { time: 1.0, code: 0 }];
    burst.extend((0..EVENT_QUEUE + 10).map(|i| Marker {
        time: now + 1.0 + i as f64 * 1e-3,
        code: 1,
    }));
    let (allocations, _) = feed(&mut pipeline, &burst);
    assert_eq!(
        allocations, 0,
        "a full queue and a missed marker allocate nothing"
    );
    let events = pipeline.stats.snapshot().events;
    assert_eq!(events.missed, 1, "{events:?}");
    assert!(events.overflowed >= 10, "{events:?}");

    let trainer = std::thread::spawn(move || {
        let set: CalibrationSet = calib_rx.recv().unwrap();
        let classes = vec!["left".into(), "right".into()];
        let epochs = EpochSet::new(16, 500, 250.0, classes, set.windows, set.labels).unwrap();
        let spec = ModelSpec::named("bandpower").unwrap();
        let model = fit(&spec, &epochs, &FitOptions::default(), &mut |_| {}).unwrap();
        decoder_tx.send(Ok(model.into_decoder().unwrap())).unwrap();
    });
    while !matches!(pipeline.decoder, DecoderSlot::Ready(_)) {
        feed(&mut pipeline, &[]);
    }
    trainer.join().unwrap();

    // Decoding: steps without an event window allocate nothing; each
    // decoded event window the same count.
    let steps: Vec<(u64, Vec<HoldReason>)> = (0..(120.0 * fs) as usize / step_samples)
        .map(|_| feed(&mut pipeline, &[]))
        .collect();
    let with_windows: Vec<(u64, usize)> = steps
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(a, r)| (*a, r.len()))
        .collect();
    assert!(
        steps
            .iter()
            .filter(|(_, r)| r.is_empty())
            .all(|(a, _)| *a == 0),
        "steps without a window allocate nothing"
    );
    let decoded: usize = with_windows.iter().map(|(_, n)| n).sum();
    assert!(decoded >= 25, "{decoded} event windows decoded");
    // The burst's windows complete together: several per step.
    let (last, n) = with_windows[with_windows.len() - 1];
    let per_window = last / n as u64;
    assert!(
        with_windows
            .iter()
            .all(|&(a, n)| a == per_window * n as u64),
        "allocation count per window varies: {with_windows:?}"
    );
    eprintln!("allocations per decoded event window: {per_window}");
}
