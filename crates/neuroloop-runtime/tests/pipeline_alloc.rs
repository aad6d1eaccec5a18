//! The pipeline thread allocates nothing after initialize while detecting
//! artifacts, filtering, windowing and calibrating, and a constant number of
//! times per decoded window once the burn decoder runs (none for windows
//! held for artifacts). The first test's pipeline is the demo session's,
//! built by the session builder ([`neuroloop_runtime::session::assemble`]).
//!
//! The counting global allocator of `counting/` counts only while the flag
//! of the current thread is armed, so the test harness's own threads do not
//! interfere.

mod counting;

use std::cell::Cell;

use counting::count;

use neuroloop_core::ring::sample_ring;
use neuroloop_core::{HoldReason, Marker, SampleBlock, clock};
use neuroloop_dsp::WindowAssembler;
use neuroloop_runtime::decoding::{CalibrationSet, DecoderSlot};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::session::{PipelinePart, StartOptions};
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;
use neuroloop_sources::sim::{SimConfig, SimGenerator};

#[test]
fn pipeline_step_allocates_nothing_then_a_constant_amount_per_decoded_window() {
    // The demo session, built by the session's own builder: its source,
    // rings, stages, decoder slot, policy, real trainer and servers. The
    // test drives the pipeline step by step on this thread in place of the
    // pipeline thread and feeds the ring in place of the source thread.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/demo.toml");
    let mut cfg = neuroloop_runtime::load(&path).unwrap();
    // Recording too: the pipeline copies every block and marker to the
    // recorder's rings, whose thread writes the file meanwhile.
    let record = std::env::temp_dir().join(format!("neuroloop-alloc-{}.xdf", std::process::id()));
    cfg.record = Some(neuroloop_runtime::config::RecordPlan {
        path: record.clone(),
        flush_s: 1.0,
        session: None,
    });
    let Some(sim) = cfg.source.downcast_ref::<SimConfig>() else {
        panic!("this benchmark runs the simulated headset");
    };
    let spec = cfg.pipeline.input.clone();
    let labels: Vec<&str> = spec.labels().collect();
    let (channels, fs) = (spec.channel_count(), spec.sample_rate);
    let hop = cfg.pipeline.windows.hop_samples;
    let mut generator = SimGenerator::new(&labels, fs, sim.line_hz, &sim.paradigm, sim.seed);
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..StartOptions::default()
    };
    let mut parts = neuroloop_runtime::session::assemble(&cfg, options).unwrap();
    let recorder = parts.recorder.take().expect("recording");
    let PipelinePart {
        mut pipeline,
        samples: mut writer,
        markers: mut marker_writer,
        intents: intent_rx,
        ..
    } = parts.pipeline;
    let trainer = parts
        .calibration
        .expect("the demo session calibrates")
        .spawn()
        .unwrap();
    // The filtered-signal tap of `[lsl] filtered_outlet`, never drained
    // here: it fills, then drops.
    let (tap, tap_reader) = sample_ring(channels, 1024);
    pipeline.filtered = Some(tap);

    // Feeds one hop of simulated samples (with artifacts if `bad`: channel
    // 0 railed at ±1e30, 1 NaN, 2 saturated at the profile's maximum, 3
    // flat); returns the allocations of the pipeline step that processes it
    // (exactly one window each, once full) and the reasons of its holds.
    let mut data = vec![0f32; hop * channels];
    let mut times = vec![0f64; hop];
    let mut produced = 0u64;
    let mut feed = |pipeline: &mut Pipeline, bad: bool| {
        generator.fill(&mut data, |index, code| {
            marker_writer.push(Marker {
                time: index as f64 / fs,
                code,
            });
        });
        if bad {
            for (s, sample) in data.chunks_exact_mut(channels).enumerate() {
                sample[0] = if s % 2 == 0 { 1e30 } else { -1e30 };
                sample[1] = f32::NAN;
                sample[2] = 187_500.0;
                sample[3] = 3.0;
            }
        }
        for (i, t) in times.iter_mut().enumerate() {
            *t = (produced + i as u64) as f64 / fs;
        }
        produced += hop as u64;
        assert_eq!(writer.push(&data, &times, clock::now()), 0);
        let (step, allocations) = count(|| pipeline.step());
        assert_eq!(step, Step::Worked(hop));
        let reasons: Vec<HoldReason> = intent_rx.try_iter().map(|i| i.hold_reason).collect();
        (allocations, reasons)
    };
    let bad = Cell::new(false);
    let mut feed_and_step = |pipeline: &mut Pipeline| feed(pipeline, bad.get()).0;

    // 55 s of calibration: artifact detection, filters, CAR, windows,
    // labels, calibration copies; 4 s of artifacts from 20 s on.
    let calibrating_steps = (55.0 * fs / hop as f64) as usize;
    let artifact_steps = (20.0 * fs / hop as f64) as usize..(24.0 * fs / hop as f64) as usize;
    let total: u64 = (0..calibrating_steps)
        .map(|step| {
            bad.set(artifact_steps.contains(&step));
            feed_and_step(&mut pipeline)
        })
        .sum();
    bad.set(false);
    let artifacts = pipeline.stats.artifact.snapshot();
    assert!(
        artifacts.samples.rail == 1000 && artifacts.samples.non_finite == 1000,
        "{artifacts:?}"
    );
    assert!(artifacts.held_windows >= 40 + 9, "{artifacts:?}");
    assert!(
        pipeline.stats.snapshot().calibration_windows > 150,
        "windows were collected"
    );
    assert_eq!(
        total,
        0,
        "no allocation over {} s of artifact detection, filtering, windowing and calibration",
        calibrating_steps * hop / fs as usize
    );
    let tap = tap_reader.stats();
    assert_eq!(tap.pushed(), 1024, "the filtered-signal tap filled");
    assert!(
        tap.dropped() > 0,
        "then dropped and counted, without allocating"
    );

    // The artifact span reached no calibration window: nothing railed,
    // saturated or NaN, and filtered EEG stays within a few hundred µV.
    let DecoderSlot::Calibrating { set, .. } = &pipeline.decoder else {
        panic!("still calibrating after 55 s of 60");
    };
    assert!(
        set.windows.iter().all(|v| v.is_finite() && v.abs() < 1e3),
        "calibration windows are clean"
    );

    // Finish calibration; the session's trainer fits the decoder.
    while !matches!(pipeline.decoder, DecoderSlot::Ready(_)) {
        feed_and_step(&mut pipeline);
    }
    let training = trainer.join().unwrap().expect("the trainer reports");
    assert!(
        training.error.is_none() && training.attempts == 1,
        "{training:?}"
    );

    // Decoding: the same allocation count for every window.
    let per_window: Vec<u64> = (0..2000).map(|_| feed_and_step(&mut pipeline)).collect();
    let steady = &per_window[10..];
    eprintln!("allocations per decoded window: {}", steady[0]);
    assert!(
        steady.iter().all(|&a| a == steady[0]),
        "allocation count varies: {:?}",
        &per_window[..40]
    );
    assert!(pipeline.stats.snapshot().decoded >= 2000);

    // 4 s of artifacts while decoding: no decode, no allocation, only
    // artifact holds; then 14 hops whose windows still touch the artifact or
    // begin within the 0.5 s settling time after it, then decoding again at
    // the same allocation count.
    let held: Vec<(u64, Vec<HoldReason>)> = (0..40).map(|_| feed(&mut pipeline, true)).collect();
    assert!(
        held.iter()
            .all(|(a, r)| *a == 0 && r == &[HoldReason::Artifact]),
        "{held:?}"
    );
    let after: Vec<(u64, Vec<HoldReason>)> = (0..30).map(|_| feed(&mut pipeline, false)).collect();
    assert!(
        after[..14]
            .iter()
            .all(|(a, r)| *a == 0 && r == &[HoldReason::Artifact]),
        "{after:?}"
    );
    assert!(
        after[14..]
            .iter()
            .all(|(a, r)| *a == steady[0] && r.len() == 1 && r[0] != HoldReason::Artifact),
        "{after:?}"
    );

    // The recording holds every sample the tap took; a live source's tap
    // drops (and counts) what the recorder could not keep up with.
    drop(pipeline);
    drop(parts.publishers);
    let report = recorder.join().unwrap();
    assert_eq!(report.error, None);
    assert!(report.samples > 0);
    assert_eq!(
        report.samples + report.samples_dropped,
        produced,
        "{report:?}"
    );
    std::fs::remove_file(record).unwrap();
}

#[test]
fn a_stalled_source_on_an_empty_ring_sends_one_signal_loss_hold_without_allocating() {
    use neuroloop_core::IntentKind;
    use neuroloop_dsp::FilterChain;

    let channels = 2;
    let (mut writer, reader) = sample_ring(channels, 1024);
    let (intent_tx, intent_rx) = crossbeam_channel::bounded(1024);
    let (calib_tx, _calib_rx) = crossbeam_channel::bounded(1);
    let (_decoder_tx, decoder_rx) = crossbeam_channel::bounded(1);
    let mut pipeline = Pipeline {
        reader,
        markers: None,
        block: SampleBlock::with_capacity(channels, 256),
        artifacts: neuroloop_dsp::ArtifactConfig::default()
            .build(
                &neuroloop_core::StreamSpec {
                    name: "t".into(),
                    channels: ["A", "B"].map(neuroloop_core::ChannelSpec::eeg).to_vec(),
                    sample_rate: 250.0,
                    block_size: 10,
                },
                256,
            )
            .unwrap(),
        chain: FilterChain::new(Vec::new()),
        windows: Windowing::Hop(WindowAssembler::new(channels, 50, 10).unwrap()),
        labels: LabelTimeline::new(16, 0.5),
        decoder: DecoderSlot::calibrating(
            CalibrationSet::with_capacity(4, channels * 50),
            1000.0,
            calib_tx,
            decoder_rx,
            false,
        ),
        policy: IntentPolicy::new(2, 5, 0.7, 0.3),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
        record: None,
        offload: None,
        stage_timing: true,
    };
    let push = |writer: &mut neuroloop_core::ring::RingWriter, first: u64, n: usize| {
        let data = vec![0.5f32; n * channels];
        let times: Vec<f64> = (first..first + n as u64)
            .map(|i| i as f64 / 250.0)
            .collect();
        assert_eq!(writer.push(&data, &times, clock::now()), 0);
    };
    push(&mut writer, 0, 100);
    assert_eq!(pipeline.step(), Step::Worked(100));
    assert!(
        intent_rx
            .try_iter()
            .all(|i| i.hold_reason == HoldReason::Calibrating),
        "calibrating holds only"
    );
    assert_eq!(pipeline.step(), Step::Idle);
    assert!(intent_rx.is_empty(), "nothing while merely idle");

    // The source reports a stall: the next idle step sends one hold.
    writer.set_stalled(true);
    let before = clock::now();
    let (step, allocations) = count(|| pipeline.step());
    assert_eq!(step, Step::Idle);
    assert_eq!(allocations, 0, "the stall path allocates nothing");
    let holds: Vec<_> = intent_rx.try_iter().collect();
    assert_eq!(holds.len(), 1, "exactly one hold: {holds:?}");
    let hold = &holds[0];
    assert_eq!(hold.kind, IntentKind::Hold);
    assert_eq!(hold.hold_reason, HoldReason::SignalLoss);
    assert!(hold.times.arrival >= before && hold.times.sample_time >= before);
    assert_eq!(hold.window, pipeline.windows.next_index());
    // While the stall lasts, idle steps send nothing more.
    let (_, allocations) = count(|| (0..100).map(|_| pipeline.step()).count());
    assert_eq!(allocations, 0);
    assert!(intent_rx.is_empty(), "one hold per stall");
    let stats = pipeline.stats.snapshot();
    assert_eq!((stats.stalls, stats.gaps), (1, 0));

    // Data resumes after 50 lost samples: the gap path holds again and
    // resets; the stall is over.
    writer.skip(50);
    push(&mut writer, 150, 20);
    assert_eq!(pipeline.step(), Step::Worked(20));
    let after: Vec<_> = intent_rx.try_iter().collect();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].hold_reason, HoldReason::SignalLoss);
    assert!(!writer.stats().is_stalled());
    assert_eq!(pipeline.step(), Step::Idle);
    assert!(intent_rx.is_empty());
    let stats = pipeline.stats.snapshot();
    assert_eq!((stats.stalls, stats.gaps, stats.gap_samples), (1, 1, 50));
}
